/**
 * The shared mock is part of every test's evidence: it must fail loudly on an invoke nobody
 * mocked, and record what a provider would receive.
 */
import * as aws from "@pulumi/aws";
import { expect, test } from "vitest";
import { isSecretValue, RecordingMocks } from "../../tools/plan/mocks";
import { runUnderMocks } from "../../tools/plan/under-mocks";
import * as pulumi from "@pulumi/pulumi";

test("an invoke without a mock fails, naming it, instead of answering an empty object", async () => {
  const mocks = new RecordingMocks();
  expect(() => mocks.call({ token: "aws:ec2/getVpc:getVpc", inputs: { default: true } })).toThrow(
    "RecordingMocks: no mock for invoke aws:ec2/getVpc:getVpc; add one to INVOKES in tools/plan/mocks.ts",
  );
  // And through the Pulumi runtime, as the program would call it.
  await pulumi.runtime.setMocks(mocks, "gitlab-dind", "t", false);
  await expect(aws.ec2.getVpc({ default: true })).rejects.toThrow(/no mock for invoke aws:ec2\/getVpc:getVpc/);
  expect(mocks.invokes).toEqual([]);
});

test("records inputs as the provider receives them, secrets still marked", async () => {
  // No provider here: the region for what the mock computes (the parameter's ARN) is the mocks' own.
  const mocks = new RecordingMocks(undefined, undefined, { region: "eu-west-1" });
  await runUnderMocks(
    mocks,
    "gitlab-dind",
    "t",
    () => new aws.ssm.Parameter("p", { type: "SecureString", value: pulumi.secret("s3cr3t") }),
  );
  const recorded = mocks.get("aws:ssm/parameter:Parameter", "p");
  expect(recorded.inputs.type).toBe("SecureString");
  expect(isSecretValue(recorded.inputs.value)).toBe(true);
});
