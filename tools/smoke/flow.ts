/**
 * The smoke run: GitLab answers → the runner is online → a throwaway private
 * project gets the DinD pipeline → follow its jobs → show the proof or the
 * diagnosis → always delete the project (unless --keep). Everything it talks
 * to is injected (GitLab client, output sink, clock, interrupt signal).
 */
import type { GitLabClient } from "../../infra/gitlab-api";
import { formatDuration, GitLabApiError } from "../../infra/gitlab-api";
import type { CreatedProject } from "./cleanup";
import { deleteProject, deleteRegistryImages, describeCleanupError, Interrupted } from "./cleanup";
import type { Diagnosis, Evidence, RunnerInfo } from "./diagnose";
import { diagnose, takes } from "./diagnose";
import { firstContact } from "./first-contact";
import {
  cleanLog,
  extractCacheHit,
  extractCacheSource,
  extractMirrors,
  extractProof,
  extractPulledImageOutput,
  extractPush,
  logTail,
} from "./job-log";
import {
  CACHE_READ_JOB,
  CACHE_WRITE_JOB,
  REGISTRY_PULL_JOB,
  REGISTRY_PUSH_JOB,
} from "../../runner-config/example-pipeline";
import type { SmokePipeline } from "./pipeline";
import { allTags } from "./pipeline";

export interface SmokeConfig {
  readonly gitlabUrl: string;
  /** The stack's runner (by id), or any online instance runner that takes the jobs' tags (--url). */
  readonly runner: { readonly kind: "stack"; readonly id: number } | { readonly kind: "instance" };
  readonly pipeline: SmokePipeline;
  readonly keep: boolean;
  readonly timeoutMs: number;
  readonly pendingTimeoutMs: number;
  readonly pollMs: number;
  /** Budget for deleting the project after the run (also after a timeout). Default 60s. */
  readonly cleanupTimeoutMs?: number;
  /** Project name; default `dind-smoke-<UTC timestamp>-<random>`. */
  readonly projectName?: string;
  /** How long to wait for GitLab to answer at all before saying it does not (first-contact.ts). Default 30s. */
  readonly connectTimeoutMs?: number;
}

export interface SmokeDeps {
  readonly client: GitLabClient;
  readonly out: (line: string) => void;
  readonly now?: () => number;
  /** Pauses between polls and retries, for tests (with `now`). Default a timer; an abort ends a pause either way. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Aborted with `Interrupted` on Ctrl-C. */
  readonly interrupt?: AbortSignal;
}

export const EXIT = { ok: 0, failed: 1, interrupted: 130 } as const;

interface Job {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly failure_reason?: string | null;
  readonly tag_list?: readonly string[];
  readonly runner?: { readonly id: number; readonly description: string } | null;
  readonly web_url?: string;
}

interface Pipeline {
  readonly id: number;
  readonly status: string;
  readonly web_url: string;
  readonly yaml_errors?: string | null;
}

const TERMINAL = ["success", "failed", "canceled", "skipped"];

class SmokeTimeout extends Error {
  constructor(readonly afterMs: number) {
    super(`timed out after ${formatDuration(afterMs)}`);
  }
}

/** A failure that already carries its evidence for diagnosis. */
class SmokeFailure extends Error {
  constructor(
    message: string,
    readonly evidence: Evidence,
  ) {
    super(message);
  }
}

export async function runSmoke(config: SmokeConfig, deps: SmokeDeps): Promise<number> {
  const { client, out } = deps;
  const now = deps.now ?? (() => Date.now());
  const startedAt = now();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new SmokeTimeout(config.timeoutMs)), config.timeoutMs);
  const signal = deps.interrupt ? AbortSignal.any([deps.interrupt, timeout.signal]) : timeout.signal;
  const remaining = () => Math.max(config.timeoutMs - (now() - startedAt), 0);
  const tags = allTags(config.pipeline);
  let waitingFor = "GitLab to answer";
  let project: CreatedProject | undefined;
  let pipeline: Pipeline | undefined;
  let jobs: Job[] = [];
  const expectedRunnerId = config.runner.kind === "stack" ? config.runner.id : undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      let t: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        clearTimeout(t);
        reject(signal.reason as Error);
      };
      const done = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      if (deps.sleep) void deps.sleep(ms).then(done);
      else t = setTimeout(done, ms);
    });
  const get = <T>(path: string, query?: Record<string, string | number | boolean | undefined>) =>
    client.request<T>("GET", path, { query, signal, deadlineMs: remaining() });

  /** Instance runners with their tags, for the runner check and for diagnosis. */
  async function lookupRunners(sig: AbortSignal = signal): Promise<RunnerInfo[]> {
    const list = await client.getAll<{ id: number }>("/runners/all", {
      query: { type: "instance_type" },
      signal: sig,
      deadlineMs: 10_000,
      maxPages: 5,
    });
    const ids = new Set(list.map((r) => r.id));
    if (expectedRunnerId !== undefined) ids.add(expectedRunnerId);
    const details: RunnerInfo[] = [];
    for (const id of [...ids].slice(0, 50)) {
      const r = await client.send<RunnerInfo>("GET", `/runners/${id}`, {
        expect: [200, 404],
        signal: sig,
        deadlineMs: 10_000,
      });
      if (r.status === 200) details.push(r.data);
    }
    return details;
  }

  async function runnersForDiagnosis(): Promise<RunnerInfo[] | undefined> {
    try {
      return await lookupRunners(AbortSignal.timeout(15_000));
    } catch {
      return undefined;
    }
  }

  async function waitForRunner(): Promise<string> {
    const until = now() + Math.min(config.pendingTimeoutMs, remaining());
    let last = "";
    for (;;) {
      let runners: RunnerInfo[];
      if (config.runner.kind === "stack") {
        const r = await client.send<RunnerInfo>("GET", `/runners/${config.runner.id}`, {
          expect: [200, 404],
          signal,
          deadlineMs: remaining(),
        });
        if (r.status === 404) {
          throw new SmokeFailure(
            `Runner #${config.runner.id} (the stack's runnerId output) does not exist in GitLab: it was deleted, or the stack outputs are stale; run \`pulumi up\`.`,
            { stage: "runner", jobTags: tags, runners: [], expectedRunnerId },
          );
        }
        runners = [r.data];
        const runner = r.data;
        if (runner.status === "online" && !runner.paused) {
          const missing = Object.entries(config.pipeline.jobTags).filter(([, jobTags]) => !takes(runner, jobTags));
          if (missing.length > 0) {
            throw new SmokeFailure(
              `Runner #${runner.id} is online but does not take job ${missing.map(([n]) => n).join(", ")}.`,
              { stage: "runner", jobName: missing[0]?.[0], jobTags: missing[0]?.[1] ?? [], runners, expectedRunnerId },
            );
          }
          return `Runner #${runner.id} ${runner.description} is online with tags ${runner.tag_list.join(", ") || "(none)"}`;
        }
        const state = runner.paused ? "paused" : runner.status;
        if (state !== last)
          out(`… Waiting for runner #${runner.id} ${runner.description} to come online (now ${state})`);
        last = state;
      } else {
        runners = await lookupRunners();
        const usable = runners.filter((r) =>
          Object.values(config.pipeline.jobTags).every((jobTags) => takes(r, jobTags)),
        );
        const first = usable[0];
        if (first)
          return `Runner #${first.id} ${first.description} (instance) is online with tags ${first.tag_list.join(", ") || "(none)"}`;
        const state = `${runners.filter((r) => r.status === "online" && !r.paused).length} of ${runners.length} instance runners online, none with tags ${tags.join(", ") || "(untagged)"}`;
        if (state !== last)
          out(`… Waiting for an online instance runner with tags ${tags.join(", ") || "(untagged jobs)"} (${state})`);
        last = state;
      }
      if (now() >= until) {
        throw new SmokeFailure(
          `No usable runner after ${formatDuration(Math.min(config.pendingTimeoutMs, config.timeoutMs))}.`,
          { stage: "runner", jobTags: tags, runners, expectedRunnerId },
        );
      }
      await sleep(Math.min(config.pollMs, Math.max(until - now(), 1)));
    }
  }

  async function createProject(username: string): Promise<CreatedProject> {
    const name =
      config.projectName ??
      `dind-smoke-${new Date(now()).toISOString().replace(/[-:T]/g, "").slice(0, 14)}-${Math.random().toString(36).slice(2, 6)}`;
    try {
      return await client.request<CreatedProject>("POST", "/projects", {
        json: {
          name,
          path: name,
          visibility: "private",
          shared_runners_enabled: true,
          description: "Throwaway project created by `npm run smoke` (gitlab-dind); safe to delete.",
        },
        signal,
        deadlineMs: remaining(),
      });
    } catch (error) {
      // A create that failed without a clear answer may still have happened: adopt it so it is cleaned up.
      const ambiguous = error instanceof GitLabApiError && (error.kind !== "http" || (error.status ?? 0) >= 500);
      if (!ambiguous || signal.aborted) throw error;
      const existing = await client.send<CreatedProject>(
        "GET",
        `/projects/${encodeURIComponent(`${username}/${name}`)}`,
        { expect: [200, 404], signal, deadlineMs: remaining() },
      );
      if (existing.status === 200) return existing.data;
      throw error;
    }
  }

  function printDiagnoses(diagnoses: readonly Diagnosis[]): void {
    for (const d of diagnoses) {
      out(`Diagnosis: ${d.title} [${d.id}]`);
      for (const line of d.advice) out(`  - ${line}`);
    }
  }

  async function printJobLogTail(job: Job): Promise<string> {
    const trace = await client
      .request<string>("GET", `/projects/${project?.id}/jobs/${job.id}/trace`, {
        signal: AbortSignal.timeout(15_000),
        deadlineMs: 10_000,
      })
      .catch(() => "");
    const tail = logTail(trace, 40);
    out(`--- last ${tail.length} lines of the log of job ${job.name}${job.web_url ? ` (${job.web_url})` : ""} ---`);
    for (const line of tail) out(`  ${line}`);
    out("--- end of log ---");
    return cleanLog(trace).join("\n");
  }

  async function cancelPipeline(): Promise<void> {
    if (!project || !pipeline) return;
    await client
      .send("POST", `/projects/${project.id}/pipelines/${pipeline.id}/cancel`, {
        expect: [200, 201, 403, 404],
        signal: AbortSignal.timeout(10_000),
        deadlineMs: 5_000,
        retry: "none",
      })
      .catch(() => undefined);
  }

  /**
   * The registry round trip, when the pipeline has the example's registry jobs: the push job's log
   * shows a completed `docker push`, and the pull job's shows the pushed image's output for this
   * pipeline. Prints the proof, or the log and the diagnosis; true when proven (or not asked for).
   */
  async function proveRegistry(finished: Pipeline, projectId: number): Promise<boolean> {
    const wanted = [REGISTRY_PUSH_JOB, REGISTRY_PULL_JOB].filter((name) => name in config.pipeline.jobTags);
    for (const name of wanted) {
      const job = jobs.find((j) => j.name === name);
      if (job === undefined) {
        out(`✘ Pipeline #${finished.id} passed, but GitLab did not run its job ${name}.`);
        return false;
      }
      const trace = await get<string>(`/projects/${projectId}/jobs/${job.id}/trace`);
      if (name === REGISTRY_PUSH_JOB) {
        const push = extractPush(trace);
        if (push === undefined) {
          out(`✘ Pipeline #${finished.id} passed, but the log of job ${name} shows no completed docker push.`);
          printDiagnoses(diagnose({ stage: "no-proof", log: await printJobLogTail(job) }));
          return false;
        }
        out(
          `✔ Job ${name} built an image inside DinD and pushed it to GitLab's registry: ${push.repository}:${push.tag} (${push.digest})`,
        );
      } else {
        const output = extractPulledImageOutput(trace, finished.id);
        if (output === undefined) {
          out(`✘ Pipeline #${finished.id} passed, but job ${name} did not run the image this pipeline pushed.`);
          printDiagnoses(diagnose({ stage: "no-proof", log: await printJobLogTail(job) }));
          return false;
        }
        out(`✔ Job ${name} pulled it into a fresh DinD daemon and ran it: ${output.trim()}`);
      }
    }
    return true;
  }

  /**
   * The cache round trip, when the pipeline has the example's cache jobs: cache-read's log shows the
   * file cache-write cached in this pipeline. Prints the hit and where the cache came from (the shared
   * S3 cache or the local one), or the log and the diagnosis; true when proven (or not asked for).
   */
  async function proveCache(finished: Pipeline, projectId: number): Promise<boolean> {
    if (!(CACHE_READ_JOB in config.pipeline.jobTags)) return true;
    const job = jobs.find((j) => j.name === CACHE_READ_JOB);
    if (job === undefined) {
      out(`✘ Pipeline #${finished.id} passed, but GitLab did not run its job ${CACHE_READ_JOB}.`);
      return false;
    }
    const trace = await get<string>(`/projects/${projectId}/jobs/${job.id}/trace`);
    const hit = extractCacheHit(trace, finished.id);
    if (hit === undefined) {
      out(`✘ Pipeline #${finished.id} passed, but job ${CACHE_READ_JOB} did not find what ${CACHE_WRITE_JOB} cached.`);
      printDiagnoses(diagnose({ stage: "no-proof", log: await printJobLogTail(job) }));
      return false;
    }
    const source = extractCacheSource(trace);
    const from =
      source === undefined
        ? ""
        : source.kind === "shared"
          ? `, downloaded from the shared cache at ${source.host}`
          : ", from the local cache";
    out(`✔ Cache hit: job ${CACHE_READ_JOB} restored what ${CACHE_WRITE_JOB} cached${from}: ${hit.trim()}`);
    return true;
  }

  let exitCode: number = EXIT.failed;
  const run = async (): Promise<void> => {
    try {
      out(
        `Smoke test of ${config.gitlabUrl}: pipeline from ${config.pipeline.origin}, timeout ${formatDuration(config.timeoutMs)}`,
      );
      // Nothing answering at all is told apart at once, on its own short budget.
      const contact = await firstContact(client, {
        url: config.gitlabUrl,
        budgetMs: config.connectTimeoutMs,
        now,
        sleep,
        signal,
        progress: out,
      });
      if (contact.kind === "unreachable") {
        out(`✘ ${contact.message}`);
        printDiagnoses([contact.diagnosis]);
        return;
      }
      const version = contact.kind === "answered" ? contact : await get<{ version: string }>("/version");
      const user = await get<{ username: string; is_admin?: boolean }>("/user");
      out(`✔ GitLab ${version.version} answers (token of ${user.username}${user.is_admin ? ", administrator" : ""})`);

      waitingFor =
        config.runner.kind === "stack"
          ? `runner #${config.runner.id} to come online`
          : `an online instance runner with tags ${tags.join(", ")}`;
      out(`✔ ${await waitForRunner()}`);

      waitingFor = "GitLab to create the project";
      project = await createProject(user.username);
      out(`✔ Created private project ${project.path_with_namespace} (${project.web_url})`);
      const commit = await client.request<{ id: string; short_id: string }>(
        "POST",
        `/projects/${project.id}/repository/commits`,
        {
          json: {
            branch: "main",
            commit_message: "Add the DinD smoke pipeline",
            actions: [{ action: "create", file_path: ".gitlab-ci.yml", content: config.pipeline.yaml }],
          },
          signal,
          deadlineMs: remaining(),
        },
      );
      out(`✔ Committed .gitlab-ci.yml (${commit.short_id}) to main; the push starts a pipeline`);

      waitingFor = "GitLab to create the pipeline";
      const pipelineUntil = now() + Math.min(config.pendingTimeoutMs, remaining());
      for (;;) {
        const found = await get<Pipeline[]>(`/projects/${project.id}/pipelines`, { sha: commit.id, ref: "main" });
        if (found[0]) {
          pipeline = found[0];
          break;
        }
        if (now() >= pipelineUntil)
          throw new SmokeFailure(
            `No pipeline for commit ${commit.short_id} after ${formatDuration(config.pendingTimeoutMs)}.`,
            { stage: "no-pipeline" },
          );
        await sleep(config.pollMs);
      }
      out(`✔ Pipeline #${pipeline.id}: ${pipeline.web_url}`);

      waitingFor = "the pipeline to finish";
      const seen = new Map<number, string>();
      const pendingSince = new Map<number, number>();
      for (;;) {
        // Pipeline first, then its jobs: once the pipeline has finished, the jobs read after it are final.
        pipeline = await get<Pipeline>(`/projects/${project.id}/pipelines/${pipeline.id}`);
        jobs = await get<Job[]>(`/projects/${project.id}/pipelines/${pipeline.id}/jobs`, { per_page: 100 });
        for (const job of [...jobs].sort((a, b) => a.id - b.id)) {
          if (seen.get(job.id) !== job.status) {
            const by =
              job.status === "running" && job.runner ? ` on runner #${job.runner.id} ${job.runner.description}` : "";
            out(`  job ${job.name}: ${job.status}${by} (${formatDuration(now() - startedAt)})`);
            seen.set(job.id, job.status);
            if (job.status === "pending") pendingSince.set(job.id, now());
          }
        }
        if (TERMINAL.includes(pipeline.status)) break;
        const stuck = jobs.find(
          (j) => j.status === "pending" && now() - (pendingSince.get(j.id) ?? now()) >= config.pendingTimeoutMs,
        );
        if (stuck) {
          throw new SmokeFailure(
            `Job ${stuck.name} is still pending after ${formatDuration(config.pendingTimeoutMs)}: no runner picked it up.`,
            {
              stage: "pending",
              jobName: stuck.name,
              jobTags: stuck.tag_list ?? config.pipeline.jobTags[stuck.name] ?? [],
              runners: await runnersForDiagnosis(),
              expectedRunnerId,
            },
          );
        }
        await sleep(config.pollMs);
      }

      if (pipeline.status === "success") {
        for (const job of jobs) {
          const trace = await get<string>(`/projects/${project.id}/jobs/${job.id}/trace`);
          const proof = extractProof(trace);
          if (proof.server.length > 0 && proof.containers.length > 0) {
            out(
              `✔ Pipeline #${pipeline.id} passed. Job ${job.name}${job.runner ? ` ran on runner #${job.runner.id} ${job.runner.description}` : ""}; from its log:`,
            );
            out("  docker version, Server section (the job reached the dind daemon):");
            for (const line of proof.server) out(`    ${line}`);
            out("  docker container ls (containers running inside the job's daemon):");
            for (const line of proof.containers) out(`    ${line}`);
            const mirrors = extractMirrors(trace);
            if (mirrors !== undefined) {
              out(
                mirrors.length > 0
                  ? `  pull-through cache: the job's daemon pulls Docker Hub images through ${mirrors.join(", ")}`
                  : "  pull-through cache: none (the job's daemon pulls from Docker Hub directly)",
              );
            }
            if (!(await proveRegistry(pipeline, project.id))) return;
            if (!(await proveCache(pipeline, project.id))) return;
            out(`Docker-in-Docker works (${formatDuration(now() - startedAt)}).`);
            exitCode = EXIT.ok;
            return;
          }
        }
        out(`✘ Pipeline #${pipeline.id} passed, but no job log shows the DinD proof.`);
        const last = jobs[0];
        const log = last ? await printJobLogTail(last) : "";
        printDiagnoses(diagnose({ stage: "no-proof", log }));
        return;
      }

      out(`✘ Pipeline #${pipeline.id} ${pipeline.status}: ${pipeline.web_url}`);
      if (pipeline.yaml_errors) {
        printDiagnoses(diagnose({ stage: "failed", yamlErrors: pipeline.yaml_errors }));
        return;
      }
      const failed = jobs.filter((j) => j.status === "failed");
      for (const job of failed) {
        const log = await printJobLogTail(job);
        printDiagnoses(
          diagnose({
            stage: "failed",
            log,
            jobName: job.name,
            failureReason: job.failure_reason ?? null,
            jobTags: job.tag_list ?? [],
          }),
        );
      }
      if (failed.length === 0) out(`No job failed; the pipeline ended ${pipeline.status} (canceled in GitLab?).`);
      return;
    } catch (error) {
      const reason: unknown = signal.aborted ? signal.reason : undefined;
      if (reason instanceof Interrupted) {
        out(`✘ Interrupted while waiting for ${waitingFor}.`);
        exitCode = EXIT.interrupted;
        await cancelPipeline();
      } else if (reason instanceof SmokeTimeout) {
        out(
          `✘ Timed out after ${formatDuration(config.timeoutMs)} waiting for ${waitingFor} (raise it with --timeout).`,
        );
        const running = jobs.find((j) => j.status === "running");
        const log = running && project ? await printJobLogTail(running) : undefined;
        const waitingJob = jobs.find((j) => j.status === "pending");
        printDiagnoses(
          diagnose({
            stage: "timeout",
            log,
            jobName: waitingJob?.name,
            jobTags: waitingJob ? (waitingJob.tag_list ?? []) : tags,
            runners: running ? undefined : await runnersForDiagnosis(),
            expectedRunnerId,
          }),
        );
        await cancelPipeline();
      } else if (error instanceof SmokeFailure) {
        out(`✘ ${error.message}`);
        printDiagnoses(diagnose(error.evidence));
        await cancelPipeline();
      } else {
        out(`✘ ${error instanceof Error ? error.message : String(error)}`);
        await cancelPipeline();
      }
      return;
    }
  };

  await run().catch((error: unknown) => out(`✘ ${error instanceof Error ? error.message : String(error)}`));
  clearTimeout(timer);
  if (project && config.keep) {
    out(`Kept project ${project.path_with_namespace} for inspection (--keep): ${project.web_url}`);
  } else if (project) {
    try {
      const images = await deleteRegistryImages(client, project, config.cleanupTimeoutMs ?? 60_000);
      if (images.length > 0)
        out(
          `Cleanup: deleted the project's images ${images.join(", ")} (GitLab removes their tags in the background).`,
        );
    } catch (error) {
      out(
        `Cleanup FAILED: could not delete the container images of project ${project.path_with_namespace} (${project.web_url}/container_registry): ${describeCleanupError(error)}. Delete them by hand.`,
      );
      if (exitCode === EXIT.ok) exitCode = EXIT.failed;
    }
    try {
      const result = await deleteProject(client, project, config.cleanupTimeoutMs ?? 60_000);
      out(`Cleanup: project ${project.path_with_namespace} ${result.detail}.`);
    } catch (error) {
      out(
        `Cleanup FAILED: could not delete project ${project.path_with_namespace} (${project.web_url}): ${describeCleanupError(error)}. Delete it by hand.`,
      );
      if (exitCode === EXIT.ok) exitCode = EXIT.failed;
    }
  }
  return exitCode;
}
