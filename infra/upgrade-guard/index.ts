/** GitLab's required upgrade stops, and the guard that enforces them at `pulumi preview`. */
export {
  UpgradeGuard,
  GitLabDeployedVersion,
  GitLabVersionRecord,
  deployedVersionProvider,
  upgradeGuardProvider,
} from "./upgrade-guard";
export type { UpgradeGuardArgs, GuardInputs, GuardOutputs } from "./upgrade-guard";
export {
  UPGRADE_STOPS,
  UPGRADE_PATHS_URL,
  checkImageChange,
  compareVersions,
  describeStop,
  formatVersion,
  imageRepository,
  parseGitLabVersion,
  stopImage,
  upgradePath,
} from "./upgrade-stops";
export type { GitLabVersion, UpgradePath, UpgradeStop } from "./upgrade-stops";
