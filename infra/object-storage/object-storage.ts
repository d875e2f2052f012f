/**
 * `ObjectStorage`: the S3 buckets of `gitlab.objectStorage: s3`.
 *
 *   one random suffix for the stack → per object type GitLab stores (and for the registry, when it
 *   is on) a bucket `<team>-gitlab-<type>-<suffix>` with: SSE-S3 default encryption, versioning,
 *   a lifecycle that expires noncurrent versions after NONCURRENT_VERSION_DAYS and aborts
 *   abandoned multipart uploads, every public access blocked, ACLs off (BucketOwnerEnforced) and a
 *   policy refusing plain HTTP.
 *
 * SSE-S3 (AES256), not the stack's KMS key, for the reason the backup bucket gives
 * (infra/backup/aws-backups.ts): a destroy schedules the stack's key for deletion and its policy
 * names only that stack's role, so kept objects would become unreadable to the stack that takes the
 * buckets back. GitLab supports default SSE-S3 and SSE-KMS on its buckets; not SSE-C, nor Object Lock
 * (GitLab's object storage documentation), so neither is used.
 *
 * With host.keepDataOnDestroy the buckets and their settings stay on `pulumi destroy`
 * (retainOnDelete); a new stack takes them back with `pulumi import` (docs/operations.md, and the
 * `objectStorageImport` output: the import file for exactly these resources).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Naming } from "../naming";
import { bucketName, objectTypesFor, REGISTRY_BUCKET } from "./buckets";
import type { GitLabVersion } from "../upgrade-guard/upgrade-stops";
import { denyInsecureTransport } from "../s3-policy";

/** Days S3 keeps an overwritten or deleted object's previous version before it expires. */
export const NONCURRENT_VERSION_DAYS = 30;
/**
 * Days before S3 aborts a multipart upload nobody completed: longer than the registry keeps an
 * unfinished layer upload (its upload purging's default age, 168 hours).
 */
export const ABORT_MULTIPART_DAYS = 7;

/** The Pulumi type of the component (the import file creates it as the parent of what it imports). */
export const OBJECT_STORAGE_TYPE = "gitlab-dind:index:ObjectStorage";

export interface ObjectStorageArgs {
  /** Physical names and tags of the stack's team. */
  readonly names: Naming;
  /** The GitLab version (`gitlab.image`'s tag): which object types omnibus reads. */
  readonly version: GitLabVersion;
  /** Whether the container registry is on (gitlab.registryPort not 0): it gets a bucket of its own. */
  readonly registry: boolean;
  /**
   * `host.keepDataOnDestroy`: keep every bucket, its objects and its settings on destroy
   * (`forceDestroy` off); when false, destroy empties and deletes them.
   */
  readonly keepDataOnDestroy: boolean;
  /** The stack's AWS provider (the host's); the buckets live in its region. */
  readonly provider: aws.Provider;
}

/** One bucket and what protects it, by the Pulumi names the import file uses. */
interface BucketParts {
  readonly bucket: aws.s3.Bucket;
  /** `[Pulumi type, resource name]` of the bucket and each of its settings, all imported by the bucket's name. */
  readonly resources: readonly (readonly [string, string])[];
}

export class ObjectStorage extends pulumi.ComponentResource {
  /** The bucket of each object type GitLab stores, by type (`artifacts`, `lfs`, ...). */
  declare readonly objectBuckets: Readonly<Record<string, pulumi.Output<string>>>;
  declare readonly objectBucketArns: readonly pulumi.Output<string>[];
  /** The registry's bucket; undefined with the registry off. */
  declare readonly registryBucket: pulumi.Output<string> | undefined;
  declare readonly registryBucketArn: pulumi.Output<string> | undefined;
  /** The `pulumi import --file` document that takes every kept bucket and setting back into a new stack. */
  declare readonly importFile: pulumi.Output<string>;

  constructor(name: string, args: ObjectStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(OBJECT_STORAGE_TYPE, name, {}, opts);
    const { names } = args;
    const child: pulumi.CustomResourceOptions = { parent: this, provider: args.provider };
    // host.keepDataOnDestroy: `pulumi destroy` leaves the buckets, their objects and their settings
    // (encryption, versioning, public-access block, policy, lifecycle) in the account, like the data
    // volume: the objects are GitLab's data, and no backup holds them. Not `protect`: that would
    // refuse the whole destroy instead of keeping the data. A new stack imports them (docs/operations.md).
    const keep: pulumi.CustomResourceOptions = { ...child, retainOnDelete: args.keepDataOnDestroy };

    // Bucket names are global: the team plus a random suffix that stays with the stack (and is
    // imported with the buckets into a stack that takes them back).
    const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 4 }, { parent: this });

    const make = (what: string): BucketParts => {
      const id = `${name}-${what.replace(/_/g, "-")}`;
      const bucket = new aws.s3.Bucket(
        id,
        {
          bucket: suffix.hex.apply((hex) => bucketName(names.team, what, hex)),
          // Without keepDataOnDestroy a destroy must not fail on a non-empty, versioned bucket: the
          // provider then deletes every object version and delete marker first (as the backup bucket).
          forceDestroy: !args.keepDataOnDestroy,
          tags: { ...names.tags(`gitlab-${what.replace(/_/g, "-")}`), "gitlab-dind:object-type": what },
        },
        keep,
      );
      const settingName = (part: string) => `${id}-${part}`;
      new aws.s3.BucketServerSideEncryptionConfiguration(
        settingName("encryption"),
        { bucket: bucket.bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
        keep,
      );
      const versioning = new aws.s3.BucketVersioning(
        settingName("versioning"),
        { bucket: bucket.bucket, versioningConfiguration: { status: "Enabled" } },
        keep,
      );
      const publicAccess = new aws.s3.BucketPublicAccessBlock(
        settingName("public-access"),
        {
          bucket: bucket.bucket,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        keep,
      );
      // ACLs off: the bucket owns every object, whoever writes it (S3's default for new buckets, written out).
      new aws.s3.BucketOwnershipControls(
        settingName("ownership"),
        { bucket: bucket.bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
        keep,
      );
      new aws.s3.BucketPolicy(
        settingName("policy"),
        {
          bucket: bucket.bucket,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [denyInsecureTransport(bucket.arn)],
          }),
        },
        // S3 refuses a bucket policy while the public-access block is being changed: one after the other.
        { ...keep, dependsOn: [publicAccess] },
      );
      new aws.s3.BucketLifecycleConfiguration(
        settingName("lifecycle"),
        {
          bucket: bucket.bucket,
          rules: [
            {
              // What GitLab or the registry overwrites or deletes stays as a noncurrent version this
              // long: the objects' protection (gitlab-backup does not copy them).
              id: "expire-noncurrent-versions",
              status: "Enabled",
              filter: { prefix: "" },
              noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS },
              abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_DAYS },
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
        { ...keep, dependsOn: [versioning] },
      );
      return {
        bucket,
        resources: [
          ["aws:s3/bucket:Bucket", id],
          [
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            settingName("encryption"),
          ],
          ["aws:s3/bucketVersioning:BucketVersioning", settingName("versioning")],
          ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", settingName("public-access")],
          ["aws:s3/bucketOwnershipControls:BucketOwnershipControls", settingName("ownership")],
          ["aws:s3/bucketPolicy:BucketPolicy", settingName("policy")],
          ["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", settingName("lifecycle")],
        ],
      };
    };

    const objects = objectTypesFor(args.version).map((type) => [type, make(type)] as const);
    const registry = args.registry ? make(REGISTRY_BUCKET) : undefined;
    const all = [...objects.map(([, parts]) => parts), ...(registry === undefined ? [] : [registry])];

    this.objectBuckets = Object.fromEntries(objects.map(([type, parts]) => [type, parts.bucket.bucket]));
    this.objectBucketArns = objects.map(([, parts]) => parts.bucket.arn);
    this.registryBucket = registry?.bucket.bucket;
    this.registryBucketArn = registry?.bucket.arn;
    this.importFile = pulumi.all([suffix.b64Url, ...all.map((p) => p.bucket.bucket)]).apply(([b64, ...bucketNames]) =>
      renderImportFile(
        name,
        b64,
        all.map((parts, i) => ({ bucket: bucketNames[i], resources: parts.resources })),
      ),
    );
    this.registerOutputs({
      objectBuckets: this.objectBuckets,
      registryBucket: this.registryBucket,
    });
  }
}

/**
 * The `pulumi import --file` document for a stack that takes the kept buckets back: the component
 * (created empty, as the others' parent), the random suffix (by its base64url value, which the
 * random provider imports) and each bucket and setting (by the bucket's name). Run in the new stack
 * before its first `pulumi up` (docs/operations.md).
 */
export function renderImportFile(
  componentName: string,
  suffixB64Url: string,
  buckets: readonly { readonly bucket: string; readonly resources: readonly (readonly [string, string])[] }[],
): string {
  return `${JSON.stringify(
    {
      resources: [
        { type: OBJECT_STORAGE_TYPE, name: componentName, component: true },
        {
          type: "random:index/randomId:RandomId",
          name: `${componentName}-suffix`,
          id: suffixB64Url,
          parent: componentName,
        },
        ...buckets.flatMap((b) =>
          b.resources.map(([type, name]) => ({ type, name, id: b.bucket, parent: componentName })),
        ),
      ],
    },
    null,
    2,
  )}\n`;
}
