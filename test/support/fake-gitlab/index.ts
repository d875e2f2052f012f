/**
 * A fake GitLab for tests: `startFakeGitLab(options)` → `{ url, token, state, addRoute, addFault, addRunner, requestsTo, close }`.
 * See server.ts for the options (faults, refused connections, runners, pipeline behaviour).
 */
export { startFakeGitLab } from "./server";
export type { Fault, FakeGitLab, FakeGitLabOptions } from "./server";
export type { Reply, Route, RouteContext } from "./router";
export { badRequest, boolParam, listParam, matchRoute, notFound, paginate } from "./router";
export {
  CACHE_READ_TRACE,
  CACHE_WRITE_TRACE,
  DEFAULT_TOKEN,
  DIND_SUCCESS_TRACE,
  REGISTRY_PULL_TRACE,
  REGISTRY_PUSH_TRACE,
  STALE_TIMEOUT_MS,
  addRunner,
  createState,
  runnerStatus,
  runnerTakes,
} from "./state";
export type {
  FakeCommit,
  FakeGitLabState,
  FakeJob,
  FakePipeline,
  FakeProject,
  FakeRegistryRepository,
  FakeRunner,
  JobScript,
  JobStatus,
  PipelineBehaviour,
  PipelineStatus,
  RecordedRequest,
  RunnerStatus,
  RunnerType,
} from "./state";
export { advancePipeline, parseCiJobs, pushImage } from "./pipelines";
export { projectRepositories, registryRoutes } from "./registry";
