/**
 * The policy pack (policy/policies.ts) on the planned stacks, through the offline runner
 * (tools/policy), which calls each policy's own validate functions: every policy passes on the
 * plans of the stack files, and fails on a plan with one resource changed (or added) to break it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { POLICIES } from "../../policy/policies";
import type { Plan, PlannedResource } from "../../tools/plan/run-plan";
import { runPolicies, type Violation } from "../../tools/policy/run-policies";
import { planStack } from "../support/stack-plans";

const plans: Record<string, Plan> = {};

beforeAll(async () => {
  plans.dev = await planStack("dev");
  plans.local = await planStack("local");
});

const found = (violations: Violation[]) => violations.map((v) => `${v.policy}: ${v.resource}`);

/** A copy of the plan with `change` applied to the inputs of one resource (by type and name). */
function changed(plan: Plan, type: string, name: string, change: (inputs: Record<string, any>) => void): Plan {
  const copy = structuredClone(plan);
  const target = copy.resources.find((r) => r.type === type && r.name === name);
  if (target === undefined) throw new Error(`no ${type} ${name} in the plan`);
  change(target.inputs);
  return copy;
}

/** A copy of the plan with resources added (children of the stack unless they say otherwise). */
function added(plan: Plan, ...resources: (Omit<PlannedResource, "parent"> & { parent?: string })[]): Plan {
  return { ...plan, resources: [...plan.resources, ...resources.map((r) => ({ parent: undefined, ...r }))] };
}

const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const INSTANCE = "aws:ec2/instance:Instance";
const CONTAINER = "docker:index/container:Container";

describe("the planned stacks", () => {
  it("local passes every policy", async () => {
    expect(found(await runPolicies(plans.local, POLICIES))).toEqual([]);
  });

  it("dev (AWS, HTTPS with the stack CA by default) passes every policy", async () => {
    expect(found(await runPolicies(plans.dev, POLICIES))).toEqual([]);
  });

  it("dev-autoscale, dev-letsencrypt and dev without keeping data pass every policy", async () => {
    for (const [stack, values] of [
      ["dev-autoscale", {}],
      ["dev-letsencrypt", {}],
      ["dev", { "gitlab-dind:host": { keepDataOnDestroy: false } }],
    ] as const) {
      expect(found(await runPolicies(await planStack(stack, values), POLICIES)), stack).toEqual([]);
    }
  });

  it("dev with an explicit http:// gitlab.externalUrl, or an https:// one, passes every policy", async () => {
    for (const url of ["http://gitlab.example.com", "https://gitlab.example.com"]) {
      const plan = await planStack("dev", { "gitlab-dind:gitlab": { externalUrl: url } });
      expect(found(await runPolicies(plan, POLICIES)), url).toEqual([]);
    }
  });

  it("the pack has the policies of the issues, each mandatory", () => {
    expect(POLICIES.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ["docker-api-admin-only", "mandatory"],
      ["no-ssh-from-anywhere", "mandatory"],
      ["imdsv2-required", "mandatory"],
      ["ebs-encrypted", "mandatory"],
      ["iam-no-wildcard-admin", "mandatory"],
      ["s3-public-access-blocked", "mandatory"],
      ["docker-socket-runner-only", "mandatory"],
      ["gitlab-plain-http-requested", "mandatory"],
      ["cache-not-from-internet", "mandatory"],
      ["iam-no-managed-admin", "mandatory"],
      ["no-privileged-containers", "mandatory"],
      ["s3-encrypted", "mandatory"],
      ["s3-tls-only", "mandatory"],
      ["s3-versioned", "mandatory"],
      ["host-recovery-alarm", "mandatory"],
    ]);
  });
});

describe("each policy fails on a resource changed to break it", () => {
  it("docker-api-admin-only: the Docker API rule opened to 0.0.0.0/0, an inline all-traffic rule from ::/0", async () => {
    const plan = changed(plans.dev, INGRESS, "dev-host-in-2376-203-0-113-0-24", (i) => (i.cidrIpv4 = "0.0.0.0/0"));
    const withInline = added(plan, {
      type: "aws:ec2/securityGroup:SecurityGroup",
      name: "extra-sg",
      inputs: { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] }] },
    });
    const v = (await runPolicies(withInline, POLICIES)).filter((x) => x.policy === "docker-api-admin-only");
    expect(found(v)).toEqual([
      "docker-api-admin-only: dev-host-in-2376-203-0-113-0-24",
      "docker-api-admin-only: extra-sg",
    ]);
    expect(v[0].message).toContain("from 0.0.0.0/0 opens the Docker API (port 2376) to the internet");
  });

  it("no-ssh-from-anywhere: port 22 from 0.0.0.0/0, or a port range that includes it; not from a narrow range", async () => {
    const plan = added(
      plans.dev,
      {
        type: INGRESS,
        name: "ssh-world",
        inputs: { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" },
      },
      {
        type: INGRESS,
        name: "ssh-office",
        inputs: { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "203.0.113.0/24" },
      },
      {
        type: "aws:ec2/securityGroupRule:SecurityGroupRule",
        name: "low-ports",
        inputs: { type: "ingress", protocol: "tcp", fromPort: 0, toPort: 1024, cidrBlocks: ["0.0.0.0/0"] },
      },
    );
    expect(found(await runPolicies(plan, POLICIES)).filter((x) => x.startsWith("no-ssh"))).toEqual([
      "no-ssh-from-anywhere: ssh-world",
      "no-ssh-from-anywhere: low-ports",
    ]);
  });

  it("imdsv2-required: the instance with httpTokens optional, a launch template without metadata options", async () => {
    const plan = added(
      changed(plans.dev, INSTANCE, "dev-host-instance", (i) => (i.metadataOptions.httpTokens = "optional")),
      { type: "aws:ec2/launchTemplate:LaunchTemplate", name: "workers", inputs: { imageId: "ami-1" } },
    );
    const v = (await runPolicies(plan, POLICIES)).filter((x) => x.policy === "imdsv2-required");
    expect(found(v)).toEqual(["imdsv2-required: dev-host-instance", "imdsv2-required: workers"]);
    expect(v[0].message).toContain('httpTokens is "optional"');
  });

  it("ebs-encrypted: the data volume, the root block device, a launch-template volume", async () => {
    let plan = changed(plans.dev, "aws:ebs/volume:Volume", "dev-host-data", (i) => (i.encrypted = false));
    plan = changed(plan, INSTANCE, "dev-host-instance", (i) => delete i.rootBlockDevice.encrypted);
    plan = added(plan, {
      type: "aws:ec2/launchTemplate:LaunchTemplate",
      name: "workers",
      inputs: {
        metadataOptions: { httpTokens: "required" },
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 30, encrypted: "false" } }],
      },
    });
    expect(found(await runPolicies(plan, POLICIES)).filter((x) => x.startsWith("ebs"))).toEqual([
      "ebs-encrypted: dev-host-data",
      "ebs-encrypted: dev-host-instance",
      "ebs-encrypted: workers",
    ]);
  });

  it('iam-no-wildcard-admin: "s3:*" on "*" in the host\'s role policy, "*" in a managed policy and an inline one; a KMS key policy is out of scope', async () => {
    const wide = (action: string) =>
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: [action], Resource: "*" }] });
    let plan = changed(
      plans.dev,
      "aws:iam/rolePolicy:RolePolicy",
      "dev-host-read-params",
      (i) => (i.policy = wide("s3:*")),
    );
    plan = added(
      plan,
      { type: "aws:iam/policy:Policy", name: "admin", inputs: { policy: wide("*") } },
      {
        type: "aws:iam/role:Role",
        name: "inline",
        inputs: { assumeRolePolicy: "{}", inlinePolicies: [{ name: "all", policy: wide("ec2:*") }] },
      },
      {
        type: "aws:iam/policy:Policy",
        name: "scoped",
        inputs: {
          policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b/*" }] }),
        },
      },
      {
        type: "aws:kms/key:Key",
        name: "key",
        inputs: {
          policy: JSON.stringify({
            Statement: [
              { Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" },
            ],
          }),
        },
      },
    );
    const v = (await runPolicies(plan, POLICIES)).filter((x) => x.policy === "iam-no-wildcard-admin");
    expect(found(v)).toEqual([
      "iam-no-wildcard-admin: dev-host-read-params",
      "iam-no-wildcard-admin: admin",
      "iam-no-wildcard-admin: inline",
    ]);
    expect(v[0].message).toContain('allows "s3:*" on Resource "*"');
  });

  it("s3-public-access-blocked: a bucket without a public access block, one with a setting off; not one fully blocked", async () => {
    const block = (bucket: string, restrict: boolean) => ({
      type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      name: `${bucket}-pab`,
      // As the plan records `bucket: b.id`: the mock's id of the bucket.
      inputs: {
        bucket: `${bucket}-id`,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: restrict,
      },
    });
    const bucket = (name: string) => ({ type: "aws:s3/bucket:Bucket", name, inputs: { forceDestroy: false } });
    const plan = added(
      plans.dev,
      bucket("open"),
      bucket("half"),
      block("half", false),
      bucket("closed"),
      block("closed", true),
    );
    const v = (await runPolicies(plan, POLICIES)).filter((x) => x.policy === "s3-public-access-blocked");
    expect(found(v)).toEqual(["s3-public-access-blocked: open", "s3-public-access-blocked: half"]);
    expect(v[1].message).toContain("leaves restrictPublicBuckets off");
  });

  it("docker-socket-runner-only: GitLab's container given the socket; the runner keeps it", async () => {
    const plan = changed(plans.local, CONTAINER, "gitlab", (i) => {
      i.volumes.push({ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" });
    });
    expect(found(await runPolicies(plan, POLICIES))).toEqual(["docker-socket-runner-only: gitlab"]);
    // The runner's own container mounts it in the unchanged plan, which passes (above).
    expect(
      plans.local.resources.find((r) => r.type === CONTAINER && r.name === "runner")?.inputs.volumes,
    ).toContainEqual(expect.objectContaining({ hostPath: "/var/run/docker.sock" }));
  });

  it("gitlab-plain-http-requested: the local GitLab's label saying it did not ask for plain HTTP", async () => {
    const plan = changed(plans.local, CONTAINER, "gitlab", (i) => {
      for (const l of i.labels) if (l.label === "gitlab-dind.plain-http-requested") l.value = "false";
    });
    const v = await runPolicies(plan, POLICIES);
    expect(found(v)).toEqual(["gitlab-plain-http-requested: gitlab"]);
    expect(v[0].message).toContain("GitLab serves plain HTTP (http://localhost:8080)");
  });
});

describe("a program change that quietly drops HTTPS on AWS", () => {
  it("gitlab-plain-http-requested: dev's GitLab configured for http:// although the stack asked for HTTPS", async () => {
    const plan = changed(plans.dev, CONTAINER, "gitlab", (i) => {
      i.envs = (i.envs as string[]).map((e) => e.replace("external_url 'https://", "external_url 'http://"));
    });
    const v = await runPolicies(plan, POLICIES);
    expect(found(v)).toEqual(["gitlab-plain-http-requested: gitlab"]);
    expect(v[0].message).toContain("but the stack did not ask for it");
  });
});

describe("enforcement levels from the pack config (as --policy-pack-config gives them)", () => {
  it("advisory keeps the violation as advisory; disabled drops it", async () => {
    const plan = changed(plans.local, CONTAINER, "gitlab", (i) => {
      for (const l of i.labels) if (l.label === "gitlab-dind.plain-http-requested") l.value = "false";
    });
    const advisory = await runPolicies(plan, POLICIES, { "gitlab-plain-http-requested": "advisory" });
    expect(advisory.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    const disabled = await runPolicies(plan, POLICIES, {
      "gitlab-plain-http-requested": { enforcementLevel: "disabled" },
    });
    expect(disabled).toEqual([]);
  });
});

describe("host-recovery-alarm (issue 25)", () => {
  const RECOVER = "aws:cloudwatch/metricAlarm:MetricAlarm";

  it("dev's host has its recovery alarm; without the recover action, or without the alarm, it is a violation", async () => {
    expect((await runPolicies(plans.dev, POLICIES)).filter((x) => x.policy === "host-recovery-alarm")).toEqual([]);
    const noAction = changed(plans.dev, RECOVER, "alarm-host-recover", (i) => {
      i.alarmActions = [];
    });
    const v = (await runPolicies(noAction, POLICIES)).filter((x) => x.policy === "host-recovery-alarm");
    expect(found(v)).toEqual([`host-recovery-alarm: ${plans.dev.resources.find((r) => r.type === INSTANCE)!.name}`]);
    expect(v[0].message).toContain("m7i.xlarge supports EC2's recover action");
    // Another metric, or another instance's alarm, does not count.
    const otherMetric = changed(plans.dev, RECOVER, "alarm-host-recover", (i) => {
      i.metricName = "StatusCheckFailed_Instance";
    });
    expect(
      found(await runPolicies(otherMetric, POLICIES)).filter((x) => x.startsWith("host-recovery-alarm")),
    ).toHaveLength(1);
    const otherInstance = changed(plans.dev, RECOVER, "alarm-host-recover", (i) => {
      i.dimensions = { InstanceId: "i-0ffffffffffffffff" };
    });
    expect(
      found(await runPolicies(otherInstance, POLICIES)).filter((x) => x.startsWith("host-recovery-alarm")),
    ).toHaveLength(1);
  });

  it("a type without the recover action needs no recovery alarm", async () => {
    const plan = changed(plans.dev, RECOVER, "alarm-host-recover", (i) => {
      i.alarmActions = [];
    });
    const metal = changed(plan, INSTANCE, plans.dev.resources.find((r) => r.type === INSTANCE)!.name, (i) => {
      i.instanceType = "m6i.metal";
    });
    expect((await runPolicies(metal, POLICIES)).filter((x) => x.policy === "host-recovery-alarm")).toEqual([]);
  });
});
