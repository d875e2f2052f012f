/**
 * `npm run smoke`'s entry point (tools/smoke/main.ts) called in-process, with the process's
 * arguments, environment, output and signals replaced by the test's.
 */
import { EventEmitter } from "node:events";
import path from "node:path";
import { main } from "../../tools/smoke/main";
import { fakeClock } from "../support/clock";

export const ROOT = path.join(__dirname, "../..");

export interface MainRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface MainOptions {
  /** A fake clock for the retries and polls: `sleep` moves it on at once. Default the real one. */
  readonly fakeClock?: boolean;
  /** Receives SIGINT/SIGTERM as the process would: emit on it to interrupt the run. */
  readonly signals?: EventEmitter;
}

export async function smokeMain(
  argv: string[],
  env: Record<string, string>,
  options: MainOptions = {},
): Promise<MainRun & { elapsedMs: number }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const clock = fakeClock();
  const code = await main({
    argv,
    env: { ...process.env, ...env },
    cwd: ROOT,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    signals: options.signals ?? new EventEmitter(),
    exit: (c) => {
      throw new Error(`the smoke run asked to exit the process (${c})`);
    },
    ...(options.fakeClock === true ? clock : {}),
  });
  const text = (lines: string[]) => (lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  return { code, stdout: text(stdout), stderr: text(stderr), elapsedMs: clock.now() };
}
