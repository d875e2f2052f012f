/**
 * Where backups live in S3, as the `backup.*` keys name them: a bucket name (`backup.bucketName`)
 * and a restore source `s3://<bucket>/<team>` (`backup.restoreFrom`). Pure checks: each returns what
 * was expected when the value breaks the rule, or undefined when it is fine.
 */

/** The rule of `gitlab-dind:team`: every backup of a stack lies under its team's prefix. */
const TEAM_NAME = /^[a-z][a-z0-9-]{1,20}$/;

/** The name of a bucket this program creates: `<team>-gitlab-backups-<8 hex digits>` (aws-backups.ts). */
const CREATED_BUCKET_NAME = /^([a-z][a-z0-9-]{1,20})-gitlab-backups-[0-9a-f]{8}$/;

/** Prefixes and suffixes S3 reserves in general purpose bucket names (S3 User Guide, "Bucket naming rules"). */
const RESERVED_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/** A general purpose S3 bucket name (S3 User Guide, "General purpose bucket naming rules"). */
export function checkBucketName(value: string): string | undefined {
  const ok =
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value) &&
    !value.includes("..") &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(value) &&
    !RESERVED_PREFIXES.some((p) => value.startsWith(p)) &&
    !RESERVED_SUFFIXES.some((s) => value.endsWith(s));
  return ok
    ? undefined
    : "an S3 bucket name: 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit";
}

/** The team a bucket created by this program belongs to (its name says so); undefined for other names. */
export function teamOfCreatedBucket(bucket: string): string | undefined {
  return CREATED_BUCKET_NAME.exec(bucket)?.[1];
}

export interface RestoreSource {
  readonly bucket: string;
  /** The team whose prefix holds the backups. */
  readonly team: string;
}

const RESTORE_FROM_FORM = "s3://<bucket>/<team>, the backupTarget output of the stack whose backups to restore";

/** `s3://<bucket>/<team>` split into its parts, or what was expected. */
export function parseRestoreFrom(value: string): RestoreSource | string {
  const match = /^s3:\/\/([^/]*)\/([^/]*)$/.exec(value);
  if (match === null) return `${RESTORE_FROM_FORM} (exactly that: no trailing slash, no deeper path)`;
  const [, bucket, team] = match;
  const problems: string[] = [];
  const bucketWhy = checkBucketName(bucket);
  if (bucketWhy !== undefined) problems.push(`its bucket ${JSON.stringify(bucket)} to be ${bucketWhy}`);
  if (!TEAM_NAME.test(team))
    problems.push(
      `its team ${JSON.stringify(team)} to be a team name (2 to 21 characters: a lowercase letter, then lowercase letters, digits or '-')`,
    );
  return problems.length === 0 ? { bucket, team } : `${RESTORE_FROM_FORM}, with ${problems.join(" and ")}`;
}
