/**
 * The backup and restore scripts, run for real by bash with stand-ins for `docker` and `aws` on
 * PATH that record their calls and run what they are given against a fake container root and a
 * fake S3 (so the scripts' own commands build and unpack the archives): the order of the steps,
 * the SKIP= list, where the files go, what of /etc/gitlab is saved and put back (all of it; a
 * drill takes only gitlab-secrets.json), the version check, and that a failing step exits
 * non-zero and deletes nothing.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { haveTool } from "../support/tools";
import {
  BACKUP_SCRIPT,
  ETC_GITLAB_FILES,
  RESTORE_SCRIPT,
  STAND_INS,
  etcGitlabContent,
  fakeHost,
  writeEtcGitlab,
  type FakeHost,
} from "./fake-host";

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

/** The permission bits of a file. */
const modeOf = (path: string): number => statSync(path).mode & 0o777;

/** Each file of the container's /etc/gitlab that ETC_GITLAB_FILES names: its content and mode. */
function etcGitlab(h: FakeHost): Record<string, { content: string; mode: number } | undefined> {
  return Object.fromEntries(
    ETC_GITLAB_FILES.map(([path]) => {
      const file = join(h.root, "etc", "gitlab", path);
      return [path, existsSync(file) ? { content: readFileSync(file, "utf8"), mode: modeOf(file) } : undefined];
    }),
  );
}

/** What ETC_GITLAB_FILES hold in a GitLab of `identity`, with their modes. */
function etcGitlabOf(identity: string): Record<string, { content: string; mode: number }> {
  return Object.fromEntries(
    ETC_GITLAB_FILES.map(([path, mode]) => [path, { content: etcGitlabContent(path, identity), mode }]),
  );
}

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
    // The tarball holds all of /etc/gitlab but config_backup/ (what `gitlab-ctl backup-etc` leaves).
    const listing = spawnSync("tar", ["-tzf", join(h.s3, "team-bucket", "payments", folder, "gitlab-config.tar.gz")], {
      encoding: "utf8",
    }).stdout;
    expect(listing.split("\n").filter(Boolean).sort()).toEqual(
      [...ETC_GITLAB_FILES.map(([path]) => path), "ssl/", "trusted-certs/"].sort(),
    );
    expect(r.stdout).toMatch(/packed \/etc\/gitlab: .*gitlab-secrets\.json.*ssh_host_ed25519_key .*ssl\//);
    // Uploaded, then removed from the container's backup directory.
    expect(readdirSync(h.backups)).toEqual([]);

    const calls = h.calls().filter((c) => !c.startsWith("docker inspect") && !c.includes(" cat "));
    expect(calls).toEqual([
      "docker exec payments-gitlab find /var/opt/gitlab/backups -maxdepth 1 -name *_gitlab_backup.tar -printf %f\\n",
      "docker exec payments-gitlab gitlab-backup create CRON=1 STRATEGY=copy SKIP=artifacts,registry",
      "docker exec payments-gitlab find /var/opt/gitlab/backups -maxdepth 1 -name *_gitlab_backup.tar -printf %f\\n",
      expect.stringMatching(
        /^docker exec payments-gitlab sh -c cd \/etc\/gitlab \|\| exit 1\\n.*\\nexec tar -czf - -- "\$@"$/,
      ),
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
    ["with gitlab.rb", true],
    ["without gitlab.rb", false],
  ])(
    "saves the container's /etc/gitlab (%s) as it is there, contents and modes, with the script's own command",
    (_what, gitlabRb) => {
      host = fakeHost();
      const h = host;
      writeEtcGitlab(h.root, "payments", { gitlabRb });
      const id = backupToS3(h);
      const out = join(h.dir, "unpacked");
      mkdirSync(out);
      const x = spawnSync(
        "tar",
        ["-xzpf", join(h.s3, "team-bucket", "payments", id, "gitlab-config.tar.gz"), "-C", out],
        {
          encoding: "utf8",
        },
      );
      expect(x.status, x.stderr).toBe(0);
      for (const [path, mode] of ETC_GITLAB_FILES) {
        if (path === "gitlab.rb" && !gitlabRb) {
          expect(existsSync(join(out, path))).toBe(false);
          continue;
        }
        expect(readFileSync(join(out, path), "utf8"), path).toBe(etcGitlabContent(path, "payments"));
        expect(modeOf(join(out, path)).toString(8), path).toBe(mode.toString(8));
      }
      expect(existsSync(join(out, "config_backup"))).toBe(false);
    },
  );

  it("fails, naming it, when the container has no gitlab-secrets.json, and uploads and deletes nothing", () => {
    host = fakeHost();
    const h = host;
    rmSync(join(h.root, "etc", "gitlab", "gitlab-secrets.json"));
    const r = h.run(BACKUP_SCRIPT, [], S3_ENV(h));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("/etc/gitlab/gitlab-secrets.json does not exist");
    expect(r.stderr).toMatch(/FAILED while packing \/etc\/gitlab \(exit 1\); nothing was deleted/);
    expect(readdirSync(h.backups)).toEqual([ARCHIVE]);
    expect(readdirSync(join(h.s3, "team-bucket"))).toEqual([]);
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
      "docker exec -i payments-gitlab tar -xzpf - -C /etc/gitlab --anchored --exclude=gitlab.rb",
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
    // Reconfigure read the backup's secrets; gitlab-backup restored the backup's archive.
    expect(readFileSync(join(h.root, ".fake-state", "reconfigured-with-secrets.json"), "utf8")).toBe(
      etcGitlabContent("gitlab-secrets.json", "old"),
    );
    expect(readFileSync(join(h.root, ".fake-state", "restored-archive"), "utf8")).toBe("archive of GitLab 19.3.0\n");
  });

  it("puts /etc/gitlab back before reconfiguring: the backup's SSH host keys (0600) and ssl/, not the rebuilt container's; never its gitlab.rb", () => {
    host = fakeHost();
    const h = host;
    const asRoot = process.getuid?.() === 0;
    const owned = join(h.root, "etc", "gitlab", "ssh_host_ed25519_key");
    if (asRoot) chownSync(owned, 4242, 4243);
    const id = backupToS3(h);
    // The rebuilt host's new container made keys of its own on its first start; one is readable.
    writeEtcGitlab(h.root, "new");
    chmodSync(join(h.root, "etc", "gitlab", "ssh_host_rsa_key"), 0o644);
    expect(etcGitlab(h)["ssh_host_rsa_key"]).toEqual({ content: "new: ssh_host_rsa_key\n", mode: 0o644 });

    const r = h.run(RESTORE_SCRIPT, ["restore", id], S3_ENV(h));
    expect(r.status, r.stderr).toBe(0);
    // All of the backup's /etc/gitlab but gitlab.rb: Ruby every reconfigure runs as root, which a
    // compromised host could have written into the backup; the container keeps its own.
    expect(etcGitlab(h)).toEqual({ ...etcGitlabOf("old"), "gitlab.rb": etcGitlabOf("new")["gitlab.rb"] });
    // Owners come back too (the scripts' tar runs as root in the container; here when the tests do).
    if (asRoot) expect([statSync(owned).uid, statSync(owned).gid]).toEqual([4242, 4243]);
    expect(readFileSync(join(h.root, ".fake-state", "reconfigured-with-secrets.json"), "utf8")).toBe(
      etcGitlabContent("gitlab-secrets.json", "old"),
    );
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

describe("gitlab-dind-restore, a drill (RESTORE_FROM: another team's backups)", () => {
  /** The drill stack's settings: its own (empty) target, and production's backups to read. */
  const DRILL_ENV = (h: FakeHost) => ({
    BACKUP_REGION: "eu-central-1",
    RESTORE_STAGING_DIR: join(h.dir, "staging"),
    RESTORE_FROM: "s3://team-bucket/payments",
    // The drill host's role may only read there.
    FAKE_S3_READONLY: "s3://team-bucket/payments",
  });
  /** Every file of the fake S3 with its content. */
  const s3Files = (h: FakeHost): Record<string, string> =>
    Object.fromEntries(
      (readdirSync(h.s3, { recursive: true }) as string[])
        .filter((f) => statSync(join(h.s3, f)).isFile())
        .map((f) => [f, readFileSync(join(h.s3, f), "latin1")]),
    );

  it("lists and checks the other team's backups instead of BACKUP_TARGET's", () => {
    host = fakeHost();
    const h = host;
    const id = backupToS3(h);
    for (const env of [DRILL_ENV(h), { ...DRILL_ENV(h), BACKUP_TARGET: "s3://drill-bucket/payments-drill" }]) {
      const list = h.run(RESTORE_SCRIPT, ["list"], env);
      expect(list.status, list.stderr).toBe(0);
      expect(list.stdout).toBe(`${id} ${"archive of GitLab 19.3.0\n".length}\n`);
      const check = h.run(RESTORE_SCRIPT, ["check", id], env);
      expect(check.status, check.stderr).toBe(0);
      expect(check.stdout).toContain("VERSION_MATCH=19.3.0");
    }
    expect(h.calls().filter((c) => c.startsWith("aws s3 ls"))).toEqual(
      Array(4).fill("aws s3 ls --region eu-central-1 --recursive s3://team-bucket/payments/"),
    );
  });

  it("takes only its gitlab-secrets.json: the drill keeps its own SSH host keys, ssl/ and gitlab.rb, and writes nothing there", () => {
    host = fakeHost();
    const h = host;
    const id = backupToS3(h);
    const production = s3Files(h);
    writeEtcGitlab(h.root, "drill");
    h.clearCalls();

    const r = h.run(RESTORE_SCRIPT, ["restore", id], {
      ...DRILL_ENV(h),
      BACKUP_TARGET: "s3://drill-bucket/payments-drill",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`RESTORED=${id}`);
    expect(r.stdout).toContain("a drill from s3://team-bucket/payments/: putting back its gitlab-secrets.json only");
    expect(etcGitlab(h)).toEqual({
      ...etcGitlabOf("drill"),
      "gitlab-secrets.json": etcGitlabOf("old")["gitlab-secrets.json"],
    });
    expect(readFileSync(join(h.root, ".fake-state", "reconfigured-with-secrets.json"), "utf8")).toBe(
      etcGitlabContent("gitlab-secrets.json", "old"),
    );
    expect(readFileSync(join(h.root, ".fake-state", "restored-archive"), "utf8")).toBe("archive of GitLab 19.3.0\n");
    expect(h.calls()).toContain("docker exec -i payments-gitlab tar -xzpf - -C /etc/gitlab gitlab-secrets.json");
    // Only reads of production's prefix: nothing written, nothing changed.
    expect(h.calls().filter((c) => c.startsWith("aws"))).toEqual([
      "aws s3 ls --region eu-central-1 --recursive s3://team-bucket/payments/",
      expect.stringMatching(
        new RegExp(
          `^aws s3 cp --region eu-central-1 --only-show-errors --recursive s3://team-bucket/payments/${id}/ \\S+/staging/restore\\.\\w+/$`,
        ),
      ),
    ]);
    expect(s3Files(h)).toEqual(production);
  });
});

describe("the stand-ins", () => {
  const run = (h: FakeHost, tool: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(join(STAND_INS, tool), args, { env: { ...h.env, ...env }, encoding: "utf8" });

  it("docker exec runs the command in the fake container root, its paths moved there", () => {
    host = fakeHost();
    const h = host;
    expect(run(h, "docker", ["exec", "payments-gitlab", "cat", "/etc/gitlab/gitlab.rb"]).stdout).toBe(
      etcGitlabContent("gitlab.rb", "old"),
    );
    const sh = run(h, "docker", [
      "exec",
      "payments-gitlab",
      "sh",
      "-c",
      'cd /etc/gitlab && ls -d ssl && ls -d "/var/opt/gitlab/backups" && ls /etcetera',
    ]);
    expect(sh.stdout).toBe(`ssl\n${h.backups}\n`);
    expect(sh.stderr).toMatch(/'\/etcetera'/);
    // The container's own commands come first, the docker and aws stand-ins never.
    const path = run(h, "docker", [
      "exec",
      "payments-gitlab",
      "sh",
      "-c",
      "command -v gitlab-ctl; command -v docker aws; true",
    ]);
    expect(path.stdout.split("\n")[0]).toBe(join(STAND_INS, "container", "gitlab-ctl"));
    expect(path.stdout).not.toContain(join(STAND_INS, "docker"));
    expect(path.stdout).not.toContain(join(STAND_INS, "aws"));
    expect(run(h, "docker", ["exec", "payments-gitlab", "sh", "-c", "umask"]).stdout).toBe("0022\n");
  });

  it("docker refuses what it cannot play, loudly", () => {
    host = fakeHost();
    const h = host;
    for (const [args, status, message] of [
      [["exec", "-u", "git", "payments-gitlab", "id"], 2, /cannot play: docker exec option -u/],
      [["exec", "other-gitlab", "true"], 2, /cannot play: no container 'other-gitlab'/],
      [["exec", "payments-gitlab", "gitlab-ctl", "restart"], 2, /gitlab-ctl \(stand-in\): cannot play: restart/],
      [
        ["exec", "payments-gitlab", "gitlab-rake", "db:migrate"],
        2,
        /gitlab-rake \(stand-in\): cannot play: db:migrate/,
      ],
      [["exec", "payments-gitlab", "gitlab-backup", "create", "BACKUP=x"], 2, /cannot play: create BACKUP=x/],
      [["exec", "payments-gitlab", "chown", "nobody:nogroup", "/etc/gitlab/gitlab.rb"], 1, /invalid user/],
      [["cp", "payments-gitlab:etc/gitlab", "/tmp/x"], 2, /needs an absolute container path/],
      [["run", "alpine"], 2, /cannot play: docker run alpine/],
    ] as const) {
      const r = run(h, "docker", args);
      expect(r.status, args.join(" ")).toBe(status);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
  });

  it("aws refuses a write under FAKE_S3_READONLY, as the drill host's role does", () => {
    host = fakeHost();
    const h = host;
    const file = join(h.dir, "f");
    writeFileSync(file, "x");
    const env = { FAKE_S3_READONLY: "s3://team-bucket/payments" };
    const denied = run(h, "aws", ["s3", "cp", file, "s3://team-bucket/payments/x"], env);
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/AccessDenied/);
    expect(run(h, "aws", ["s3", "cp", file, "s3://team-bucket/payments-drill/x"], env).status).toBe(0);
  });
});

describe("shellcheck", () => {
  it.skipIf(!haveTool("shellcheck"))(
    "passes on the scripts and the stand-ins (docker, aws, the container's, the host's)",
    () => {
      const r = spawnSync(
        "shellcheck",
        [
          BACKUP_SCRIPT,
          RESTORE_SCRIPT,
          join(STAND_INS, "docker"),
          join(STAND_INS, "aws"),
          ...["container", "host"].flatMap((d) => readdirSync(join(STAND_INS, d)).map((f) => join(STAND_INS, d, f))),
        ],
        {
          encoding: "utf8",
        },
      );
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    },
  );
});
