/**
 * `npm run policy -- <plan-dir>` as CI and a user run it, on a plan written as `npm run plan -- --out` writes it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../tools/plan/run-plan";
import { ROOT, planStack } from "../support/stack-plans";

const dirs: string[] = [];
let dev: Plan;

beforeAll(async () => {
  dev = await planStack("dev");
});

afterAll(() => {
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

function policy(...args: string[]) {
  const r = spawnSync("npm", ["run", "-s", "policy", "--", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run policy", () => {
  it("names each violating resource as <policy>: <resource>: <message>, exit 1; --expect accepts a known one, and fails once it is gone", () => {
    const broken = structuredClone(dev);
    const volume = broken.resources.find((r) => r.name === "dev-host-data")!;
    volume.inputs.encrypted = false;
    const dir = planDir(broken);

    const r = policy(dir);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toContain("ebs-encrypted: dev-host-data: encrypted is not true: set encrypted: true");
    expect(lines.at(-1)).toMatch(
      /^policy pack gitlab-dind on gitlab-dind\/dev: 8 policies, \d+ resources, 1 violations?$/,
    );

    // CI's run on the dev plan: nothing to report.
    expect(policy(planDir(dev)).code).toBe(0);
    // A known violation can be expected (exit 0), and an expectation that no longer holds fails.
    expect(policy(dir, "--expect", "ebs-encrypted:dev-host-data").code).toBe(0);
    const gone = policy(planDir(dev), "--expect", "ebs-encrypted:dev-host-data");
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain("--expect ebs-encrypted:dev-host-data: no such violation any more");
  });

  it("refuses a directory without a plan, with a message and no stack trace", () => {
    const empty = mkdtempSync(join(tmpdir(), "gitlab-dind-policy-"));
    dirs.push(empty);
    const r = policy(empty);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`policy: cannot read the plan ${join(empty, "resources.json")}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
