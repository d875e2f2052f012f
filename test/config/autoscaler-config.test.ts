/**
 * `runner.autoscaler.*` (issue 10): defaults, the values it decides for other keys (concurrent, the
 * host's IMDS hop limit) and every refusal, each naming its full key.
 */
import { describe, expect, test } from "vitest";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";
import { checkX86InstanceType, parseGoDuration } from "../../infra/config/rules";
import type { StackConfig } from "../../infra/config/types";

const AWS: RawConfig = {
  "aws:region": "eu-central-1",
  "gitlab-dind:team": "payments",
  "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
};

function ok(values: RawConfig): StackConfig {
  const r = parseStackConfig({ values });
  if (!r.ok) throw new Error(`expected valid config, got:\n${r.problems.join("\n")}`);
  return r.config;
}

function problems(values: RawConfig): readonly string[] {
  const r = parseStackConfig({ values });
  if (r.ok) throw new Error("expected problems, config was accepted");
  return r.problems;
}

const on = (autoscaler: Record<string, unknown> = {}, runner: Record<string, unknown> = {}): RawConfig => ({
  ...AWS,
  "gitlab-dind:runner": { ...runner, autoscaler: { enabled: true, ...autoscaler } },
});

describe("defaults", () => {
  test("off by default: the host keeps its runner, concurrency and IMDS hop limit 1", () => {
    const c = ok(AWS);
    expect(c.runner.autoscaler).toEqual({
      enabled: false,
      maxInstances: 10,
      capacityPerInstance: 1,
      maxUseCount: 1,
      idleCount: 0,
      idleTime: "20m",
      instanceType: "m7i.large",
      spot: false,
      extraInstanceTypes: [],
      onDemandBase: 0,
    });
    expect(c.runner.concurrent).toBe(4);
    expect(c.host.imdsHopLimit).toBe(1);
  });

  test("on: concurrent is maxInstances × capacityPerInstance and the hop limit 2", () => {
    const c = ok(on({ maxInstances: 12, capacityPerInstance: 3 }));
    expect(c.runner.autoscaler).toMatchObject({ enabled: true, maxInstances: 12, capacityPerInstance: 3 });
    expect(c.runner.concurrent).toBe(36);
    expect(c.host.imdsHopLimit).toBe(2);
  });

  test("set with --path (nested groups), as JSON text, or as dotted keys", () => {
    expect(ok(on({ maxInstances: "5" })).runner.concurrent).toBe(5);
    const json = ok({
      ...AWS,
      "gitlab-dind:runner": JSON.stringify({ autoscaler: { enabled: "true", idleTime: "1h30m" } }),
    });
    expect(json.runner.autoscaler.idleTime).toBe("1h30m");
    const dotted = ok({
      ...AWS,
      "gitlab-dind:runner.autoscaler.enabled": "true",
      "gitlab-dind:runner.autoscaler.maxInstances": "3",
    });
    expect(dotted.runner.concurrent).toBe(3);
  });

  test("an explicit concurrent equal to the slots and a hop limit of 3 are kept", () => {
    const c = ok({
      ...on({ maxInstances: 4, capacityPerInstance: 2 }, { concurrent: 8 }),
      "gitlab-dind:host": { imdsHopLimit: 3 },
    });
    expect(c.runner.concurrent).toBe(8);
    expect(c.host.imdsHopLimit).toBe(3);
  });
});

describe("refusals, each naming the key", () => {
  test("the local target, with the reason", () => {
    expect(
      problems({
        "gitlab-dind:team": "local",
        "gitlab-dind:target": "local",
        "gitlab-dind:runner": { autoscaler: { enabled: true } },
      }),
    ).toEqual([
      "gitlab-dind:runner.autoscaler.enabled: expected false on the local target (the workers are EC2 instances in the stack's VPC, driven through an AWS Auto Scaling group); got true",
    ]);
  });

  test("0 instances, a bad duration, an idleCount above the slots, an arm64 type, all at once", () => {
    expect(problems(on({ maxInstances: 0, idleTime: "20 minutes", instanceType: "m7g.large" }))).toEqual([
      "gitlab-dind:runner.autoscaler.maxInstances: expected an integer from 1 to 200; got 0",
      'gitlab-dind:runner.autoscaler.idleTime: expected a Go duration of at least 1s, such as 15m or 1h30m (units ns, us, ms, s, m, h); got "20 minutes"',
      'gitlab-dind:runner.autoscaler.instanceType: expected an x86_64 EC2 instance type such as m7i.large: the workers run the x86_64 Amazon Linux 2023 AMI, and m7g is an AWS Graviton (arm64) family: the "g" after the generation number is the processor letter; got "m7g.large"',
    ]);
    expect(problems(on({ maxInstances: 2, capacityPerInstance: 2, idleCount: 5 }))).toEqual([
      "gitlab-dind:runner.autoscaler.idleCount: expected at most 4 (maxInstances 2 × capacityPerInstance 2: idleCount counts job slots, not VMs); got 5",
    ]);
  });

  test("an explicit runner.concurrent that differs from maxInstances × capacityPerInstance", () => {
    expect(problems(on({ maxInstances: 10, capacityPerInstance: 2 }, { concurrent: 4 }))).toEqual([
      "gitlab-dind:runner.concurrent: expected 20 (maxInstances 10 × capacityPerInstance 2) or unset, with runner.autoscaler.enabled; got 4",
    ]);
  });

  test("an explicit IMDS hop limit of 1 (the runner container could not read its role)", () => {
    expect(problems({ ...on(), "gitlab-dind:host": { imdsHopLimit: 1 } })).toEqual([
      expect.stringMatching(
        /^gitlab-dind:host\.imdsHopLimit: expected at least 2 with runner\.autoscaler\.enabled .*; got 1$/,
      ),
    ]);
  });

  test("the ranges of the table: capacity 1–16, maxUseCount 0–1000, idleCount ≥ 0, an unknown nested key", () => {
    expect(problems(on({ capacityPerInstance: 17, maxUseCount: 1001, idleCount: -1, maxInstance: 3 }))).toEqual([
      "gitlab-dind:runner.autoscaler.maxInstance: unknown key; did you mean runner.autoscaler.maxInstances?",
      "gitlab-dind:runner.autoscaler.capacityPerInstance: expected an integer from 1 to 16; got 17",
      "gitlab-dind:runner.autoscaler.maxUseCount: expected an integer from 0 to 1000; got 1001",
      "gitlab-dind:runner.autoscaler.idleCount: expected an integer of at least 0; got -1",
    ]);
  });

  test("a group where a value belongs, and a value where the group belongs", () => {
    expect(problems({ ...AWS, "gitlab-dind:runner": { autoscaler: true } })).toEqual([
      "gitlab-dind:runner.autoscaler: expected a group of settings (set its keys with `pulumi config set --path runner.autoscaler.<key> …`); got true",
    ]);
  });

  test("off, the autoscaler's keys are still checked, and the local target ignores them", () => {
    expect(problems({ ...AWS, "gitlab-dind:runner": { autoscaler: { maxInstances: 0 } } })).toEqual([
      "gitlab-dind:runner.autoscaler.maxInstances: expected an integer from 1 to 200; got 0",
    ]);
    const local = ok({
      "gitlab-dind:team": "local",
      "gitlab-dind:target": "local",
      "gitlab-dind:runner": { autoscaler: { maxInstances: 0 } },
    });
    expect(local.runner.autoscaler.enabled).toBe(false);
  });
});

describe("the rules' building blocks", () => {
  test("Go durations as time.ParseDuration reads them", () => {
    expect(parseGoDuration("20m")).toBe(20 * 60e9);
    expect(parseGoDuration("1h30m")).toBe(90 * 60e9);
    expect(parseGoDuration("1.5h")).toBe(90 * 60e9);
    expect(parseGoDuration("20m0s")).toBe(20 * 60e9);
    expect(parseGoDuration("0")).toBe(0);
    for (const bad of ["", "20", "m", "20 m", "1d", "-5m", "1h 30m", "PT20M"])
      expect(parseGoDuration(bad), bad).toBeUndefined();
  });

  test("x86_64 instance types pass, arm64 and Mac types do not", () => {
    for (const good of ["m7i.large", "c7a.xlarge", "m7i-flex.large", "g4dn.xlarge", "t3.medium", "x2iedn.xlarge"])
      expect(checkX86InstanceType(good), good).toBeUndefined();
    for (const arm of [
      "m7g.large",
      "c7gn.large",
      "t4g.medium",
      "a1.large",
      "im4gn.large",
      "is4gen.large",
      "g5g.xlarge",
      "mac2.metal",
    ])
      expect(checkX86InstanceType(arm), arm).toMatch(
        /the workers run the x86_64 Amazon Linux 2023 AMI, and \S+ is an? (AWS Graviton \(arm64\)|arm64|Mac) family/,
      );
    expect(checkX86InstanceType("large")).toBe("an x86_64 EC2 instance type such as m7i.large");
  });
});
