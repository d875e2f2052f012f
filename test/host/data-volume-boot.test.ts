/**
 * The host's data-volume script, run for real: a loop device stands for the EBS volume, a private
 * mount namespace for the instance. A first boot formats the blank volume and mounts it by UUID; a
 * rebuilt instance (a fresh /etc/fstab) finds the filesystem, keeps the data and mounts it again.
 *
 * Needs root, loop devices, `unshare`, and xfsprogs (`.ci/run` installs it). Under CI=true a
 * missing xfsprogs fails; a machine without loop devices skips with a message.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddedScripts, HOST_ENV_FILE, renderCloudInit } from "../../infra/host/aws/cloud-init";
import { requireTool } from "../support/tools";
import { HOST_INPUT } from "./cloud-init-input";

function loopDevicesWork(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-loop-probe-"));
  try {
    const probe = join(dir, "probe.img");
    writeFileSync(probe, "");
    execFileSync("truncate", ["-s", "1M", probe]);
    const r = spawnSync("losetup", ["-f", "--show", probe], { encoding: "utf8" });
    if (r.status !== 0) return false;
    execFileSync("losetup", ["-d", r.stdout.trim()]);
    const ns = spawnSync("unshare", ["-m", "true"]);
    return ns.status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const usable =
  requireTool("mkfs.xfs", "apt-get install xfsprogs", ["-V"]) &&
  (loopDevicesWork() || (console.warn("skipping: no loop devices or mount namespaces here"), false));

describe.skipIf(!usable)("the data-volume boot script on a real block device", () => {
  let work: string;
  let device: string;
  let script: string;
  let fstab: string;
  let stubs: string;
  const dataPath = () => join(work, "srv");

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "gitlab-dind-data-"));
    const image = join(work, "volume.img");
    // XFS needs at least 300 MiB; the file is sparse.
    execFileSync("truncate", ["-s", "320M", image]);
    device = execFileSync("losetup", ["-f", "--show", image], { encoding: "utf8" }).trim();

    const userData = renderCloudInit(HOST_INPUT);
    const prepare = embeddedScripts(userData).find((s) => s.path.endsWith("gitlab-dind-prepare-data"));
    if (prepare === undefined) throw new Error("no prepare-data script in the user data");
    // The same settings the host gets, pointing at the loop device and a directory of the test.
    const env = join(work, "host.env");
    writeFileSync(
      env,
      [
        "AWS_REGION_NAME='eu-central-1'",
        "DATA_VOLUME_ID='vol-0123456789abcdef0'",
        `DATA_DEVICE_HINT='${device}'`,
        `DATA_PATH='${dataPath()}'`,
        "",
      ].join("\n"),
    );
    // Test-only rewiring: the env file, and the scratch copy of fstab, live in the test's directory.
    script = join(work, "prepare-data");
    writeFileSync(
      script,
      prepare.content.replaceAll(HOST_ENV_FILE, env).replaceAll("/etc/fstab.gitlab-dind", join(work, "fstab.new")),
    );
    chmodSync(script, 0o755);
    fstab = join(work, "fstab");
    // No systemd or udev in a test: both are no-ops here.
    stubs = join(work, "bin");
    mkdirSync(stubs);
    for (const tool of ["systemctl", "udevadm"]) {
      writeFileSync(join(stubs, tool), "#!/bin/sh\nexit 0\n");
      chmodSync(join(stubs, tool), 0o755);
    }
  });

  afterAll(() => {
    if (device) spawnSync("losetup", ["-d", device]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Boots an "instance": a private mount namespace with its own /etc/fstab, then `after` in it. */
  function boot(fstabText: string, after: string): { status: number; output: string } {
    writeFileSync(fstab, fstabText);
    const r = spawnSync(
      "unshare",
      [
        "-m",
        "bash",
        "-c",
        `set -e; mount --make-rprivate /; mount --bind '${fstab}' /etc/fstab; '${script}'; ${after}`,
      ],
      { encoding: "utf8", env: { ...process.env, PATH: `${stubs}:${process.env.PATH}` } },
    );
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
  }

  it("first boot: formats the blank volume, mounts it by UUID, and GitLab's data lands on it", () => {
    const first = boot(
      "# fresh instance\n",
      `echo 'the data' > '${dataPath()}/marker'; findmnt -n -o SOURCE '${dataPath()}'`,
    );
    expect(first.output).toContain("is blank: creating an XFS filesystem");
    expect(first.status).toBe(0);
    expect(first.output).toContain(device);
    const uuid = execFileSync("blkid", ["-p", "-s", "UUID", "-o", "value", device], { encoding: "utf8" }).trim();
    expect(execFileSync("cat", [fstab], { encoding: "utf8" })).toContain(
      `UUID=${uuid} ${dataPath()} xfs defaults,nofail 0 2`,
    );
  });

  it("a rebuilt instance keeps the data: no format, the same filesystem mounted again, one fstab line", () => {
    const second = boot("# rebuilt instance\n", `cat '${dataPath()}/marker'`);
    expect(second.status).toBe(0);
    expect(second.output).toContain("holds a filesystem: keeping its data");
    expect(second.output).not.toContain("creating an XFS filesystem");
    expect(second.output).toContain("the data");
    // Booting again with the line already there does not add another.
    const third = boot(execFileSync("cat", [fstab], { encoding: "utf8" }), "true");
    expect(third.status).toBe(0);
    const lines = execFileSync("cat", [fstab], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.includes(dataPath()));
    expect(lines).toHaveLength(1);
  });
});
