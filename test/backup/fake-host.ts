/**
 * A fake GitLab host for the backup and restore scripts: a directory that plays the container's
 * filesystem, one that plays S3, and the stand-ins for `docker` and `aws` on PATH, which record
 * every call. Everything lives under one temporary directory that `remove()` deletes.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SCRIPTS = join(__dirname, "..", "..", "infra", "backup", "scripts");
export const BACKUP_SCRIPT = join(SCRIPTS, "gitlab-dind-backup.sh");
export const RESTORE_SCRIPT = join(SCRIPTS, "gitlab-dind-restore.sh");
export const STAND_INS = join(__dirname, "stand-ins");

export interface FakeHost {
  readonly dir: string;
  /** The container's filesystem. */
  readonly root: string;
  /** S3: s3://bucket/key is `${s3}/bucket/key`. */
  readonly s3: string;
  /** The host directory mounted at /var/opt/gitlab/backups (the container's backups). */
  readonly backups: string;
  /** The environment every script run gets (PATH with the stand-ins first). */
  readonly env: NodeJS.ProcessEnv;
  /** The calls the stand-ins recorded, one per line: `docker exec …`, `aws s3 cp …`. */
  calls(): string[];
  clearCalls(): void;
  run(
    script: string,
    args?: readonly string[],
    env?: NodeJS.ProcessEnv,
  ): { status: number; stdout: string; stderr: string };
  remove(): void;
}

export function fakeHost(version = "19.3.0"): FakeHost {
  const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-backup-test-"));
  const root = join(dir, "container");
  const s3 = join(dir, "s3");
  const backups = join(root, "var", "opt", "gitlab", "backups");
  const callsLog = join(dir, "calls.log");
  mkdirSync(backups, { recursive: true });
  mkdirSync(join(root, "etc", "gitlab"), { recursive: true });
  mkdirSync(join(root, "opt", "gitlab", "embedded", "service", "gitlab-rails"), { recursive: true });
  mkdirSync(join(s3, "team-bucket"), { recursive: true });
  mkdirSync(join(dir, "tmp"));
  writeFileSync(join(root, "opt", "gitlab", "embedded", "service", "gitlab-rails", "VERSION"), `${version}\n`);
  writeFileSync(join(root, "etc", "gitlab", "gitlab-secrets.json"), '{"gitlab_rails":{"db_key_base":"old"}}\n');
  writeFileSync(join(root, "etc", "gitlab", "gitlab.rb"), "# the image's template\n");
  writeFileSync(callsLog, "");
  const env: NodeJS.ProcessEnv = {
    PATH: `${STAND_INS}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: dir,
    TMPDIR: join(dir, "tmp"),
    CALLS_LOG: callsLog,
    FAKE_ROOT: root,
    FAKE_S3: s3,
    FAKE_IMAGE: `gitlab/gitlab-ce:${version}-ce.0`,
    GITLAB_CONTAINER: "payments-gitlab",
  };
  return {
    dir,
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
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
