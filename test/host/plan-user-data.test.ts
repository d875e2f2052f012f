/**
 * The offline plan of the `dev` stack (the real program under mocks) writes a user-data.yaml that
 * the real tools accept, and lists the AWS host's resources.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../../infra/config/parse";
import { embeddedScripts } from "../../infra/host/aws/cloud-init";
import { runPlan } from "../../tools/plan/run-plan";
import { readStackFile } from "../../tools/plan/stack-file";
import { requireTool, run } from "../support/tools";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

describe("npm run plan -- --stack dev", () => {
  it("lists the AWS host and writes a user-data.yaml that cloud-init schema and shellcheck accept", async () => {
    const { values, secretKeys } = readStackFile(join(__dirname, "..", "..", "Pulumi.dev.yaml"));
    const parsed = parseStackConfig({ values, secretKeys });
    if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
    const plan = await runPlan("gitlab-dind", "dev", parsed.config);

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

    const userData = plan.files["user-data.yaml"];
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-plan-"));
    if (requireTool("cloud-init", "apt-get install -y cloud-init")) {
      const path = join(dir, "user-data.yaml");
      writeFileSync(path, userData);
      const r = run("cloud-init", ["schema", "--config-file", path]);
      expect(r.status, r.output).toBe(0);
    }
    if (requireTool("shellcheck", "apt-get install -y shellcheck")) {
      for (const s of embeddedScripts(userData)) {
        const path = join(dir, s.path.split("/").pop() ?? "script");
        writeFileSync(path, s.content);
        const r = run("shellcheck", ["--shell=bash", path]);
        expect(r.output, s.path).toBe("");
      }
    }
  });
});
