/**
 * The recording mock computes what AWS would for the region of the provider a resource or data
 * source goes through: nothing is fixed to one region.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect, test } from "vitest";
import { awsPlace, RecordingMocks, valueOf } from "../../tools/plan/mocks";
import { runUnderMocks } from "../../tools/plan/under-mocks";

test("resources and invokes through a provider in us-east-1 get us-east-1's zones, names and ARNs", async () => {
  const mocks = new RecordingMocks();
  const run = await runUnderMocks(mocks, "gitlab-dind", "t", () => {
    const provider = new aws.Provider("p", { region: "us-east-1" });
    const zones = aws.getAvailabilityZonesOutput({ state: "available" }, { provider });
    const subnet = new aws.ec2.Subnet(
      "s",
      { vpcId: "vpc-1", cidrBlock: "10.0.0.0/24", availabilityZone: zones.names[0] },
      { provider },
    );
    const instance = new aws.ec2.Instance("i", { subnetId: subnet.id, instanceType: "m7i.large" }, { provider });
    const eip = new aws.ec2.Eip("e", { domain: "vpc" }, { provider });
    const role = new aws.iam.Role("r", { name: "x-host", assumeRolePolicy: "{}" }, { provider });
    const ami = aws.ssm.getParameterOutput(
      { name: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" },
      { provider },
    );
    return { zones, subnet, instance, eip, role, ami };
  });
  const r = run.result;
  expect(await valueOf(r.zones.names)).toEqual(["us-east-1a", "us-east-1b"]);
  expect(await valueOf(r.zones.zoneIds)).toEqual(["use1-az1", "use1-az2"]);
  expect(await valueOf(r.subnet.arn)).toMatch(/^arn:aws:ec2:us-east-1:123456789012:subnet\//);
  expect(await valueOf(r.instance.availabilityZone)).toBe("us-east-1a");
  // us-east-1 is the region whose EC2 DNS names read compute-1.
  expect(await valueOf(r.eip.publicDns)).toBe("ec2-198-51-100-7.compute-1.amazonaws.com");
  // IAM ARNs have no region.
  expect(await valueOf(r.role.arn)).toBe("arn:aws:iam::123456789012:role/x-host");
  expect(await valueOf(r.ami.arn)).toMatch(/^arn:aws:ssm:us-east-1::parameter\/aws\/service\//);
});

test("two providers, two regions; the instance sits in its subnet's zone", async () => {
  const mocks = new RecordingMocks();
  const run = await runUnderMocks(mocks, "gitlab-dind", "t", () => {
    const name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
    const a = new aws.Provider("a", { region: "ap-southeast-2" });
    const b = new aws.Provider("b", { region: "eu-west-1" });
    const subnet = new aws.ec2.Subnet(
      "s",
      { vpcId: "v", cidrBlock: "10.0.0.0/24", availabilityZone: "ap-southeast-2c" },
      { provider: a },
    );
    const instance = new aws.ec2.Instance("i", { subnetId: subnet.id, instanceType: "m7i.large" }, { provider: a });
    return {
      instance,
      amiArnA: aws.ssm.getParameterOutput({ name }, { provider: a }).arn,
      amiArnB: aws.ssm.getParameterOutput({ name }, { provider: b }).arn,
      zoneIdB: aws.getAvailabilityZonesOutput({}, { provider: b }).zoneIds[0],
    };
  });
  expect(await valueOf(run.result.instance.availabilityZone)).toBe("ap-southeast-2c");
  expect(await valueOf(run.result.amiArnA)).toMatch(/^arn:aws:ssm:ap-southeast-2::parameter\//);
  expect(await valueOf(run.result.amiArnB)).toMatch(/^arn:aws:ssm:eu-west-1::parameter\//);
  expect(await valueOf(run.result.zoneIdB)).toBe("euw1-az1");
});

test("partitions: China and GovCloud ARNs and DNS names", () => {
  const cn = awsPlace("cn-north-1", "x");
  expect(cn.arn("ec2", "vpc/v")).toBe("arn:aws-cn:ec2:cn-north-1:123456789012:vpc/v");
  expect(cn.publicDns("1.2.3.4")).toBe("ec2-1-2-3-4.cn-north-1.compute.amazonaws.com.cn");
  expect(awsPlace("us-gov-west-1", "x").globalArn("iam", "role/r")).toBe("arn:aws-us-gov:iam::123456789012:role/r");
  expect(awsPlace("us-gov-west-1", "x").zoneId(1)).toBe("usgw1-az1");
  expect(awsPlace("ap-northeast-3", "x").zoneId(2)).toBe("apne3-az2");
});

test("an AWS resource with no region anywhere fails, saying how to give one, instead of guessing", async () => {
  const mocks = new RecordingMocks();
  await pulumi.runtime.setMocks(mocks, "gitlab-dind", "t", false);
  expect(() => mocks.newResource({ type: "aws:ec2/vpc:Vpc", name: "v", inputs: { cidrBlock: "10.0.0.0/16" } })).toThrow(
    /RecordingMocks: no AWS region for aws:ec2\/vpc:Vpc v: create it through an aws.Provider with a region/,
  );
  // With the mocks' own region it works.
  const withRegion = new RecordingMocks(undefined, undefined, { region: "sa-east-1" });
  const { state } = withRegion.newResource({ type: "aws:ec2/vpc:Vpc", name: "v", inputs: {} });
  expect(state.arn).toBe("arn:aws:ec2:sa-east-1:123456789012:vpc/vpc-0a1b2c3d4e5f60718");
});
