/**
 * The runner: its registration with GitLab (a dynamic resource over GitLab's REST API) and its
 * container on the stack's host.
 */
export {
  GitLabRunner,
  CONFIG_TOML_PATH,
  DOCKER_SOCKET,
  FLEETING_PLUGIN_DIR,
  MANAGER_START_SCRIPT,
  RUNNER_CA_FILE,
} from "./gitlab-runner";
export type { GitLabEndpoint, GitLabRunnerArgs, RunnerAutoscaling, RunnerCacheBucket } from "./gitlab-runner";
export { RunnerRegistration, RUNNER_REGISTRATION_TYPE } from "./runner-registration";
export type { RunnerRegistrationArgs } from "./runner-registration";
export type { RegistrationInputs, RegistrationOutputs, RegistrationProviderOptions } from "./registration-provider";
