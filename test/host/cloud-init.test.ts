/**
 * The host's cloud-init: valid for `cloud-init schema`, every embedded script clean under
 * `shellcheck`, under AWS's 16 KB user-data limit with real certificates, and nothing secret.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BOOTSTRAP_MARKER,
  BOOTSTRAP_SCRIPT,
  BOOTSTRAP_UNIT,
  embeddedScripts,
  renderCloudInit,
  shellQuote,
  USER_DATA_LIMIT_BYTES,
  userDataBytes,
  type CloudInitInput,
} from "../../infra/host/aws/cloud-init";
import { checkedUserData } from "../../infra/host/aws/instance";
import { makeTlsFixtures, type TlsFixtures } from "../support/tls-fixtures";
import { haveTool, requireTool, run } from "../support/tools";
import { HOST_INPUT } from "./cloud-init-input";

let certs: TlsFixtures;
let input: CloudInitInput;
let userData: string;

beforeAll(() => {
  if (!haveTool("openssl", ["version"])) throw new Error("openssl is needed to make test certificates");
  certs = makeTlsFixtures();
  input = {
    ...HOST_INPUT,
    caCertPem: certs.caCert,
    serverCertPem: certs.serverCert,
    serverKeyParameter: "/payments-team/gitlab-dind/docker/server-key",
  };
  userData = renderCloudInit(input);
});

// Every file the tools read, in one folder removed at the end, pass or fail.
const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-cloud-init-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const hasCloudInit = requireTool("cloud-init", "apt-get install -y cloud-init");
const hasShellcheck = requireTool("shellcheck", "apt-get install -y shellcheck");

const write = (name: string, text: string): string => {
  const dir = mkdtempSync(join(scratch, "file-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("the rendered cloud-config", () => {
  it("starts with #cloud-config and, once per instance, enables and starts the bootstrap unit (not the script itself)", () => {
    expect(userData.split("\n")[0]).toBe("#cloud-config");
    const doc = parseYaml(userData) as Record<string, any>;
    expect(doc.runcmd).toEqual([
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "--no-block", BOOTSTRAP_UNIT],
    ]);
    expect(JSON.stringify(doc.runcmd)).not.toContain(BOOTSTRAP_SCRIPT);
    expect(doc.package_upgrade).toBe(false);
  });

  it("installs a oneshot unit that runs the script at every boot until it has succeeded once, retrying a failure", () => {
    const doc = parseYaml(userData) as { write_files: Array<{ path: string; content: string; permissions: string }> };
    const unit = doc.write_files.find((f) => f.path === `/etc/systemd/system/${BOOTSTRAP_UNIT}`);
    expect(unit?.permissions).toBe("0644");
    const lines = (unit?.content ?? "").split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        "[Unit]",
        `ConditionPathExists=!${BOOTSTRAP_MARKER}`,
        "After=network-online.target",
        "StartLimitIntervalSec=0",
        "[Service]",
        "Type=oneshot",
        `ExecStart=${BOOTSTRAP_SCRIPT}`,
        "Restart=on-failure",
        "RestartSec=60",
        "StandardOutput=journal+console",
        "[Install]",
        "WantedBy=multi-user.target",
      ]),
    );
    // The script writes the marker only once Docker answers, as its last step.
    const script = embeddedScripts(userData).find((f) => f.path === BOOTSTRAP_SCRIPT)?.content ?? "";
    const success = script.slice(script.indexOf("if docker info"), script.indexOf("exit 0"));
    expect(success).toContain(`>${BOOTSTRAP_MARKER}`);
    expect(script.split(BOOTSTRAP_MARKER)).toHaveLength(3);
  });

  it("fits AWS's 16 KB user-data limit with real certificates, with room to spare", () => {
    const bytes = userDataBytes(userData);
    console.info(`user data: ${bytes} bytes of ${USER_DATA_LIMIT_BYTES}`);
    expect(bytes).toBeLessThan(USER_DATA_LIMIT_BYTES * 0.75);
    expect(checkedUserData(userData)).toBe(userData);
    expect(() => checkedUserData(`${userData}#${"x".repeat(USER_DATA_LIMIT_BYTES)}`)).toThrow(
      /over AWS's user-data limit of 16384 bytes/,
    );
  });

  it("carries the public certificates and the key's parameter name, never a private key", () => {
    const doc = parseYaml(userData) as { write_files: Array<{ path: string; content: string; permissions: string }> };
    const files = new Map(doc.write_files.map((f) => [f.path, f]));
    expect(files.get("/etc/docker/tls/ca.pem")?.content).toBe(certs.caCert);
    expect(files.get("/etc/docker/tls/server-cert.pem")?.content).toBe(certs.serverCert);
    expect(files.has("/etc/docker/tls/server-key.pem")).toBe(false);
    expect(userData).not.toContain(certs.serverKey.split("\n")[1]);
    expect(userData).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----\n/);
    expect(files.get("/etc/gitlab-dind/host.env")?.content).toContain(
      "SERVER_KEY_PARAMETER='/payments-team/gitlab-dind/docker/server-key'",
    );
  });

  it("refuses a private key where a certificate belongs", () => {
    expect(() => renderCloudInit({ ...input, serverCertPem: `${certs.serverCert}${certs.serverKey}` })).toThrow(
      /serverCertPem: holds a private key/,
    );
  });

  it("configures dockerd for the unix socket and TLS on 2376 with client verification, hosts only as flags", () => {
    const doc = parseYaml(userData) as { write_files: Array<{ path: string; content: string }> };
    const dropIn =
      doc.write_files.find((f) => f.path === "/etc/systemd/system/docker.service.d/gitlab-dind.conf")?.content ?? "";
    const execStart = dropIn.split("\n").filter((l) => l.startsWith("ExecStart="));
    expect(execStart[0]).toBe("ExecStart=");
    expect(execStart[1]).toContain(
      "-H fd:// -H tcp://0.0.0.0:2376 --tlsverify --tlscacert=/etc/docker/tls/ca.pem --tlscert=/etc/docker/tls/server-cert.pem --tlskey=/etc/docker/tls/server-key.pem",
    );
    expect(dropIn).toContain("RequiresMountsFor=/srv");
    expect(doc.write_files.some((f) => f.path === "/etc/docker/daemon.json")).toBe(false);
  });

  it("formats the data volume only when blkid finds nothing on it, and mounts it by UUID", () => {
    const script = embeddedScripts(userData).find((s) => s.path.endsWith("gitlab-dind-prepare-data"))?.content ?? "";
    const mkfs = script.split("\n").filter((l) => l.includes("mkfs"));
    expect(mkfs).toEqual(['    mkfs.xfs -q "${device}"']);
    const branch = script.slice(script.indexOf('case "${status}" in'), script.indexOf("esac"));
    expect(branch).toMatch(/2\)\n\s+log "\$\{device\} is blank: creating an XFS filesystem"\n\s+mkfs\.xfs/);
    expect(script).toContain('entry="UUID=${uuid} ${DATA_PATH} ${fstype} defaults,nofail 0 2"');
    expect(script).toContain("/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${serial}");
  });

  it("quotes every value for the shell", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    const env =
      (parseYaml(userData) as { write_files: Array<{ path: string; content: string }> }).write_files.find(
        (f) => f.path === "/etc/gitlab-dind/host.env",
      )?.content ?? "";
    const r = run("bash", ["-c", `set -eu; ${env}\necho "$DATA_VOLUME_ID|$SERVER_KEY_PARAMETER|$DOCKER_PORT"`]);
    expect(r.output.trim()).toBe("vol-0123456789abcdef0|/payments-team/gitlab-dind/docker/server-key|2376");
  });
});

describe("the real tools", () => {
  it.skipIf(!hasCloudInit)("cloud-init schema accepts the user data", () => {
    const r = run("cloud-init", ["schema", "--config-file", write("user-data.yaml", userData)]);
    expect(r.output).toContain("Valid cloud-config");
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasCloudInit)("cloud-init schema refuses a broken document (the check can fail)", () => {
    const broken = userData.replace("runcmd:", "runcmd: 7\nnot_runcmd:");
    const r = run("cloud-init", ["schema", "--config-file", write("broken.yaml", broken)]);
    expect(r.status).not.toBe(0);
  });

  it.skipIf(!hasShellcheck)("every embedded script is clean under shellcheck", () => {
    const scripts = embeddedScripts(userData);
    expect(scripts.map((s) => s.path).sort()).toEqual([
      "/usr/local/sbin/gitlab-dind-bootstrap",
      "/usr/local/sbin/gitlab-dind-docker-key",
      "/usr/local/sbin/gitlab-dind-prepare-data",
    ]);
    // One shellcheck call for all of them: its findings name the file they are in.
    const files = scripts.map((s) => write(s.path.split("/").pop() ?? "script", s.content));
    const r = run("shellcheck", ["--shell=bash", "--severity=style", ...files]);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasShellcheck)("shellcheck catches a real mistake (the check can fail)", () => {
    const r = run("shellcheck", [write("bad.sh", "#!/bin/bash\nrm -rf $1/data\n")]);
    expect(r.status).not.toBe(0);
  });
});
