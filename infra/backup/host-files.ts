/**
 * What the AWS host needs for its scheduled backups, as pure functions of plain values: the
 * backup and restore scripts (fixed text, infra/backup/scripts/), their settings file, the
 * systemd service and timer, and the installer the SSM document runs to put them in place.
 *
 * None of it is in the instance's user data: a change of `backup.*` re-runs the installer
 * (an SSM State Manager association) and never replaces the instance.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Where the installer puts each file on the host. */
export const HOST_PATHS = {
  backupScript: "/usr/local/sbin/gitlab-dind-backup",
  restoreScript: "/usr/local/sbin/gitlab-dind-restore",
  env: "/etc/gitlab-dind/backup.env",
  service: "/etc/systemd/system/gitlab-dind-backup.service",
  timer: "/etc/systemd/system/gitlab-dind-backup.timer",
} as const;
export const BACKUP_UNIT = "gitlab-dind-backup.service";
export const BACKUP_TIMER = "gitlab-dind-backup.timer";

const SCRIPTS_DIR = join(__dirname, "scripts");
/** The backup script, as the host and `npm run backup` run it. */
export const BACKUP_SCRIPT_FILE = join(SCRIPTS_DIR, "gitlab-dind-backup.sh");
/** The restore script, as the host and `npm run restore` run it. */
export const RESTORE_SCRIPT_FILE = join(SCRIPTS_DIR, "gitlab-dind-restore.sh");

export function backupScript(): string {
  return readFileSync(BACKUP_SCRIPT_FILE, "utf8");
}
export function restoreScript(): string {
  return readFileSync(RESTORE_SCRIPT_FILE, "utf8");
}

export interface BackupSettings {
  /** The GitLab container's name. */
  readonly container: string;
  /** The bucket the host uploads to. */
  readonly bucket: string;
  /** The prefix inside it: the team. */
  readonly prefix: string;
  /** The bucket's region. */
  readonly region: string;
  /** `gitlab-backup create SKIP=` components. */
  readonly skip: readonly string[];
  /** The host directory mounted at the container's /var/opt/gitlab/backups. */
  readonly hostBackupDir: string;
  /** Where a restore downloads a backup (a directory on the data volume). */
  readonly restoreStagingDir: string;
  /**
   * A drill's restore source, `s3://<bucket>/<team>` (`backup.restoreFrom`): the restore reads from
   * there instead of BACKUP_TARGET. Default unset (no RESTORE_FROM line).
   */
  readonly restoreFrom?: string;
}

const SAFE_VALUE = /^[A-Za-z0-9_.,:/@+=-]*$/;

/**
 * The settings file both scripts read (systemd's EnvironmentFile=, and `. file` in a shell).
 * Values are checked to need no quoting in either, so the file means the same to both.
 */
export function renderBackupEnv(s: BackupSettings): string {
  const values: Array<[string, string]> = [
    ["GITLAB_CONTAINER", s.container],
    ["BACKUP_TARGET", `s3://${s.bucket}/${s.prefix}`],
    ["BACKUP_REGION", s.region],
    ["BACKUP_SKIP", s.skip.join(",")],
    ["HOST_BACKUP_DIR", s.hostBackupDir],
    ["RESTORE_STAGING_DIR", s.restoreStagingDir],
    ...(s.restoreFrom === undefined ? [] : [["RESTORE_FROM", s.restoreFrom] as [string, string]]),
  ];
  const bad = values.filter(([, v]) => !SAFE_VALUE.test(v)).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  if (bad.length > 0)
    throw new Error(`backup settings: values with characters a settings file cannot hold: ${bad.join(", ")}`);
  return (
    [
      "# Written by gitlab-dind (SSM association); read by gitlab-dind-backup and gitlab-dind-restore.",
      ...values.map(([k, v]) => `${k}=${v}`),
    ].join("\n") + "\n"
  );
}

/** A systemd unit file from sections of `Key=Value` lines; refuses a value that would break a line. */
export function unitFile(sections: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, string]>]>): string {
  return (
    sections
      .map(([section, entries]) => {
        for (const [key, value] of entries) {
          if (/[\n\r\\]/.test(value) || value.trim() !== value)
            throw new Error(`systemd unit: ${key}=${JSON.stringify(value)} cannot be written on one line`);
        }
        return [`[${section}]`, ...entries.map(([k, v]) => `${k}=${v}`)].join("\n");
      })
      .join("\n\n") + "\n"
  );
}

export function renderServiceUnit(): string {
  return unitFile([
    [
      "Unit",
      [
        ["Description", "GitLab backup to S3 with its secrets (gitlab-dind)"],
        ["Wants", "network-online.target"],
        ["After", "network-online.target docker.service"],
        ["Requires", "docker.service"],
      ],
    ],
    [
      "Service",
      [
        // oneshot: `systemctl start` waits until the backup is done, and a timer never starts a
        // second one while the first still runs.
        ["Type", "oneshot"],
        ["EnvironmentFile", HOST_PATHS.env],
        ["ExecStart", HOST_PATHS.backupScript],
        ["Nice", "10"],
        ["IOSchedulingClass", "best-effort"],
        ["IOSchedulingPriority", "7"],
      ],
    ],
  ]);
}

export function renderTimerUnit(schedule: string): string {
  return unitFile([
    ["Unit", [["Description", "Scheduled GitLab backup (gitlab-dind)"]]],
    [
      "Timer",
      [
        ["OnCalendar", schedule],
        // A run missed while the host was off happens at the next boot.
        ["Persistent", "true"],
        ["Unit", BACKUP_UNIT],
      ],
    ],
    ["Install", [["WantedBy", "timers.target"]]],
  ]);
}

export interface HostFiles {
  readonly backupScript: string;
  readonly restoreScript: string;
  readonly env: string;
  readonly service: string;
  readonly timer: string;
}

export function renderHostFiles(settings: BackupSettings, schedule: string): HostFiles {
  return {
    backupScript: backupScript(),
    restoreScript: restoreScript(),
    env: renderBackupEnv(settings),
    service: renderServiceUnit(),
    timer: renderTimerUnit(schedule),
  };
}

/**
 * The installer (POSIX shell) the SSM document runs on the host: writes each file through a
 * temporary name and `mv` (a running backup keeps its old script), reloads systemd, and
 * (re)starts the timer so a new schedule applies at once. File contents travel base64-encoded in
 * quoted here-documents: nothing in them is ever interpreted by the installer's shell.
 */
export function renderInstaller(files: HostFiles): string {
  const write = (path: string, mode: string, content: string): string[] => {
    const b64 =
      Buffer.from(content, "utf8")
        .toString("base64")
        .match(/.{1,76}/g) ?? [];
    return [
      `base64 -d > '${path}.new' <<'GITLAB_DIND_FILE'`,
      ...b64,
      "GITLAB_DIND_FILE",
      `chmod ${mode} '${path}.new'`,
      `mv -f '${path}.new' '${path}'`,
    ];
  };
  return [
    "#!/bin/sh",
    "# Installs gitlab-dind's backup timer (run by an SSM State Manager association).",
    "set -eu",
    "umask 022",
    "install -d -m 0755 /etc/gitlab-dind /usr/local/sbin",
    ...write(HOST_PATHS.backupScript, "0755", files.backupScript),
    ...write(HOST_PATHS.restoreScript, "0755", files.restoreScript),
    ...write(HOST_PATHS.env, "0644", files.env),
    ...write(HOST_PATHS.service, "0644", files.service),
    ...write(HOST_PATHS.timer, "0644", files.timer),
    "systemctl daemon-reload",
    `systemctl enable ${BACKUP_TIMER}`,
    `systemctl restart ${BACKUP_TIMER}`,
    `systemctl list-timers --all --no-pager ${BACKUP_TIMER}`,
    "",
  ].join("\n");
}

/** The SSM Command document (schema 2.2) that runs the installer. */
export function renderInstallDocument(installer: string, team: string): string {
  return JSON.stringify(
    {
      schemaVersion: "2.2",
      description: `Installs the scheduled GitLab backup of the gitlab-dind host of team ${team} (timer, scripts, settings).`,
      mainSteps: [
        {
          action: "aws:runShellScript",
          name: "installBackupTimer",
          precondition: { StringEquals: ["platformType", "Linux"] },
          inputs: { timeoutSeconds: "300", runCommand: installer.split("\n") },
        },
      ],
    },
    null,
    2,
  );
}
