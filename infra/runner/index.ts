/**
 * The runner: its registration with GitLab (a dynamic resource over GitLab's REST API) and its
 * container on the stack's host.
 */
export { GitLabRunner, CONFIG_TOML_PATH, DOCKER_SOCKET, RUNNER_CA_FILE } from "./gitlab-runner";
export type { GitLabEndpoint, GitLabRunnerArgs } from "./gitlab-runner";
export { RunnerRegistration, RUNNER_REGISTRATION_TYPE } from "./runner-registration";
export type { RunnerRegistrationArgs } from "./runner-registration";
export type { RegistrationInputs, RegistrationOutputs, RegistrationProviderOptions } from "./registration-provider";
