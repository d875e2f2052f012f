/** The jobs' /etc/docker: files contributed by the cache and the stack CA, on the host or a worker. */
export { JobDockerConfig, HOLDER_MOUNT, registryCaFile, resolvedJobDockerFiles } from "./job-docker-config";
export type { JobDockerConfigArgs, PendingJobDockerFile } from "./job-docker-config";
export {
  DOCKER_CONFIG_DIR,
  checkedJobDockerFiles,
  jobDockerFileProblems,
  jobDockerFilesDigest,
  registryAddress,
  registryCaPath,
} from "./files";
export type { JobDockerFile } from "./files";
