/**
 * The local target: the backup and restore scripts run on this machine, with the docker CLI
 * talking to the local daemon (DOCKER_HOST, as for `npm run local:up`). Their output is passed on
 * line by line as it comes (progress), and kept for the caller to read the result lines.
 */
import { spawn } from "node:child_process";

export interface ScriptResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runScript(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string, stream: "stdout" | "stderr") => void,
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    const out = { stdout: "", stderr: "" };
    const partial = { stdout: "", stderr: "" };
    const take = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      out[stream] += text;
      const lines = (partial[stream] + text).split("\n");
      partial[stream] = lines.pop() ?? "";
      for (const line of lines) onLine(line, stream);
    };
    child.stdout.on("data", take("stdout"));
    child.stderr.on("data", take("stderr"));
    child.on("error", reject);
    child.on("close", (code) => {
      for (const stream of ["stdout", "stderr"] as const) if (partial[stream] !== "") onLine(partial[stream], stream);
      resolve({ exitCode: code ?? 1, ...out });
    });
  });
}
