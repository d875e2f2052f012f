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
