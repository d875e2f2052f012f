export {
  RunnerWorkers,
  secondSubnetCidr,
  spotInstancesPolicy,
  SPOT_ALLOCATION_STRATEGY,
  type RunnerWorkersArgs,
} from "./runner-workers";
export { WORKER_GITLAB_NAME, workerAccess, type WorkerAccess } from "./worker-access";
export { managerPolicyDocument, managerPolicyStatements } from "./manager-policy";
export {
  renderWorkerUserData,
  workerDockerFiles,
  WORKER_BOOTSTRAP_SCRIPT,
  WORKER_DIND_CONFIG_DIR,
  WORKER_DIND_JOB_VOLUME,
} from "./worker-user-data";
