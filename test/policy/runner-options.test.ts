/**
 * The offline policy runner hands each policy the options the analyzer would (@pulumi/policy
 * server.js `getResourceOptions`: protect, ignoreChanges, deleteBeforeReplace, custom timeouts in
 * seconds) from the plan's `options`, the engine's dependencies to stack policies, and analyzes
 * what the stack creates or imports, never what it only reads.
 */
import type { PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import type { Plan } from "../../tools/plan/run-plan";
import { durationSeconds, runPolicies } from "../../tools/policy/run-policies";
import { planStack } from "../support/stack-plans";

describe("what the offline runner gives a policy", () => {
  it("the analyzer's options, from the plan", async () => {
    const plan = await planStack("dev-autoscale");
    const seen = new Map<string, ResourceValidationArgs["opts"]>();
    await runPolicies(plan, [
      {
        name: "record",
        description: "records the options",
        validateResource: (args) => void seen.set(args.name, args.opts),
      },
    ]);
    expect(seen.get("ci-workers-asg")).toMatchObject({
      ignoreChanges: ["desiredCapacity"],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 1200 },
      protect: false,
    });
    expect(seen.get("runner-registration")?.deleteBeforeReplace).toBe(true);
  });

  it("the engine's dependencies to stack policies; reads skipped, imports analyzed", async () => {
    const base = await planStack("dev", { "gitlab-dind:host": { dataVolumeId: "vol-0a1b2c3d4e5f60718" } });
    const plan = structuredClone(base) as Plan & { resources: Plan["resources"][number][] };
    // The backup bucket imported instead of created: the engine analyzes it.
    const bucket = plan.resources.find((r) => r.name === "dev-backups-bucket")!;
    Object.assign(bucket, {
      existingId: "dev-gitlab-backups-5eed0000",
      options: { ...bucket.options!, import: "dev-gitlab-backups-5eed0000" },
    });
    let resources: PolicyResource[] = [];
    await runPolicies(plan, [
      {
        name: "record",
        description: "records the resources",
        validateStack: (args) => void (resources = args.resources),
      },
    ]);
    const names = resources.map((r) => r.name);
    expect(names).not.toContain("dev-host-data");
    expect(names).toContain("dev-backups-bucket");
    const runner = resources.find((r) => r.name === "runner" && r.type === "docker:index/container:Container")!;
    expect(runner.dependencies.map((d) => d.name)).toEqual(
      expect.arrayContaining(["runner-registration", "dev-host-docker-api"]),
    );
  });

  it("custom timeouts as Go durations, in seconds", () => {
    expect(durationSeconds(undefined)).toBe(0);
    expect(durationSeconds("20m")).toBe(1200);
    expect(durationSeconds("1h30m10s")).toBe(5410);
    expect(durationSeconds("1.5h")).toBe(5400);
    expect(() => durationSeconds("20 minutes")).toThrow(/not a duration/);
  });
});
