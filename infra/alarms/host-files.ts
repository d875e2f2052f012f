/**
 * What the AWS host needs for its alarms, as pure functions of plain values: the CloudWatch agent's
 * configuration (disk use of `/` and the data volume, memory use, in the stack's namespace), the
 * probe script (infra/alarms/scripts/) with its settings, a systemd service and timer per probe,
 * a drop-in that marks each successful backup, and the installer an SSM document runs.
 *
 * None of it is in the instance's user data: a change re-runs the installer (an SSM State Manager
 * association, as the backup timer's) and never replaces the instance. The agent comes from
 * Amazon Linux 2023's own repository (`dnf install amazon-cloudwatch-agent`, as the host's
 * Docker does), not through SSM Distributor: no `ssm:GetManifest` or
 * `ssm:PutConfigurePackageResult` for the host role, and its configuration is a file the installer
 * writes, not an SSM parameter the role would have to read.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BACKUP_UNIT, unitFile } from "../backup/host-files";

export const ALARM_HOST_PATHS = {
  probeScript: "/usr/local/sbin/gitlab-dind-probe",
  env: "/etc/gitlab-dind/alarms.env",
  agentConfig: "/etc/gitlab-dind/cloudwatch-agent.json",
  stateDir: "/var/lib/gitlab-dind",
  backupDropIn: `/etc/systemd/system/${BACKUP_UNIT}.d/gitlab-dind-alarms.conf`,
} as const;

/** The agent's control script (amazon-cloudwatch-agent package). */
export const AGENT_CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl";

export const PROBE_SCRIPT_FILE = join(__dirname, "scripts", "gitlab-dind-probe.sh");
export function probeScript(): string {
  return readFileSync(PROBE_SCRIPT_FILE, "utf8");
}

/** The metrics the host publishes, by name (agent: `mem_used_percent`, `disk_used_percent`). */
export const HOST_METRICS = {
  memory: "mem_used_percent",
  disk: "disk_used_percent",
  ready: "GitLabReady",
  backupAge: "BackupAgeHours",
  certificateDays: "CertificateDaysLeft",
} as const;

export type ProbeName = "readiness" | "backup-age" | "certificate";

/** When each probe runs (systemd OnCalendar=). */
export const PROBE_SCHEDULES: Readonly<Record<ProbeName, string>> = {
  readiness: "*-*-* *:*:00",
  "backup-age": "hourly",
  certificate: "daily",
};

export const probeUnit = (probe: ProbeName): string => `gitlab-dind-probe-${probe}.service`;
export const probeTimer = (probe: ProbeName): string => `gitlab-dind-probe-${probe}.timer`;

export interface AlarmHostSettings {
  /** `gitlab-dind/<team>`. */
  readonly namespace: string;
  readonly region: string;
  readonly instanceId: string;
  readonly gitlabContainer: string;
  /** GitLab's readiness URL inside its container. */
  readonly readinessUrl: string;
  /** The host name GitLab's certificate is for; undefined without TLS (no certificate probe). */
  readonly tlsServerName: string | undefined;
  /** The data volume's mount point (`/srv`). */
  readonly dataPath: string;
  /** Whether the host backs up (the backup-age probe and the success marker). */
  readonly backups: boolean;
}

/** The probes a host runs with these settings. */
export function probesOf(s: Pick<AlarmHostSettings, "tlsServerName" | "backups">): ProbeName[] {
  return [
    "readiness",
    ...(s.backups ? (["backup-age"] as const) : []),
    ...(s.tlsServerName !== undefined ? (["certificate"] as const) : []),
  ];
}

/**
 * The CloudWatch agent's configuration (its JSON schema: `agent`, `metrics.namespace`,
 * `metrics_collected.mem|disk`, `append_dimensions`, `aggregation_dimensions`). Every metric
 * carries the instance's id; the disk metrics are also rolled up to `InstanceId` + `path` alone
 * (the agent's rollup, `aggregation_dimensions`), so the alarms name a mount point without
 * knowing its device or file-system type.
 */
export function renderAgentConfig(s: Pick<AlarmHostSettings, "namespace" | "region" | "dataPath">): string {
  return (
    JSON.stringify(
      {
        agent: { metrics_collection_interval: 60, region: s.region, omit_hostname: true },
        metrics: {
          namespace: s.namespace,
          append_dimensions: { InstanceId: "${aws:InstanceId}" },
          aggregation_dimensions: [["InstanceId", "path"]],
          metrics_collected: {
            mem: { measurement: ["used_percent"] },
            disk: { resources: ["/", s.dataPath], measurement: ["used_percent"], drop_device: true },
          },
        },
      },
      null,
      2,
    ) + "\n"
  );
}

const SAFE_VALUE = /^[A-Za-z0-9_.,:/@+=-]*$/;

/** The probes' settings file (systemd EnvironmentFile=); values need no quoting. */
export function renderAlarmEnv(s: AlarmHostSettings): string {
  const values: Array<[string, string]> = [
    ["METRIC_NAMESPACE", s.namespace],
    ["METRIC_REGION", s.region],
    ["INSTANCE_ID", s.instanceId],
    ["GITLAB_CONTAINER", s.gitlabContainer],
    ["READINESS_URL", s.readinessUrl],
    ["STATE_DIR", ALARM_HOST_PATHS.stateDir],
    ...(s.tlsServerName === undefined ? [] : [["TLS_SERVER_NAME", s.tlsServerName] as [string, string]]),
  ];
  const bad = values.filter(([, v]) => !SAFE_VALUE.test(v)).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  if (bad.length > 0) throw new Error(`alarm settings: values a settings file cannot hold: ${bad.join(", ")}`);
  return (
    [
      "# Written by gitlab-dind (SSM association); read by gitlab-dind-probe.",
      ...values.map(([k, v]) => `${k}=${v}`),
    ].join("\n") + "\n"
  );
}

export function renderProbeService(probe: ProbeName): string {
  return unitFile([
    [
      "Unit",
      [
        ["Description", `gitlab-dind probe: ${probe}, published to CloudWatch`],
        ["Wants", "network-online.target"],
        ["After", "network-online.target docker.service"],
      ],
    ],
    [
      "Service",
      [
        ["Type", "oneshot"],
        ["EnvironmentFile", ALARM_HOST_PATHS.env],
        ["ExecStart", `${ALARM_HOST_PATHS.probeScript} ${probe}`],
        // A hung probe must not hold the next minute's run back.
        ["TimeoutStartSec", "50"],
        // The daily certificate probe fails while GitLab is not serving yet (first boot, reboot):
        // again 5 minutes later, rather than a day later.
        ...(probe === "certificate"
          ? ([
              ["Restart", "on-failure"],
              ["RestartSec", "300"],
            ] as const)
          : []),
      ],
    ],
  ]);
}

export function renderProbeTimer(probe: ProbeName): string {
  return unitFile([
    ["Unit", [["Description", `gitlab-dind probe: ${probe} (${PROBE_SCHEDULES[probe]})`]]],
    [
      "Timer",
      [
        ["OnCalendar", PROBE_SCHEDULES[probe]],
        // The daily and hourly probes also run once right after boot or installation.
        ["OnActiveSec", "60"],
        ["AccuracySec", "1s"],
        ["Unit", probeUnit(probe)],
      ],
    ],
    ["Install", [["WantedBy", "timers.target"]]],
  ]);
}

/**
 * The backup service's drop-in: after its ExecStart= succeeded (systemd runs ExecStartPost= only
 * then), touch the marker whose age the backup-age probe publishes. The backup's own files stay
 * as they are.
 */
export function renderBackupDropIn(): string {
  return unitFile([["Service", [["ExecStartPost", `/usr/bin/touch ${ALARM_HOST_PATHS.stateDir}/backup-succeeded`]]]]);
}

export interface AlarmHostFiles {
  readonly probeScript: string;
  readonly env: string;
  readonly agentConfig: string;
  readonly units: Readonly<Record<string, string>>;
  readonly backupDropIn: string | undefined;
  readonly probes: readonly ProbeName[];
}

export function renderAlarmHostFiles(s: AlarmHostSettings): AlarmHostFiles {
  const probes = probesOf(s);
  return {
    probeScript: probeScript(),
    env: renderAlarmEnv(s),
    agentConfig: renderAgentConfig(s),
    units: Object.fromEntries(
      probes.flatMap((p) => [
        [probeUnit(p), renderProbeService(p)],
        [probeTimer(p), renderProbeTimer(p)],
      ]),
    ),
    backupDropIn: s.backups ? renderBackupDropIn() : undefined,
    probes,
  };
}

const ALL_PROBES: readonly ProbeName[] = ["readiness", "backup-age", "certificate"];

/**
 * The installer (POSIX shell) the SSM document runs: installs the agent from the AMI's repository
 * when missing, writes each file through a temporary name and `mv`, (re)loads the agent with its
 * configuration, enables the probes' timers and disables those no longer wanted. File contents
 * travel base64-encoded in quoted here-documents: nothing in them is interpreted by the shell.
 */
export function renderAlarmInstaller(files: AlarmHostFiles): string {
  const write = (path: string, mode: string, content: string): string[] => [
    `base64 -d > '${path}.new' <<'GITLAB_DIND_FILE'`,
    ...(Buffer.from(content, "utf8")
      .toString("base64")
      .match(/.{1,76}/g) ?? []),
    "GITLAB_DIND_FILE",
    `chmod ${mode} '${path}.new'`,
    `mv -f '${path}.new' '${path}'`,
  ];
  const unused = ALL_PROBES.filter((p) => !files.probes.includes(p));
  return [
    "#!/bin/sh",
    "# Installs gitlab-dind's CloudWatch agent configuration and probes (run by an SSM State Manager association).",
    "set -eu",
    "umask 022",
    // Retried, as cloud-init retries Docker's install: a repository hiccup must not fail `pulumi up`.
    `rpm -q amazon-cloudwatch-agent openssl >/dev/null 2>&1 || for i in 1 2 3 4 5; do dnf install -y amazon-cloudwatch-agent openssl && break; [ "$i" = 5 ] && exit 1; sleep 10; done`,
    `install -d -m 0755 /etc/gitlab-dind /usr/local/sbin ${ALARM_HOST_PATHS.stateDir} /etc/systemd/system/${BACKUP_UNIT}.d`,
    // The backup-age probe counts from here until the first backup succeeds.
    `[ -e ${ALARM_HOST_PATHS.stateDir}/monitoring-since ] || touch ${ALARM_HOST_PATHS.stateDir}/monitoring-since`,
    ...write(ALARM_HOST_PATHS.probeScript, "0755", files.probeScript),
    ...write(ALARM_HOST_PATHS.env, "0644", files.env),
    ...write(ALARM_HOST_PATHS.agentConfig, "0644", files.agentConfig),
    ...Object.entries(files.units).flatMap(([name, text]) => write(`/etc/systemd/system/${name}`, "0644", text)),
    ...(files.backupDropIn === undefined
      ? [
          `rm -f '${ALARM_HOST_PATHS.backupDropIn}'`,
          // Backups off: turning them on later counts from then, not from an old success.
          `rm -f '${ALARM_HOST_PATHS.stateDir}/backup-succeeded' '${ALARM_HOST_PATHS.stateDir}/monitoring-since'`,
        ]
      : write(ALARM_HOST_PATHS.backupDropIn, "0644", files.backupDropIn)),
    ...unused.flatMap((p) => [
      `systemctl disable --now ${probeTimer(p)} 2>/dev/null || true`,
      `rm -f /etc/systemd/system/${probeTimer(p)} /etc/systemd/system/${probeUnit(p)}`,
    ]),
    "systemctl daemon-reload",
    `${AGENT_CTL} -a fetch-config -m ec2 -s -c file:${ALARM_HOST_PATHS.agentConfig}`,
    ...files.probes.flatMap((p) => [`systemctl enable ${probeTimer(p)}`, `systemctl restart ${probeTimer(p)}`]),
    `systemctl list-timers --all --no-pager 'gitlab-dind-probe-*'`,
    "",
  ].join("\n");
}

/** The SSM Command document (schema 2.2) that runs the installer. */
export function renderAlarmDocument(installer: string, team: string): string {
  return JSON.stringify(
    {
      schemaVersion: "2.2",
      description: `Installs the CloudWatch agent configuration and the probes of the gitlab-dind host of team ${team}.`,
      mainSteps: [
        {
          action: "aws:runShellScript",
          name: "installAlarmProbes",
          precondition: { StringEquals: ["platformType", "Linux"] },
          inputs: { timeoutSeconds: "600", runCommand: installer.split("\n") },
        },
      ],
    },
    null,
    2,
  );
}
