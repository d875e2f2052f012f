/**
 * A shipped command (`tools/<name>/main.ts`, which exports `cli(argv)`: the command with its
 * top-level error handler, returning the exit code) run the two ways the tests need:
 * - `inProcess`: its `cli` in this process, with what it prints captured (`console.log/info/debug`
 *   to stdout, `console.error/warn/trace` to stderr, and direct writes to either),
 *   all restored after, pass or fail;
 * - `npmRun`: `npm run -s <script> -- …` in a child process, as a user and CI run it (kept to one
 *   per command in the suite: it proves the entry point — argv through npm, the exit code — and
 *   costs a Node start-up and the SDK's load each).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { format } from "node:util";

const ROOT = join(__dirname, "..", "..");

export interface CommandRun {
  /** The exit code; null when a child process was killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Sets `target[key]` to `value` as an own property; returns what puts back exactly what was there
 * (an own property as it was, or none, which uncovers the prototype's again).
 */
function patch(target: object, key: string, value: unknown): () => void {
  const own = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, {
    value,
    configurable: true,
    writable: true,
    enumerable: own?.enumerable ?? false,
  });
  return () => {
    if (own === undefined) Reflect.deleteProperty(target, key);
    else Object.defineProperty(target, key, own);
  };
}

/** `cli(argv)` in this process: what it returns and what it printed, as a child's stdout/stderr would hold it. */
export async function inProcess(cli: (argv: string[]) => Promise<number>, argv: string[]): Promise<CommandRun> {
  let stdout = "";
  let stderr = "";
  const toOut = (text: string) => void (stdout += text);
  const toErr = (text: string) => void (stderr += text);
  const line =
    (into: (text: string) => void) =>
    (...args: unknown[]) =>
      into(`${format(...args)}\n`);
  const write =
    (into: (text: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      into(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      const done = rest.find((r) => typeof r === "function") as ((err?: Error) => void) | undefined;
      done?.();
      return true;
    };
  const restore = [
    ...["log", "info", "debug"].map((m) => patch(console, m, line(toOut))),
    ...["error", "warn"].map((m) => patch(console, m, line(toErr))),
    // As Node prints it: the message, then the stack from the caller on.
    patch(console, "trace", (...args: unknown[]) =>
      toErr(`Trace: ${format(...args)}\n${(new Error().stack ?? "").split("\n").slice(2).join("\n")}\n`),
    ),
    patch(process.stdout, "write", write(toOut)),
    patch(process.stderr, "write", write(toErr)),
  ];
  try {
    const code = await cli(argv);
    return { code, stdout, stderr };
  } finally {
    for (const undo of restore.reverse()) undo();
  }
}

/** `npm run -s <script> -- …argv` from the repository root, in a child process; `env` over this process's. */
export function npmRun(script: string, argv: string[], env: Record<string, string> = {}): Promise<CommandRun> {
  return spawnRun("npm", ["run", "-s", script, "--", ...argv], env);
}

/** `node …nodeArgs …argv` from the repository root, in a child process: a command as npm starts it, without npm. */
export function nodeRun(nodeArgs: string[], argv: string[], env: Record<string, string> = {}): Promise<CommandRun> {
  return spawnRun(process.execPath, [...nodeArgs, ...argv], env);
}

function spawnRun(command: string, args: string[], env: Record<string, string>): Promise<CommandRun> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}
