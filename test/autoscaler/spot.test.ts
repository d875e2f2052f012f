/**
 * Issue 23, spot workers, under mocks on Pulumi.dev-autoscale.yaml: with runner.autoscaler.spot the
 * group takes a mixed-instances policy (the launch template, instanceType then extraInstanceTypes as
 * overrides, onDemandBase on demand and every other worker spot, price-capacity-optimized) and keeps
 * its protections; the workers' security group, user data, launch template and the manager's IAM are
 * those of the on-demand group; without spot the group is as it was.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SPOT_ALLOCATION_STRATEGY, spotInstancesPolicy } from "../../infra/autoscaler";
import { revealSecrets, type RecordedResource } from "../../tools/plan/mocks";
import { buildUnderMocks, stackFileValues, type BuiltStack } from "./build-stack";

const T = {
  asg: "aws:autoscaling/group:Group",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};
const inputs = (r: RecordedResource): any => revealSecrets(r.inputs);
const only = (b: BuiltStack, type: string): any => {
  const found = b.mocks.ofType(type);
  expect(found, type).toHaveLength(1);
  return inputs(found[0]);
};
const withAutoscaler = (autoscaler: Record<string, unknown>) => ({
  ...stackFileValues("dev-autoscale"),
  "gitlab-dind:runner": { autoscaler: { enabled: true, maxInstances: 5, ...autoscaler } },
});

let onDemand: BuiltStack;
let spot: BuiltStack;

beforeAll(async () => {
  onDemand = await buildUnderMocks(withAutoscaler({}));
  spot = await buildUnderMocks(
    withAutoscaler({ spot: true, extraInstanceTypes: ["m6i.large", "m7a.large"], onDemandBase: 1 }),
  );
});

describe("with runner.autoscaler.spot", () => {
  it("a mixed-instances policy: the template, the types in order, 1 on demand then all spot, price-capacity-optimized", () => {
    const asg = only(spot, T.asg);
    expect(asg.launchTemplate).toBeUndefined();
    expect(asg.mixedInstancesPolicy).toEqual({
      instancesDistribution: {
        onDemandBaseCapacity: 1,
        onDemandPercentageAboveBaseCapacity: 0,
        spotAllocationStrategy: "price-capacity-optimized",
      },
      launchTemplate: {
        launchTemplateSpecification: { launchTemplateId: "ci-workers-lt-id", version: "1" },
        overrides: [{ instanceType: "m7i.large" }, { instanceType: "m6i.large" }, { instanceType: "m7a.large" }],
      },
    });
    // No weights: each worker is one unit, as the runner counts it.
    for (const o of asg.mixedInstancesPolicy.launchTemplate.overrides) expect(o.weightedCapacity).toBeUndefined();
  });

  it("keeps the group's protections: scale-in protected, AZRebalance suspended, no capacity rebalancing", () => {
    expect(only(spot, T.asg)).toMatchObject({
      minSize: 0,
      desiredCapacity: 0,
      maxSize: 5,
      protectFromScaleIn: true,
      suspendedProcesses: ["AZRebalance"],
      capacityRebalance: false,
      forceDelete: true,
    });
    expect(spot.options.get("ci-workers-asg")?.ignoreChanges).toEqual(["desiredCapacity"]);
  });

  it("changes nothing else: launch template (user data, no profile), security groups and the manager's IAM as on demand", () => {
    expect(only(spot, T.lt)).toEqual(only(onDemand, T.lt));
    const rules = (b: BuiltStack): unknown[] =>
      [...b.mocks.ofType(T.sg), ...b.mocks.ofType(T.ingress), ...b.mocks.ofType(T.egress)].map((r): unknown => [
        r.name,
        inputs(r),
      ]);
    expect(rules(spot)).toEqual(rules(onDemand));
    const manager = (b: BuiltStack): unknown =>
      inputs(b.mocks.ofType(T.rolePolicy).find((r) => r.name === "ci-workers-manager")!);
    expect(manager(spot)).toEqual(manager(onDemand));
    expect(spot.files["worker-user-data.yaml"]).toBe(onDemand.files["worker-user-data.yaml"]);
  });

  it("spot alone: instanceType as the one override, no on-demand worker", () => {
    const policy = spotInstancesPolicy(
      { instanceType: "c7i.xlarge", extraInstanceTypes: [], onDemandBase: 0 },
      "lt-0123",
      7,
    );
    expect(policy.instancesDistribution).toEqual({
      onDemandBaseCapacity: 0,
      onDemandPercentageAboveBaseCapacity: 0,
      spotAllocationStrategy: SPOT_ALLOCATION_STRATEGY,
    });
    expect((policy.launchTemplate as any).overrides).toEqual([{ instanceType: "c7i.xlarge" }]);
  });
});

describe("without spot", () => {
  it("the group is as it always was: the launch template itself, no mixed-instances policy", () => {
    const asg = only(onDemand, T.asg);
    expect(asg.mixedInstancesPolicy).toBeUndefined();
    expect(asg.launchTemplate).toEqual({ id: "ci-workers-lt-id", version: "1" });
  });
});
