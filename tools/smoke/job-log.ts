/**
 * Reading GitLab job logs: strip the ANSI colours and `section_start:`/`section_end:`
 * markers the runner writes, take the tail, and pick out the lines that prove DinD.
 */

/** The log as plain lines: no ANSI escapes, no collapsible-section markers, no `\r` redraws. */
export function cleanLog(trace: string): string[] {
  return (
    trace
      .replace(/section_(?:start|end):\d+:[A-Za-z0-9_.-]+(?:\[[^\]]*\])?\r?/g, "")
      // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
      .replace(/\x1b\[[0-9;]*[A-Za-z]/g, "")
      .split("\n")
      .map((line) => {
        const parts = line.split("\r");
        return (parts.filter((p) => p !== "").at(-1) ?? "").replace(/\s+$/, "");
      })
  );
}

/** The last `count` non-empty-trailing lines. */
export function logTail(trace: string, count = 40): string[] {
  const lines = cleanLog(trace);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.slice(-count);
}

export interface DindProof {
  /** `docker version`'s Server section: only present when the client reached the dind daemon. */
  readonly server: readonly string[];
  /** `docker container ls` output: the containers running inside the job's daemon. */
  readonly containers: readonly string[];
}

/** The proof lines, or empty arrays when the log lacks them. */
export function extractProof(trace: string): DindProof {
  const lines = cleanLog(trace);
  const server: string[] = [];
  const start = lines.findIndex((l) => /^Server:/.test(l));
  if (start >= 0) {
    server.push(lines[start] ?? "");
    for (let i = start + 1; i < lines.length; i++) {
      const line = lines[i] ?? "";
      if (!/^\s+\S/.test(line)) break;
      server.push(line);
    }
  }
  const containers: string[] = [];
  const ls = lines.findIndex((l) => /^\$ docker (container ls|ps)\b/.test(l));
  if (ls >= 0) {
    containers.push(lines[ls] ?? "");
    for (let i = ls + 1; i < lines.length; i++) {
      const line = lines[i] ?? "";
      if (
        line.startsWith("$ ") ||
        line === "" ||
        /^(Cleaning up|Job succeeded|Job failed|Running after_script|Uploading artifacts|Saving cache)/.test(line)
      )
        break;
      containers.push(line);
    }
  }
  // A header with no container rows proves nothing ran.
  return { server, containers: containers.length > 2 ? containers : [] };
}
