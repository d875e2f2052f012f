/**
 * GitLab's database on Amazon RDS (gitlab.database rds): a Contribution for GitLab and the stack,
 * empty (`{ name: "rds" }`) with the bundled database.
 */
import type { StackConfig } from "../config/types";
import type { Contribution } from "../contributions";
import type { HostBuild } from "../host";
import type { Naming } from "../naming";
import { RdsDatabase } from "./rds-database";

export { RdsDatabase, type RdsDatabaseArgs } from "./rds-database";

export function rdsDatabase(config: StackConfig, names: Naming, host: HostBuild): Contribution {
  if (config.gitlab.database !== "rds") return { name: "rds" };
  // The config refuses rds on the local target, naming gitlab-dind:gitlab.database.
  if (host.aws === undefined) throw new Error("gitlab.database rds needs the aws target");
  return new RdsDatabase("gitlab-db", {
    settings: config.rds,
    network: host.aws,
    host: host.host,
    gitlabImage: config.gitlab.image,
    registryEnabled: config.gitlab.registryPort !== 0,
    keepDataOnDestroy: config.host.keepDataOnDestroy,
    names,
  }).contribution;
}
