/**
 * In-memory state of the fake GitLab, with the shapes GitLab's REST API
 * documents (docs.gitlab.com/api/projects, /commits, /pipelines, /jobs,
 * /runners, /users#create-a-runner-linked-to-a-user). Tests read and change it
 * directly through `FakeGitLab.state`.
 */

export type RunnerStatus = "online" | "offline" | "stale" | "never_contacted";
export type RunnerType = "instance_type" | "group_type" | "project_type";
export type JobStatus = "created" | "pending" | "running" | "success" | "failed" | "canceled" | "skipped" | "manual";
export type PipelineStatus = "created" | "pending" | "running" | "success" | "failed" | "canceled" | "skipped";

export interface FakeRunner {
  id: number;
  description: string;
  runner_type: RunnerType;
  paused: boolean;
  /** The status the test set; GitLab's reported status is `runnerStatus(runner)` (timestamps decide `stale`). */
  status: RunnerStatus;
  tag_list: string[];
  run_untagged: boolean;
  locked: boolean;
  access_level: "not_protected" | "ref_protected";
  maximum_timeout: number | null;
  maintenance_note: string | null;
  /** The runner authentication token (`glrt-…`), only ever returned by POST /user/runners. */
  token: string;
  contacted_at: string | null;
  created_at: string;
}

export interface FakeProject {
  id: number;
  name: string;
  path: string;
  path_with_namespace: string;
  visibility: "private" | "internal" | "public";
  default_branch: string | null;
  shared_runners_enabled: boolean;
  created_at: string;
  /** The date (YYYY-MM-DD) GitLab's delayed deletion marked the project (DELETE without permanently_remove). */
  marked_for_deletion_on: string | null;
  /** branch -> file path -> content */
  branches: Map<string, Map<string, string>>;
  commits: FakeCommit[];
}

export interface FakeCommit {
  id: string;
  short_id: string;
  title: string;
  message: string;
  branch: string;
  created_at: string;
}

export interface FakeJob {
  id: number;
  name: string;
  stage: string;
  status: JobStatus;
  tag_list: string[];
  runner: FakeRunner | null;
  failure_reason: string | null;
  trace: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  allow_failure: boolean;
  /** Scripted outcome this job moves to once a runner picked it up. */
  script: JobScript;
  /** Job-list polls left in `running` before the outcome. */
  runningPollsLeft: number;
}

export interface FakePipeline {
  id: number;
  iid: number;
  project_id: number;
  sha: string;
  ref: string;
  status: PipelineStatus;
  source: "push";
  yaml_errors: string | null;
  created_at: string;
  updated_at: string;
  jobs: FakeJob[];
}

/**
 * One repository of a project's container registry, as GitLab's API lists it (docs: api/container_registry
 * "List registry repositories"), with its tags.
 */
export interface FakeRegistryRepository {
  id: number;
  project_id: number;
  /** The name under the project's path (`smoke`); empty for the project's own path. */
  name: string;
  /** `<project path>/<name>`. */
  path: string;
  /** `<registry host:port>/<path>`: what `docker push` names. */
  location: string;
  created_at: string;
  tags: string[];
}

/** What a job does once a runner picks it up. */
export interface JobScript {
  readonly outcome: "success" | "failed";
  /**
   * The complete job log once finished. `{{pipeline}}`, `{{repository}}` and `{{image}}` stand for
   * what the job would print: the pipeline's id, the location of the repository a job of the pipeline
   * `pushes` (`<registry>/<project path>/<name>`), and that location tagged with the pipeline's id.
   */
  readonly trace: string;
  /**
   * The repository name (under the project's registry path) the job pushes when it succeeds, tagged
   * with the pipeline's id, as the example pipeline's registry-push job does. Default: none.
   */
  readonly pushes?: string;
  /** GitLab's failure_reason when failed, e.g. `script_failure`. Default `script_failure`. */
  readonly failureReason?: string;
  /** How many job-list polls the job stays `running`. Default 1. */
  readonly runningPolls?: number;
}

/** How the fake reacts when a commit adds a `.gitlab-ci.yml`. */
export interface PipelineBehaviour {
  /** False: no pipeline is ever created (Sidekiq down, CI disabled). Default true. */
  create: boolean;
  /** Non-null: the pipeline is created `failed` with these yaml_errors and no jobs. */
  yamlErrors: string | null;
  /** Script per job name; `*` applies to any other job. Default: every job succeeds with a DinD log. */
  jobs: Record<string, JobScript>;
}

export interface RecordedRequest {
  readonly method: string;
  /** Path without query, e.g. `/api/v4/projects/1`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly hadToken: boolean;
  readonly body: unknown;
}

export interface FakeGitLabState {
  token: string;
  isAdmin: boolean;
  version: string;
  username: string;
  /** False: /-/ monitoring endpoints answer 404 (caller not in the monitoring IP allowlist). */
  monitoringAllowed: boolean;
  /** Readiness answers 503 with a failed db_check this many more times. */
  readinessFailures: number;
  /**
   * GitLab 18 and later (default true): DELETE /projects/:id only marks the project for deletion and
   * renames it to `<path>-deletion_scheduled-<id>`; a second DELETE with `permanently_remove=true` and
   * the project's new `full_path` removes it. False: DELETE removes it at once (GitLab Free before 18).
   */
  delayedDeletion: boolean;
  runners: FakeRunner[];
  projects: FakeProject[];
  pipelines: FakePipeline[];
  /** The container registry's repositories, of every project; `$CI_REGISTRY` is `registryHost`. */
  registryRepositories: FakeRegistryRepository[];
  /** The registry's `host:port` (`$CI_REGISTRY`); default `198.51.100.7:4567`. */
  registryHost: string;
  pipelineBehaviour: PipelineBehaviour;
  requests: RecordedRequest[];
  nextId: { project: number; runner: number; pipeline: number; job: number; commit: number; repository: number };
}

export const DEFAULT_TOKEN = "glpat-fake-admin-token-0123456789";

/** A job log with the lines a working DinD job prints. */
export const DIND_SUCCESS_TRACE = [
  "Running with gitlab-runner 19.3.0 (9cbf0074)",
  "  on gitlab-dind-runner t3_abc, system ID: r_0123456789ab",
  'Preparing the "docker" executor',
  "Using Docker executor with image docker:29.7.2-cli ...",
  "Starting service docker:29.7.2-dind ...",
  "Waiting for services to be up and running (timeout 30 seconds)...",
  "$ docker version",
  "Client:",
  " Version:           29.7.2",
  " API version:       1.52",
  " OS/Arch:           linux/amd64",
  "",
  "Server: Docker Engine - Community",
  " Engine:",
  "  Version:          29.7.2",
  "  API version:      1.52 (minimum version 1.44)",
  "  OS/Arch:          linux/amd64",
  " containerd:",
  "  Version:          v2.1.4",
  `$ docker info --format 'Registry Mirrors: {{join .RegistryConfig.Mirrors ", "}}'`,
  "Registry Mirrors: http://host.docker.internal:5001/",
  "$ docker run -d --name alpine-1 alpine:3.22 sleep 600",
  "9f2c1d7e0b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5",
  "$ docker run -d --name alpine-2 alpine:3.22 sleep 600",
  "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809",
  "$ docker container ls",
  "CONTAINER ID   IMAGE         COMMAND       CREATED         STATUS                  PORTS     NAMES",
  '1a2b3c4d5e6f   alpine:3.22   "sleep 600"   1 second ago    Up Less than a second             alpine-2',
  '9f2c1d7e0b3a   alpine:3.22   "sleep 600"   2 seconds ago   Up 1 second                       alpine-1',
  "Cleaning up project directory and file based variables",
  "Job succeeded",
  "",
].join("\n");

/** The example pipeline's registry-push job's log: login, build, push (docker 29's output). */
export const REGISTRY_PUSH_TRACE = [
  "Running with gitlab-runner 19.3.0 (9cbf0074)",
  'Preparing the "docker" executor',
  "Starting service docker:29.7.2-dind ...",
  '$ echo "$CI_REGISTRY_PASSWORD" | docker login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"',
  "Login Succeeded",
  `$ printf 'FROM %s\\nCMD ["echo", "%s %s"]\\n' alpine:3.22 "gitlab-dind smoke image built by pipeline" "$CI_PIPELINE_ID" | docker build --tag "$PUSHED_IMAGE" -`,
  "#5 naming to {{image}} done",
  '$ docker push "$PUSHED_IMAGE"',
  "The push refers to repository [{{repository}}]",
  "418dccb7d85a: Pushed",
  "{{pipeline}}: digest: sha256:3f1c2b7a9e8d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c size: 528",
  "Job succeeded",
  "",
].join("\n");

/** The registry-pull job's log: login, pull, and what the image prints. */
export const REGISTRY_PULL_TRACE = [
  "Running with gitlab-runner 19.3.0 (9cbf0074)",
  'Preparing the "docker" executor',
  '$ docker pull "$PUSHED_IMAGE"',
  "{{pipeline}}: Pulling from root/smoke",
  "Digest: sha256:3f1c2b7a9e8d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c",
  "Status: Downloaded newer image for {{image}}",
  '$ docker run --rm "$PUSHED_IMAGE"',
  "gitlab-dind smoke image built by pipeline {{pipeline}}",
  "Job succeeded",
  "",
].join("\n");

/** The example pipeline's cache-write job's log: its script, then the helper saving the cache (the local one). */
export const CACHE_WRITE_TRACE = [
  "Running with gitlab-runner 19.3.0 (9cbf0074)",
  'Preparing the "docker" executor',
  "$ mkdir -p smoke-cache/",
  '$ echo "$CI_PIPELINE_ID" > smoke-cache/pipeline-id',
  "Saving cache for successful job",
  "Creating cache smoke-{{pipeline}}-protected...",
  "smoke-cache/: found 2 matching artifact files and directories",
  "No URL provided, cache will not be uploaded to shared cache server. Cache will be stored only locally.",
  "Created cache",
  "Job succeeded",
  "",
].join("\n");

/** The cache-read job's log with a hit: the helper restoring the cache, then the file's content. */
export const CACHE_READ_TRACE = [
  "Running with gitlab-runner 19.3.0 (9cbf0074)",
  'Preparing the "docker" executor',
  "Restoring cache",
  "Checking cache for smoke-{{pipeline}}-protected...",
  "No URL provided, cache will not be downloaded from shared cache server. Instead a local version of cache will be extracted.",
  "Successfully extracted cache",
  '$ test -f smoke-cache/pipeline-id || { echo "cache miss: smoke-cache/pipeline-id was not restored"; exit 1; }',
  '$ echo "gitlab-dind cache hit: smoke-cache/pipeline-id written by pipeline $(cat smoke-cache/pipeline-id)"',
  "gitlab-dind cache hit: smoke-cache/pipeline-id written by pipeline {{pipeline}}",
  "Job succeeded",
  "",
].join("\n");

export function createState(
  init: Partial<
    Pick<
      FakeGitLabState,
      "token" | "isAdmin" | "version" | "monitoringAllowed" | "readinessFailures" | "delayedDeletion"
    >
  > = {},
): FakeGitLabState {
  return {
    token: init.token ?? DEFAULT_TOKEN,
    isAdmin: init.isAdmin ?? true,
    version: init.version ?? "19.3.0",
    username: "root",
    monitoringAllowed: init.monitoringAllowed ?? true,
    readinessFailures: init.readinessFailures ?? 0,
    delayedDeletion: init.delayedDeletion ?? true,
    runners: [],
    projects: [],
    pipelines: [],
    pipelineBehaviour: {
      create: true,
      yamlErrors: null,
      jobs: {
        "*": { outcome: "success", trace: DIND_SUCCESS_TRACE },
        "registry-push": { outcome: "success", trace: REGISTRY_PUSH_TRACE, pushes: "smoke" },
        "registry-pull": { outcome: "success", trace: REGISTRY_PULL_TRACE },
        "cache-write": { outcome: "success", trace: CACHE_WRITE_TRACE },
        "cache-read": { outcome: "success", trace: CACHE_READ_TRACE },
      },
    },
    registryRepositories: [],
    registryHost: "198.51.100.7:4567",
    requests: [],
    nextId: { project: 1, runner: 1, pipeline: 100, job: 1000, commit: 1, repository: 1 },
  };
}

export function timestamp(): string {
  return new Date().toISOString();
}

/** Add a runner as GitLab would list it. */
export function addRunner(
  state: FakeGitLabState,
  init: Partial<Omit<FakeRunner, "id">> & { id?: number } = {},
): FakeRunner {
  const id = init.id ?? state.nextId.runner++;
  if (id >= state.nextId.runner) state.nextId.runner = id + 1;
  const runner: FakeRunner = {
    id,
    description: init.description ?? `runner-${id}`,
    runner_type: init.runner_type ?? "instance_type",
    paused: init.paused ?? false,
    status: init.status ?? "online",
    tag_list: init.tag_list ?? [],
    run_untagged: init.run_untagged ?? false,
    locked: init.locked ?? false,
    access_level: init.access_level ?? "not_protected",
    maximum_timeout: init.maximum_timeout ?? null,
    maintenance_note: init.maintenance_note ?? null,
    token: init.token ?? `glrt-t1_fake${String(id).padStart(16, "0")}`,
    // An explicit `contacted_at: null` is kept (a runner that never contacted GitLab, whatever `status` says).
    contacted_at:
      init.contacted_at !== undefined ? init.contacted_at : init.status === "never_contacted" ? null : timestamp(),
    created_at: init.created_at ?? timestamp(),
  };
  state.runners.push(runner);
  return runner;
}

/** GitLab's `Ci::Runner::STALE_TIMEOUT`: 7 days past the last contact, or past creation when never contacted. */
export const STALE_TIMEOUT_MS = 7 * 86_400_000;

/**
 * The status GitLab reports for a runner (app/models/ci/runner.rb `status`): `stale` when both its
 * creation and its last contact (if any) are more than 7 days ago, so a runner that never contacted
 * GitLab and was created 8 days ago is `stale`, not `never_contacted`; else `never_contacted` without a
 * contact; else the `status` the test set (`online`/`offline`, or `stale` explicitly).
 */
export function runnerStatus(runner: FakeRunner, now: number = Date.now()): RunnerStatus {
  const deadline = now - STALE_TIMEOUT_MS;
  const created = Date.parse(runner.created_at);
  const contacted = runner.contacted_at === null ? undefined : Date.parse(runner.contacted_at);
  if (!Number.isNaN(created) && Math.max(created, contacted ?? created) <= deadline) return "stale";
  if (runner.contacted_at === null) return "never_contacted";
  return runner.status === "never_contacted" ? "offline" : runner.status;
}

/** Can this runner pick up a job with these tags? (GitLab: runner tags ⊇ job tags; untagged jobs need run_untagged.) */
export function runnerTakes(runner: FakeRunner, jobTags: readonly string[]): boolean {
  if (runner.paused || runnerStatus(runner) !== "online") return false;
  if (jobTags.length === 0) return runner.run_untagged;
  return jobTags.every((tag) => runner.tag_list.includes(tag));
}
