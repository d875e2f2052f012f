/**
 * Which Pulumi CLI `npm run smoke` and `npm run e2e` run when PULUMI_CLI is unset: an installed one
 * on PATH, looked up past the `node_modules/.bin` folders `npm run` puts first (the pinned npm
 * package's shim there would shadow it and download a copy of its own).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { installedPulumi } from "../../tools/cli/installed-pulumi";
import { readStackOutputs, type CommandRunner } from "../../tools/smoke/stack-outputs";

const work = mkdtempSync(join(tmpdir(), "gitlab-dind-installed-pulumi-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function folder(name: string, pulumi?: "executable" | "plain" | "directory"): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  if (pulumi === "directory") mkdirSync(join(dir, "pulumi"));
  if (pulumi === "executable" || pulumi === "plain") {
    writeFileSync(join(dir, "pulumi"), "#!/bin/sh\n");
    chmodSync(join(dir, "pulumi"), pulumi === "executable" ? 0o755 : 0o644);
  }
  return dir;
}

const shim = folder("project/node_modules/.bin", "executable");
const parentShim = folder("node_modules/.bin", "executable");
const notExecutable = folder("plain", "plain");
const aDirectory = folder("dir", "directory");
const installed = folder("home/.pulumi/bin", "executable");

it("takes the first executable pulumi outside node_modules/.bin, and none when only the shims have one", () => {
  const path = [shim, parentShim, notExecutable, aDirectory, "", installed].join(delimiter);
  expect(installedPulumi(path)).toBe(join(installed, "pulumi"));
  expect(installedPulumi([shim, `${parentShim}/`, notExecutable].join(delimiter))).toBeUndefined();
  expect(installedPulumi(undefined)).toBeUndefined();
});

it("npm run smoke reads the stack's outputs with the installed CLI, not the shim first on PATH", async () => {
  const calls: string[] = [];
  const run: CommandRunner = (command) => {
    calls.push(command);
    return Promise.resolve({ code: 1, stdout: "", stderr: "error: no stack named 's' found" });
  };
  await expect(
    readStackOutputs("s", { run, env: { PATH: [shim, installed].join(delimiter) }, cwd: work }),
  ).rejects.toThrow(/no stack/);
  expect(calls).toEqual([join(installed, "pulumi")]);
});
