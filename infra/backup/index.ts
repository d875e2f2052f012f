/**
 * Backups of the stack's GitLab: on AWS a bucket, the host's access to it and a timer on the host
 * (AwsBackups); on the local target nothing is deployed (`npm run backup` writes to
 * backup.localDir on demand).
 */
import * as pulumi from "@pulumi/pulumi";
import path from "node:path";
import type { StackConfig } from "../config/types";
import type { GitLabServer } from "../gitlab";
import type { HostBuild } from "../host";
import type { Naming } from "../naming";
import { AwsBackups } from "./aws-backups";

export { AwsBackups } from "./aws-backups";

/** The container's /var/opt/gitlab is `<data path>/gitlab/data` on the host (gitlab-server.ts `storage`). */
export function hostBackupDir(dataPath: string): string {
  return `${dataPath.replace(/\/+$/, "")}/gitlab/data/backups`;
}

export interface BackupBuild {
  /** Stack outputs that `npm run backup` / `npm run restore` read. */
  readonly outputs: Readonly<Record<string, pulumi.Input<unknown>>>;
  readonly files: Readonly<Record<string, pulumi.Output<string>>>;
}

export function createBackups(config: StackConfig, names: Naming, host: HostBuild, gitlab: GitLabServer): BackupBuild {
  const common = { gitlabContainer: gitlab.container.name, gitlabImage: config.gitlab.image };
  if (!config.backup.enabled) return { outputs: {}, files: {} };
  if (config.target === "local") {
    // Relative to the project directory (where Pulumi.yaml is and the npm scripts run).
    const dir = config.backup.localDir;
    return {
      outputs: {
        ...common,
        backupLocalDir: path.isAbsolute(dir) ? dir : path.normalize(dir),
        backupSkip: [...config.backup.skip],
      },
      files: {},
    };
  }
  const region = config.awsRegion;
  const dataPath = host.host.dataPath;
  if (host.aws === undefined || region === undefined || dataPath === undefined) {
    throw new Error("createBackups: an aws stack needs the AWS host's role, instance, region and data path");
  }
  const backups = new AwsBackups(names.name("backups"), {
    names,
    config: config.backup,
    keepDataOnDestroy: config.host.keepDataOnDestroy,
    region,
    hostRoleName: host.aws.roleName,
    hostRoleArn: host.aws.roleArn,
    instanceId: host.aws.instanceId,
    gitlabContainer: gitlab.container.name,
    hostBackupDir: hostBackupDir(dataPath),
    restoreStagingDir: `${dataPath.replace(/\/+$/, "")}/gitlab-dind-restore`,
    hostReady: [...host.host.ready],
  });
  return {
    outputs: {
      ...common,
      awsRegion: region,
      backupBucket: backups.bucketName,
      backupTarget: backups.target,
      // A drill's restore source (backup.restoreFrom), for `npm run restore`; absent otherwise.
      ...(backups.restoreFrom === undefined ? {} : { backupRestoreFrom: backups.restoreFrom }),
    },
    files: backups.files,
  };
}
