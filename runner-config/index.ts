/**
 * runner-config: the runner's `config.toml` (a privileged docker executor for Docker-in-Docker) and the
 * example pipeline it must run, as pure functions of plain values.
 */
export type {
  AutoscalerPolicySection,
  AutoscalerSection,
  CacheS3Section,
  CacheSection,
  DockerSection,
  LogFormat,
  PullPolicy,
  RunnerConfigModel,
  RunnerSection,
  SessionServerSection,
} from "./model";
export { CONFIG_TOML_FILE, LOG_FORMATS, PULL_POLICIES } from "./model";
export { RunnerConfigError } from "./errors";
export { renderRunnerConfigToml } from "./render-config-toml";
export { configModelProblems, CERTS_CLIENT_VOLUME, CACHE_CREDENTIAL_KEYS } from "./validate-model";
export type { RunnerConfigSettings, SharedCacheBucket } from "./build-model";
export {
  JOB_SHM_SIZE_BYTES,
  JOB_VOLUMES,
  LOG_FORMAT,
  PULL_POLICY,
  SHUTDOWN_TIMEOUT_SECONDS,
  runnerConfigModel,
  runnerName,
  runnerSettingsProblems,
  CACHE_SERVER_SIDE_ENCRYPTION,
  sharedCacheSection,
} from "./build-model";
export { privilegedImagePatterns, matchesImagePattern } from "./privileged-images";
export { imagePairProblems } from "./image-pairing";
export type { ExamplePipelineSettings } from "./example-pipeline";
export {
  CACHE_HIT_LINE,
  CACHE_READ_JOB,
  CACHE_WRITE_JOB,
  DIND_SERVICE_ALIAS,
  EXAMPLE_PIPELINE_FILE,
  PUSHED_IMAGE_GREETING,
  PUSHED_IMAGE_NAME,
  REGISTRY_PULL_JOB,
  REGISTRY_PUSH_JOB,
  renderExamplePipeline,
} from "./example-pipeline";
export { derivedServiceAliases } from "./service-aliases";
export type { KnownTable, TomlType } from "./known-keys";
export { KNOWN_KEYS } from "./known-keys";
export { FLEETING_PLUGIN_AWS, INSTANCE_READY_COMMAND, WORKER_USERNAME, autoscalerSection } from "./autoscaler";
