/**
 * What `gitlab.objectStorage: s3` adds to gitlab.rb and to the host's role, as pure functions of the
 * bucket names (or ARNs) and the GitLab version. No key, no secret: GitLab, Workhorse and the
 * registry take the instance role's temporary credentials from IMDS.
 */
import type { GitLabRbSetting } from "../gitlab/gitlab-rb";
import { atLeast } from "../gitlab/versions";
import type { PolicyStatement } from "../host/aws/iam";
import type { GitLabVersion } from "../upgrade-guard/upgrade-stops";

/**
 * The registry's `s3_v2` storage driver (AWS SDK for Go v2) from GitLab 18.0: the `s3` driver (SDK v1)
 * is deprecated in 18.0 and removed in 19.0, `s3_v2` exists since 17.10 (gitlab-org/gitlab#523095,
 * "Deprecate S3v1 Storage Driver for Container Registry"; the feedback issue gitlab-org/gitlab#525855
 * shows `registry['storage'] = { 's3_v2' => { 'bucket' =>, 'region' => … } }`). Before 18.0, `s3`.
 */
export const REGISTRY_S3_V2_SINCE: GitLabVersion = { major: 18, minor: 0, patch: 0 };

/** The registry's S3 driver name for a GitLab version. */
export function registryS3Driver(version: GitLabVersion): "s3" | "s3_v2" {
  return atLeast(version, REGISTRY_S3_V2_SINCE) ? "s3_v2" : "s3";
}

export interface ObjectStorageRbValues {
  readonly version: GitLabVersion;
  /** The AWS region of the buckets. */
  readonly region: string;
  /** The bucket of each object type (`objectTypesFor(version)`), by type. */
  readonly buckets: Readonly<Record<string, string>>;
  /** The registry's bucket; undefined when the registry is off (gitlab.registryPort 0). */
  readonly registryBucket: string | undefined;
}

/**
 * gitlab.rb's consolidated object storage (omnibus 19.3.0+ce.0 gitlab.rb.template, "Consolidated
 * (simplified) object storage configuration"; gitlab/attributes/default.rb
 * `default['gitlab']['gitlab_rails']['object_store']`) and the registry's storage driver
 * (registry/attributes/default.rb `default['registry']['storage']`, a whole hash rendered as the
 * registry's `storage:`; gitlab/libraries/registry.rb adds `cache` and `delete` to it).
 */
export function objectStorageSettings(v: ObjectStorageRbValues): GitLabRbSetting[] {
  const settings: GitLabRbSetting[] = [
    {
      kind: "assign",
      scope: "gitlab_rails",
      key: ["object_store", "enabled"],
      value: true,
      comment:
        "Objects in S3 (gitlab.objectStorage s3): one bucket per type, reached with the host's instance role through IMDS\n(use_iam_profile: no key in this file). gitlab-backup does not copy them: the buckets' versions protect them.",
    },
    {
      kind: "assign",
      scope: "gitlab_rails",
      key: ["object_store", "connection"],
      value: { rubyHash: { provider: "AWS", region: v.region, use_iam_profile: true } },
    },
    {
      kind: "assign",
      scope: "gitlab_rails",
      key: ["object_store", "proxy_download"],
      value: false,
      comment:
        "Upstream's default, written out: clients download from S3 through pre-signed URLs instead of through GitLab.",
    },
  ];
  for (const [type, bucket] of Object.entries(v.buckets)) {
    settings.push({
      kind: "assign",
      scope: "gitlab_rails",
      key: ["object_store", "objects", type, "bucket"],
      value: bucket,
    });
  }
  if (v.registryBucket !== undefined) {
    settings.push({
      kind: "assign",
      scope: "registry",
      key: "storage",
      value: {
        rubyHash: {
          // No accesskey/secretkey: the driver takes the instance role's credentials.
          [registryS3Driver(v.version)]: { rubyHash: { bucket: v.registryBucket, region: v.region } },
        },
      },
      comment:
        "The registry's images in their own bucket, with the host's instance role (no key). Pulls are redirected to\npre-signed S3 URLs (the driver's default).",
    });
  }
  return settings;
}

/** What the host role may do on the buckets: ARNs of GitLab's object buckets and of the registry's. */
export interface BucketArns<T> {
  readonly objects: readonly T[];
  readonly registry: T | undefined;
}

/**
 * GitLab's object storage documentation ("IAM permissions", the instance profile example): s3:PutObject,
 * s3:GetObject, s3:DeleteObject on the objects and s3:ListBucket on the bucket. Workhorse's multipart
 * uploads are s3:PutObject; a failed one left behind is removed by the buckets' lifecycle rule.
 */
export const GITLAB_BUCKET_ACTIONS = ["s3:ListBucket"] as const;
export const GITLAB_OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] as const;
/**
 * The registry's S3 driver ("S3 permission scopes" of the distribution storage driver documentation)
 * without s3:ListAllMyBuckets on `*`, which the driver does not call: the bucket's listing, its
 * location and its multipart uploads; the objects' read, write, delete and multipart parts and abort
 * (the driver writes layers as multipart uploads across requests).
 */
export const REGISTRY_BUCKET_ACTIONS = [
  "s3:ListBucket",
  "s3:GetBucketLocation",
  "s3:ListBucketMultipartUploads",
] as const;
export const REGISTRY_OBJECT_ACTIONS = [
  "s3:GetObject",
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:ListMultipartUploadParts",
  "s3:AbortMultipartUpload",
] as const;

/** The host role's statements: exactly these actions, on these buckets and their objects only. */
export function objectStorageStatements<T>(
  arns: BucketArns<T>,
  objectsOf: (arn: T) => T,
): (Omit<PolicyStatement, "Resource"> & { Resource: T[] })[] {
  return [
    {
      Sid: "ListGitLabObjectBuckets",
      Effect: "Allow",
      Action: [...GITLAB_BUCKET_ACTIONS],
      Resource: [...arns.objects],
    },
    {
      Sid: "ReadWriteGitLabObjects",
      Effect: "Allow",
      Action: [...GITLAB_OBJECT_ACTIONS],
      Resource: arns.objects.map(objectsOf),
    },
    ...(arns.registry === undefined
      ? []
      : [
          {
            Sid: "RegistryBucket",
            Effect: "Allow" as const,
            Action: [...REGISTRY_BUCKET_ACTIONS],
            Resource: [arns.registry],
          },
          {
            Sid: "RegistryObjects",
            Effect: "Allow" as const,
            Action: [...REGISTRY_OBJECT_ACTIONS],
            Resource: [objectsOf(arns.registry)],
          },
        ]),
  ];
}
