/**
 * Pipelines and jobs: created when a commit adds `.gitlab-ci.yml` (as a push
 * does), jobs read from the YAML (name, stage, tags), and advanced one step after
 * every `GET …/pipelines/:id/jobs` poll (which answers the state before the step): `created` → `pending` → `running`
 * (only once an online, unpaused runner whose tags cover the job's tags exists:
 * a job whose tags no runner has stays `pending`, as in GitLab) → scripted outcome.
 */
import { parse } from "yaml";
import type { FakeGitLabState, FakeJob, FakePipeline, FakeProject, JobScript, PipelineStatus } from "./state";
import { runnerStatus, runnerTakes, timestamp } from "./state";
import type { Reply, Route, RouteContext } from "./router";
import { notFound, paginate } from "./router";
import { findProject } from "./projects";
import { NOT_JOBS } from "../../../tools/smoke/pipeline";

const DEFAULT_STAGES = [".pre", "build", "test", "deploy", ".post"];

interface ParsedJob {
  readonly name: string;
  readonly stage: string;
  readonly tags: string[];
}

/** Jobs of a CI file, or a YAML error message. */
export function parseCiJobs(content: string): { jobs: ParsedJob[]; stages: string[] } | { error: string } {
  let doc: unknown;
  try {
    doc = parse(content);
  } catch (error) {
    return { error: `(<unknown>): ${(error as Error).message.split("\n")[0]}` };
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return { error: "Invalid configuration format" };
  const root = doc as Record<string, unknown>;
  const stages = Array.isArray(root["stages"])
    ? [".pre", ...(root["stages"] as unknown[]).map(String), ".post"]
    : DEFAULT_STAGES;
  const jobs: ParsedJob[] = [];
  for (const [name, value] of Object.entries(root)) {
    if (NOT_JOBS.has(name) || name.startsWith(".") || !value || typeof value !== "object") continue;
    const job = value as Record<string, unknown>;
    if (job["script"] === undefined && job["trigger"] === undefined)
      return { error: `jobs:${name} config should implement a script: or a trigger: keyword` };
    const stage = typeof job["stage"] === "string" ? job["stage"] : "test";
    if (!stages.includes(stage))
      return { error: `${name} job: chosen stage ${stage} does not exist; available stages are ${stages.join(", ")}` };
    jobs.push({ name, stage, tags: Array.isArray(job["tags"]) ? (job["tags"] as unknown[]).map(String) : [] });
  }
  if (jobs.length === 0) return { error: "jobs config should contain at least one visible job" };
  return { jobs, stages };
}

/** Called by the commit routes: create the pipeline a push would create. */
export function onPush(state: FakeGitLabState, project: FakeProject, branch: string, sha: string): void {
  const behaviour = state.pipelineBehaviour;
  const ci = project.branches.get(branch)?.get(".gitlab-ci.yml");
  if (ci === undefined || !behaviour.create) return;
  const now = timestamp();
  const pipeline: FakePipeline = {
    id: state.nextId.pipeline++,
    iid: state.pipelines.filter((p) => p.project_id === project.id).length + 1,
    project_id: project.id,
    sha,
    ref: branch,
    status: "created",
    source: "push",
    yaml_errors: null,
    created_at: now,
    updated_at: now,
    jobs: [],
  };
  const parsed = parseCiJobs(ci);
  const yamlErrors = behaviour.yamlErrors ?? ("error" in parsed ? parsed.error : null);
  if (yamlErrors !== null || "error" in parsed) {
    pipeline.yaml_errors = yamlErrors;
    pipeline.status = "failed";
  } else {
    const firstStage = parsed.stages.find((s) => parsed.jobs.some((j) => j.stage === s));
    for (const job of [...parsed.jobs].sort(
      (a, b) => parsed.stages.indexOf(a.stage) - parsed.stages.indexOf(b.stage),
    )) {
      const script: JobScript = behaviour.jobs[job.name] ??
        behaviour.jobs["*"] ?? { outcome: "success", trace: "Job succeeded\n" };
      pipeline.jobs.push({
        id: state.nextId.job++,
        name: job.name,
        stage: job.stage,
        status: job.stage === firstStage ? "pending" : "created",
        tag_list: job.tags,
        runner: null,
        failure_reason: null,
        trace: "",
        created_at: now,
        started_at: null,
        finished_at: null,
        allow_failure: false,
        script,
        runningPollsLeft: script.runningPolls ?? 1,
      });
    }
    pipeline.status = derivePipelineStatus(pipeline);
  }
  state.pipelines.push(pipeline);
}

const TERMINAL = ["success", "failed", "canceled", "skipped"];

/** Move every job one step (see the module comment). */
export function advancePipeline(state: FakeGitLabState, pipeline: FakePipeline): void {
  if (pipeline.yaml_errors !== null || TERMINAL.includes(pipeline.status)) return;
  const project = state.projects.find((p) => p.id === pipeline.project_id);
  for (const job of pipeline.jobs) {
    if (job.status === "pending") {
      const runner = state.runners.find(
        (r) =>
          (r.runner_type !== "instance_type" || (project?.shared_runners_enabled ?? true)) &&
          runnerTakes(r, job.tag_list),
      );
      if (runner) {
        job.status = "running";
        job.runner = runner;
        job.started_at = timestamp();
        job.trace = jobLog(state, pipeline, project, job.script.trace).split("\n").slice(0, 3).join("\n") + "\n";
      }
    } else if (job.status === "running") {
      job.runningPollsLeft -= 1;
      if (job.runningPollsLeft <= 0) {
        job.status = job.script.outcome;
        job.trace = jobLog(state, pipeline, project, job.script.trace);
        job.finished_at = timestamp();
        if (job.status === "success" && job.script.pushes !== undefined && project !== undefined) {
          pushImage(state, project, job.script.pushes, String(pipeline.id));
        }
        job.failure_reason = job.script.outcome === "failed" ? (job.script.failureReason ?? "script_failure") : null;
      }
    }
  }
  // Start the next stage when every job of the earlier stages finished; skip it after a failure.
  const stages = [...new Set(pipeline.jobs.map((j) => j.stage))];
  for (const stage of stages) {
    const jobs = pipeline.jobs.filter((j) => j.stage === stage);
    if (jobs.some((j) => j.status === "created")) {
      const earlier = pipeline.jobs.filter((j) => stages.indexOf(j.stage) < stages.indexOf(stage));
      if (earlier.every((j) => TERMINAL.includes(j.status))) {
        const failed = earlier.some((j) => j.status === "failed" && !j.allow_failure);
        for (const j of jobs) if (j.status === "created") j.status = failed ? "skipped" : "pending";
      }
      break;
    }
  }
  pipeline.status = derivePipelineStatus(pipeline);
  pipeline.updated_at = timestamp();
}

/** The repository a pipeline's jobs push to: the name a job `pushes`, under the project's path. */
function pushedRepository(state: FakeGitLabState, pipeline: FakePipeline, project: FakeProject | undefined): string {
  const name = pipeline.jobs.find((j) => j.script.pushes !== undefined)?.script.pushes ?? "smoke";
  return `${state.registryHost}/${project?.path_with_namespace ?? "unknown"}/${name}`;
}

/** A scripted log with what the job would print in place of `{{pipeline}}`, `{{repository}}`, `{{image}}`. */
function jobLog(
  state: FakeGitLabState,
  pipeline: FakePipeline,
  project: FakeProject | undefined,
  trace: string,
): string {
  const repository = pushedRepository(state, pipeline, project);
  return trace
    .replaceAll("{{pipeline}}", String(pipeline.id))
    .replaceAll("{{repository}}", repository)
    .replaceAll("{{image}}", `${repository}:${pipeline.id}`);
}

/** What a successful `docker push` of `<project path>/<name>:<tag>` leaves in the registry. */
export function pushImage(state: FakeGitLabState, project: FakeProject, name: string, tag: string): void {
  const path = `${project.path_with_namespace}/${name}`;
  let repository = state.registryRepositories.find((r) => r.project_id === project.id && r.name === name);
  if (repository === undefined) {
    repository = {
      id: state.nextId.repository++,
      project_id: project.id,
      name,
      path,
      location: `${state.registryHost}/${path}`,
      created_at: timestamp(),
      tags: [],
    };
    state.registryRepositories.push(repository);
  }
  if (!repository.tags.includes(tag)) repository.tags.push(tag);
}

export function derivePipelineStatus(pipeline: FakePipeline): PipelineStatus {
  if (pipeline.yaml_errors !== null) return "failed";
  const statuses = pipeline.jobs.map((j) => j.status);
  if (statuses.includes("running")) return "running";
  if (statuses.includes("pending")) return "pending";
  if (statuses.includes("created")) return "created";
  if (pipeline.jobs.some((j) => j.status === "failed" && !j.allow_failure)) return "failed";
  if (statuses.includes("canceled")) return "canceled";
  return "success";
}

function pipelineJson(
  p: FakePipeline,
  baseUrl: string,
  project: FakeProject,
  detailed: boolean,
): Record<string, unknown> {
  const basic = {
    id: p.id,
    iid: p.iid,
    project_id: p.project_id,
    sha: p.sha,
    ref: p.ref,
    status: p.status,
    source: p.source,
    created_at: p.created_at,
    updated_at: p.updated_at,
    web_url: `${baseUrl}/${project.path_with_namespace}/-/pipelines/${p.id}`,
  };
  if (!detailed) return basic;
  const finished = TERMINAL.includes(p.status);
  return {
    ...basic,
    before_sha: "0000000000000000000000000000000000000000",
    tag: false,
    yaml_errors: p.yaml_errors,
    started_at: null,
    finished_at: finished ? p.updated_at : null,
    duration: null,
    queued_duration: null,
    coverage: null,
    detailed_status: { text: p.status, label: p.status, group: p.status },
  };
}

function runnerJson(job: FakeJob): Record<string, unknown> | null {
  const r = job.runner;
  if (!r) return null;
  return {
    id: r.id,
    description: r.description,
    ip_address: null,
    active: !r.paused,
    paused: r.paused,
    is_shared: r.runner_type === "instance_type",
    runner_type: r.runner_type,
    name: "gitlab-runner",
    online: runnerStatus(r) === "online",
    status: runnerStatus(r),
  };
}

function jobJson(job: FakeJob, p: FakePipeline, project: FakeProject, baseUrl: string): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    stage: job.stage,
    name: job.name,
    ref: p.ref,
    tag: false,
    coverage: null,
    allow_failure: job.allow_failure,
    created_at: job.created_at,
    started_at: job.started_at,
    finished_at: job.finished_at,
    duration: null,
    queued_duration: null,
    failure_reason: job.failure_reason ?? undefined,
    tag_list: job.tag_list,
    runner: runnerJson(job),
    pipeline: { id: p.id, project_id: p.project_id, ref: p.ref, sha: p.sha, status: p.status },
    web_url: `${baseUrl}/${project.path_with_namespace}/-/jobs/${job.id}`,
    project: { ci_job_token_scope_enabled: false },
  };
}

function withPipeline(ctx: RouteContext, then: (project: FakeProject, pipeline: FakePipeline) => Reply): Reply {
  const project = findProject(ctx.state, ctx.params["id"] ?? "");
  if (!project) return notFound("404 Project Not Found");
  const pipeline = ctx.state.pipelines.find(
    (p) => p.project_id === project.id && String(p.id) === ctx.params["pipeline_id"],
  );
  if (!pipeline) return notFound("404 Not found");
  return then(project, pipeline);
}

function withJob(
  ctx: RouteContext,
  then: (project: FakeProject, pipeline: FakePipeline, job: FakeJob) => Reply,
): Reply {
  const project = findProject(ctx.state, ctx.params["id"] ?? "");
  if (!project) return notFound("404 Project Not Found");
  for (const pipeline of ctx.state.pipelines.filter((p) => p.project_id === project.id)) {
    const job = pipeline.jobs.find((j) => String(j.id) === ctx.params["job_id"]);
    if (job) return then(project, pipeline, job);
  }
  return notFound("404 Not found");
}

export const pipelineRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/api/v4/projects/:id/pipelines",
    handler: (ctx) => {
      const project = findProject(ctx.state, ctx.params["id"] ?? "");
      if (!project) return notFound("404 Project Not Found");
      const ref = ctx.query.get("ref");
      const sha = ctx.query.get("sha");
      const status = ctx.query.get("status");
      const list = ctx.state.pipelines
        .filter(
          (p) =>
            p.project_id === project.id &&
            (!ref || p.ref === ref) &&
            (!sha || p.sha === sha) &&
            (!status || p.status === status),
        )
        .sort((a, b) => b.id - a.id)
        .map((p) => pipelineJson(p, ctx.baseUrl, project, false));
      return paginate(list, ctx.query);
    },
  },
  {
    method: "GET",
    pattern: "/api/v4/projects/:id/pipelines/:pipeline_id",
    handler: (ctx) =>
      withPipeline(ctx, (project, p) => ({ status: 200, json: pipelineJson(p, ctx.baseUrl, project, true) })),
  },
  {
    method: "GET",
    pattern: "/api/v4/projects/:id/pipelines/:pipeline_id/jobs",
    handler: (ctx) =>
      withPipeline(ctx, (project, p) => {
        const scope = ctx.query.getAll("scope[]").concat(ctx.query.getAll("scope"));
        const jobs = p.jobs.filter((j) => scope.length === 0 || scope.includes(j.status)).sort((a, b) => b.id - a.id);
        const reply = paginate(
          jobs.map((j) => jobJson(j, p, project, ctx.baseUrl)),
          ctx.query,
        );
        // Answer with the current state, then move on: every state is seen by one poll.
        advancePipeline(ctx.state, p);
        return reply;
      }),
  },
  {
    method: "POST",
    pattern: "/api/v4/projects/:id/pipelines/:pipeline_id/cancel",
    handler: (ctx) =>
      withPipeline(ctx, (project, p) => {
        for (const job of p.jobs) {
          if (!TERMINAL.includes(job.status)) {
            job.status = "canceled";
            job.finished_at = timestamp();
          }
        }
        if (!TERMINAL.includes(p.status)) p.status = "canceled";
        return { status: 200, json: pipelineJson(p, ctx.baseUrl, project, true) };
      }),
  },
  {
    method: "GET",
    pattern: "/api/v4/projects/:id/jobs/:job_id",
    handler: (ctx) => withJob(ctx, (project, p, job) => ({ status: 200, json: jobJson(job, p, project, ctx.baseUrl) })),
  },
  {
    method: "GET",
    pattern: "/api/v4/projects/:id/jobs/:job_id/trace",
    handler: (ctx) => withJob(ctx, (_project, _p, job) => ({ status: 200, text: job.trace })),
  },
];
