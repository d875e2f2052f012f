/**
 * What the AWS host gets for its alarms (infra/alarms/host-files.ts): the probe script run for real
 * by bash with stand-ins on PATH (a fake `aws` that records its `cloudwatch put-metric-data` calls,
 * a fake `docker` whose exec succeeds or fails, an `openssl s_client` that hands out a real
 * certificate), the units under `systemd-analyze verify`, the scripts under shellcheck, the
 * agent's configuration and the installer.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ALARM_HOST_PATHS,
  PROBE_SCRIPT_FILE,
  probeTimer,
  probeUnit,
  renderAgentConfig,
  renderAlarmDocument,
  renderAlarmHostFiles,
  renderAlarmInstaller,
  renderBackupDropIn,
  renderProbeService,
  renderProbeTimer,
  type AlarmHostSettings,
  type ProbeName,
} from "../../infra/alarms/host-files";
import { renderServiceUnit } from "../../infra/backup/host-files";
import { requireTool } from "../support/tools";

const work = mkdtempSync(join(tmpdir(), "gitlab-dind-alarms-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SETTINGS: AlarmHostSettings = {
  namespace: "gitlab-dind/payments",
  region: "eu-central-1",
  instanceId: "i-0123456789abcdef0",
  gitlabContainer: "payments-gitlab",
  readinessUrl: "https://127.0.0.1/-/readiness",
  tlsServerName: "gitlab.payments.example.com",
  dataPath: "/srv",
  backups: true,
};

describe("the CloudWatch agent's configuration", () => {
  it("publishes memory and the disk use of / and the data volume in the stack's namespace, by instance and path", () => {
    const config = JSON.parse(renderAgentConfig(SETTINGS)) as Record<string, any>;
    expect(config.metrics.namespace).toBe("gitlab-dind/payments");
    expect(config.metrics.metrics_collected).toEqual({
      mem: { measurement: ["used_percent"] },
      disk: { resources: ["/", "/srv"], measurement: ["used_percent"], drop_device: true },
    });
    expect(config.metrics.append_dimensions).toEqual({ InstanceId: "${aws:InstanceId}" });
    expect(config.metrics.aggregation_dimensions).toEqual([["InstanceId", "path"]]);
    expect(config.agent).toMatchObject({ region: "eu-central-1", omit_hostname: true });
  });
});

describe("the probes' files", () => {
  it("run readiness, backup age and certificate with TLS and backups; readiness alone without", () => {
    const all = renderAlarmHostFiles(SETTINGS);
    expect(all.probes).toEqual(["readiness", "backup-age", "certificate"]);
    expect(Object.keys(all.units).sort()).toEqual(
      (["readiness", "backup-age", "certificate"] as ProbeName[]).flatMap((p) => [probeUnit(p), probeTimer(p)]).sort(),
    );
    expect(all.env).toContain("TLS_SERVER_NAME=gitlab.payments.example.com\n");
    expect(all.backupDropIn).toContain("ExecStartPost=/usr/bin/touch /var/lib/gitlab-dind/backup-succeeded");
    const bare = renderAlarmHostFiles({ ...SETTINGS, tlsServerName: undefined, backups: false });
    expect(bare.probes).toEqual(["readiness"]);
    expect(bare.env).not.toContain("TLS_SERVER_NAME");
    expect(bare.backupDropIn).toBeUndefined();
    // The installer removes what is no longer wanted.
    const installer = renderAlarmInstaller(bare);
    expect(installer).toContain(`systemctl disable --now ${probeTimer("certificate")}`);
    expect(installer).toContain(`rm -f '${ALARM_HOST_PATHS.backupDropIn}'`);
    expect(() => renderAlarmHostFiles({ ...SETTINGS, gitlabContainer: "a b" })).toThrow(/GITLAB_CONTAINER="a b"/);
  });

  it("the installer adds the agent from the AMI's repository, loads its configuration and starts the timers; the document runs it", () => {
    const installer = renderAlarmInstaller(renderAlarmHostFiles(SETTINGS));
    expect(installer).toContain(
      "rpm -q amazon-cloudwatch-agent openssl >/dev/null 2>&1 || for i in 1 2 3 4 5; do dnf install -y amazon-cloudwatch-agent openssl && break;",
    );
    expect(installer).toContain(
      "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/etc/gitlab-dind/cloudwatch-agent.json",
    );
    expect(installer).toContain(`systemctl restart ${probeTimer("readiness")}`);
    const doc = JSON.parse(renderAlarmDocument(installer, "payments")) as Record<string, any>;
    expect(doc.schemaVersion).toBe("2.2");
    expect((doc.mainSteps[0].inputs.runCommand as string[]).join("\n")).toBe(installer);
  });

  it.skipIf(!requireTool("shellcheck", "apt-get install shellcheck"))(
    "the probe script and the installer are clean under shellcheck",
    () => {
      const probe = spawnSync("shellcheck", ["--severity=style", PROBE_SCRIPT_FILE], { encoding: "utf8" });
      expect(probe.stdout).toBe("");
      expect(probe.status).toBe(0);
      const file = join(work, "installer.sh");
      writeFileSync(file, renderAlarmInstaller(renderAlarmHostFiles(SETTINGS)));
      const installer = spawnSync("shellcheck", ["--shell=sh", "--severity=style", file], { encoding: "utf8" });
      expect(installer.stdout).toBe("");
      expect(installer.status).toBe(0);
    },
  );
});

describe("the units under systemd-analyze verify", () => {
  /** Verifies `unit` (and what sits next to it), the probe script replaced by an executable of this machine. */
  function verify(files: Record<string, string>, unit: string): string[] {
    const dir = mkdtempSync(join(work, "units-"));
    const script = join(dir, "gitlab-dind-probe");
    writeFileSync(script, "#!/bin/sh\n");
    chmodSync(script, 0o755);
    for (const [name, text] of Object.entries(files))
      writeFileSync(join(dir, name), text.replaceAll(ALARM_HOST_PATHS.probeScript, script));
    const r = spawnSync("systemd-analyze", ["verify", join(dir, unit)], {
      encoding: "utf8",
      env: { ...process.env, SYSTEMD_COLORS: "0" },
    });
    return `${r.stdout}${r.stderr}`.split("\n").filter(
      (l) =>
        l.trim() !== "" &&
        !/Unit (docker\.service|sysinit\.target|network-online\.target) not found/.test(l) &&
        !/Command \/usr\/local\/sbin\/gitlab-dind-backup is not executable/.test(l) &&
        // The env file is written on the host.
        !/gitlab-dind\/alarms\.env/.test(l),
    );
  }
  const systemd = requireTool("systemd-analyze", "apt-get install systemd", ["--version"]);

  it.skipIf(!systemd).each(["readiness", "backup-age", "certificate"] as ProbeName[])(
    "%s: timer and service are clean",
    (probe) => {
      const files = { [probeUnit(probe)]: renderProbeService(probe), [probeTimer(probe)]: renderProbeTimer(probe) };
      expect(verify(files, probeTimer(probe))).toEqual([]);
    },
  );

  it.skipIf(!systemd)("the backup service with the drop-in's ExecStartPost= is clean; a broken one is not", () => {
    const merged = renderServiceUnit() + "\n" + renderBackupDropIn();
    expect(verify({ "gitlab-dind-backup.service": merged }, "gitlab-dind-backup.service")).toEqual([]);
    const broken = renderProbeTimer("readiness").replace("AccuracySec=1s", "AccuracySec=1x");
    expect(
      verify(
        { [probeTimer("readiness")]: broken, [probeUnit("readiness")]: renderProbeService("readiness") },
        probeTimer("readiness"),
      ).join("\n"),
    ).toMatch(/AccuracySec|1x/);
  });
});

describe("the probe script, run with stand-ins for aws, docker and openssl", () => {
  const haveOpenssl = requireTool("openssl", "apt-get install openssl", ["version"]);

  /** A directory with the stand-ins; `aws` appends each call's arguments, one per line, to `calls`. */
  function host(name: string): { dir: string; bin: string; calls: string; state: string; env: Record<string, string> } {
    const dir = join(work, name);
    const bin = join(dir, "bin");
    const state = join(dir, "state");
    mkdirSync(bin, { recursive: true });
    mkdirSync(state, { recursive: true });
    const calls = join(dir, "calls");
    writeFileSync(join(bin, "aws"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\n[ -z "$FAKE_AWS_FAILS" ]\n`);
    // docker exec <container> curl ... <url>: succeeds when FAKE_READY=1, and records what it was asked.
    writeFileSync(
      join(bin, "docker"),
      `#!/bin/sh\nprintf 'docker %s\\n' "$*" >> '${calls}.docker'\n[ "$FAKE_READY" = 1 ]\n`,
    );
    for (const f of ["aws", "docker"]) chmodSync(join(bin, f), 0o755);
    return {
      dir,
      bin,
      calls,
      state,
      env: {
        PATH: `${bin}:${process.env.PATH ?? ""}`,
        METRIC_NAMESPACE: "gitlab-dind/payments",
        METRIC_REGION: "eu-central-1",
        INSTANCE_ID: "i-0123456789abcdef0",
        GITLAB_CONTAINER: "payments-gitlab",
        READINESS_URL: "https://127.0.0.1/-/readiness",
        TLS_SERVER_NAME: "gitlab.payments.example.com",
        STATE_DIR: state,
      },
    };
  }

  function probe(h: ReturnType<typeof host>, what: string, env: Record<string, string> = {}) {
    const r = spawnSync("bash", [PROBE_SCRIPT_FILE, what], { encoding: "utf8", env: { ...h.env, ...env } });
    const calls = existsSync(h.calls) ? readFileSync(h.calls, "utf8").trim().split("\n") : [];
    return { status: r.status, output: `${r.stdout}${r.stderr}`, calls };
  }

  const put = (metric: string, value: string, unit: string): string =>
    `cloudwatch put-metric-data --region eu-central-1 --namespace gitlab-dind/payments --metric-name ${metric} --value ${value} --unit ${unit} --dimensions InstanceId=i-0123456789abcdef0`;

  it("readiness: 1 when GitLab answers inside its container, 0 when not", () => {
    const h = host("ready");
    expect(probe(h, "readiness", { FAKE_READY: "1" })).toMatchObject({
      status: 0,
      calls: [put("GitLabReady", "1", "Count")],
    });
    const docker = readFileSync(`${h.calls}.docker`, "utf8");
    expect(docker).toContain(
      "docker exec payments-gitlab /opt/gitlab/embedded/bin/curl --silent --fail --max-time 20 --output /dev/null --insecure https://127.0.0.1/-/readiness",
    );
    const down = probe(h, "readiness", { FAKE_READY: "0" });
    expect(down.status).toBe(0);
    expect(down.calls[1]).toBe(put("GitLabReady", "0", "Count"));
    expect(down.output).toMatch(/did not answer/);
  });

  it("backup age: hours since the last good backup, or since monitoring began", () => {
    const h = host("backup-age");
    const now = Date.now() / 1000;
    writeFileSync(join(h.state, "monitoring-since"), "");
    utimesSync(join(h.state, "monitoring-since"), now - 5 * 3600, now - 5 * 3600);
    expect(probe(h, "backup-age").calls).toEqual([put("BackupAgeHours", "5.0", "None")]);
    writeFileSync(join(h.state, "backup-succeeded"), "");
    utimesSync(join(h.state, "backup-succeeded"), now - 90 * 60, now - 90 * 60);
    const r = probe(h, "backup-age");
    expect(r.status).toBe(0);
    expect(r.calls[1]).toBe(put("BackupAgeHours", "1.5", "None"));
  });

  it.skipIf(!haveOpenssl)(
    "certificate: whole days left on the certificate port 443 serves; nothing published and a failure (retried) when there is none",
    () => {
      const h = host("certificate");
      const key = join(h.dir, "key.pem");
      const cert = join(h.dir, "cert.pem");
      const made = spawnSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          key,
          "-out",
          cert,
          "-days",
          "10",
          "-subj",
          "/CN=gitlab.payments.example.com",
        ],
        { encoding: "utf8" },
      );
      expect(made.status, made.stderr).toBe(0);
      const real = spawnSync("sh", ["-c", "command -v openssl"], { encoding: "utf8" }).stdout.trim();
      // s_client prints what a server on 127.0.0.1:443 would send; x509 is the real openssl.
      writeFileSync(
        join(h.bin, "openssl"),
        `#!/bin/sh\nif [ "$1" = s_client ]; then printf '%s\\n' "$*" >> '${h.calls}.openssl'; [ -n "$FAKE_NO_TLS" ] && exit 1; cat '${cert}'; exit 0; fi\nexec '${real}' "$@"\n`,
      );
      chmodSync(join(h.bin, "openssl"), 0o755);
      const r = probe(h, "certificate");
      expect(r.status, r.output).toBe(0);
      // Issued now for 10 days: 10 whole days left within the second it was made, 9 after.
      expect(r.calls).toHaveLength(1);
      expect([put("CertificateDaysLeft", "9", "Count"), put("CertificateDaysLeft", "10", "Count")]).toContain(
        r.calls[0],
      );
      expect(readFileSync(`${h.calls}.openssl`, "utf8")).toContain(
        "s_client -connect 127.0.0.1:443 -servername gitlab.payments.example.com",
      );
      // GitLab not serving yet (a first boot): no 0 that would hold the alarm for a day, but a
      // failed run, which the service retries in 5 minutes.
      const none = probe(h, "certificate", { FAKE_NO_TLS: "1" });
      expect(none.status).not.toBe(0);
      expect(none.calls).toHaveLength(1);
      expect(none.output).toMatch(/nothing published/);
    },
  );

  it("fails when publishing fails or a setting is missing, and refuses an unknown probe", () => {
    const h = host("failing");
    expect(probe(h, "readiness", { FAKE_READY: "1", FAKE_AWS_FAILS: "1" }).status).not.toBe(0);
    const missing = probe(h, "readiness", { METRIC_NAMESPACE: "" });
    expect(missing.status).not.toBe(0);
    expect(missing.output).toMatch(/METRIC_NAMESPACE/);
    expect(probe(h, "cpu").status).toBe(2);
  });
});
