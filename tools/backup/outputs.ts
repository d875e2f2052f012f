/**
 * What `npm run backup` / `npm run restore` need from the deployed stack, read with
 * `pulumi stack output --json` (no secret is needed, none is shown).
 */
import path from "node:path";
import { readRawStackOutputs, StackOutputsError, type ReadStackOptions } from "../smoke/stack-outputs";

export type BackupTarget =
  | {
      readonly kind: "aws";
      readonly team: string;
      readonly region: string;
      readonly instanceId: string;
      readonly bucket: string;
      /** A drill's restore source, `s3://<bucket>/<team>` (output `backupRestoreFrom`, from `backup.restoreFrom`). */
      readonly restoreFrom?: string;
      readonly gitlabContainer: string;
      readonly gitlabImage: string;
    }
  | {
      readonly kind: "local";
      readonly team: string;
      /** Absolute. */
      readonly localDir: string;
      readonly skip: readonly string[];
      readonly gitlabContainer: string;
      readonly gitlabImage: string;
    };

export async function readBackupTarget(
  stack: string,
  options: ReadStackOptions & { readonly cwd: string },
): Promise<BackupTarget> {
  return backupTarget(stack, await readRawStackOutputs(stack, options, { showSecrets: false }), options.cwd);
}

/** Checks the outputs; every problem at once. */
export function backupTarget(stack: string, raw: unknown, cwd: string): BackupTarget {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw) || Object.keys(raw).length === 0)
    throw new StackOutputsError(`Stack "${stack}" has no outputs yet: run \`pulumi up --stack ${stack}\` first.`);
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  const str = (key: string, pattern: RegExp, what: string): string => {
    const v = o[key];
    if (typeof v !== "string" || !pattern.test(v))
      problems.push(`${key}: expected ${what}, got ${JSON.stringify(v) ?? "nothing"}`);
    return typeof v === "string" ? v : "";
  };
  const target = str("target", /^(aws|local)$/, "aws or local");
  const team = str("team", /^[a-z][a-z0-9-]{1,20}$/, "a team name");
  if (
    problems.length === 0 &&
    o["gitlabContainer"] === undefined &&
    o["backupBucket"] === undefined &&
    o["backupLocalDir"] === undefined
  ) {
    throw new StackOutputsError(
      `Stack "${stack}" has no backup outputs: backups are off (gitlab-dind:backup.enabled is false), or the stack predates them (run \`pulumi up --stack ${stack}\`).`,
    );
  }
  const gitlabContainer = str("gitlabContainer", /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a container name");
  const gitlabImage = str("gitlabImage", /^\S+:\S+$/, "an image with a tag");
  let result: BackupTarget | undefined;
  if (target === "aws") {
    const region = str("awsRegion", /^[a-z]{2,4}(-[a-z]+)+-\d+$/, "an AWS region");
    const instanceId = str("instanceId", /^i-[0-9a-f]+$|^[A-Za-z0-9-]+$/, "an EC2 instance id");
    const bucket = str("backupBucket", /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name");
    const restoreFrom =
      o["backupRestoreFrom"] === undefined
        ? undefined
        : str(
            "backupRestoreFrom",
            /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[a-z][a-z0-9-]{1,20}$/,
            "s3://<bucket>/<team>",
          );
    result = {
      kind: "aws",
      team,
      region,
      instanceId,
      bucket,
      ...(restoreFrom === undefined ? {} : { restoreFrom }),
      gitlabContainer,
      gitlabImage,
    };
  } else if (target === "local") {
    const dir = str("backupLocalDir", /\S/, "a directory");
    const skipRaw = o["backupSkip"] ?? [];
    const skip =
      Array.isArray(skipRaw) && skipRaw.every((s) => typeof s === "string" && /^[a-z_]+$/.test(s))
        ? (skipRaw as string[])
        : undefined;
    if (skip === undefined)
      problems.push(`backupSkip: expected a list of component names, got ${JSON.stringify(skipRaw)}`);
    result = { kind: "local", team, localDir: path.resolve(cwd, dir), skip: skip ?? [], gitlabContainer, gitlabImage };
  }
  if (problems.length > 0 || result === undefined) {
    throw new StackOutputsError(
      `Stack "${stack}" outputs are not what the backup tools need (is the stack up to date? run \`pulumi up\`):\n  - ${problems.join("\n  - ")}`,
    );
  }
  return result;
}
