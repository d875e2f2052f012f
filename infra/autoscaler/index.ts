export { RunnerWorkers, secondSubnetCidr, type RunnerWorkersArgs } from "./runner-workers";
export { WORKER_GITLAB_NAME, workerAccess, type WorkerAccess } from "./worker-access";
export { managerPolicyDocument, managerPolicyStatements } from "./manager-policy";
export { renderWorkerUserData, WORKER_BOOTSTRAP_SCRIPT } from "./worker-user-data";
