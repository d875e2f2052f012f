/**
 * The offline plan of the `dev` stack (the real program under mocks) writes a user-data.yaml that
 * the real tools accept, and lists the AWS host's resources.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddedScripts } from "../../infra/host/aws/cloud-init";
import type { Plan } from "../../tools/plan/run-plan";
import { planStack } from "../support/stack-plans";
import { requireTool, run } from "../support/tools";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

const hasCloudInit = requireTool("cloud-init", "apt-get install -y cloud-init");
const hasShellcheck = requireTool("shellcheck", "apt-get install -y shellcheck");

describe("npm run plan -- --stack dev", () => {
  // One plan of the dev stack, read by every test below.
  let plan: Plan;
  let userData: string;
  const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-plan-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(async () => {
    plan = await planStack("dev");
    userData = plan.files["user-data.yaml"];
  });

  it("lists the AWS host and writes a cloud-config user-data.yaml", () => {
    const types = new Set(plan.resources.map((r) => r.type));
    for (const t of [
      "aws:ec2/vpc:Vpc",
      "aws:ec2/securityGroup:SecurityGroup",
      "aws:ec2/instance:Instance",
      "aws:ebs/volume:Volume",
      "aws:ec2/volumeAttachment:VolumeAttachment",
      "aws:ec2/eip:Eip",
      "aws:dlm/lifecyclePolicy:LifecyclePolicy",
      "aws:ssm/parameter:Parameter",
      "pulumi-nodejs:dynamic/gitlab-dind:DockerApiWait",
      "pulumi:providers:docker",
    ]) {
      expect(types, t).toContain(t);
    }
    expect(plan.outputs.ssmCommand).toMatch(/^aws ssm start-session --target \S+ --region eu-central-1$/);

    expect(userData.startsWith("#cloud-config\n")).toBe(true);
  });

  it.skipIf(!hasCloudInit)("its user-data.yaml passes cloud-init schema", () => {
    const path = join(dir, "user-data.yaml");
    writeFileSync(path, userData);
    const r = run("cloud-init", ["schema", "--config-file", path]);
    expect(r.status, r.output).toBe(0);
  });

  it.skipIf(!hasShellcheck)("every script in its user-data.yaml passes shellcheck", () => {
    const scripts = embeddedScripts(userData);
    expect(scripts.length).toBeGreaterThan(0);
    // One shellcheck call for all of them: its findings name the file they are in.
    const paths = scripts.map((s) => {
      const path = join(dir, s.path.split("/").pop() ?? "script");
      writeFileSync(path, s.content);
      return path;
    });
    const r = run("shellcheck", ["--shell=bash", ...paths]);
    expect(r.output).toBe("");
  });
});
