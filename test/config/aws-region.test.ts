/**
 * `aws:region` is checked against the regions the pinned @pulumi/aws knows, before anything is
 * built: a malformed name (`eu-central`) used to crash the plan with a raw Node error from inside
 * the cloud-init renderer, and a well-formed unknown one (`eu-centrl-1`) planned.
 */
import * as aws from "@pulumi/aws";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { AWS_REGIONS } from "../../infra/config/aws-regions";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";
import { renderCloudInit } from "../../infra/host/aws/cloud-init";
import { cli } from "../../tools/plan/main";
import { inProcess } from "../support/command";
import { HOST_INPUT } from "../host/cloud-init-input";

const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-region-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const base: RawConfig = {
  "gitlab-dind:team": "dev",
  "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
};

function problems(region: unknown): readonly string[] {
  const r = parseStackConfig({ values: { ...base, "aws:region": region } });
  return r.ok ? [] : r.problems;
}

describe("aws:region", () => {
  test.each([
    ["eu-central", "eu-central-1"],
    ["eu-centrl-1", "eu-central-1"],
    ["us-east", "us-east-1"],
    ["EU-WEST-1", "eu-west-1"],
  ])("%s is refused, naming the key and the nearest region (%s)", (region, nearest) => {
    expect(problems(region)).toEqual([
      `aws:region: expected an AWS region the pinned @pulumi/aws knows, such as eu-central-1 (did you mean ${nearest}?); got ${JSON.stringify(region)}`,
    ]);
  });

  test("every region the pinned SDK lists is accepted, and the host's cloud-init renders for it", () => {
    const listed = Object.values(aws.Region as Record<string, string>);
    expect([...AWS_REGIONS].sort()).toEqual([...listed].sort());
    expect(listed).toContain("eusc-de-east-1");
    for (const region of listed) {
      expect(problems(region), region).toEqual([]);
      expect(() => renderCloudInit({ ...HOST_INPUT, region }), region).not.toThrow();
    }
  });

  test("unset on aws: required, as before; ignored on local", () => {
    expect(problems(undefined)).toEqual([
      "aws:region: required for target aws (the AWS region to build in, such as eu-central-1); it is not set",
    ]);
    const local = parseStackConfig({
      values: { "gitlab-dind:team": "dev", "gitlab-dind:target": "local", "aws:region": "eu-central" },
    });
    expect(local.ok).toBe(true);
  });

  test("`npm run plan` of a stack with aws:region eu-central: the configuration error, no crash and no stack trace", async () => {
    const file = join(scratch, "Pulumi.dev.yaml");
    writeFileSync(
      file,
      [
        "config:",
        "  aws:region: eu-central",
        "  gitlab-dind:team: dev",
        "  gitlab-dind:network:",
        "    adminCidrs: [203.0.113.0/24]",
        "",
      ].join("\n"),
    );
    const run = await inProcess(cli, ["--stack", "dev", "--config-file", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "The stack configuration has 1 problem:\n" +
        '  - aws:region: expected an AWS region the pinned @pulumi/aws knows, such as eu-central-1 (did you mean eu-central-1?); got "eu-central"\n',
    );
    expect(run.stdout).toBe("");
  });
});
