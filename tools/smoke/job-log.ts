/**
 * Reading GitLab job logs: strip the ANSI colours and `section_start:`/`section_end:`
 * markers the runner writes, take the tail, and pick out the lines that prove DinD.
 */
import { CACHE_HIT_LINE, MIRRORS_LINE, PUSHED_IMAGE_GREETING } from "../../runner-config/example-pipeline";

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

/** The line the example pipeline prints with the job daemon's registry mirrors (runner-config). */
const MIRRORS_LINE_PREFIX = MIRRORS_LINE;

/**
 * The registry mirrors the job's DinD daemon uses, from the example pipeline's
 * `docker info --format 'Registry Mirrors: …'` line (or `docker info`'s own "Registry Mirrors:"
 * section): an empty list when it has none, undefined when the log does not say.
 */
export function extractMirrors(trace: string): string[] | undefined {
  const lines = cleanLog(trace);
  const at = lines.findIndex((l) => l.trimStart().startsWith(MIRRORS_LINE_PREFIX));
  if (at < 0) return undefined;
  const rest = (lines[at] ?? "").trimStart().slice(MIRRORS_LINE_PREFIX.length).trim();
  if (rest !== "") return rest.split(/[\s,]+/).filter((m) => m !== "");
  // `docker info` lists them one per indented line below the heading.
  const mirrors: string[] = [];
  for (let i = at + 1; i < lines.length && /^\s+\S+$/.test(lines[i] ?? "") && /:\/\//.test(lines[i] ?? ""); i++) {
    mirrors.push((lines[i] ?? "").trim());
  }
  return mirrors;
}

/** What the example pipeline's registry-push job's log shows of the push. */
export interface PushProof {
  /** `docker push`'s "The push refers to repository [<location>]". */
  readonly repository: string;
  /** The tag and manifest digest from its last line, `<tag>: digest: sha256:… size: …`. */
  readonly tag: string;
  readonly digest: string;
}

/** The push `docker push` reports in a job log, or undefined when the log shows none completed. */
export function extractPush(trace: string): PushProof | undefined {
  const lines = cleanLog(trace);
  const repository = lines
    .map((l) => /^The push refers to repository \[([^\]]+)\]$/.exec(l.trim())?.[1])
    .find((r) => r !== undefined);
  const done = lines
    .map((l) => /^(\S+): digest: (sha256:[0-9a-f]{64}) size: \d+$/.exec(l.trim()))
    .find((m) => m !== null);
  if (repository === undefined || done === undefined) return undefined;
  return { repository, tag: done[1] ?? "", digest: done[2] ?? "" };
}

/**
 * The line the pushed image prints when the registry-pull job runs it, for this pipeline only:
 * `<PUSHED_IMAGE_GREETING> <pipeline id>` (the command's own echo in the log has no id in it).
 */
export function extractPulledImageOutput(trace: string, pipelineId: number): string | undefined {
  const expected = `${PUSHED_IMAGE_GREETING} ${pipelineId}`;
  return cleanLog(trace).find((l) => l.trim() === expected);
}

/**
 * The line the example pipeline's cache-read job prints when it found the file cache-write cached in
 * this pipeline: `<CACHE_HIT_LINE> <pipeline id>` (the command's own echo has `$(cat …)` in its place).
 */
export function extractCacheHit(trace: string, pipelineId: number): string | undefined {
  const expected = `${CACHE_HIT_LINE} ${pipelineId}`;
  return cleanLog(trace).find((l) => l.trim() === expected);
}

/**
 * Where a job's cache came from, by the helper's own log lines (gitlab-runner v19.3.0
 * commands/helpers/cache_extractor.go): `Downloading cache from <URL without its query>` from the
 * shared cache (the URL's host: the bucket's endpoint), `No URL provided, cache will not be
 * downloaded from shared cache server…` the local cache; undefined when the log says neither.
 */
export function extractCacheSource(trace: string): { kind: "shared"; host: string } | { kind: "local" } | undefined {
  for (const line of cleanLog(trace)) {
    const shared = /Downloading \S+ from (https?:\/\/[^\s/?]+)/.exec(line);
    if (shared !== null) return { kind: "shared", host: new URL(shared[1] ?? "").host };
    if (line.includes("No URL provided, cache will not be downloaded from shared cache server"))
      return { kind: "local" };
  }
  return undefined;
}
