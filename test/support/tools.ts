/**
 * The real tools that consume the files we render (`cloud-init schema`, `shellcheck`, `ruby`).
 * Locally a missing tool skips its test with a message; under CI=true a missing tool fails
 * (.ci/run installs them from Debian's packages).
 */
import { execFileSync, spawnSync } from "node:child_process";

export function haveTool(command: string, args: string[] = ["--version"]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** True when the test should run; logs why it is skipped; throws under CI=true. */
export function requireTool(command: string, installHint: string, versionArgs: string[] = ["--version"]): boolean {
  if (haveTool(command, versionArgs)) return true;
  const message = `${command} is not installed (${installHint})`;
  if (process.env.CI === "true") throw new Error(`${message}; CI must run this check`);
  console.warn(`skipping: ${message}`);
  return false;
}

export function run(command: string, args: string[]): { status: number; output: string } {
  const r = spawnSync(command, args, { encoding: "utf8" });
  return { status: r.status ?? -1, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}
