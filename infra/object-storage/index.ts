/**
 * `gitlab.objectStorage: s3` (AWS only): GitLab's objects and the registry's images in S3 buckets of
 * the stack (ObjectStorage), gitlab.rb's consolidated object storage and the registry's S3 driver
 * with the host's instance role (no key anywhere), and the host role's access to exactly these
 * buckets. `local` (the default) adds nothing.
 *
 * The host's side (IMDS hop limit 2, and the DOCKER-USER rule that keeps job containers from the
 * metadata service) follows from the same key in the config and the host's cloud-init
 * (infra/host/aws/job-imds.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/types";
import type { Contribution } from "../contributions";
import { gitLabImageVersion } from "../gitlab/versions";
import type { HostBuild } from "../host";
import type { Naming } from "../naming";
import { ObjectStorage } from "./object-storage";
import { objectStorageSettings, objectStorageStatements } from "./settings";

export { ObjectStorage } from "./object-storage";

/** The contribution's name: the host role's inline policy is `<team>-host-object-storage`. */
export const OBJECT_STORAGE_CONTRIBUTION = "object-storage";
/** The import file the offline plan writes (and the `objectStorageImport` output holds). */
export const OBJECT_STORAGE_IMPORT_FILE = "object-storage-import.json";

export function objectStorage(config: StackConfig, names: Naming, host: HostBuild): Contribution {
  if (config.gitlab.objectStorage !== "s3") return { name: OBJECT_STORAGE_CONTRIBUTION };
  const region = config.awsRegion;
  if (host.aws === undefined || region === undefined) {
    // The config refuses gitlab.objectStorage s3 on the local target before this runs.
    throw new Error("objectStorage: gitlab.objectStorage s3 needs the aws target's host and region");
  }
  const version = gitLabImageVersion(config.gitlab.image);
  const storage = new ObjectStorage(names.name("object-storage"), {
    names,
    version,
    registry: config.gitlab.registryPort !== 0,
    keepDataOnDestroy: config.host.keepDataOnDestroy,
    provider: host.aws.provider,
  });
  const registryBucket = storage.registryBucket;
  const rb = pulumi
    .all([pulumi.all(storage.objectBuckets), registryBucket ?? pulumi.output(undefined)])
    .apply(([buckets, registry]) => objectStorageSettings({ version, region, buckets, registryBucket: registry }));
  return {
    name: OBJECT_STORAGE_CONTRIBUTION,
    gitlabRbOutput: rb,
    hostRoleStatements: objectStorageStatements(
      { objects: storage.objectBucketArns, registry: storage.registryBucketArn },
      (arn) => pulumi.interpolate`${arn}/*`,
    ),
    outputs: {
      objectStorageBuckets: pulumi.all(storage.objectBuckets),
      ...(registryBucket === undefined ? {} : { registryBucket }),
      objectStorageImport: storage.importFile,
    },
    files: { [OBJECT_STORAGE_IMPORT_FILE]: storage.importFile },
  };
}
