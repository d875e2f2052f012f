/**
 * A fake GitLab host for the backup and restore scripts: a directory that plays the container's
 * filesystem, one that plays S3, and the stand-ins for `docker` and `aws` on PATH, which record
 * every call and run what they are given against those directories (stand-ins/docker says how).
 * Everything lives under one temporary directory that `remove()` deletes.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Outcome } from "./fake-ssm";

export const SCRIPTS = join(__dirname, "..", "..", "infra", "backup", "scripts");
export const BACKUP_SCRIPT = join(SCRIPTS, "gitlab-dind-backup.sh");
export const RESTORE_SCRIPT = join(SCRIPTS, "gitlab-dind-restore.sh");
export const STAND_INS = join(__dirname, "stand-ins");

/** The files of /etc/gitlab a GitLab container has after its first start, with their modes. */
export const ETC_GITLAB_FILES: ReadonlyArray<readonly [path: string, mode: number]> = [
  ["gitlab-secrets.json", 0o600],
  ["gitlab.rb", 0o600],
  ["ssh_host_rsa_key", 0o600],
  ["ssh_host_rsa_key.pub", 0o644],
  ["ssh_host_ecdsa_key", 0o600],
  ["ssh_host_ecdsa_key.pub", 0o644],
  ["ssh_host_ed25519_key", 0o600],
  ["ssh_host_ed25519_key.pub", 0o644],
  ["ssl/letsencrypt_account_private_key.pem", 0o600],
  ["ssl/gitlab.example.com.crt", 0o644],
  ["ssl/gitlab.example.com.key", 0o600],
];

/** What `ETC_GITLAB_FILES[path]` holds in a GitLab of `identity` (a new one gets new keys). */
export function etcGitlabContent(path: string, identity: string): string {
  return path === "gitlab-secrets.json"
    ? `{"gitlab_rails":{"db_key_base":"${identity}"}}\n`
    : path === "gitlab.rb"
      ? `# the image's template (${identity})\n`
      : `${identity}: ${path}\n`;
}

/**
 * Replaces the container's /etc/gitlab with that of a GitLab of `identity`, as the image's
 * init-container makes it on a first start (host keys 0600, their .pub 0644), plus an old
 * `gitlab-ctl backup-etc` archive in config_backup/ and an empty trusted-certs/.
 */
export function writeEtcGitlab(root: string, identity: string, options: { gitlabRb?: boolean } = {}): void {
  const etc = join(root, "etc", "gitlab");
  rmSync(etc, { recursive: true, force: true });
  mkdirSync(join(etc, "ssl"), { recursive: true });
  mkdirSync(join(etc, "trusted-certs"));
  mkdirSync(join(etc, "config_backup"), { mode: 0o700 });
  writeFileSync(join(etc, "config_backup", "gitlab_config_1764400000_2026_11_29.tar"), "an older backup-etc archive\n");
  for (const [path, mode] of ETC_GITLAB_FILES) {
    if (path === "gitlab.rb" && options.gitlabRb === false) continue;
    writeFileSync(join(etc, path), etcGitlabContent(path, identity));
    chmodSync(join(etc, path), mode);
  }
}

/** The EC2 host's directories that the installer and the SSM lines use, moved under `FakeHost.host`. */
const HOST_DIRS = ["/etc/gitlab-dind", "/etc/systemd/system", "/usr/local/sbin", "/var/log"];
const HOST_PATH = new RegExp(
  `(?<=^|[\\s'"=>(])(${HOST_DIRS.map((d) => d.replace(/[/]/g, "\\/")).join("|")})(?=/|[\\s'";)]|$)`,
  "gm",
);

export interface FakeHost {
  readonly dir: string;
  /**
   * The EC2 host's own files (what the installer writes, the restore's logs): /etc/gitlab-dind is
   * `${host}/etc/gitlab-dind`.
   */
  readonly host: string;
  /** The container's filesystem. */
  readonly root: string;
  /** S3: s3://bucket/key is `${s3}/bucket/key`. */
  readonly s3: string;
  /** The host directory mounted at /var/opt/gitlab/backups (the container's backups). */
  readonly backups: string;
  /** The environment every script run gets (PATH with the stand-ins first). */
  readonly env: NodeJS.ProcessEnv;
  /** The calls the stand-ins recorded, one per line (newlines as `\n`): `docker exec …`, `aws s3 cp …`. */
  calls(): string[];
  clearCalls(): void;
  run(
    script: string,
    args?: readonly string[],
    env?: NodeJS.ProcessEnv,
  ): { status: number; stdout: string; stderr: string };
  /**
   * Runs shell text as the EC2 host's /bin/sh would (the SSM document's installer, the lines of
   * `AWS-RunShellScript`), with the host's paths moved under `host` and stand-ins for systemctl
   * and journalctl: what SSM would report of it.
   */
  onHost(text: string, env?: NodeJS.ProcessEnv): Outcome;
  remove(): void;
}

export function fakeHost(version = "19.3.0"): FakeHost {
  const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-backup-test-"));
  const root = join(dir, "container");
  const s3 = join(dir, "s3");
  const backups = join(root, "var", "opt", "gitlab", "backups");
  const callsLog = join(dir, "calls.log");
  const host = join(dir, "host");
  // What any host has; the installer makes the rest.
  mkdirSync(join(host, "var", "log"), { recursive: true });
  mkdirSync(join(host, "etc", "systemd", "system"), { recursive: true });
  mkdirSync(backups, { recursive: true });
  writeEtcGitlab(root, "old");
  // The container's users, for its chown.
  writeFileSync(
    join(root, "etc", "passwd"),
    "root:x:0:0:root:/root:/bin/bash\ngit:x:998:998::/var/opt/gitlab:/bin/sh\n",
  );
  writeFileSync(join(root, "etc", "group"), "root:x:0:\ngit:x:998:\n");
  mkdirSync(join(root, "opt", "gitlab", "embedded", "service", "gitlab-rails"), { recursive: true });
  mkdirSync(join(s3, "team-bucket"), { recursive: true });
  mkdirSync(join(dir, "tmp"));
  writeFileSync(join(root, "opt", "gitlab", "embedded", "service", "gitlab-rails", "VERSION"), `${version}\n`);
  writeFileSync(callsLog, "");
  const env: NodeJS.ProcessEnv = {
    PATH: `${STAND_INS}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: dir,
    TMPDIR: join(dir, "tmp"),
    CALLS_LOG: callsLog,
    FAKE_ROOT: root,
    FAKE_HOST_ROOT: host,
    FAKE_S3: s3,
    FAKE_IMAGE: `gitlab/gitlab-ce:${version}-ce.0`,
    GITLAB_CONTAINER: "payments-gitlab",
  };
  return {
    dir,
    host,
    root,
    s3,
    backups,
    env,
    calls: () =>
      readFileSync(callsLog, "utf8")
        .split("\n")
        .filter((l) => l !== ""),
    clearCalls: () => writeFileSync(callsLog, ""),
    run(script, args = [], extra = {}) {
      const r = spawnSync("bash", [script, ...args], { env: { ...env, ...extra }, encoding: "utf8" });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    onHost(text, extra = {}) {
      const script = text.replace(HOST_PATH, (path: string) => `${host}${path}`);
      const r = spawnSync("sh", ["-c", script], {
        env: { ...env, PATH: `${join(STAND_INS, "host")}:${env.PATH}`, ...extra },
        encoding: "utf8",
      });
      return {
        status: r.status === 0 ? "Success" : "Failed",
        exitCode: r.status ?? -1,
        stdout: r.stdout,
        stderr: r.stderr,
      };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
