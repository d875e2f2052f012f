/** Rules for the `rds.*` keys (GitLab's database on Amazon RDS). Pure: no Pulumi runtime. */

/**
 * An RDS instance class: `db.<family>.<size>` (`db.m7g.large`, `db.r6i.2xlarge`, `db.m6gd.metal`).
 * Sizes under `large` are refused: every family has less than 8 GiB there, and GitLab's database
 * needs the memory for its connections (two sets, main and ci) and work_mem.
 */
export function checkRdsInstanceClass(v: string): string | undefined {
  const shape = /^db\.([a-z][a-z0-9-]*)\.([a-z0-9-]+)$/.exec(v);
  const expected = "an RDS instance class db.<family>.<size> such as db.m7g.large";
  if (shape === null) return expected;
  const [, family, size] = shape;
  if (family === "serverless" || !/\d/.test(family)) return `${expected} (a provisioned DB instance class)`;
  if (!/^(\d*xlarge|large|metal(-\d+xl)?)$/.test(size)) {
    return /^(nano|micro|small|medium)$/.test(size)
      ? `a class of size large or bigger such as db.m7g.large (a ${size} class has less than the 8 GiB GitLab's database needs)`
      : expected;
  }
  return undefined;
}

/**
 * A DB snapshot to create the instance from: its identifier (1–255 letters, digits and hyphens,
 * starting with a letter; automated ones are `rds:<id>-<date>`) or its ARN (a shared snapshot).
 */
export function checkRdsSnapshotIdentifier(v: string): string | undefined {
  if (/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:snapshot:[A-Za-z][A-Za-z0-9:-]{0,254}$/.test(v)) return undefined;
  if (/^(rds:)?[A-Za-z][A-Za-z0-9-]{0,254}$/.test(v) && !v.endsWith("-") && !v.includes("--")) return undefined;
  return "an RDS DB snapshot identifier such as gitlab-final-2026-12-01 (letters, digits and single hyphens, starting with a letter) or a snapshot ARN";
}
