/**
 * `npm run policy -- <plan-dir>` as CI and a user run it, on a plan written as `npm run plan -- --out` writes it.
 * The refusal of a directory without a plan is the one real `npm run policy` of the suite (a child
 * process: argv through npm, the exit code, the entry point's error handler: a message, no stack
 * trace); the other runs call the same command in-process, with what it prints captured.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../tools/plan/run-plan";
import { cli } from "../../tools/policy/main";
import { inProcess, npmRun, type CommandRun } from "../support/command";
import { planStack } from "../support/stack-plans";

const dirs: string[] = [];
let dev: Plan;
// The real `npm run policy` on a directory without a plan: started first, it runs while this
// process plans the dev stack.
const empty = { dir: "" };
let refusal: Promise<CommandRun> | undefined;

beforeAll(async () => {
  empty.dir = mkdtempSync(join(tmpdir(), "gitlab-dind-policy-"));
  dirs.push(empty.dir);
  refusal = npmRun("policy", [empty.dir]);
  dev = await planStack("dev");
});

afterAll(async () => {
  // The child has ended before its folder goes, pass or fail.
  await refusal?.catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A plan directory holding `resources.json` as the plan command writes it. */
function planDir(plan: Plan): string {
  const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-policy-"));
  dirs.push(dir);
  const doc = { project: plan.project, stack: plan.stack, resources: plan.resources, outputs: plan.outputs };
  writeFileSync(join(dir, "resources.json"), `${JSON.stringify(doc, null, 2)}\n`);
  return dir;
}

/** `npm run policy -- …args`, in this process. */
function policy(...args: string[]) {
  return inProcess(cli, args);
}

describe("npm run policy", () => {
  it("names each violating resource as <policy>: <resource>: <message>, exit 1; --expect accepts a known one, and fails once it is gone", async () => {
    const broken = structuredClone(dev);
    const volume = broken.resources.find((r) => r.name === "dev-host-data")!;
    volume.inputs.encrypted = false;
    const dir = planDir(broken);

    const r = await policy(dir);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toContain("ebs-encrypted: dev-host-data: encrypted is not true: set encrypted: true");
    expect(lines.at(-1)).toMatch(
      /^policy pack gitlab-dind on gitlab-dind\/dev: 15 policies, \d+ resources, 1 violations?$/,
    );

    // CI's run on the dev plan: nothing to report.
    expect((await policy(planDir(dev))).code).toBe(0);
    // A known violation can be expected (exit 0), and an expectation that no longer holds fails.
    expect((await policy(dir, "--expect", "ebs-encrypted:dev-host-data")).code).toBe(0);
    const gone = await policy(planDir(dev), "--expect", "ebs-encrypted:dev-host-data");
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain("--expect ebs-encrypted:dev-host-data: no such violation any more");
  });

  it("npm run policy: refuses a directory without a plan, with a message and no stack trace", async () => {
    if (refusal === undefined) throw new Error("the npm run policy child was not started");
    const r = await refusal;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`policy: cannot read the plan ${join(empty.dir, "resources.json")}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
