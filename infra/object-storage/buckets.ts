/**
 * The S3 buckets of `gitlab.objectStorage: s3`, by what they hold: one per object type GitLab keeps in
 * object storage (the consolidated form's `object_store['objects'][type]`), one for the container
 * registry's own storage driver. Pure: names and versions only, no Pulumi.
 */
import { checkBucketName } from "../config/s3-location";
import { atLeast } from "../gitlab/versions";
import type { GitLabVersion } from "../upgrade-guard/upgrade-stops";

/**
 * The object types of omnibus's consolidated object storage (`gitlab_rails['object_store']['objects']`,
 * omnibus-gitlab 19.3.0+ce.0 gitlab.rb.template and gitlab/attributes/default.rb), each with the
 * version whose omnibus first reads it. GitLab refuses to start when a type it supports in the
 * consolidated form has no bucket (gitlabhq config/object_store_settings.rb `missing_bucket_for`,
 * "Object storage for <type> must have a bucket specified"), so every type gets one.
 * `agent_plan_content` appeared in omnibus 19.1 (commit abe0c6187, "Add agent_plan_content object
 * storage configuration"); GitLab takes it in the consolidated form since gitlab-org/gitlab!236703.
 */
export const OBJECT_TYPES: readonly { readonly type: string; readonly since?: GitLabVersion }[] = [
  { type: "artifacts" },
  { type: "external_diffs" },
  { type: "lfs" },
  { type: "uploads" },
  { type: "packages" },
  { type: "dependency_proxy" },
  { type: "terraform_state" },
  { type: "ci_secure_files" },
  { type: "agent_plan_content", since: { major: 19, minor: 1, patch: 0 } },
  { type: "pages" },
];

/** The registry's bucket, next to the object types' (the registry is not part of the consolidated form). */
export const REGISTRY_BUCKET = "registry";

/** The object types omnibus reads for this GitLab version, in gitlab.rb.template's order. */
export function objectTypesFor(version: GitLabVersion): string[] {
  return OBJECT_TYPES.filter((t) => t.since === undefined || atLeast(version, t.since)).map((t) => t.type);
}

/** Every bucket a stack may have: each object type of any supported version, and the registry's. */
export const ALL_BUCKETS: readonly string[] = [...OBJECT_TYPES.map((t) => t.type), REGISTRY_BUCKET];

/** The random suffix's length in hex digits (a 4-byte RandomId). */
export const SUFFIX_HEX_DIGITS = 8;

/**
 * `<team>-gitlab-<what>-<suffix>`, `_` turned into `-` (S3 refuses `_`): `payments-gitlab-lfs-0a1b2c3d`.
 * At most 21 + 8 + 18 + 9 = 56 characters, under S3's 63.
 */
export function bucketName(team: string, what: string, suffix: string): string {
  return `${team}-gitlab-${what.replace(/_/g, "-")}-${suffix}`;
}

/**
 * Why the team's bucket names would not be valid S3 names (a team starting with a prefix S3
 * reserves, such as `xn--` or `sthree-`), or undefined. Checked with the longest type and any suffix.
 */
export function objectBucketNameProblem(team: string): string | undefined {
  const bad = ALL_BUCKETS.map((what) => bucketName(team, what, "0".repeat(SUFFIX_HEX_DIGITS))).find(
    (name) => checkBucketName(name) !== undefined,
  );
  return bad === undefined
    ? undefined
    : `expected a team whose object storage bucket names S3 accepts with gitlab.objectStorage s3 (no prefix S3 reserves, such as xn-- or sthree-); ${JSON.stringify(bad)} is not one`;
}
