/**
 * The backup.* keys: defaults as the issue states them, and every bad value refused at once,
 * naming the full key.
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";

const AWS: RawConfig = {
  "aws:region": "eu-central-1",
  "gitlab-dind:team": "payments",
  "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
};

function parse(values: RawConfig) {
  return parseStackConfig({ values, secretKeys: new Set() });
}

describe("backup.* configuration", () => {
  it("defaults: on, 02:30 UTC daily, 14 days, nothing skipped, a new bucket, ./backups/<team> locally", () => {
    const r = parse(AWS);
    if (!r.ok) throw new Error(r.problems.join("\n"));
    expect(r.config.backup).toEqual({
      enabled: true,
      schedule: "*-*-* 02:30:00 UTC",
      retentionDays: 14,
      skip: [],
      bucketName: undefined,
      localDir: "./backups/payments",
    });
    const local = parse({ "gitlab-dind:team": "laptop", "gitlab-dind:target": "local" });
    if (!local.ok) throw new Error(local.problems.join("\n"));
    expect(local.config.backup.localDir).toBe("./backups/laptop");
  });

  it("takes valid values", () => {
    const r = parse({
      ...AWS,
      "gitlab-dind:backup": {
        enabled: "false",
        schedule: "Mon..Fri *-*-* 03:15:00 Europe/Berlin",
        retentionDays: "30",
        skip: ["artifacts", "registry"],
        bucketName: "payments-gitlab-backups-5eed0000",
      },
    });
    if (!r.ok) throw new Error(r.problems.join("\n"));
    expect(r.config.backup).toMatchObject({
      enabled: false,
      schedule: "Mon..Fri *-*-* 03:15:00 Europe/Berlin",
      retentionDays: 30,
      skip: ["artifacts", "registry"],
      bucketName: "payments-gitlab-backups-5eed0000",
    });
  });

  it("refuses every bad value at once, naming the key", () => {
    const r = parse({
      ...AWS,
      "gitlab-dind:backup": JSON.stringify({
        schedule: "0 2 * * *",
        retentionDays: 0,
        skip: ["db", "wiki", "db"],
        bucketName: "Payments_Backups",
        enabled: "yes",
      }),
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^gitlab-dind:backup\.schedule: expected a systemd OnCalendar expression such as "\*-\*-\* 02:30:00 UTC": .*cron.*; got "0 2 \* \* \*"$/,
        ),
        "gitlab-dind:backup.retentionDays: expected an integer from 1 to 3650; got 0",
        expect.stringMatching(
          /^gitlab-dind:backup\.skip\[1\]: expected one of db, uploads, .*ci_secure_files, external_diffs; got "wiki"$/,
        ),
        expect.stringMatching(/^gitlab-dind:backup\.bucketName: expected an S3 bucket name/),
        'gitlab-dind:backup.enabled: expected true or false; got "yes"',
      ]),
    );
    expect(r.problems).toHaveLength(5);
  });

  it("refuses a skip list with a duplicate or one that leaves nothing to back up", () => {
    const dup = parse({ ...AWS, "gitlab-dind:backup": { skip: ["db", "db"] } });
    expect(dup.ok ? [] : dup.problems).toEqual([
      'gitlab-dind:backup.skip: expected each component once (db is listed twice); got ["db","db"]',
    ]);
    const all = [
      "db",
      "uploads",
      "builds",
      "artifacts",
      "lfs",
      "terraform_state",
      "registry",
      "pages",
      "repositories",
      "packages",
      "ci_secure_files",
      "external_diffs",
    ];
    const everything = parse({ ...AWS, "gitlab-dind:backup": { skip: all } });
    expect(everything.ok ? [] : everything.problems).toEqual([
      expect.stringMatching(/^gitlab-dind:backup\.skip: expected a list that leaves something to back up/),
    ]);
  });
});

describe("backup.restoreFrom and backup.bucketName: a drill reads another stack's backups, a stack adopts only its own bucket", () => {
  const SOURCE = "s3://payments-gitlab-backups-5eed0000/payments";
  const drill = (backup: Record<string, unknown>, extra: RawConfig = {}) =>
    parse({ ...AWS, "gitlab-dind:team": "payments-drill", "gitlab-dind:backup": backup, ...extra });

  it("takes s3://<bucket>/<team> and keeps it as given", () => {
    const r = drill({ restoreFrom: SOURCE });
    if (!r.ok) throw new Error(r.problems.join("\n"));
    expect(r.config.backup.restoreFrom).toBe(SOURCE);
    expect(r.config.backup.bucketName).toBeUndefined();
    const plain = parse(AWS);
    expect(plain.ok && plain.config.backup.restoreFrom).toBeUndefined();
  });

  it("refuses anything but exactly s3://<bucket>/<team>, naming the key and what is wrong", () => {
    const cases: Array<[string, RegExp]> = [
      ["payments-gitlab-backups-5eed0000/payments", /no trailing slash, no deeper path/],
      ["s3://payments-gitlab-backups-5eed0000", /no trailing slash, no deeper path/],
      ["s3://payments-gitlab-backups-5eed0000/payments/", /no trailing slash, no deeper path/],
      ["s3://payments-gitlab-backups-5eed0000/payments/20261130T023000Z_19.3.0", /no deeper path/],
      ["https://payments-gitlab-backups-5eed0000/payments", /no trailing slash/],
      ["s3://Payments_Backups/payments", /its bucket "Payments_Backups" to be an S3 bucket name/],
      ["s3://192.168.1.10/payments", /its bucket "192\.168\.1\.10" to be an S3 bucket name/],
      ["s3://xn--bucket/payments", /its bucket "xn--bucket" to be an S3 bucket name/],
      ["s3://payments-gitlab-backups-5eed0000/Payments", /its team "Payments" to be a team name/],
      ["s3://a/9", /its bucket "a" to be an S3 bucket name.* and its team "9" to be a team name/],
    ];
    for (const [value, why] of cases) {
      const r = drill({ restoreFrom: value });
      expect(r.ok ? [] : r.problems, value).toEqual([
        expect.stringMatching(
          new RegExp(
            `^gitlab-dind:backup\\.restoreFrom: expected s3://<bucket>/<team>, the backupTarget output of the stack whose backups to restore.*; got ${JSON.stringify(value).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`,
          ),
        ),
      ]);
      expect(r.ok ? "" : r.problems[0], value).toMatch(why);
    }
  });

  it("refuses it on the local target", () => {
    const r = parse({
      "gitlab-dind:team": "laptop",
      "gitlab-dind:target": "local",
      "gitlab-dind:backup": { restoreFrom: SOURCE },
    });
    expect(r.ok ? [] : r.problems).toEqual([
      `gitlab-dind:backup.restoreFrom: expected no value on the local target (a drill restores from an S3 bucket onto an AWS host; the local target restores from backup.localDir); got "${SOURCE}"`,
    ]);
  });

  it("refuses it naming the stack's own team (its own bucket or one it kept), and a drill that adopts the bucket it reads", () => {
    const own = parse({
      ...AWS,
      "gitlab-dind:backup": { bucketName: "payments-gitlab-backups-5eed0000", restoreFrom: SOURCE },
    });
    const ownTeam = `gitlab-dind:backup.restoreFrom: expected another team's backups (a drill is a stack of its own team, such as payments-drill); got "${SOURCE}", this stack's team payments: to restore its own backups leave it unset (and adopt a bucket the team kept with backup.bucketName)`;
    expect(own.ok ? [] : own.problems).toEqual([ownTeam]);
    // Its own created bucket (whose name only exists once created) is refused by the team alone.
    const created = parse({ ...AWS, "gitlab-dind:backup": { restoreFrom: SOURCE } });
    expect(created.ok ? [] : created.problems).toEqual([ownTeam]);
    // A bucket not named like one of ours (made by hand), adopted and restored from under another team.
    const shared = drill({ bucketName: "acme-gitlab-backups", restoreFrom: "s3://acme-gitlab-backups/payments" });
    expect(shared.ok ? [] : shared.problems).toEqual([
      expect.stringMatching(
        /^gitlab-dind:backup\.restoreFrom: expected a bucket other than backup\.bucketName \(a drill never adopts the bucket it restores from: .*\); got "s3:\/\/acme-gitlab-backups\/payments": unset backup\.bucketName/,
      ),
    ]);
  });

  it("refuses it with backup.enabled false (the restore script and its read access come with the backups)", () => {
    const r = drill({ restoreFrom: SOURCE, enabled: false });
    expect(r.ok ? [] : r.problems).toEqual([
      expect.stringMatching(
        /^gitlab-dind:backup\.restoreFrom: needs backup\.enabled true .*; backup\.enabled is false$/,
      ),
    ]);
  });

  it("refuses adopting another team's bucket with backup.bucketName, and says to use backup.restoreFrom", () => {
    const r = drill({ bucketName: "payments-gitlab-backups-5eed0000" });
    expect(r.ok ? [] : r.problems).toEqual([
      "gitlab-dind:backup.bucketName: expected a bucket of team payments-drill (a stack adopts only its own team's kept bucket, and takes over its lifecycle and policy); got \"payments-gitlab-backups-5eed0000\", the bucket of team payments. To restore that team's backups, unset it and set backup.restoreFrom to s3://payments-gitlab-backups-5eed0000/payments",
    ]);
    // Its own team's kept bucket, and a bucket not named by this program, are adopted.
    expect(parse({ ...AWS, "gitlab-dind:backup": { bucketName: "payments-gitlab-backups-0ld0ne00" } }).ok).toBe(true);
    expect(drill({ bucketName: "acme-gitlab-backups" }).ok).toBe(true);
  });

  it("reports every problem at once with the other keys'", () => {
    const r = drill({ restoreFrom: "s3://x/payments", retentionDays: 0 });
    expect(r.ok ? [] : r.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^gitlab-dind:backup\.restoreFrom: expected s3:\/\/<bucket>\/<team>/),
        "gitlab-dind:backup.retentionDays: expected an integer from 1 to 3650; got 0",
      ]),
    );
  });
});
