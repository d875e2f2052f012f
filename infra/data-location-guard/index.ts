/**
 * The data location guard as a contribution: on aws (the only target where GitLab's data can live
 * off the box) a record of `gitlab.objectStorage`, `gitlab.database` and `gitlab.redis` whose check
 * refuses turning one back to the box unless `gitlab.dataMovedBack` lists it; GitLab's container
 * starts after it. Locally nothing (the config refuses the off-box values there).
 */
import type { StackConfig } from "../config/types";
import type { Contribution } from "../contributions";
import { DataLocationGuard } from "./data-location-guard";

export { DataLocationGuard, dataLocationGuardProvider } from "./data-location-guard";
export type { DataGuardInputs } from "./data-location-guard";
export { dataMoveProblems, MOVED_BACK_KEY } from "./data-moves";
export type { DataLocations } from "./data-moves";

export function dataLocationGuard(config: StackConfig): Contribution {
  const name = "data-location-guard";
  if (config.target !== "aws") return { name };
  const guard = new DataLocationGuard("gitlab-data-location-guard", {
    objectStorage: config.gitlab.objectStorage,
    database: config.gitlab.database,
    redis: config.gitlab.redis,
    movedBack: config.gitlab.dataMovedBack,
  });
  return { name, gitlabStartAfter: [guard] };
}
