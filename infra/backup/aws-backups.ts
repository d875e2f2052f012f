/**
 * `AwsBackups`: where the AWS host's GitLab backups go and what takes them.
 *
 *   the stack's own bucket (SSE-S3, versioned, no public access, TLS only, expiring after
 *   backup.retentionDays, overwritten or expired versions kept as many days again, nothing the
 *   host role may erase) → the host role's access to its team's prefix alone (and, for a drill,
 *   read access to the restore source's prefix) → the timer, its scripts and settings on the
 *   host, installed by an SSM State Manager association (never through user data, so a change
 *   of backup.* never replaces the instance).
 *
 * The bucket is encrypted with S3's own key (SSE-S3, AES256), not the stack's KMS key: a destroy
 * schedules a stack's key for deletion and its key policy names only that stack's role, so kept
 * backups would become unreadable to the stack that adopts them.
 *
 * A drill (backup.restoreFrom) reads another stack's backups: no resource of this component names
 * that bucket except the host role's read statements.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { BackupConfig } from "../config/types";
import { parseRestoreFrom } from "../config/s3-location";
import { rolePolicy } from "../host/aws/iam";
import { MANAGED_BY, type Naming } from "../naming";
import { AssociationRunWait } from "./association-wait";
import { BACKUP_TIMER, renderHostFiles, renderInstallDocument, renderInstaller } from "./host-files";
import { ssmAgentAssociationStatements } from "./state-manager-policy";
import { denyInsecureTransport } from "../s3-policy";

/**
 * What the backup bucket's policy denies the host role, whatever its IAM policies grant (a broader
 * grant added later included): erasing a backup (every delete, object versions among them), and
 * changing what keeps backups (lifecycle, versioning, Object Lock and retention, the bucket policy,
 * encryption, public access, replication), and what would hand them elsewhere (ACLs and object
 * ownership, notifications, logging). Any DinD job is root on the host and holds its role.
 */
export const HOST_DENIED_ACTIONS = [
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
] as const;

/** The host role's Name tag is `<team>-host` (`names.tags("host")`, infra/host/aws/iam.ts createHostIdentity). */
const HOST_ROLE_NAME_TAG = "host";

/**
 * `<team>-backup-installer`, except that SSM reserves the prefixes aws, amazon and amzn for its own
 * documents (CreateDocument refuses them), which a team name may start with.
 */
export function installerDocumentName(names: Naming): string {
  const name = names.name("backup-installer");
  return /^(aws|amazon|amzn)/i.test(name) ? `gitlab-dind-${name}` : name;
}

export interface AwsBackupsArgs {
  /** Physical names and tags of the stack's team; the team is the prefix of every backup in the bucket. */
  readonly names: Naming;
  /** The parsed `backup.*` settings (enabled). */
  readonly config: BackupConfig;
  /**
   * `host.keepDataOnDestroy`: keep the bucket (and its protections) on destroy, with
   * `forceDestroy` off; when false, destroy empties and deletes it.
   */
  readonly keepDataOnDestroy: boolean;
  /** The AWS region (`aws:region`); the bucket and the association live there. */
  readonly region: string;
  /** Name of the host's IAM role; it gets a policy of its own for the bucket. */
  readonly hostRoleName: pulumi.Input<string>;
  /** ARN of the same role: the bucket policy denies it every erasing action (HOST_DENIED_ACTIONS). */
  readonly hostRoleArn: pulumi.Input<string>;
  /** The EC2 instance the timer is installed on. */
  readonly instanceId: pulumi.Input<string>;
  /** The GitLab container's name on the host. */
  readonly gitlabContainer: pulumi.Input<string>;
  /** The host directory mounted at the container's /var/opt/gitlab/backups. */
  readonly hostBackupDir: string;
  /** Where a restore downloads a backup on the host (the data volume, which has room). */
  readonly restoreStagingDir: string;
  /** What must be up before the installer runs (the host's Docker API: the instance has booted). Default none. */
  readonly hostReady?: pulumi.Input<pulumi.Resource>[];
}

export class AwsBackups extends pulumi.ComponentResource {
  /** The bucket's name. */
  declare readonly bucketName: pulumi.Output<string>;
  declare readonly bucketArn: pulumi.Output<string>;
  /** `s3://<bucket>/<team>`: where the host puts each backup's folder. */
  declare readonly target: pulumi.Output<string>;
  /** `backup.restoreFrom`, where a drill's restore reads; undefined when the stack restores its own backups. */
  declare readonly restoreFrom: string | undefined;
  /** The association that installs the timer; it re-runs when the files change. */
  declare readonly associationId: pulumi.Output<string>;
  /** Files the host gets, by name, for the offline plan (the timer, the service, the settings, the installer). */
  declare readonly files: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: AwsBackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:AwsBackups", name, {}, opts);
    const { names, config } = args;

    const provider = new aws.Provider(
      `${name}-aws`,
      { region: args.region, defaultTags: { tags: { ...names.commonTags } } },
      { parent: this },
    );
    const child: pulumi.CustomResourceOptions = { parent: this, provider };

    // An adopted bucket (backup.bucketName, the team's own kept bucket) is read, never created or
    // deleted by this stack.
    const adopted = config.bucketName;
    let bucket: aws.s3.Bucket;
    if (adopted !== undefined) {
      bucket = aws.s3.Bucket.get(`${name}-bucket`, adopted, undefined, child);
    } else {
      // Bucket names are global: the team plus a random suffix that stays with the stack.
      const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 4 }, { parent: this });
      bucket = new aws.s3.Bucket(
        `${name}-bucket`,
        {
          bucket: pulumi.interpolate`${names.name("gitlab-backups")}-${suffix.hex}`,
          // Without keepDataOnDestroy a destroy must not fail on a non-empty, versioned bucket: the
          // provider then deletes every object version and delete marker (terraform-provider-aws
          // internal/service/s3/delete.go, emptyBucket) with the deployer's credentials.
          forceDestroy: !args.keepDataOnDestroy,
          tags: names.tags("gitlab-backups"),
        },
        // retainOnDelete follows host.keepDataOnDestroy, like the data volume: `pulumi destroy`
        // leaves the bucket and its backups, and a new stack of the team adopts it with backup.bucketName.
        { ...child, retainOnDelete: args.keepDataOnDestroy },
      );
    }
    // The bucket's protections stay with a kept or adopted bucket: deleting them on destroy would
    // leave kept backups without encryption defaults, public-access blocks, expiry or the policy
    // that keeps the host from erasing them.
    const retain = args.keepDataOnDestroy || adopted !== undefined;
    // An adopted bucket's protections exist already (the stack that created it kept them): each is
    // imported (its import id is the bucket's name) rather than created over it, so the stack takes
    // them over and the preview shows, per setting, an import and any change this stack's values
    // make (a backup.retentionDays other than the bucket's is an update of its lifecycle, shown,
    // never a silent overwrite). Once in the stack's state, the import option is a no-op.
    const settingOpts: pulumi.CustomResourceOptions = {
      ...child,
      retainOnDelete: retain,
      ...(adopted !== undefined ? { import: adopted } : {}),
    };
    const bucketName = bucket.bucket;

    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket: bucketName, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      settingOpts,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucketName, versioningConfiguration: { status: "Enabled" } },
      settingOpts,
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucketName,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      settingOpts,
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucketName,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            denyInsecureTransport(bucket.arn),
            // Whatever the host role's IAM policies say. aws:PrincipalArn is the role's ARN for
            // every session of it; a condition, not a Principal, so that the policy stays valid
            // (and keeps denying) when the role is replaced.
            {
              Sid: "DenyHostErasingBackups",
              Effect: "Deny",
              Principal: "*",
              Action: [...HOST_DENIED_ACTIONS],
              Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
              Condition: { ArnEquals: { "aws:PrincipalArn": args.hostRoleArn } },
            },
            // And every gitlab-dind host role of the account, by the tags this program puts on
            // them (a host cannot retag its role: it has no IAM action): a drill's host, which
            // reads this bucket with backup.restoreFrom, erases nothing here either, whatever it
            // is granted later.
            {
              Sid: "DenyGitLabDindHostsErasingBackups",
              Effect: "Deny",
              Principal: "*",
              Action: [...HOST_DENIED_ACTIONS],
              Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
              Condition: {
                StringEquals: { "aws:PrincipalTag/ManagedBy": MANAGED_BY },
                StringLike: { "aws:PrincipalTag/Name": `*-${HOST_ROLE_NAME_TAG}` },
              },
            },
            // Only this stack's host writes here: another gitlab-dind host (a drill that restores
            // from this bucket) is refused a write even if a broader grant allowed it.
            {
              Sid: "DenyOtherGitLabDindHostsWriting",
              Effect: "Deny",
              Principal: "*",
              Action: ["s3:PutObject"],
              Resource: pulumi.interpolate`${bucket.arn}/*`,
              Condition: {
                StringEquals: { "aws:PrincipalTag/ManagedBy": MANAGED_BY },
                StringLike: { "aws:PrincipalTag/Name": `*-${HOST_ROLE_NAME_TAG}` },
                ArnNotEquals: { "aws:PrincipalArn": args.hostRoleArn },
              },
            },
          ],
        }),
      },
      {
        ...settingOpts,
        // S3 refuses a bucket policy while the public-access block is being changed: one after the other.
        dependsOn: [publicAccess],
        // Named `-tls-only` while it held only that statement: the alias keeps existing stacks'
        // policy one resource (a rename would create the new one, then delete the old one, which
        // is the same bucket policy, from under it).
        aliases: [{ name: `${name}-tls-only` }],
      },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-expiry`,
      {
        bucket: bucketName,
        rules: [
          {
            id: "expire-backups",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days: config.retentionDays },
            // Versioning keeps what expires or is overwritten as a noncurrent version, for as long
            // again: a backup a compromised host overwrote is still there, retentionDays days.
            noncurrentVersionExpiration: { noncurrentDays: config.retentionDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
          {
            id: "remove-expired-delete-markers",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { expiredObjectDeleteMarker: true },
          },
        ],
      },
      // AWS documents lifecycle rules on a versioned bucket after versioning is on.
      { ...settingOpts, dependsOn: [versioning] },
    );

    // The host role's own policy for the backups: list, read and write under its team's prefix of
    // its own bucket; for a drill, list and read under the restore source's prefix. No delete:
    // expiry is the lifecycle rule's job (and the bucket policy denies it to the host anyway).
    const teamPrefix = `${names.team}/`;
    const source = config.restoreFrom === undefined ? undefined : parseRestoreFrom(config.restoreFrom);
    if (typeof source === "string") throw new Error(`AwsBackups: backup.restoreFrom was not checked: ${source}`);
    // The source bucket's ARN, in the stack's partition (a drill reads a bucket of its own account).
    const sourceArn =
      source === undefined
        ? undefined
        : aws
            .getPartitionOutput({}, { parent: this, provider })
            .partition.apply((partition) => `arn:${partition}:s3:::${source.bucket}`);
    const access = rolePolicy(
      `${name}-host-access`,
      args.hostRoleName,
      [
        {
          Sid: "ListBackups",
          Effect: "Allow",
          Action: ["s3:ListBucket"],
          Resource: bucket.arn,
          Condition: { StringLike: { "s3:prefix": `${teamPrefix}*` } },
        },
        {
          Sid: "WriteBackups",
          Effect: "Allow",
          Action: ["s3:PutObject"],
          Resource: pulumi.interpolate`${bucket.arn}/${teamPrefix}*`,
        },
        {
          Sid: "ReadBackups",
          Effect: "Allow",
          Action: ["s3:GetObject"],
          Resource: pulumi.interpolate`${bucket.arn}/${teamPrefix}*`,
        },
        // The drill's source: read only, under its team's prefix only.
        ...(source === undefined || sourceArn === undefined
          ? []
          : [
              {
                Sid: "ListRestoreSource",
                Effect: "Allow" as const,
                Action: ["s3:ListBucket"],
                Resource: sourceArn,
                Condition: { StringLike: { "s3:prefix": `${source.team}/*` } },
              },
              {
                Sid: "ReadRestoreSource",
                Effect: "Allow" as const,
                Action: ["s3:GetObject"],
                Resource: pulumi.interpolate`${sourceArn}/${source.team}/*`,
              },
            ]),
      ],
      child,
    );

    const hostFiles = pulumi.all([bucketName, pulumi.output(args.gitlabContainer)]).apply(([b, container]) =>
      renderHostFiles(
        {
          container,
          bucket: b,
          prefix: names.team,
          region: args.region,
          skip: config.skip,
          hostBackupDir: args.hostBackupDir,
          restoreStagingDir: args.restoreStagingDir,
          restoreFrom: config.restoreFrom,
        },
        config.schedule,
      ),
    );
    const installer = hostFiles.apply(renderInstaller);

    const document = new aws.ssm.Document(
      `${name}-installer`,
      {
        name: installerDocumentName(names),
        documentType: "Command",
        documentFormat: "JSON",
        content: installer.apply((text) => renderInstallDocument(text, names.team)),
        tags: names.tags("backup-installer"),
      },
      child,
    );

    // What the host's SSM agent calls to run the association (the host's own role grants Session
    // Manager and Run Command only, infra/host/aws/iam.ts), the calls of amazon-ssm-agent's
    // instance-association mode (`agent/association/service/service.go`): list the instance's
    // associations, get the document's version, report the run's status, and its compliance
    // (`PutComplianceItems`, from the agent's compliance uploader). Each on what the Service
    // Authorization Reference lets it be scoped to:
    //  - ListInstanceAssociations and PutComplianceItems: this instance (resource type `instance`);
    //  - UpdateInstanceAssociationStatus: the association (required) and the instance. The
    //    association's id exists only after it is created, and the agent may run it at once, so
    //    the association is named by `association/*` with the stack's `Team` tag (the association
    //    carries the stack's tags; `aws:ResourceTag` is a condition key of the action and of the
    //    `association` resource type), the instance by its ARN;
    //  - GetDocument: this installer document only.
    // Not `ssm:DescribeAssociation`: the agent calls it only in its legacy fallback (when
    // ListInstanceAssociations fails), and on `*` it would return every association's parameters.
    const invoke = { provider, parent: this };
    const partition = aws.getPartitionOutput({}, invoke).partition;
    const accountId = aws.getCallerIdentityOutput({}, invoke).accountId;
    const instanceArn = pulumi.interpolate`arn:${partition}:ec2:${args.region}:${accountId}:instance/${args.instanceId}`;
    const agent = rolePolicy(
      `${name}-host-state-manager`,
      args.hostRoleName,
      ssmAgentAssociationStatements({
        instanceArn,
        associationArns: pulumi.interpolate`arn:${partition}:ssm:${args.region}:${accountId}:association/*`,
        documentArn: document.arn,
        team: names.team,
      }),
      child,
    );

    // State Manager runs an association when it is created and again whenever it is updated
    // (unless applyOnlyAtCronInterval). Pinning the document version makes every change of the
    // files (schedule, skip list, scripts) an update of the association, hence a re-run; a new
    // instance id is one too. No schedule: the files only change with `pulumi up`.
    const associationArgs = {
      name: document.name,
      documentVersion: document.latestVersion,
      associationName: names.name("backup-timer"),
      targets: [{ key: "InstanceIds", values: [args.instanceId] }],
      complianceSeverity: "HIGH",
    };
    const association = new aws.ssm.Association(
      `${name}-install`,
      // No waitForSuccessTimeoutSeconds: the provider waits with it on create only; the wait below
      // covers every change, with the run's status and summary when it fails.
      { ...associationArgs, tags: names.tags("backup-timer") },
      // The installer needs a booted host whose role may already reach the bucket.
      { ...child, dependsOn: [...(args.hostReady ?? []), access, agent] },
    );
    // `pulumi up` fails, with the installer's status and summary, when this instance did not run
    // the association's current version successfully: on create, on a new document version and
    // on a replaced instance alike.
    const installed = new AssociationRunWait(
      `${name}-installed`,
      {
        region: args.region,
        associationId: association.associationId,
        instanceId: args.instanceId,
        association: associationArgs,
      },
      { parent: this },
    );

    this.bucketName = bucketName;
    this.bucketArn = bucket.arn;
    this.target = pulumi.interpolate`s3://${bucketName}/${names.team}`;
    this.restoreFrom = config.restoreFrom;
    // Known once the timer is installed: what reads it comes after the wait.
    this.associationId = pulumi.all([association.associationId, installed.associationVersion]).apply(([id]) => id);
    this.files = {
      [BACKUP_TIMER]: hostFiles.apply((f) => f.timer),
      "gitlab-dind-backup.service": hostFiles.apply((f) => f.service),
      "backup.env": hostFiles.apply((f) => f.env),
      "backup-installer.sh": installer,
    };
    this.registerOutputs({ bucketName: this.bucketName, target: this.target, associationId: this.associationId });
  }
}
