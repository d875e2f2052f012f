/**
 * The host's boot as a systemd oneshot unit (issue 9, item 6): the unit is clean for
 * `systemd-analyze verify`, and the bootstrap script, run for real with stand-ins for dnf,
 * systemctl and docker, writes its "done" marker only when Docker is up, so that a failed boot is
 * tried again (Restart=on-failure, and at the next boot) and a successful one is not.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import {
  BOOTSTRAP_MARKER,
  BOOTSTRAP_SCRIPT,
  BOOTSTRAP_UNIT,
  embeddedScripts,
  HOST_ENV_FILE,
  renderCloudInit,
} from "../../infra/host/aws/cloud-init";
import { haveTool } from "../support/tools";
import { HOST_INPUT } from "./cloud-init-input";

const userData = renderCloudInit(HOST_INPUT);
const files = (parseYaml(userData) as { write_files: Array<{ path: string; content: string }> }).write_files;
const unitText = files.find((f) => f.path === `/etc/systemd/system/${BOOTSTRAP_UNIT}`)?.content ?? "";
const bootstrap = embeddedScripts(userData).find((s) => s.path === BOOTSTRAP_SCRIPT)?.content ?? "";

const work = mkdtempSync(join(tmpdir(), "gitlab-dind-bootstrap-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hasSystemdAnalyze = haveTool("systemd-analyze", ["--version"]);

/** `systemd-analyze verify` of a unit file whose ExecStart points at an executable of this machine. */
function verify(text: string, fileName: string): { status: number; output: string } {
  const dir = mkdtempSync(join(work, "unit-"));
  const script = join(dir, "gitlab-dind-bootstrap");
  writeFileSync(script, bootstrap);
  chmodSync(script, 0o755);
  const unit = join(dir, fileName);
  writeFileSync(unit, text.replaceAll(BOOTSTRAP_SCRIPT, script));
  const r = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`.trim() };
}

describe("the bootstrap unit under systemd-analyze verify", () => {
  it.skipIf(!hasSystemdAnalyze)("is clean: no error, no warning", () => {
    expect(unitText).toContain("[Service]");
    const r = verify(unitText, BOOTSTRAP_UNIT);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasSystemdAnalyze)("complains about a broken unit (the check can fail)", () => {
    const r = verify(
      unitText.replace("Type=oneshot", "Type=one-shot").replace("RestartSec=60", "RestartSec=6o"),
      BOOTSTRAP_UNIT,
    );
    expect(r.output).toMatch(/Failed to parse service type/);
    expect(r.output).toMatch(/Failed to parse sec value/);
  });
});

describe("the bootstrap script, run with stand-ins for the host's tools", () => {
  /** Runs the script once; `dnfWorks` decides whether `dnf install docker` succeeds. */
  function boot(name: string, dnfWorks: boolean): { status: number; output: string; marker: string; calls: string } {
    const dir = join(work, name);
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    const calls = join(dir, "calls");
    const stub = (tool: string, body: string) => {
      writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >>'${calls}'\n${body}\n`);
      chmodSync(join(bin, tool), 0o755);
    };
    stub("dnf", dnfWorks ? "exit 0" : "exit 1");
    stub("systemctl", "exit 0");
    stub("docker", "exit 0");
    stub("sleep", "exit 0");
    // The two steps before Docker have tests of their own (data-volume-boot, cloud-init): stand-ins.
    stub("prepare-data", "exit 0");
    stub("docker-key", "exit 0");
    const env = join(dir, "host.env");
    writeFileSync(env, "DOCKER_PORT='2376'\n");
    const marker = join(dir, "state", "bootstrapped");
    const script = join(dir, "gitlab-dind-bootstrap");
    writeFileSync(
      script,
      bootstrap
        .replaceAll(HOST_ENV_FILE, env)
        .replaceAll(BOOTSTRAP_MARKER, marker)
        .replaceAll("/usr/local/sbin/gitlab-dind-prepare-data", join(bin, "prepare-data"))
        .replaceAll("/usr/local/sbin/gitlab-dind-docker-key", join(bin, "docker-key")),
    );
    chmodSync(script, 0o755);
    const r = spawnSync("bash", [script], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    return {
      status: r.status ?? -1,
      output: `${r.stdout}${r.stderr}`,
      marker,
      calls: existsSync(calls) ? readFileSync(calls, "utf8") : "",
    };
  }

  it("a run that cannot install Docker fails without the marker: the unit will run it again", () => {
    const r = boot("dnf-down", false);
    expect(r.status).toBe(1);
    expect(r.output).toContain("cannot install Docker");
    expect(r.calls.match(/^dnf install -y docker$/gm)).toHaveLength(5);
    expect(existsSync(r.marker)).toBe(false);
  });

  it("a run that brings Docker up writes the marker as its last step: the unit will not run again", () => {
    const r = boot("all-well", true);
    expect(r.status).toBe(0);
    expect(r.output).toContain("Docker is up");
    expect(r.calls).toContain("systemctl enable --now docker.socket docker.service");
    expect(readFileSync(r.marker, "utf8")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    // Running it again (a retry after a partial failure) is harmless and still succeeds.
    const again = spawnSync("bash", [join(work, "all-well", "gitlab-dind-bootstrap")], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${join(work, "all-well", "bin")}:${process.env.PATH}` },
    });
    expect(again.status).toBe(0);
  });
});
