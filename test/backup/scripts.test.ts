/**
 * The backup and restore scripts, run for real by bash with stand-ins for `docker` and `aws` on
 * PATH that record their calls: the order of the steps, the SKIP= list, where the files go, the
 * version check, and that a failing step exits non-zero and deletes nothing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { haveTool } from "../support/tools";
import { BACKUP_SCRIPT, RESTORE_SCRIPT, STAND_INS, fakeHost, type FakeHost } from "./fake-host";

let host: FakeHost | undefined;
afterEach(() => {
  host?.remove();
  host = undefined;
});

const S3_ENV = (h: FakeHost) => ({
  BACKUP_TARGET: "s3://team-bucket/payments",
  BACKUP_REGION: "eu-central-1",
  HOST_BACKUP_DIR: h.backups,
  BACKUP_SKIP: "artifacts,registry",
  RESTORE_STAGING_DIR: join(h.dir, "staging"),
});

const ARCHIVE = "1764469800_2026_11_30_19.3.0_gitlab_backup.tar";
const ID = /^\d{8}T\d{6}Z_19\.3\.0$/;

/** Takes a backup to S3 and returns its id. */
function backupToS3(h: FakeHost): string {
  const r = h.run(BACKUP_SCRIPT, [], S3_ENV(h));
  expect(r.status, r.stderr).toBe(0);
  const folders = readdirSync(join(h.s3, "team-bucket", "payments"));
  expect(folders).toHaveLength(1);
  return folders[0];
}

describe("gitlab-dind-backup", () => {
  it("creates the backup with CRON=1 STRATEGY=copy and the SKIP list, uploads it with /etc/gitlab, then removes the local archive", () => {
    host = fakeHost();
    const h = host;
    const r = h.run(BACKUP_SCRIPT, [], S3_ENV(h));
    expect(r.status, r.stderr).toBe(0);

    const folder = readdirSync(join(h.s3, "team-bucket", "payments"))[0];
    expect(folder).toMatch(ID);
    expect(r.stdout.trim().split("\n").at(-1)).toBe(`BACKUP_LOCATION=s3://team-bucket/payments/${folder}/`);
    expect(readdirSync(join(h.s3, "team-bucket", "payments", folder)).sort()).toEqual([
      ARCHIVE,
      "gitlab-config.tar.gz",
    ]);
    // The tarball holds the secrets and gitlab.rb.
    const listing = spawnSync("tar", ["-tzf", join(h.s3, "team-bucket", "payments", folder, "gitlab-config.tar.gz")], {
      encoding: "utf8",
    }).stdout;
    expect(listing.split("\n").filter(Boolean).sort()).toEqual(["gitlab-secrets.json", "gitlab.rb"]);
    // Uploaded, then removed from the container's backup directory.
    expect(readdirSync(h.backups)).toEqual([]);

    const calls = h.calls().filter((c) => !c.startsWith("docker inspect") && !c.includes(" cat "));
    expect(calls).toEqual([
      "docker exec payments-gitlab find /var/opt/gitlab/backups -maxdepth 1 -name *_gitlab_backup.tar -printf %f\\n",
      "docker exec payments-gitlab gitlab-backup create CRON=1 STRATEGY=copy SKIP=artifacts,registry",
      "docker exec payments-gitlab find /var/opt/gitlab/backups -maxdepth 1 -name *_gitlab_backup.tar -printf %f\\n",
      expect.stringMatching(/^docker exec payments-gitlab sh -c cd \/etc\/gitlab && .*tar -czf - "\$@"$/),
      expect.stringMatching(
        new RegExp(
          `^aws s3 cp --region eu-central-1 --only-show-errors \\S+/gitlab-config.tar.gz s3://team-bucket/payments/${folder}/gitlab-config.tar.gz$`,
        ),
      ),
      `aws s3 cp --region eu-central-1 --only-show-errors ${h.backups}/${ARCHIVE} s3://team-bucket/payments/${folder}/${ARCHIVE}`,
      `docker exec payments-gitlab rm -f -- /var/opt/gitlab/backups/${ARCHIVE}`,
    ]);
    // Its own temporary copy of the secrets is gone.
    expect(readdirSync(join(h.dir, "tmp"))).toEqual([]);
  });

  it("passes no SKIP= when nothing is skipped", () => {
    host = fakeHost();
    const r = host.run(BACKUP_SCRIPT, [], { ...S3_ENV(host), BACKUP_SKIP: "" });
    expect(r.status, r.stderr).toBe(0);
    expect(host.calls()).toContain("docker exec payments-gitlab gitlab-backup create CRON=1 STRATEGY=copy");
  });

  it.each([
    ["gitlab-backup create", "gitlab-backup create"],
    ["the /etc/gitlab tarball", "sh -c"],
    ["the upload of the secrets", "aws s3 cp .*gitlab-config"],
    ["the upload of the archive", "aws s3 cp .*_gitlab_backup.tar"],
  ])("exits non-zero when %s fails, and deletes nothing", (_what, failing) => {
    host = fakeHost();
    const h = host;
    // An archive from an earlier run stays put too.
    writeFileSync(join(h.backups, "1700000000_2023_11_14_19.3.0_gitlab_backup.tar"), "older\n");
    const r = h.run(BACKUP_SCRIPT, [], { ...S3_ENV(h), FAKE_FAIL: failing });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/FAILED while .*; nothing was deleted/);
    expect(h.calls().some((c) => c.includes(" rm "))).toBe(false);
    expect(readdirSync(h.backups)).toContain("1700000000_2023_11_14_19.3.0_gitlab_backup.tar");
    if (failing !== "gitlab-backup create" && failing !== "sh -c") expect(readdirSync(h.backups)).toContain(ARCHIVE);
    expect(r.stdout).not.toMatch(/BACKUP_LOCATION=/);
    expect(readdirSync(join(h.dir, "tmp"))).toEqual([]);
  });

  it("names the backup after the GitLab version, with or without an edition suffix in VERSION", () => {
    host = fakeHost();
    writeFileSync(join(host.root, "opt", "gitlab", "embedded", "service", "gitlab-rails", "VERSION"), "19.3.0-ce\n");
    const r = host.run(BACKUP_SCRIPT, [], S3_ENV(host));
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(join(host.s3, "team-bucket", "payments"))[0]).toMatch(ID);
  });

  it("refuses a stopped container and a bad SKIP list before doing anything", () => {
    host = fakeHost();
    const stopped = host.run(BACKUP_SCRIPT, [], { ...S3_ENV(host), FAKE_RUNNING: "false" });
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toMatch(/container payments-gitlab is not running/);
    const bad = host.run(BACKUP_SCRIPT, [], { ...S3_ENV(host), BACKUP_SKIP: "db; rm -rf /" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/BACKUP_SKIP must be comma-separated component names/);
    expect(host.calls().some((c) => c.includes("gitlab-backup"))).toBe(false);
  });

  it("writes to a local directory (the local target) through docker cp", () => {
    host = fakeHost();
    const h = host;
    const target = join(h.dir, "backups", "laptop");
    const r = h.run(BACKUP_SCRIPT, [], { BACKUP_TARGET: target, BACKUP_SKIP: "registry" });
    expect(r.status, r.stderr).toBe(0);
    const folders = readdirSync(target);
    expect(folders).toHaveLength(1);
    expect(folders[0]).toMatch(ID);
    expect(readdirSync(join(target, folders[0])).sort()).toEqual([ARCHIVE, "gitlab-config.tar.gz"]);
    expect(readFileSync(join(target, folders[0], ARCHIVE), "utf8")).toBe("archive of GitLab 19.3.0\n");
    expect(h.calls()).toContain(
      `docker cp payments-gitlab:/var/opt/gitlab/backups/${ARCHIVE} ${target}/.${folders[0]}.partial/${ARCHIVE}`,
    );
    expect(h.calls().some((c) => c.startsWith("aws"))).toBe(false);
    expect(readdirSync(h.backups)).toEqual([]);
  });

  it("leaves no half-copied backup in the local directory when docker cp fails", () => {
    host = fakeHost();
    const target = join(host.dir, "backups", "laptop");
    const r = host.run(BACKUP_SCRIPT, [], { BACKUP_TARGET: target, FAKE_FAIL: "^docker cp" });
    expect(r.status).not.toBe(0);
    expect(readdirSync(target)).toEqual([]);
    expect(readdirSync(host.backups)).toEqual([ARCHIVE]);
  });
});

describe("gitlab-dind-restore", () => {
  it("lists complete backups only", () => {
    host = fakeHost();
    const h = host;
    const id = backupToS3(h);
    // An interrupted upload: the secrets without the archive.
    mkdirSync(join(h.s3, "team-bucket", "payments", "20261129T023000Z_19.3.0"), { recursive: true });
    writeFileSync(join(h.s3, "team-bucket", "payments", "20261129T023000Z_19.3.0", "gitlab-config.tar.gz"), "x");
    const r = h.run(RESTORE_SCRIPT, ["list"], S3_ENV(h));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${id} ${"archive of GitLab 19.3.0\n".length}\n`);
  });

  it("restores in GitLab's documented order", () => {
    host = fakeHost();
    const h = host;
    const id = backupToS3(h);
    // The new stack's GitLab has other secrets; the restore puts the backup's back.
    writeFileSync(join(h.root, "etc", "gitlab", "gitlab-secrets.json"), '{"gitlab_rails":{"db_key_base":"new"}}\n');
    h.clearCalls();

    const r = h.run(RESTORE_SCRIPT, ["restore", id], S3_ENV(h));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n").at(-1)).toBe(`RESTORED=${id}`);
    expect(readFileSync(join(h.root, "etc", "gitlab", "gitlab-secrets.json"), "utf8")).toContain('"old"');

    const steps = h.calls().filter((c) => !/^docker (inspect|exec \S+ cat )/.test(c) && !c.startsWith("aws s3 ls"));
    const name = ARCHIVE.replace(/_gitlab_backup\.tar$/, "");
    expect(steps).toEqual([
      expect.stringMatching(
        new RegExp(
          `^aws s3 cp --region eu-central-1 --only-show-errors --recursive s3://team-bucket/payments/${id}/ \\S+/staging/restore\\.\\w+/$`,
        ),
      ),
      "docker exec -i payments-gitlab tar -xzf - -C /etc/gitlab",
      "docker exec payments-gitlab gitlab-ctl reconfigure",
      "docker exec payments-gitlab gitlab-ctl stop puma",
      "docker exec payments-gitlab gitlab-ctl stop sidekiq",
      expect.stringMatching(
        new RegExp(`^docker cp \\S+/${ARCHIVE} payments-gitlab:/var/opt/gitlab/backups/${ARCHIVE}$`),
      ),
      `docker exec payments-gitlab chown git:git /var/opt/gitlab/backups/${ARCHIVE}`,
      `docker exec payments-gitlab gitlab-backup restore BACKUP=${name} force=yes`,
      "docker restart payments-gitlab",
      "docker exec payments-gitlab gitlab-rake gitlab:check SANITIZE=true",
      "docker exec payments-gitlab gitlab-rake gitlab:doctor:secrets",
    ]);
    // The downloaded copy is gone; the archive is in the container's backup directory.
    expect(readdirSync(join(h.dir, "staging"))).toEqual([]);
    expect(readdirSync(h.backups)).toEqual([ARCHIVE]);
  });

  it("refuses a backup of another GitLab version and says which image to run, before touching GitLab", () => {
    host = fakeHost("19.3.0");
    const h = host;
    const id = backupToS3(h);
    writeFileSync(join(h.root, "opt", "gitlab", "embedded", "service", "gitlab-rails", "VERSION"), "19.4.1\n");
    h.clearCalls();
    for (const command of ["check", "restore"]) {
      const r = h.run(RESTORE_SCRIPT, [command, id], { ...S3_ENV(h), FAKE_IMAGE: "gitlab/gitlab-ce:19.4.1-ce.0" });
      expect(r.status).toBe(3);
      expect(r.stderr).toContain(
        `backup ${id} was made by GitLab 19.3.0, the container runs GitLab 19.4.1. GitLab restores only into the same version: run gitlab/gitlab-ce:19.3.0-ce.0 first`,
      );
    }
    expect(h.calls().filter((c) => /gitlab-ctl|gitlab-backup|tar -x|docker cp|restart/.test(c))).toEqual([]);
  });

  it("says the versions match on check", () => {
    host = fakeHost();
    const id = backupToS3(host);
    const r = host.run(RESTORE_SCRIPT, ["check", id], S3_ENV(host));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("VERSION_MATCH=19.3.0");
  });

  it.each(["gitlab-ctl stop puma", "gitlab-backup restore", "gitlab:doctor:secrets"])(
    "exits non-zero when %s fails",
    (failing) => {
      host = fakeHost();
      const id = backupToS3(host);
      const r = host.run(RESTORE_SCRIPT, ["restore", id], { ...S3_ENV(host), FAKE_FAIL: failing });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/FAILED while /);
      expect(r.stdout).not.toMatch(/RESTORED=/);
      expect(readdirSync(join(host.dir, "staging"))).toEqual([]);
    },
  );

  it("refuses an unknown id and a malformed one", () => {
    host = fakeHost();
    backupToS3(host);
    const missing = host.run(RESTORE_SCRIPT, ["restore", "20200101T000000Z_19.3.0"], S3_ENV(host));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no complete backup 20200101T000000Z_19\.3\.0/);
    const bad = host.run(RESTORE_SCRIPT, ["restore", "../../etc"], S3_ENV(host));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/is not a backup id/);
    expect(host.run(RESTORE_SCRIPT, [], S3_ENV(host)).status).toBe(2);
  });

  it("restores from a local directory (the local target)", () => {
    host = fakeHost();
    const target = join(host.dir, "backups", "laptop");
    expect(host.run(BACKUP_SCRIPT, [], { BACKUP_TARGET: target }).status).toBe(0);
    const id = readdirSync(target)[0];
    const list = host.run(RESTORE_SCRIPT, ["list"], { BACKUP_TARGET: target });
    expect(list.stdout).toMatch(new RegExp(`^${id} \\d+\\n$`));
    const r = host.run(RESTORE_SCRIPT, ["restore", id], { BACKUP_TARGET: target });
    expect(r.status, r.stderr).toBe(0);
    expect(host.calls().some((c) => c.startsWith("aws"))).toBe(false);
    // The local backup itself stays.
    expect(existsSync(join(target, id, ARCHIVE))).toBe(true);
  });
});

describe("shellcheck", () => {
  it.skipIf(!haveTool("shellcheck"))("passes on the scripts and the stand-ins", () => {
    const r = spawnSync(
      "shellcheck",
      [BACKUP_SCRIPT, RESTORE_SCRIPT, join(STAND_INS, "docker"), join(STAND_INS, "aws")],
      {
        encoding: "utf8",
      },
    );
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
