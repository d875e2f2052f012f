/**
 * The backups of an AWS stack under Pulumi's mocks (the real program): the bucket and its
 * protections, the host role's access scoped to it, the timer with the configured schedule
 * installed by an SSM association, user data that does not depend on backup.*, and nothing of it
 * with backup.enabled false.
 */
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../../infra/config/parse";
import { buildStack, type StackBuild } from "../../infra/program";
import { RecordingMocks, valueOf, type RecordedResource } from "../../tools/plan/mocks";
import { runUnderMocks, type UnderMocks } from "../../tools/plan/under-mocks";
import { haveTool } from "../support/tools";
import { withoutStackTraces } from "../../tools/plan/stack-traces";

const T = {
  bucket: "aws:s3/bucket:Bucket",
  encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  document: "aws:ssm/document:Document",
  association: "aws:ssm/association:Association",
  runWait: "pulumi-nodejs:dynamic/gitlab-dind:AssociationRunWait",
  randomId: "random:index/randomId:RandomId",
  instance: "aws:ec2/instance:Instance",
};
const BUCKET_SETTINGS = [T.encryption, T.versioning, T.publicAccess, T.policy, T.lifecycle];

interface Built {
  readonly run: UnderMocks<StackBuild>;
  readonly outputs: Record<string, unknown>;
  readonly files: Record<string, string>;
}

const builds = new Map<string, Promise<Built>>();

/** The program built once per settings in this file: tests that read the same build share it (read-only). */
function build(extra: Record<string, unknown> = {}, target: "aws" | "local" = "aws"): Promise<Built> {
  const key = JSON.stringify([extra, target]);
  let built = builds.get(key);
  if (built === undefined) {
    built = withoutStackTraces(() => buildOnce(extra, target));
    builds.set(key, built);
  }
  return built;
}

async function buildOnce(extra: Record<string, unknown>, target: "aws" | "local"): Promise<Built> {
  const values =
    target === "aws"
      ? {
          "aws:region": "eu-central-1",
          "gitlab-dind:team": "payments",
          "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
          ...extra,
        }
      : { "gitlab-dind:team": "laptop", "gitlab-dind:target": "local", ...extra };
  const parsed = parseStackConfig({ values, secretKeys: new Set() });
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  // The stack is named after its team, as the program asks.
  const run = await runUnderMocks(new RecordingMocks(), "gitlab-dind", parsed.config.team, () =>
    buildStack(parsed.config),
  );
  const outputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(run.result.outputs)) outputs[k] = await valueOf(pulumi.output(v));
  const files: Record<string, string> = {};
  for (const [k, v] of Object.entries(run.result.files)) files[k] = await valueOf(v);
  return { run, outputs, files };
}

/** The alarms' probe installer (infra/alarms) is an SSM document and association too: not the backups'. */
const notAlarms = (r: RecordedResource): boolean => !r.name.includes("-monitoring-");

const one = (b: Built, type: string): RecordedResource => {
  const found = b.run.mocks.ofType(type).filter(notAlarms);
  expect(found, type).toHaveLength(1);
  return found[0];
};

/** The files the installer writes, decoded from the SSM document's base64 here-documents. */
function installedFiles(documentContent: string): Record<string, string> {
  const doc = JSON.parse(documentContent) as {
    schemaVersion: string;
    mainSteps: Array<{ action: string; inputs: { runCommand: string[] } }>;
  };
  expect(doc.schemaVersion).toBe("2.2");
  expect(doc.mainSteps.map((s) => s.action)).toEqual(["aws:runShellScript"]);
  const script = doc.mainSteps[0].inputs.runCommand.join("\n");
  const out: Record<string, string> = {};
  for (const m of script.matchAll(/base64 -d > '([^']+)\.new' <<'GITLAB_DIND_FILE'\n([\s\S]*?)\nGITLAB_DIND_FILE/g)) {
    out[m[1]] = Buffer.from(m[2].replace(/\n/g, ""), "base64").toString("utf8");
  }
  return out;
}

describe("the backup bucket", () => {
  it("is the team's, with SSE-S3, versioning, the four public-access blocks, TLS only and expiry after retentionDays", async () => {
    const b = await build({ "gitlab-dind:backup": { retentionDays: 30 } });
    const bucket = one(b, T.bucket);
    expect(bucket.inputs.bucket).toBe("payments-gitlab-backups-5eed0000");
    expect(bucket.inputs.forceDestroy).toBe(false);
    expect(bucket.inputs.tags).toMatchObject({ Team: "payments", Name: "payments-gitlab-backups" });
    // Kept on destroy by default (host.keepDataOnDestroy), like the data volume.
    expect(b.run.options.get("payments-backups-bucket")?.retainOnDelete).toBe(true);
    const name = "payments-gitlab-backups-5eed0000";

    expect(one(b, T.encryption).inputs).toMatchObject({
      bucket: name,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    expect(JSON.stringify(one(b, T.encryption).inputs)).not.toMatch(/kms/i);
    expect(one(b, T.versioning).inputs).toMatchObject({ bucket: name, versioningConfiguration: { status: "Enabled" } });
    expect(one(b, T.publicAccess).inputs).toMatchObject({
      bucket: name,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const policy = JSON.parse(String(one(b, T.policy).inputs.policy)) as { Statement: unknown[] };
    expect(policy.Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      // Whatever the host role's IAM policies grant, it erases nothing and changes no protection.
      {
        Sid: "DenyHostErasingBackups",
        Effect: "Deny",
        Principal: "*",
        Action: [
          "s3:Delete*",
          "s3:BypassGovernanceRetention",
          "s3:PutBucketAcl",
          "s3:PutBucketLogging",
          "s3:PutBucketNotification",
          "s3:PutBucketObjectLockConfiguration",
          "s3:PutBucketOwnershipControls",
          "s3:PutBucketPolicy",
          "s3:PutBucketPublicAccessBlock",
          "s3:PutBucketVersioning",
          "s3:PutEncryptionConfiguration",
          "s3:PutLifecycleConfiguration",
          "s3:PutObjectAcl",
          "s3:PutObjectLegalHold",
          "s3:PutObjectRetention",
          "s3:PutReplicationConfiguration",
        ],
        Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
        Condition: { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/payments-host-role-a1b2c3d" } },
      },
      // Nor any gitlab-dind host of the account (a drill's reads this bucket), by its role's tags.
      {
        Sid: "DenyGitLabDindHostsErasingBackups",
        Effect: "Deny",
        Principal: "*",
        Action: (policy.Statement[1] as { Action: string[] }).Action,
        Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
        Condition: {
          StringEquals: { "aws:PrincipalTag/ManagedBy": "pulumi/gitlab-dind" },
          StringLike: { "aws:PrincipalTag/Name": "*-host" },
        },
      },
      // And no other gitlab-dind host writes here (a drill reading this bucket never writes).
      {
        Sid: "DenyOtherGitLabDindHostsWriting",
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:PutObject"],
        Resource: `arn:aws:s3:::${name}/*`,
        Condition: {
          StringEquals: { "aws:PrincipalTag/ManagedBy": "pulumi/gitlab-dind" },
          StringLike: { "aws:PrincipalTag/Name": "*-host" },
          ArnNotEquals: { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/payments-host-role-a1b2c3d" },
        },
      },
    ]);
    // The tags that statement matches are the host role's own.
    expect(b.run.mocks.get("aws:iam/role:Role", "payments-host-role").inputs.tags).toMatchObject({
      ManagedBy: "pulumi/gitlab-dind",
      Name: "payments-host",
    });
    // The policy kept its first name through an alias: a rename would delete it from under the new one.
    expect(b.run.options.get(one(b, T.policy).name)?.aliases).toEqual([{ name: "payments-backups-tls-only" }]);
    const rules = one(b, T.lifecycle).inputs.rules as Array<Record<string, unknown>>;
    expect(rules[0]).toMatchObject({
      status: "Enabled",
      filter: { prefix: "" },
      expiration: { days: 30 },
      // An overwritten backup stays retentionDays as a noncurrent version.
      noncurrentVersionExpiration: { noncurrentDays: 30 },
    });
    // The protections stay with the kept bucket.
    for (const type of BUCKET_SETTINGS) {
      const r = one(b, type);
      expect(b.run.options.get(r.name)?.retainOnDelete, type).toBe(true);
    }
    expect(b.outputs).toMatchObject({
      backupBucket: name,
      backupTarget: `s3://${name}/payments`,
      awsRegion: "eu-central-1",
      gitlabContainer: "payments-gitlab",
      gitlabImage: "gitlab/gitlab-ce:19.3.0-ce.0",
      instanceId: "payments-host-instance-id",
    });
  });

  it("without host.keepDataOnDestroy, destroy empties and deletes it (forceDestroy on, not retained)", async () => {
    const b = await build({ "gitlab-dind:host": { keepDataOnDestroy: false } });
    expect(one(b, T.bucket).inputs.forceDestroy).toBe(true);
    expect(b.run.options.get("payments-backups-bucket")?.retainOnDelete).toBe(false);
    for (const type of BUCKET_SETTINGS) expect(b.run.options.get(one(b, type).name)?.retainOnDelete, type).toBe(false);
  });

  it("adopts the team's kept bucket with backup.bucketName: read, never created or deleted, its protections imported", async () => {
    const b = await build({
      "gitlab-dind:host": { keepDataOnDestroy: false },
      "gitlab-dind:backup": { bucketName: "payments-gitlab-backups-0ld0ne00", retentionDays: 45 },
    });
    const bucket = one(b, T.bucket);
    expect(bucket.existingId).toBe("payments-gitlab-backups-0ld0ne00");
    expect(b.run.options.get(bucket.name)?.import).toBeUndefined();
    expect(b.run.mocks.ofType(T.randomId).filter((r) => r.name.includes("backups"))).toEqual([]);
    // Its protections are taken over (imported by the bucket's name, never created blind over the
    // kept ones) and stay when this stack goes, whatever keepDataOnDestroy says.
    for (const type of BUCKET_SETTINGS) {
      const r = one(b, type);
      expect(r.inputs.bucket, type).toBe("payments-gitlab-backups-0ld0ne00");
      expect(r.existingId, type).toBe("payments-gitlab-backups-0ld0ne00");
      expect(b.run.options.get(r.name)?.import, type).toBe("payments-gitlab-backups-0ld0ne00");
      expect(b.run.options.get(r.name)?.retainOnDelete, type).toBe(true);
    }
    // backup.retentionDays is the adopted bucket's, not ignored: the preview shows it against the bucket's.
    const rules = one(b, T.lifecycle).inputs.rules as Array<Record<string, unknown>>;
    expect(rules[0]).toMatchObject({ expiration: { days: 45 }, noncurrentVersionExpiration: { noncurrentDays: 45 } });
    expect(b.outputs.backupTarget).toBe("s3://payments-gitlab-backups-0ld0ne00/payments");
  });

  it("creates its protections on a bucket it creates (nothing imported)", async () => {
    const b = await build();
    for (const type of [T.bucket, ...BUCKET_SETTINGS]) {
      const r = one(b, type);
      expect(r.existingId, type).toBeUndefined();
      expect(b.run.options.get(r.name)?.import, type).toBeUndefined();
    }
  });
});

describe("the host role's access", () => {
  it("is a policy of its own on the host role: list, read and write under the team's prefix, nothing else", async () => {
    const b = await build();
    const access = b.run.mocks.get(T.rolePolicy, "payments-backups-host-access");
    expect(access.inputs.role).toBe("payments-host-role-a1b2c3d");
    const arn = "arn:aws:s3:::payments-gitlab-backups-5eed0000";
    expect(JSON.parse(String(access.inputs.policy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ListBackups",
          Effect: "Allow",
          Action: ["s3:ListBucket"],
          Resource: arn,
          Condition: { StringLike: { "s3:prefix": "payments/*" } },
        },
        { Sid: "WriteBackups", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${arn}/payments/*` },
        { Sid: "ReadBackups", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${arn}/payments/*` },
      ],
    });
    // The host's SSM agent may run the installer's association: State Manager's calls on this
    // instance, this team's associations and this installer document, nothing on `*`, and no
    // DescribeAssociation (only the agent's legacy fallback calls it). The association waits for it.
    const agent = b.run.mocks.get(T.rolePolicy, "payments-backups-host-state-manager");
    expect(agent.inputs.role).toBe("payments-host-role-a1b2c3d");
    const instance = /^arn:aws:ec2:eu-central-1:123456789012:instance\/payments-host-instance-id$/;
    expect(JSON.parse(String(agent.inputs.policy)).Statement).toEqual([
      {
        Sid: "ListOwnInstanceAssociations",
        Effect: "Allow",
        Action: ["ssm:ListInstanceAssociations"],
        Resource: expect.stringMatching(instance),
      },
      {
        Sid: "ReadInstaller",
        Effect: "Allow",
        Action: ["ssm:GetDocument"],
        Resource: "arn:aws:ssm:eu-central-1:123456789012:document/payments-backup-installer",
      },
      {
        Sid: "ReportOwnAssociationRuns",
        Effect: "Allow",
        Action: ["ssm:UpdateInstanceAssociationStatus"],
        Resource: "arn:aws:ssm:eu-central-1:123456789012:association/*",
        Condition: { StringEquals: { "aws:ResourceTag/Team": "payments" } },
      },
      {
        Sid: "ReportOnOwnInstance",
        Effect: "Allow",
        Action: ["ssm:UpdateInstanceAssociationStatus", "ssm:PutComplianceItems"],
        Resource: expect.stringMatching(instance),
      },
    ]);
    // The tag the association statement relies on is on the association.
    expect(one(b, T.association).inputs.tags).toMatchObject({ Team: "payments" });
    expect(b.run.dependsOn.get("payments-backups-install")).toContain("payments-backups-host-state-manager");
    // No other policy of the stack mentions S3.
    const others = b.run.mocks.ofType(T.rolePolicy).filter((r) => r.name !== access.name);
    for (const r of others) expect(String(r.inputs.policy), r.name).not.toMatch(/s3:/);
  });
});

describe("a restore drill (backup.restoreFrom)", () => {
  const SOURCE_BUCKET = "payments-gitlab-backups-5eed0000";
  const drill = (): Promise<Built> =>
    build({
      "gitlab-dind:team": "drill",
      "gitlab-dind:host": { keepDataOnDestroy: false },
      "gitlab-dind:backup": { restoreFrom: `s3://${SOURCE_BUCKET}/payments` },
    });

  it("plans no resource that names the source bucket, but the host role's read statements", async () => {
    const b = await drill();
    const naming = b.run.mocks.resources.filter(
      (r) => JSON.stringify(r.inputs).includes(SOURCE_BUCKET) || r.existingId === SOURCE_BUCKET,
    );
    expect(naming.map((r) => r.name)).toEqual(["drill-backups-host-access"]);
    const statements = (
      JSON.parse(String(naming[0].inputs.policy)) as { Statement: Array<{ Sid: string; Resource: unknown }> }
    ).Statement;
    expect(statements.filter((st) => JSON.stringify(st).includes(SOURCE_BUCKET)).map((st) => st.Sid)).toEqual([
      "ListRestoreSource",
      "ReadRestoreSource",
    ]);
    expect(b.run.mocks.invokes.filter((i) => JSON.stringify(i.inputs).includes(SOURCE_BUCKET))).toEqual([]);
    // The drill's own backups go to a new bucket of its own, emptied and deleted with the drill.
    const own = one(b, T.bucket);
    expect(own.existingId).toBeUndefined();
    expect(own.inputs.bucket).toBe("drill-gitlab-backups-5eed0000");
    expect(own.inputs.forceDestroy).toBe(true);
    for (const type of BUCKET_SETTINGS) expect(one(b, type).inputs.bucket, type).toBe("drill-gitlab-backups-5eed0000");
    expect(b.outputs).toMatchObject({
      backupTarget: "s3://drill-gitlab-backups-5eed0000/drill",
      backupRestoreFrom: `s3://${SOURCE_BUCKET}/payments`,
    });
  });

  it("lets the host list and read the source's team prefix only, never write there, and delete nowhere", async () => {
    const b = await drill();
    const access = b.run.mocks.get(T.rolePolicy, "drill-backups-host-access");
    const own = "arn:aws:s3:::drill-gitlab-backups-5eed0000";
    const source = `arn:aws:s3:::${SOURCE_BUCKET}`;
    expect(JSON.parse(String(access.inputs.policy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ListBackups",
          Effect: "Allow",
          Action: ["s3:ListBucket"],
          Resource: own,
          Condition: { StringLike: { "s3:prefix": "drill/*" } },
        },
        { Sid: "WriteBackups", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${own}/drill/*` },
        { Sid: "ReadBackups", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${own}/drill/*` },
        {
          Sid: "ListRestoreSource",
          Effect: "Allow",
          Action: ["s3:ListBucket"],
          Resource: source,
          Condition: { StringLike: { "s3:prefix": "payments/*" } },
        },
        { Sid: "ReadRestoreSource", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${source}/payments/*` },
      ],
    });
    // Across every policy of the host role: nothing erases or reconfigures a bucket, nothing on s3:*.
    for (const r of b.run.mocks.ofType(T.rolePolicy)) {
      const actions = (
        JSON.parse(String(r.inputs.policy)) as { Statement: Array<{ Action: string[] }> }
      ).Statement.flatMap((st) => st.Action);
      expect(
        actions.filter((a) =>
          /^s3:(\*|Delete|Put(Lifecycle|BucketVersioning|BucketPolicy|BucketObjectLock|ObjectRetention)|BypassGovernance)/.test(
            a,
          ),
        ),
        r.name,
      ).toEqual([]);
    }
  });

  it("tells the host's restore where to read: RESTORE_FROM in its settings file", async () => {
    const b = await drill();
    const env = installedFiles(String(one(b, T.document).inputs.content))["/etc/gitlab-dind/backup.env"];
    expect(env).toContain(`\nBACKUP_TARGET=s3://drill-gitlab-backups-5eed0000/drill\n`);
    expect(env).toContain(`\nRESTORE_FROM=s3://${SOURCE_BUCKET}/payments\n`);
    expect(b.files["backup.env"]).toBe(env);
    // Without backup.restoreFrom there is no such line.
    expect((await build()).files["backup.env"]).not.toMatch(/RESTORE_FROM/);
  });
});

describe("the timer on the host", () => {
  it("is installed by an SSM association running a Command document, with the configured schedule", async () => {
    const schedule = "Mon..Fri *-*-* 03:15:00 Europe/Berlin";
    const b = await build({ "gitlab-dind:backup": { schedule, skip: ["artifacts", "registry"] } });
    const document = one(b, T.document);
    expect(document.inputs).toMatchObject({
      name: "payments-backup-installer",
      documentType: "Command",
      documentFormat: "JSON",
    });
    const files = installedFiles(String(document.inputs.content));
    expect(Object.keys(files).sort()).toEqual([
      "/etc/gitlab-dind/backup.env",
      "/etc/systemd/system/gitlab-dind-backup.service",
      "/etc/systemd/system/gitlab-dind-backup.timer",
      "/usr/local/sbin/gitlab-dind-backup",
      "/usr/local/sbin/gitlab-dind-restore",
    ]);
    expect(files["/etc/systemd/system/gitlab-dind-backup.timer"]).toContain(
      `\nOnCalendar=${schedule}\nPersistent=true\n`,
    );
    expect(files["/etc/systemd/system/gitlab-dind-backup.service"]).toMatch(
      /Type=oneshot\nEnvironmentFile=\/etc\/gitlab-dind\/backup.env\nExecStart=\/usr\/local\/sbin\/gitlab-dind-backup\n/,
    );
    expect(files["/etc/gitlab-dind/backup.env"]).toContain(
      [
        "GITLAB_CONTAINER=payments-gitlab",
        "BACKUP_TARGET=s3://payments-gitlab-backups-5eed0000/payments",
        "BACKUP_REGION=eu-central-1",
        "BACKUP_SKIP=artifacts,registry",
        "HOST_BACKUP_DIR=/srv/gitlab/data/backups",
      ].join("\n"),
    );
    expect(files["/usr/local/sbin/gitlab-dind-backup"]).toMatch(/^#!\/usr\/bin\/env bash\n# gitlab-dind-backup:/);
    // The plan writes them too.
    expect(b.files["gitlab-dind-backup.timer"]).toBe(files["/etc/systemd/system/gitlab-dind-backup.timer"]);

    const association = one(b, T.association);
    expect(association.inputs).toMatchObject({
      name: "payments-backup-installer",
      // Pinned to the document's latest version: a new version (new files) updates the association,
      // and State Manager runs an association again when it is updated.
      documentVersion: "1",
      targets: [{ key: "InstanceIds", values: ["payments-host-instance-id"] }],
    });
    expect(association.inputs.scheduleExpression).toBeUndefined();
    expect(association.inputs.applyOnlyAtCronInterval).toBeUndefined();
    // The provider's wait runs on create only: the program's own wait covers every change.
    expect(association.inputs.waitForSuccessTimeoutSeconds).toBeUndefined();
    const wait = one(b, T.runWait);
    expect(wait.inputs).toMatchObject({
      region: "eu-central-1",
      associationId: "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
      instanceId: "payments-host-instance-id",
      // What the association is given: a change of any of it is an update, so a new run to wait for.
      association: {
        name: "payments-backup-installer",
        documentVersion: "1",
        associationName: "payments-backup-timer",
        targets: [{ key: "InstanceIds", values: ["payments-host-instance-id"] }],
      },
      timeoutSeconds: 900,
    });
    expect(b.run.dependsOn.get(association.name)).toEqual(
      expect.arrayContaining(["payments-host-docker-api", "payments-backups-host-access"]),
    );
  });

  it("leaves the instance's user data alone: backup.* changes never replace the instance", async () => {
    const userData = async (backup: Record<string, unknown>): Promise<unknown> => {
      const b = await build({ "gitlab-dind:backup": backup });
      return one(b, T.instance).inputs.userData;
    };
    // backup.* at its defaults: the build the other tests read.
    const base = one(await build(), T.instance).inputs.userData;
    expect(typeof base).toBe("string");
    for (const backup of [
      { schedule: "hourly" },
      { skip: ["db"] },
      { retentionDays: 400 },
      { bucketName: "payments-gitlab-backups-0ld0ne00" },
      { restoreFrom: "s3://billing-gitlab-backups-5eed0000/billing" },
      { enabled: false },
    ]) {
      expect(await userData(backup), JSON.stringify(backup)).toBe(base);
    }
    expect(String(base)).not.toMatch(/gitlab-dind-backup|OnCalendar|s3:\/\//);
  });

  it("changes the document when the schedule changes (a new version, so the association re-runs)", async () => {
    const a = await build({ "gitlab-dind:backup": { schedule: "daily" } });
    const b = await build({ "gitlab-dind:backup": { schedule: "weekly" } });
    const ca = String(one(a, T.document).inputs.content);
    const cb = String(one(b, T.document).inputs.content);
    expect(ca).not.toBe(cb);
    expect(installedFiles(cb)["/etc/systemd/system/gitlab-dind-backup.timer"]).toContain("OnCalendar=weekly\n");
  });
});

describe("backup.enabled false and the local target", () => {
  it("creates nothing of it on aws with backup.enabled false", async () => {
    const b = await build({ "gitlab-dind:backup": { enabled: false } });
    for (const type of [T.bucket, ...BUCKET_SETTINGS, T.document, T.association]) {
      expect(b.run.mocks.ofType(type).filter(notAlarms), type).toEqual([]);
    }
    expect(b.run.mocks.ofType(T.rolePolicy).map((r) => r.name)).not.toContain("payments-backups-host-access");
    expect(b.run.mocks.resources.map((r) => r.type)).not.toContain("gitlab-dind:index:AwsBackups");
    expect(Object.keys(b.outputs).filter((k) => /backup/i.test(k))).toEqual([]);
    expect(Object.keys(b.files).filter((k) => /backup/.test(k))).toEqual([]);
  });

  it("deploys nothing for the local target and exports backup.localDir", async () => {
    const b = await build({ "gitlab-dind:backup": { localDir: "/var/backups/gitlab" } }, "local");
    expect(b.run.mocks.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
    expect(b.outputs).toMatchObject({ backupLocalDir: "/var/backups/gitlab", gitlabContainer: "laptop-gitlab" });
    const d = await build({}, "local");
    expect(d.outputs.backupLocalDir).toBe("backups/laptop");
  });
});

describe("the installer", () => {
  it.skipIf(!haveTool("shellcheck"))("is a POSIX shell script shellcheck accepts", async () => {
    const b = await build();
    const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-installer-"));
    try {
      const path = join(dir, "backup-installer.sh");
      writeFileSync(path, b.files["backup-installer.sh"]);
      const r = spawnSync("shellcheck", ["--shell=sh", path], { encoding: "utf8" });
      expect(r.stdout + r.stderr).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
