/**
 * `RunnerCache`: the shared S3 cache of the stack's CI jobs (`runner.cache.type` s3), one bucket per stack.
 *
 *   bucket `<team>-runner-cache-<hex>` (SSE-S3, no public access, TLS only, objects expire after
 *   runner.cache.expireDays, emptied and deleted with the stack) → the host role's Get/Put on its
 *   cache objects → config.toml's `[runners.cache]` (runner-config `sharedCacheSection`)
 *
 * How jobs reach it, at gitlab-runner v19.3.0: `Type = "s3"` runs with the s3v2 adapter (common/build.go
 * maps it unless FF_USE_LEGACY_S3_CACHE_ADAPTER is on). For each job the runner process (the manager on
 * the host, with the host role through IMDS: `AuthenticationType = "iam"`) presigns the archive's GET,
 * HEAD and PUT URLs (cache/s3v2/adapter.go, s3.go `PresignURL`) and hands only the URLs to the job's
 * helper (shells/abstract.go). S3 checks a presigned request against the signer's rights: GetObject
 * for the GET and the HEAD (HeadObject is authorized by s3:GetObject), PutObject for the PUT. Nothing
 * lists the bucket: without s3:ListBucket a missing key answers 403 rather than 404, which the helper
 * takes as a miss ("Failed to extract cache") and the upload's existence check (HEAD) as absent.
 * Workers keep no instance profile; no key or role ARN is ever in config.toml or a job.
 *
 * Object keys are `project/<id>/<key>` (cache/cache.go `GetAdapter` with `Shared = true` and no
 * `Path`), so the role's statement covers `project/*` of this bucket alone.
 *
 * Not versioned, on purpose: every pipeline overwrites its keys, and a lost cache only costs a
 * download. The policy pack's s3-versioned rule makes the one exception for a bucket tagged
 * DISPOSABLE_CACHE_TAG = "true".
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Contribution } from "../contributions";
import type { PolicyStatement } from "../host/aws/iam";
import type { Naming } from "../naming";
import { denyInsecureTransport } from "../s3-policy";

/** The tag that marks a bucket as a disposable cache (the policy pack's `DISPOSABLE_CACHE_TAG`). */
export const DISPOSABLE_CACHE_TAG = "gitlab-dind:disposable-cache";

/** Where gitlab-runner puts a shared cache's archives in the bucket (`project/<id>/<key>`). */
export const CACHE_OBJECT_PREFIX = "project/";

/** Abandoned uploads are cleaned up after a day (the presigned PUT is a single request, but a client may use multipart). */
export const ABORT_MULTIPART_DAYS = 1;

export interface RunnerCacheArgs {
  /** Physical names and tags: the bucket is `<team>-runner-cache-<8 hex digits>`. */
  readonly names: Naming;
  /** `runner.cache.expireDays`: days until the lifecycle deletes an archive. */
  readonly expireDays: number;
  /** The stack's AWS provider (its region and default tags). */
  readonly provider: aws.Provider;
  /** The stack's region: config.toml's `BucketLocation`. */
  readonly region: string;
}

export class RunnerCache extends pulumi.ComponentResource {
  declare readonly bucketName: pulumi.Output<string>;
  declare readonly bucketArn: pulumi.Output<string>;
  /** The stack's region, where the bucket is. */
  readonly region: string;
  /** The host role's statement (Get/Put on the cache's objects) and the bucket's name as an output. */
  readonly contribution: Contribution;

  constructor(name: string, args: RunnerCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:RunnerCache", name, {}, opts);
    const { names } = args;
    const child: pulumi.CustomResourceOptions = { parent: this, provider: args.provider };

    // Bucket names are global: the team plus a random suffix that stays with the stack.
    const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 4 }, { parent: this });
    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucket: pulumi.interpolate`${names.name("runner-cache")}-${suffix.hex}`,
        // A cache is disposable: `pulumi destroy` (and a switch back to the local cache) empties and
        // deletes it rather than failing on a non-empty bucket.
        forceDestroy: true,
        tags: { ...names.tags("runner-cache"), [DISPOSABLE_CACHE_TAG]: "true" },
      },
      child,
    );
    const bucketName = bucket.bucket;

    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      // SSE-S3, as config.toml's ServerSideEncryption "S3" asks for on every upload.
      { bucket: bucketName, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      child,
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
      child,
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucketName,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [denyInsecureTransport(bucket.arn)],
        }),
      },
      // S3 refuses a bucket policy while the public-access block is being changed: one after the other.
      { ...child, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-expiry`,
      {
        bucket: bucketName,
        rules: [
          {
            id: "expire-cache-archives",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days: args.expireDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_DAYS },
          },
        ],
      },
      child,
    );

    this.bucketName = bucketName;
    this.bucketArn = bucket.arn;
    this.region = args.region;
    this.contribution = {
      name: "runner-cache",
      hostRoleStatements: runnerCacheStatements(bucket.arn),
      outputs: { runnerCacheBucket: bucketName },
    };
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}

/**
 * The runner manager's rights on the cache: read and write its archives, which is what presigning the
 * GET, HEAD and PUT URLs needs (S3 authorizes a presigned request as the signer's). No ListBucket, no
 * delete (expiry is the lifecycle's job), nothing on any other bucket.
 */
export function runnerCacheStatements(bucketArn: pulumi.Input<string>): PolicyStatement[] {
  return [
    {
      Sid: "RunnerCacheArchives",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: pulumi.interpolate`${bucketArn}/${CACHE_OBJECT_PREFIX}*`,
    },
  ];
}
