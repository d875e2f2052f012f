/**
 * `runner.cache.*` and the spot keys of `runner.autoscaler.*` (issue 23): defaults (the S3 cache by
 * default on aws with the autoscaler, the local cache otherwise), and every refusal at once, each
 * naming its full key with what was expected and what was given.
 */
import { describe, expect, test } from "vitest";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";
import type { StackConfig } from "../../infra/config/types";

const AWS: RawConfig = {
  "aws:region": "eu-central-1",
  "gitlab-dind:team": "payments",
  "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
};
const LOCAL: RawConfig = { "gitlab-dind:team": "payments", "gitlab-dind:target": "local" };

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

const autoscaled = (autoscaler: Record<string, unknown> = {}, runner: Record<string, unknown> = {}): RawConfig => ({
  ...AWS,
  "gitlab-dind:runner": { ...runner, autoscaler: { enabled: true, ...autoscaler } },
});

describe("runner.cache", () => {
  test("s3 by default on aws with the autoscaler (every job starts on a fresh worker), 14 days", () => {
    expect(ok(autoscaled()).runner.cache).toEqual({ type: "s3", expireDays: 14 });
  });

  test("local by default without the autoscaler, on aws and locally", () => {
    expect(ok(AWS).runner.cache).toEqual({ type: "local", expireDays: 14 });
    expect(ok(LOCAL).runner.cache).toEqual({ type: "local", expireDays: 14 });
  });

  test("an autoscaled stack may keep the local cache; expireDays from 1 to 365", () => {
    expect(ok(autoscaled({}, { cache: { type: "local" } })).runner.cache.type).toBe("local");
    expect(ok(autoscaled({}, { cache: { expireDays: 1 } })).runner.cache).toEqual({ type: "s3", expireDays: 1 });
    expect(ok(autoscaled({}, { cache: { expireDays: "365" } })).runner.cache.expireDays).toBe(365);
  });

  test("s3 on aws without the autoscaler needs the runner container to reach the host role (hop limit 2)", () => {
    expect(
      ok({ ...AWS, "gitlab-dind:host": { imdsHopLimit: 2 }, "gitlab-dind:runner": { cache: { type: "s3" } } }).runner
        .cache.type,
    ).toBe("s3");
    expect(problems({ ...AWS, "gitlab-dind:runner": { cache: { type: "s3" } } })).toEqual([
      "gitlab-dind:runner.cache.type: expected local with host.imdsHopLimit 1 and no runner.autoscaler.enabled (the runner container presigns the cache's URLs with the host role, which it reaches through IMDS from a Docker bridge network: set host.imdsHopLimit to 2, which lets the host's job containers reach the role too, or enable the autoscaler); got \"s3\"",
    ]);
  });

  test("refused: s3 locally, another type, expireDays out of range, all at once", () => {
    expect(problems({ ...LOCAL, "gitlab-dind:runner": { cache: { type: "s3", expireDays: 0 } } })).toEqual([
      'gitlab-dind:runner.cache.type: expected local on the local target (s3 is a bucket in the stack\'s AWS account); got "s3"',
      "gitlab-dind:runner.cache.expireDays: expected an integer from 1 to 365; got 0",
    ]);
    expect(problems(autoscaled({}, { cache: { type: "gcs", expireDays: 366 } }))).toEqual([
      'gitlab-dind:runner.cache.type: expected local or s3; got "gcs"',
      "gitlab-dind:runner.cache.expireDays: expected an integer from 1 to 365; got 366",
    ]);
  });
});

describe("spot workers", () => {
  test("off by default: no extra types, no on-demand base", () => {
    expect(ok(autoscaled()).runner.autoscaler).toMatchObject({ spot: false, extraInstanceTypes: [], onDemandBase: 0 });
  });

  test("on, with types of the same vCPUs and memory as instanceType and an on-demand base", () => {
    const c = ok(
      autoscaled({ spot: true, extraInstanceTypes: ["m6i.large", "m7a.large", "m5.large"], onDemandBase: 2 }),
    );
    expect(c.runner.autoscaler).toMatchObject({
      spot: true,
      instanceType: "m7i.large",
      extraInstanceTypes: ["m6i.large", "m7a.large", "m5.large"],
      onDemandBase: 2,
    });
    expect(ok(autoscaled({ spot: "true", maxInstances: 3, onDemandBase: 3 })).runner.autoscaler.onDemandBase).toBe(3);
  });

  test("refused, all at once: another shape, a type the table does not know, arm64, a repeat, a base above maxInstances", () => {
    expect(
      problems(
        autoscaled({
          spot: true,
          maxInstances: 4,
          onDemandBase: 5,
          extraInstanceTypes: [
            "c7i.large",
            "m7g.large",
            "m7i.large",
            "m6i.large",
            "m6i.large",
            "z1d.large",
            "t3.large",
          ],
        }),
      ),
    ).toEqual([
      'gitlab-dind:runner.autoscaler.extraInstanceTypes[1]: expected an x86_64 EC2 instance type such as m7i.large: the workers run the x86_64 Amazon Linux 2023 AMI, and m7g is an AWS Graviton (arm64) family: the "g" after the generation number is the processor letter; got "m7g.large"',
      "gitlab-dind:runner.autoscaler.onDemandBase: expected at most maxInstances (4); got 5",
    ]);
    // With the element refused, the list is not judged further; the rest of its rules, on a list of known types:
    expect(
      problems(
        autoscaled({
          spot: true,
          extraInstanceTypes: ["c7i.large", "m7i.large", "m6i.large", "m6i.large", "z1d.large", "t3.large"],
        }),
      ),
    ).toEqual([
      'gitlab-dind:runner.autoscaler.extraInstanceTypes[0]: expected a type with the vCPUs and memory of instanceType m7i.large (2 vCPUs, 8 GiB): capacityPerInstance counts jobs per worker, whatever its type; got "c7i.large" (2 vCPUs, 4 GiB)',
      'gitlab-dind:runner.autoscaler.extraInstanceTypes[1]: expected a type not already listed (instanceType or an earlier extra type); got "m7i.large"',
      'gitlab-dind:runner.autoscaler.extraInstanceTypes[3]: expected a type not already listed (instanceType or an earlier extra type); got "m6i.large"',
      'gitlab-dind:runner.autoscaler.extraInstanceTypes[4]: expected a type of the vendored table of vCPUs and memory (infra/config/instance-types.ts: the m, c and r families of the 5th generation on), with 2 vCPUs and 8 GiB like instanceType m7i.large; got "z1d.large", whose size the table does not know',
      'gitlab-dind:runner.autoscaler.extraInstanceTypes[5]: expected a type with the vCPUs and memory of instanceType m7i.large (2 vCPUs, 8 GiB): capacityPerInstance counts jobs per worker, whatever its type; got "t3.large" (2 vCPUs, 8 GiB, burstable)',
    ]);
  });

  test("an instanceType the table does not know takes no extra types", () => {
    expect(problems(autoscaled({ spot: true, instanceType: "z1d.large", extraInstanceTypes: ["m7i.large"] }))).toEqual([
      'gitlab-dind:runner.autoscaler.extraInstanceTypes[0]: expected no extra types while instanceType z1d.large is not in the vendored table of vCPUs and memory (infra/config/instance-types.ts), so that every worker can be checked to hold capacityPerInstance jobs; got "m7i.large"',
    ]);
  });

  test("extra types and an on-demand base without spot are refused (they would do nothing)", () => {
    expect(problems(autoscaled({ extraInstanceTypes: ["m6i.large"], onDemandBase: 1 }))).toEqual([
      'gitlab-dind:runner.autoscaler.extraInstanceTypes: expected [] without runner.autoscaler.spot (the extra types are for spot capacity; on-demand workers are instanceType); got ["m6i.large"]',
      "gitlab-dind:runner.autoscaler.onDemandBase: expected 0 without runner.autoscaler.spot (every worker is on demand already); got 1",
    ]);
  });

  test("spot keys are AWS-only like the rest of runner.autoscaler: ignored locally", () => {
    expect(ok({ ...LOCAL, "gitlab-dind:runner": { autoscaler: { spot: true } } }).runner.autoscaler.spot).toBe(false);
  });
});
