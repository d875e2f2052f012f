/**
 * host.instanceType and runner.autoscaler.instanceType: a name EC2 cannot have is refused with the
 * nearest listed type; a well-formed type the pinned SDK does not list is a warning; the host's
 * memory, from the vendored table, is refused under 8 GiB and warned about under 16 GiB and for
 * burstable families (GitLab's requirements page). The workers may be smaller.
 */
import * as aws from "@pulumi/aws";
import { describe, expect, test } from "vitest";
import {
  arm64InstanceTypeReason,
  instanceTypeFacts,
  malformedInstanceTypeReason,
  sdkListsInstanceType,
} from "../../infra/config/instance-types";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";
import type { StackConfig } from "../../infra/config/types";
import { stackWarnings } from "../../infra/config/warnings";

const AWS: RawConfig = {
  "aws:region": "eu-central-1",
  "gitlab-dind:team": "dev",
  "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
};

function parse(host: string | undefined, worker?: string) {
  return parseStackConfig({
    values: {
      ...AWS,
      ...(host === undefined ? {} : { "gitlab-dind:host": { instanceType: host } }),
      ...(worker === undefined
        ? {}
        : { "gitlab-dind:runner": { autoscaler: { enabled: true, instanceType: worker } } }),
    },
  });
}
const problemsOf = (r: ReturnType<typeof parse>): readonly string[] => (r.ok ? [] : r.problems);
function config(r: ReturnType<typeof parse>): StackConfig {
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r.config;
}

describe("malformed names are refused with a did-you-mean", () => {
  test("m7i.huge (a size EC2 does not have) on the host", () => {
    expect(problemsOf(parse("m7i.huge"))).toEqual([
      'gitlab-dind:host.instanceType: expected an x86_64 instance type such as m7i.xlarge: "huge" is not an EC2 size (nano, micro, small, medium, large, xlarge, <n>xlarge, metal); did you mean m7i.large?; got "m7i.huge"',
    ]);
  });

  test("q7.xlarge (a series that does not exist) on the host", () => {
    const [p] = problemsOf(parse("q7.xlarge"));
    expect(p).toMatch(
      /^gitlab-dind:host\.instanceType: expected .*: no EC2 instance family is named "q7"; did you mean [a-z0-9-]+\.xlarge\?; got "q7\.xlarge"$/,
    );
  });

  test("m7i.huge on the workers, and the suggestion is an x86_64 type", () => {
    expect(problemsOf(parse(undefined, "m7i.huge"))).toEqual([
      'gitlab-dind:runner.autoscaler.instanceType: expected an x86_64 EC2 instance type such as m7i.large: "huge" is not an EC2 size (nano, micro, small, medium, large, xlarge, <n>xlarge, metal); did you mean m7i.large?; got "m7i.huge"',
    ]);
    const suggestion = /did you mean ([^?]+)\?/.exec(
      malformedInstanceTypeReason("m7g.hug", (t) => !t.startsWith("m7g")) ?? "",
    )?.[1];
    expect(suggestion).toBeDefined();
    expect(suggestion?.startsWith("m7g")).toBe(false);
  });

  test.each(["m7i.large", "m7i-flex.2xlarge", "u-6tb1.112xlarge", "mac2-m2pro.metal", "m7i.metal-24xl", "c8i.2xlarge"])(
    "%s is well-formed",
    (type) => expect(malformedInstanceTypeReason(type)).toBeUndefined(),
  );

  test("every type the pinned SDK lists is well-formed by the rule", () => {
    for (const type of Object.values(aws.ec2.InstanceType as Record<string, string>)) {
      expect(malformedInstanceTypeReason(type), type).toBeUndefined();
    }
  });
});

describe("a well-formed type the SDK does not list: a warning, not a refusal", () => {
  test("host m9i.2xlarge", () => {
    expect(sdkListsInstanceType("m9i.2xlarge")).toBe(false);
    const warnings = stackWarnings(config(parse("m9i.2xlarge")));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^gitlab-dind:host\.instanceType m9i\.2xlarge is not an instance type the pinned @pulumi\/aws lists \(its list lags new families\): if EC2 has no such type, `pulumi up` fails when it launches the instance; the nearest listed type is /,
      ),
    ]);
  });

  test("workers m9i.large", () => {
    const warnings = stackWarnings(config(parse(undefined, "m9i.large")));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^gitlab-dind:runner\.autoscaler\.instanceType m9i\.large is not an instance type the pinned @pulumi\/aws lists/,
      ),
    ]);
  });
});

describe("the host's memory (GitLab: 16 GB the baseline, 8 GB the least)", () => {
  test.each([
    ["t3.micro", 1],
    ["t3.small", 2],
    ["t2.medium", 4],
    ["c7i.large", 4],
  ])("%s (%d GiB) is refused, naming the key, the rule and the memory", (type, gib) => {
    expect(problemsOf(parse(type))).toEqual([
      `gitlab-dind:host.instanceType: expected an x86_64 instance type such as m7i.xlarge with at least 8 GiB of memory (GitLab's requirements: 16 GB the baseline, 8 GB the least it runs with); ${type} has ${gib} GiB; got "${type}"`,
    ]);
  });

  test("m7i.large (8 GiB) plans, with a warning under the 16 GB baseline", () => {
    expect(stackWarnings(config(parse("m7i.large")))).toEqual([
      expect.stringMatching(
        /^gitlab-dind:host\.instanceType m7i\.large has 8 GiB of memory, under GitLab's 16 GB baseline/,
      ),
    ]);
  });

  test("t3.xlarge (16 GiB, burstable) plans, with a warning about CPU credits", () => {
    expect(stackWarnings(config(parse("t3.xlarge")))).toEqual([
      expect.stringMatching(
        /^gitlab-dind:host\.instanceType t3\.xlarge is a burstable type: once its CPU credits run out/,
      ),
    ]);
  });

  test("t3.large: both warnings", () => {
    expect(stackWarnings(config(parse("t3.large")))).toHaveLength(2);
  });

  test("the default m7i.xlarge, r7i.large and m5.metal: no word", () => {
    for (const type of [undefined, "r7i.large", "m5.metal"])
      expect(stackWarnings(config(parse(type))), type).toEqual([]);
  });

  test("a listed type outside the table (z1d.xlarge): a warning that its memory was not checked", () => {
    expect(stackWarnings(config(parse("z1d.xlarge")))).toEqual([
      expect.stringMatching(/^gitlab-dind:host\.instanceType z1d\.xlarge: its memory is not in this project's table/),
    ]);
  });

  test("the workers may be smaller: t3.micro workers plan without a word", () => {
    const c = config(parse(undefined, "t3.micro"));
    expect(c.runner.autoscaler.instanceType).toBe("t3.micro");
    expect(stackWarnings(c)).toEqual([]);
  });
});

describe("the vendored table", () => {
  test("names only x86_64 types the pinned SDK lists, with the documented ratios", () => {
    const facts = Object.values(aws.ec2.InstanceType as Record<string, string>)
      .map((type) => [type, instanceTypeFacts(type)] as const)
      .filter(([, f]) => f !== undefined);
    expect(facts.length).toBeGreaterThan(150);
    for (const [type, f] of facts) {
      expect(arm64InstanceTypeReason(type), type).toBeUndefined();
      expect(f!.burstable, type).toBe(type.startsWith("t"));
    }
    // Spot checks against AWS's specification pages.
    expect(instanceTypeFacts("m7i.xlarge")).toEqual({ vcpus: 4, memoryGiB: 16, burstable: false });
    expect(instanceTypeFacts("c5.9xlarge")).toEqual({ vcpus: 36, memoryGiB: 72, burstable: false });
    expect(instanceTypeFacts("r7a.medium")).toEqual({ vcpus: 1, memoryGiB: 8, burstable: false });
    expect(instanceTypeFacts("m7i.metal-48xl")).toEqual({ vcpus: 192, memoryGiB: 768, burstable: false });
    expect(instanceTypeFacts("t3.nano")).toEqual({ vcpus: 2, memoryGiB: 0.5, burstable: true });
    expect(instanceTypeFacts("m9i.xlarge")).toBeUndefined();
  });
});
