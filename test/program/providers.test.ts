/**
 * Pulumi.yaml disables the default Docker and AWS providers: a resource or data source that
 * forgot its explicit provider would fail at `pulumi up`. Under mocks nothing fails, so this test
 * looks at every registration and invoke of the whole program instead.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { parse } from "yaml";
import { parseStackConfig } from "../../infra/config/parse";
import { buildStack } from "../../infra/program";
import { RecordingMocks } from "../../tools/plan/mocks";
import { runUnderMocks } from "../../tools/plan/under-mocks";

const disabled: string[] = parse(readFileSync(join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")).config[
  "pulumi:disable-default-providers"
].value;

test.each(["aws", "local"] as const)(
  "on %s every Docker and AWS resource and data source names its provider",
  async (target) => {
    const parsed = parseStackConfig({
      values: {
        "aws:region": "eu-central-1",
        "gitlab-dind:team": "t1",
        "gitlab-dind:target": target,
        "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
      },
    });
    if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
    const config = parsed.config;
    const { mocks } = await runUnderMocks(new RecordingMocks(), "gitlab-dind", "t1", () => buildStack(config));
    expect(disabled).toEqual(expect.arrayContaining(["aws", "docker"]));
    const packageOf = (token: string) => token.split(":")[0];
    const resources = mocks.resources.filter((r) => r.custom && disabled.includes(packageOf(r.type)));
    expect(resources.length).toBeGreaterThanOrEqual(target === "aws" ? 25 : 5);
    expect(resources.filter((r) => r.provider === undefined).map((r) => `${r.type} ${r.name}`)).toEqual([]);
    const invokes = mocks.invokes.filter((i) => disabled.includes(packageOf(i.token)));
    expect(invokes.filter((i) => i.provider === undefined).map((i) => i.token)).toEqual([]);
  },
);
