/**
 * The workers' cloud-init and the manager's start script, read by the real tools: `cloud-init schema`,
 * `shellcheck`. Without a tool the test is skipped locally; under CI=true it runs (and fails) regardless.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { renderWorkerUserData, WORKER_BOOTSTRAP_SCRIPT } from "../../infra/autoscaler";
import { embeddedScripts, USER_DATA_LIMIT_BYTES } from "../../infra/host/aws/cloud-init";
import { MANAGER_START_SCRIPT } from "../../infra/runner";
import { INSTANCE_READY_COMMAND } from "../../runner-config";
import { haveTool, run } from "../support/tools";

const inCi = process.env.CI === "true";
const noCloudInit = !haveTool("cloud-init") && !inCi;
const noShellcheck = !haveTool("shellcheck") && !inCi;

const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-worker-user-data-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const userData = renderWorkerUserData({ username: "ec2-user" });

describe("the worker user data", () => {
  it("installs Docker and the Instance Connect agent, puts ec2-user in the docker group, starts Docker", () => {
    expect(userData.split("\n")[0]).toBe("#cloud-config");
    const doc = parseYaml(userData) as { runcmd: unknown; package_upgrade: boolean };
    expect(doc.runcmd).toEqual([[WORKER_BOOTSTRAP_SCRIPT]]);
    const [script] = embeddedScripts(userData);
    expect(script.path).toBe(WORKER_BOOTSTRAP_SCRIPT);
    expect(script.content).toContain("dnf install -y docker;");
    expect(script.content).toContain("dnf install -y ec2-instance-connect || log");
    expect(script.content).toContain("usermod -aG docker ec2-user");
    expect(script.content).toContain("systemctl enable --now docker.socket docker.service");
    expect(Buffer.byteLength(userData)).toBeLessThan(USER_DATA_LIMIT_BYTES);
  });

  it("carries no credentials or secrets", () => {
    expect(userData).not.toMatch(/PRIVATE KEY|aws_secret|AWS_SECRET|AKIA|glrt-|token/i);
  });

  it("refuses a user name a shell would have to quote", () => {
    expect(() => renderWorkerUserData({ username: "ec2-user; rm -rf /" })).toThrow(/expected a Linux user name/);
  });

  it.skipIf(noCloudInit)("passes cloud-init schema (and the check can fail)", () => {
    const good = run("cloud-init", ["schema", "--config-file", write("worker.yaml", userData)]);
    expect(good.output).toContain("Valid cloud-config");
    expect(good.status).toBe(0);
    const broken = run("cloud-init", [
      "schema",
      "--config-file",
      write("broken.yaml", userData.replace("runcmd:", "runcmd: 7\nnot_runcmd:")),
    ]);
    expect(broken.status).not.toBe(0);
  });

  it.skipIf(noShellcheck)(
    "its script, the manager's start script and the ready command are clean under shellcheck",
    () => {
      const [script] = embeddedScripts(userData);
      for (const [name, text, shell] of [
        ["worker-bootstrap", script.content, "bash"],
        ["manager-start", MANAGER_START_SCRIPT, "sh"],
        ["ready-command", `#!/bin/bash\n${INSTANCE_READY_COMMAND}\n`, "bash"],
      ] as const) {
        const r = run("shellcheck", [`--shell=${shell}`, "--severity=style", write(name, text)]);
        expect(r.output, name).toBe("");
        expect(r.status, name).toBe(0);
      }
      const bad = run("shellcheck", [write("bad.sh", "#!/bin/sh\nrm -rf $1/data\n")]);
      expect(bad.status).not.toBe(0);
    },
  );
});
