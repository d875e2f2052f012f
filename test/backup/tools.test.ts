/**
 * `npm run backup` and `npm run restore`: the command line, the SSM path against a local server
 * speaking the SSM JSON protocol (the SDK's own client, its endpoint overridden and fake
 * credentials from the environment, as a user would set them), and the local target through the
 * real scripts with docker stand-ins.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { renderHostFiles, renderInstaller, type BackupSettings } from "../../infra/backup/host-files";
import { hostCommands, main, type Deps } from "../../tools/backup/main";
import { haveTool } from "../support/tools";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { CommandResult } from "../../tools/smoke/stack-outputs";
import { etcGitlabContent, fakeHost, writeEtcGitlab, type FakeHost } from "./fake-host";
import { fakeSsm, type FakeSsm, type Outcome } from "./fake-ssm";

const ROOT = join(__dirname, "..", "..");
const ID = "20261130T023000Z_19.3.0";

const AWS_OUTPUTS = {
  team: "dev",
  target: "aws",
  awsRegion: "eu-central-1",
  instanceId: "i-0a1b2c3d4e5f60718",
  backupBucket: "dev-gitlab-backups-5eed0000",
  backupTarget: "s3://dev-gitlab-backups-5eed0000/dev",
  gitlabContainer: "dev-gitlab",
  gitlabImage: "gitlab/gitlab-ce:19.3.0-ce.0",
  adminToken: "[secret]",
};

interface Captured {
  readonly out: string[];
  readonly err: string[];
  readonly pulumiCalls: string[][];
}

function deps(
  outputs: Record<string, unknown>,
  extra: Partial<Deps> = {},
  answer?: string,
): { deps: Deps; seen: Captured } {
  const seen: Captured = { out: [], err: [], pulumiCalls: [] };
  const run = (command: string, args: readonly string[]): Promise<CommandResult> => {
    seen.pulumiCalls.push([command, ...args]);
    return Promise.resolve({ code: 0, stdout: JSON.stringify(outputs), stderr: "" });
  };
  return {
    seen,
    deps: {
      env: { PATH: process.env.PATH },
      cwd: ROOT,
      io: {
        out: (l) => seen.out.push(l),
        err: (l) => seen.err.push(l),
        ask: answer === undefined ? undefined : () => Promise.resolve(answer),
      },
      stackOptions: { run, cli: "pulumi" },
      follow: { pollMs: 0, sleep: () => Promise.resolve() },
      ...extra,
    },
  };
}

describe("the command line", () => {
  // The suite's one real run of each command, as a user types it.
  it.each(["backup", "restore"])("npm run %s without --stack exits 1 with a usage line", (command) => {
    const r = spawnSync("npm", ["run", "-s", command], { encoding: "utf8", cwd: ROOT });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error: --stack <name> is required");
    expect(r.stderr).toContain(`usage: npm run ${command} -- --stack <name>`);
  });

  it("refuses a malformed backup id, naming the flag", async () => {
    const { deps: d, seen } = deps(AWS_OUTPUTS);
    expect(await main("restore", ["--stack", "dev", "--backup", "latest"], d)).toBe(1);
    expect(seen.err[0]).toMatch(/--backup expects a backup id such as 20261130T023000Z_19\.3\.0/);
    expect(seen.pulumiCalls).toEqual([]);
  });
});

describe("the aws target, through SSM Run Command", () => {
  let ssm: FakeSsm | undefined;
  const saved: Record<string, string | undefined> = {};
  const ENV = {
    AWS_ACCESS_KEY_ID: "AKIDFAKEFORTESTS0001",
    AWS_SECRET_ACCESS_KEY: "fake-secret-for-tests",
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_CONFIG_FILE: "/nonexistent/gitlab-dind-test/config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/gitlab-dind-test/credentials",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  let outcome: (script: string) => Outcome = () => ({ status: "Success", exitCode: 0, stdout: "" });

  beforeAll(async () => {
    ssm = await fakeSsm((script) => outcome(script));
    for (const [k, v] of Object.entries({ ...ENV, AWS_ENDPOINT_URL_SSM: ssm.url })) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await ssm?.close();
  });
  afterEach(() => {
    ssm?.requests.splice(0);
    ssm?.operations.splice(0);
  });

  it("backup: starts the host's backup service, follows it until done, and prints where it went", async () => {
    outcome = () => ({
      status: "Success",
      exitCode: 0,
      stdout: `2026-11-30T02:30:00Z gitlab-dind-backup: GitLab 19.3.0: gitlab-backup create CRON=1 STRATEGY=copy\nBACKUP_LOCATION=s3://dev-gitlab-backups-5eed0000/dev/${ID}/\n`,
    });
    const { deps: d, seen } = deps(AWS_OUTPUTS);
    expect(await main("backup", ["--stack", "dev"], d)).toBe(0);

    // Outputs read without secrets.
    expect(seen.pulumiCalls).toEqual([["pulumi", "stack", "output", "--json", "--stack", "dev"]]);
    expect(ssm?.operations).toEqual([
      "SendCommand",
      "GetCommandInvocation",
      "GetCommandInvocation",
      "GetCommandInvocation",
    ]);
    const sent = ssm?.requests[0];
    expect(sent?.target).toBe("AmazonSSM.SendCommand");
    expect(sent?.authorization).toMatch(/Credential=AKIDFAKEFORTESTS0001\/\d{8}\/eu-central-1\/ssm\/aws4_request/);
    expect(sent?.body).toMatchObject({ DocumentName: "AWS-RunShellScript", InstanceIds: ["i-0a1b2c3d4e5f60718"] });
    expect(sent?.body.Parameters.commands).toContain("systemctl start gitlab-dind-backup.service || status=$?");
    expect(seen.out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^Backing up GitLab of stack dev \(container dev-gitlab\) on instance i-0a1b2c3d4e5f60718/,
        ),
        expect.stringMatching(/^ {2}SSM command c0ffee00-\S+ sent to i-0a1b2c3d4e5f60718$/),
        expect.stringMatching(/^ {2}inprogress on the host \(\d+s\)$/),
        expect.stringMatching(/^ {2}\| .*gitlab-backup create CRON=1 STRATEGY=copy$/),
        expect.stringMatching(new RegExp(`^✔ Backup stored at s3://dev-gitlab-backups-5eed0000/dev/${ID}/ \\(`)),
      ]),
    );
  });

  it("backup: a failed run on the host exits 1 and shows its log", async () => {
    outcome = () => ({
      status: "Failed",
      exitCode: 1,
      stdout: "gitlab-dind-backup: FAILED while uploading to s3://…\n",
    });
    const { deps: d, seen } = deps(AWS_OUTPUTS);
    expect(await main("backup", ["--stack", "dev"], d)).toBe(1);
    expect(seen.out).toContain("  | gitlab-dind-backup: FAILED while uploading to s3://…");
    expect(seen.err).toContain("✘ The backup failed (Failed, exit 1).");
  });

  it("restore without --backup lists the stack's backups", async () => {
    outcome = () => ({ status: "Success", exitCode: 0, stdout: `${ID} 1073741824\n20261201T023000Z_19.3.0 2048\n` });
    const { deps: d, seen } = deps(AWS_OUTPUTS);
    expect(await main("restore", ["--stack", "dev"], d)).toBe(0);
    const script = ssm?.requests[0]?.body.Parameters.commands.join("\n") ?? "";
    expect(script).toContain("BACKUP_TARGET='s3://dev-gitlab-backups-5eed0000/dev'");
    expect(script).toContain('/usr/local/sbin/gitlab-dind-restore list >"$log" 2>&1 || status=$?');
    expect(seen.out).toEqual([
      "Backups of stack dev in s3://dev-gitlab-backups-5eed0000/dev/",
      expect.stringMatching(/SSM command .* sent/),
      expect.stringMatching(/inprogress on the host/),
      `  ${ID}  1.0 GiB`,
      "  20261201T023000Z_19.3.0  2.0 KiB",
      "Restore one with: npm run restore -- --stack dev --backup <id>",
    ]);
  });

  it("restore --yes checks the version, then restores, with a long execution timeout", async () => {
    outcome = (script) =>
      script.includes(" check ")
        ? { status: "Success", exitCode: 0, stdout: "VERSION_MATCH=19.3.0\n" }
        : {
            status: "Success",
            exitCode: 0,
            stdout: `[8/8] gitlab-rake gitlab:doctor:secrets\nRESTORED=${ID}\n(the whole log is on the host: /var/log/gitlab-dind-restore.abc123)\n`,
          };
    const { deps: d, seen } = deps(AWS_OUTPUTS);
    expect(await main("restore", ["--stack", "dev", "--backup", ID, "--yes"], d)).toBe(0);
    const scripts = ssm?.requests.map((r) => r.body.Parameters.commands.join("\n")) ?? [];
    expect(scripts).toHaveLength(2);
    expect(scripts[0]).toContain(`/usr/local/sbin/gitlab-dind-restore check ${ID} >"$log" 2>&1`);
    expect(scripts[1]).toContain(`/usr/local/sbin/gitlab-dind-restore restore ${ID} >"$log" 2>&1`);
    // Only the log's tail comes back through SSM (which keeps the first 24,000 characters).
    expect(scripts[1]).toContain('tail -n 80 "$log"');
    // Its own backups: no drill.
    for (const script of scripts) expect(script).not.toContain("RESTORE_FROM=");
    expect(ssm?.requests[1]?.body.Parameters.executionTimeout).toEqual(["21600"]);
    expect(seen.out.at(-1)).toMatch(
      new RegExp(`^✔ Restored ${ID} into dev-gitlab .*gitlab:check and gitlab:doctor:secrets passed\\.$`),
    );
  });

  it("restore --from-team is refused with the way to restore another stack's backups (a drill stack), before any SSM call", async () => {
    const { deps: d, seen } = deps(AWS_OUTPUTS);
    expect(await main("restore", ["--stack", "dev", "--from-team", "payments"], d)).toBe(1);
    expect(seen.err.join("\n")).toContain(
      "error: --from-team payments: stack dev's host may read only its own backups. Restore another stack's backups from a drill stack that names them: `pulumi config set --path backup.restoreFrom s3://<bucket>/payments --stack <drill>`",
    );
    expect(ssm?.requests ?? []).toEqual([]);
  });

  it("restore refuses a backup of another GitLab version and restores nothing", async () => {
    outcome = () => ({
      status: "Failed",
      exitCode: 3,
      stdout: `REFUSED: backup ${ID} was made by GitLab 19.3.0, the container runs GitLab 19.4.1. … run gitlab/gitlab-ce:19.3.0-ce.0 first\n`,
    });
    const { deps: d, seen } = deps(AWS_OUTPUTS);
    expect(await main("restore", ["--stack", "dev", "--backup", ID, "--yes"], d)).toBe(1);
    expect(ssm?.requests).toHaveLength(1);
    expect(seen.out.join("\n")).toContain("run gitlab/gitlab-ce:19.3.0-ce.0 first");
    expect(seen.err.at(-1)).toBe(
      `✘ Refused: backup ${ID} needs the GitLab version it was made with (19.3.0); see above.`,
    );
  });

  describe("on a fake host that runs what SSM sends it", () => {
    let host: FakeHost | undefined;
    afterEach(() => {
      host?.remove();
      host = undefined;
    });
    /** A team's stack outputs, its host's settings, and the host's files put in place by the real installer. */
    const install = (h: FakeHost, team: string, bucket: string, extraSettingsLines = "") => {
      const settings: BackupSettings = {
        container: "payments-gitlab",
        bucket,
        prefix: team,
        region: "eu-central-1",
        skip: ["registry"],
        hostBackupDir: h.backups,
        restoreStagingDir: join(h.dir, "staging"),
      };
      const files = renderHostFiles(settings, "*-*-* 02:30:00 UTC");
      const r = h.onHost(renderInstaller({ ...files, env: files.env + extraSettingsLines }));
      expect(r.exitCode, r.stderr).toBe(0);
      return {
        ...AWS_OUTPUTS,
        team,
        backupBucket: bucket,
        backupTarget: `s3://${bucket}/${team}`,
        gitlabContainer: "payments-gitlab",
      };
    };

    it("backup: the host's service runs the installed script with the installed settings", async () => {
      host = fakeHost();
      const h = host;
      const outputs = install(h, "payments", "team-bucket");
      outcome = (script) => h.onHost(script);
      const { deps: d, seen } = deps(outputs);
      expect(await main("backup", ["--stack", "payments"], d), seen.err.join("\n")).toBe(0);
      const [id] = readdirSync(join(h.s3, "team-bucket", "payments"));
      expect(seen.out.at(-1)).toMatch(new RegExp(`^✔ Backup stored at s3://team-bucket/payments/${id}/ \\(`));
      expect(h.calls()).toContain("systemctl start gitlab-dind-backup.service");
      expect(h.calls()).toContain(
        "docker exec payments-gitlab gitlab-backup create CRON=1 STRATEGY=copy SKIP=registry",
      );
    });

    it("a drill stack (RESTORE_FROM in its settings) lists and restores the other team's backup, taking only its gitlab-secrets.json", async () => {
      host = fakeHost();
      const h = host;
      // Production backs up.
      install(h, "payments", "team-bucket");
      expect(h.onHost(hostCommands("backup", [], "s3://team-bucket/payments").join("\n")).exitCode).toBe(0);
      const [id] = readdirSync(join(h.s3, "team-bucket", "payments"));
      // The drill: its own bucket, production's backups in RESTORE_FROM (the line host-files.ts
      // writes for backup.restoreFrom), and a GitLab with keys of its own; it may only read production's.
      const outputs = {
        ...install(h, "payments-drill", "drill-bucket", "RESTORE_FROM=s3://team-bucket/payments\n"),
        backupRestoreFrom: "s3://team-bucket/payments",
      };
      writeEtcGitlab(h.root, "drill");
      outcome = (script) => h.onHost(script, { FAKE_S3_READONLY: "s3://team-bucket/payments" });

      const list = deps(outputs);
      expect(await main("restore", ["--stack", "payments-drill"], list.deps)).toBe(0);
      expect(list.seen.out[0]).toBe("Backups of stack payments-drill in s3://team-bucket/payments/");
      expect(list.seen.out).toContain(`  ${id}  25 B`);
      expect(ssm?.requests[0]?.body.Parameters.commands).toContain("RESTORE_FROM='s3://team-bucket/payments'");
      // --from-team would name a second source.
      const both = deps(outputs);
      expect(await main("restore", ["--stack", "payments-drill", "--from-team", "payments"], both.deps)).toBe(1);
      expect(both.seen.err[0]).toBe(
        "error: --from-team names a source, and stack payments-drill already restores from s3://team-bucket/payments (gitlab-dind:backup.restoreFrom): leave out --from-team",
      );
      const r = deps(outputs);
      expect(
        await main("restore", ["--stack", "payments-drill", "--backup", id, "--yes"], r.deps),
        r.seen.err.join("\n"),
      ).toBe(0);
      expect(r.seen.out.at(-1)).toMatch(new RegExp(`^✔ Restored ${id} into payments-gitlab`));
      const etc = (path: string) => readFileSync(join(h.root, "etc", "gitlab", path), "utf8");
      expect(etc("gitlab-secrets.json")).toBe(etcGitlabContent("gitlab-secrets.json", "old"));
      for (const path of ["ssh_host_ed25519_key", "ssl/letsencrypt_account_private_key.pem", "gitlab.rb"])
        expect(etc(path), path).toBe(etcGitlabContent(path, "drill"));
    });
  });

  it("restore asks first: anything but yes restores nothing; without a terminal it needs --yes", async () => {
    outcome = () => ({ status: "Success", exitCode: 0, stdout: "VERSION_MATCH=19.3.0\n" });
    const no = deps(AWS_OUTPUTS, {}, "no");
    expect(await main("restore", ["--stack", "dev", "--backup", ID], no.deps)).toBe(1);
    expect(no.seen.out.at(-1)).toBe("Not restored.");
    const nobody = deps(AWS_OUTPUTS);
    expect(await main("restore", ["--stack", "dev", "--backup", ID], nobody.deps)).toBe(1);
    expect(nobody.seen.err.at(-1)).toMatch(/no terminal to confirm on\. Pass --yes/);
    // Only the two version checks ran.
    expect(
      ssm?.requests.map((r) => r.body.Parameters.commands.find((c) => c.includes("gitlab-dind-restore "))),
    ).toEqual([
      `/usr/local/sbin/gitlab-dind-restore check ${ID} >"$log" 2>&1 || status=$?`,
      `/usr/local/sbin/gitlab-dind-restore check ${ID} >"$log" 2>&1 || status=$?`,
    ]);
  });
});

describe("the local target, through the Docker daemon", () => {
  let host: FakeHost | undefined;
  afterEach(() => {
    host?.remove();
    host = undefined;
  });

  it("backs up to backup.localDir, lists it, and restores it after confirmation", async () => {
    host = fakeHost();
    const outputs = {
      team: "laptop",
      target: "local",
      backupLocalDir: "backups/laptop",
      backupSkip: ["registry"],
      gitlabContainer: "payments-gitlab",
      gitlabImage: "gitlab/gitlab-ce:19.3.0-ce.0",
    };
    const b = deps(outputs, { env: host.env, cwd: host.dir });
    expect(await main("backup", ["--stack", "local"], b.deps)).toBe(0);
    const dir = join(host.dir, "backups", "laptop");
    const [id] = readdirSync(dir);
    expect(b.seen.out.at(-1)).toMatch(new RegExp(`^✔ Backup stored at ${dir}/${id}/ \\(`));
    expect(host.calls()).toContain(
      "docker exec payments-gitlab gitlab-backup create CRON=1 STRATEGY=copy SKIP=registry",
    );

    const list = deps(outputs, { env: host.env, cwd: host.dir });
    expect(await main("restore", ["--stack", "local"], list.deps)).toBe(0);
    expect(list.seen.out).toContain(`  ${id}  25 B`);

    const r = deps(outputs, { env: host.env, cwd: host.dir }, "yes");
    expect(await main("restore", ["--stack", "local", "--backup", id], r.deps)).toBe(0);
    expect(r.seen.out).toEqual(
      expect.arrayContaining([expect.stringMatching(/\[5\/8\] gitlab-backup restore BACKUP=/)]),
    );
    expect(existsSync(join(dir, id))).toBe(true);
  });

  it("a failing backup exits 1 and keeps GitLab's archive", async () => {
    host = fakeHost();
    const outputs = {
      team: "laptop",
      target: "local",
      backupLocalDir: "backups/laptop",
      backupSkip: [],
      gitlabContainer: "payments-gitlab",
      gitlabImage: "gitlab/gitlab-ce:19.3.0-ce.0",
    };
    const b = deps(outputs, { env: { ...host.env, FAKE_FAIL: "^docker cp" }, cwd: host.dir });
    expect(await main("backup", ["--stack", "local"], b.deps)).toBe(1);
    expect(b.seen.err.at(-1)).toBe("✘ The backup failed (Failed, exit 1).");
    expect(readdirSync(host.backups)).toHaveLength(1);
  });
});

describe("the shell lines SSM runs on the host", () => {
  it.skipIf(!haveTool("shellcheck"))("are POSIX shell that shellcheck accepts", () => {
    const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-ssm-lines-"));
    try {
      for (const [what, args] of [
        ["backup", []],
        ["restore", ["list"]],
        ["restore", ["restore", ID]],
      ] as const) {
        for (const drill of [false, true]) {
          const path = join(dir, `${what}.sh`);
          writeFileSync(
            path,
            hostCommands(what, args, "s3://dev-gitlab-backups-5eed0000/dev", drill).join("\n") + "\n",
          );
          const r = spawnSync("shellcheck", ["--shell=sh", path], { encoding: "utf8" });
          expect(r.stdout + r.stderr, `${what} ${args.join(" ")}${drill ? " (drill)" : ""}`).toBe("");
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
