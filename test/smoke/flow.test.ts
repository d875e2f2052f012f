import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createGitLabClient } from "../../infra/gitlab-api";
import type { GitLabClient } from "../../infra/gitlab-api";
import { Interrupted } from "../../tools/smoke/cleanup";
import type { SmokeConfig } from "../../tools/smoke/flow";
import { runSmoke } from "../../tools/smoke/flow";
import { describePipeline } from "../../tools/smoke/pipeline";
import { startFakeGitLab } from "../support/fake-gitlab";
import type { FakeGitLab, FakeGitLabOptions } from "../support/fake-gitlab";
import { projectRoutes } from "../support/fake-gitlab/projects";
import { fakeClock } from "../support/clock";
import {
  CACHE_READ_TRACE,
  createState,
  DIND_SUCCESS_TRACE,
  REGISTRY_PULL_TRACE,
  REGISTRY_PUSH_TRACE,
} from "../support/fake-gitlab";
import { renderExamplePipeline } from "../../runner-config";
import { DEFAULT_DIND_IMAGE, DEFAULT_JOB_IMAGE } from "../../infra/config/schema";

// The real example pipeline from the repo: `docker-in-docker`, then `registry-push`, then `registry-pull`,
// all with the tags docker + dind.
const EXAMPLE = readFileSync(path.join(__dirname, "../../examples/dind/.gitlab-ci.yml"), "utf8");

const open: FakeGitLab[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

const DIND_RUNNER = {
  id: 7,
  description: "gitlab-dind-runner",
  tag_list: ["docker", "dind"],
  status: "online" as const,
};

async function fake(options: FakeGitLabOptions = {}): Promise<FakeGitLab> {
  const f = await startFakeGitLab({ runners: [DIND_RUNNER], ...options });
  open.push(f);
  return f;
}

interface RunResult {
  code: number;
  output: string;
  lines: string[];
}

async function run(
  f: FakeGitLab,
  overrides: Partial<SmokeConfig> = {},
  hooks: {
    wrap?: (c: GitLabClient) => GitLabClient;
    onLine?: (line: string, interrupt: AbortController) => void;
    /** The run's clock moves on only with its pauses between polls: its timeouts pass at once. */
    fakeClock?: boolean;
  } = {},
): Promise<RunResult> {
  const lines: string[] = [];
  const clock = hooks.fakeClock ? fakeClock() : {};
  const interrupt = new AbortController();
  const base = createGitLabClient({
    baseUrl: f.url,
    token: f.token,
    requestTimeoutMs: 2_000,
    retry: { deadlineMs: 2_000, initialDelayMs: 10, maxDelayMs: 50 },
    onProgress: (m) => lines.push(`… ${m}`),
  });
  const client = hooks.wrap ? hooks.wrap(base) : base;
  const code = await runSmoke(
    {
      gitlabUrl: f.url,
      runner: { kind: "stack", id: 7 },
      pipeline: describePipeline(EXAMPLE, "examples/dind/.gitlab-ci.yml"),
      keep: false,
      timeoutMs: 5_000,
      pendingTimeoutMs: 1_000,
      pollMs: 10,
      cleanupTimeoutMs: 2_000,
      ...overrides,
    },
    {
      client,
      out: (line) => {
        lines.push(line);
        hooks.onLine?.(line, interrupt);
      },
      interrupt: interrupt.signal,
      ...clock,
    },
  );
  const output = lines.join("\n");
  expect(output).not.toContain(f.token);
  return { code, output, lines };
}

function failingTrace(...body: string[]): string {
  return [
    "\x1b[0KRunning with gitlab-runner 17.5.1 (4f1b4b2a)\x1b[0;m",
    'section_start:1731000000:prepare_executor\r\x1b[0K\x1b[0K\x1b[36;1mPreparing the "docker" executor\x1b[0;m',
    ...body,
    "section_end:1731000050:step_script\r\x1b[0K\x1b[31;1mERROR: Job failed: exit code 1\x1b[0;m",
    "",
  ].join("\n");
}

function expectDeleted(f: FakeGitLab): void {
  expect(f.requestsTo("DELETE", /^\/api\/v4\/projects\/\d+$/).length).toBeGreaterThan(0);
  expect(f.state.projects).toEqual([]);
}

describe("npm run smoke, against a fake GitLab", () => {
  it("passes: shows the docker version Server section and the containers, then deletes the project", async () => {
    const f = await fake();
    const { code, output, lines } = await run(f);
    expect(code).toBe(0);
    expect(output).toContain("✔ GitLab 19.3.0 answers (token of root, administrator)");
    expect(output).toContain("✔ Runner #7 gitlab-dind-runner is online with tags docker, dind");
    expect(output).toMatch(/✔ Created private project root\/dind-smoke-\d{14}-\w+/);
    // Created first: it waits for cache-write, alone in .pre.
    expect(lines.filter((l) => l.startsWith("  job docker-in-docker:")).map((l) => l.replace(/ \(.*\)$/, ""))).toEqual([
      "  job docker-in-docker: created",
      "  job docker-in-docker: pending",
      "  job docker-in-docker: running on runner #7 gitlab-dind-runner",
      "  job docker-in-docker: success",
    ]);
    expect(output).toContain("    Server: Docker Engine - Community");
    expect(output).toContain("      Version:          29.7.2");
    expect(output).toContain("    $ docker container ls");
    expect(output).toMatch(/alpine:3\.22 +"sleep 600" .* alpine-2/);
    expect(output).toContain(
      "  pull-through cache: the job's daemon pulls Docker Hub images through http://host.docker.internal:5001/",
    );
    expect(output).toMatch(/Docker-in-Docker works/);
    expect(f.state.pipelines).toEqual([]);
    expectDeleted(f);
    // The committed file is the pipeline, as .gitlab-ci.yml on main, in a private project.
    const create = f.requestsTo("POST", "/api/v4/projects")[0]?.body as Record<string, unknown>;
    expect(create["visibility"]).toBe("private");
    const commit = f.requestsTo("POST", /\/repository\/commits$/)[0]?.body as {
      branch: string;
      actions: { file_path: string; content: string }[];
    };
    expect(commit.branch).toBe("main");
    expect(commit.actions[0]).toMatchObject({ file_path: ".gitlab-ci.yml", content: EXAMPLE });
  });

  it("passes: reports the image the push job pushed and the pull job ran, then deletes the images and the project", async () => {
    const f = await fake();
    const { code, output, lines } = await run(f, { projectName: "registry-smoke" });
    expect(code).toBe(0);
    const pipeline = Number(/✔ Pipeline #(\d+):/.exec(output)?.[1]);
    // Each job in its stage: cache-write alone (.pre), the DinD job, the push, the pull, cache-read alone (.post).
    expect(lines.filter((l) => / job \S+: (success|pending)/.test(l)).map((l) => l.replace(/ \(.*\)$/, ""))).toEqual([
      "  job cache-write: pending",
      "  job cache-write: success",
      "  job docker-in-docker: pending",
      "  job docker-in-docker: success",
      "  job registry-push: pending",
      "  job registry-push: success",
      "  job registry-pull: pending",
      "  job registry-pull: success",
      "  job cache-read: pending",
      "  job cache-read: success",
    ]);
    expect(output).toContain(
      `✔ Job registry-push built an image inside DinD and pushed it to GitLab's registry: 198.51.100.7:4567/root/registry-smoke/smoke:${pipeline} (sha256:`,
    );
    expect(output).toContain(
      `✔ Job registry-pull pulled it into a fresh DinD daemon and ran it: gitlab-dind smoke image built by pipeline ${pipeline}`,
    );
    expect(output.indexOf("✔ Job registry-pull")).toBeLessThan(output.indexOf("Docker-in-Docker works"));
    // The images first, then the project: both gone.
    expect(output).toContain(
      "Cleanup: deleted the project's images 198.51.100.7:4567/root/registry-smoke/smoke (1 tag) (GitLab removes their tags in the background).",
    );
    const deletes = f.state.requests.filter((r) => r.method === "DELETE").map((r) => r.path);
    expect(deletes[0]).toMatch(/^\/api\/v4\/projects\/\d+\/registry\/repositories\/\d+$/);
    expect(deletes.slice(1).every((p) => /^\/api\/v4\/projects\/\d+$/.test(p))).toBe(true);
    expect(f.state.registryRepositories).toEqual([]);
    expectDeleted(f);
  });

  it("a push the registry's certificate refuses: fails the push job, diagnoses the missing CA, still cleans up", async () => {
    const f = await fake({
      pipelineBehaviour: {
        jobs: {
          "*": { outcome: "success", trace: DIND_SUCCESS_TRACE },
          "registry-push": {
            outcome: "failed",
            trace: failingTrace(
              '$ echo "$CI_REGISTRY_PASSWORD" | docker login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"',
              'Error response from daemon: Get "https://198.51.100.7:4567/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority',
            ),
          },
        },
      },
    });
    const { code, output, lines } = await run(f);
    expect(code).toBe(1);
    expect(lines.some((l) => l.startsWith("  job registry-pull: skipped"))).toBe(true);
    expect(output).toContain(
      "Diagnosis: The job's DinD daemon does not trust GitLab's container registry [registry-certificate]",
    );
    expect(output).not.toContain("[docker-certificate]");
    expect(f.state.registryRepositories).toEqual([]);
    expectDeleted(f);
  });

  it("a pull job that runs another pipeline's image proves nothing: fails with its log", async () => {
    const f = await fake({
      pipelineBehaviour: {
        jobs: {
          "*": { outcome: "success", trace: DIND_SUCCESS_TRACE },
          "registry-push": { outcome: "success", trace: REGISTRY_PUSH_TRACE, pushes: "smoke" },
          "registry-pull": {
            outcome: "success",
            trace: REGISTRY_PULL_TRACE.replace("built by pipeline {{pipeline}}", "built by pipeline 1"),
          },
        },
      },
    });
    const { code, output } = await run(f);
    expect(code).toBe(1);
    expect(output).toMatch(
      /✘ Pipeline #\d+ passed, but job registry-pull did not run the image this pipeline pushed\./,
    );
    expect(output).toContain("--- last ");
    expect(output).not.toContain("Docker-in-Docker works");
    // Its image is deleted all the same.
    expect(f.state.registryRepositories).toEqual([]);
    expectDeleted(f);
  });

  it("reports the cache hit: cache-read restored what cache-write cached in this pipeline (the local cache)", async () => {
    const f = await fake();
    const { code, output } = await run(f);
    expect(code).toBe(0);
    const pipeline = Number(/✔ Pipeline #(\d+):/.exec(output)?.[1]);
    expect(output).toContain(
      `✔ Cache hit: job cache-read restored what cache-write cached, from the local cache: gitlab-dind cache hit: smoke-cache/pipeline-id written by pipeline ${pipeline}`,
    );
    expect(output.indexOf("✔ Cache hit")).toBeLessThan(output.indexOf("Docker-in-Docker works"));
  });

  it("a hit from the shared S3 cache names the bucket's endpoint the helper downloaded from", async () => {
    const shared = CACHE_READ_TRACE.replace(
      /No URL provided, cache will not be downloaded[^\n]*/,
      "Downloading cache from https://dev-autoscale-runner-cache-5eed0000.s3.dualstack.eu-central-1.amazonaws.com/project/1/smoke-{{pipeline}}-protected  ETag=&#34;0f1e&#34;",
    );
    const f = await fake({
      pipelineBehaviour: {
        jobs: { ...createState().pipelineBehaviour.jobs, "cache-read": { outcome: "success", trace: shared } },
      },
    });
    const { code, output } = await run(f);
    expect(code).toBe(0);
    expect(output).toMatch(
      /✔ Cache hit: job cache-read restored what cache-write cached, downloaded from the shared cache at dev-autoscale-runner-cache-5eed0000\.s3\.dualstack\.eu-central-1\.amazonaws\.com: gitlab-dind cache hit/,
    );
  });

  it("a cache-read that printed no hit for this pipeline proves nothing: fails with its log", async () => {
    const miss = CACHE_READ_TRACE.replace(
      /^gitlab-dind cache hit: .*$/m,
      "gitlab-dind cache hit: smoke-cache/pipeline-id written by pipeline 1",
    );
    const f = await fake({
      pipelineBehaviour: {
        jobs: { ...createState().pipelineBehaviour.jobs, "cache-read": { outcome: "success", trace: miss } },
      },
    });
    const { code, output } = await run(f);
    expect(code).toBe(1);
    expect(output).toMatch(/✘ Pipeline #\d+ passed, but job cache-read did not find what cache-write cached\./);
    expect(output).toContain("--- last");
    expect(output).not.toContain("Docker-in-Docker works");
    expectDeleted(f);
  });

  it("a pipeline without the registry jobs (gitlab.registryPort 0): passes on the DinD proof alone, no image to delete", async () => {
    const f = await fake();
    const yaml = renderExamplePipeline({
      jobImage: DEFAULT_JOB_IMAGE,
      dindImage: DEFAULT_DIND_IMAGE,
      tags: ["docker", "dind"],
      registry: false,
    });
    const { code, output } = await run(f, { pipeline: describePipeline(yaml, "registry off") });
    expect(code).toBe(0);
    expect(output).not.toContain("registry-push");
    expect(output).not.toContain("Cleanup: deleted the project's images");
    expect(f.requestsTo("DELETE", /registry/)).toEqual([]);
    expectDeleted(f);
  });

  it("with --url: waits for an online instance runner that takes the pipeline's tags", async () => {
    const f = await fake({ runners: [{ id: 3, description: "other", tag_list: ["shell"] }, DIND_RUNNER] });
    const { code, output } = await run(f, { runner: { kind: "instance" } });
    expect(code).toBe(0);
    expect(output).toContain("✔ Runner #7 gitlab-dind-runner (instance) is online with tags docker, dind");
  });

  it("waits for the stack's runner to come online, saying so", async () => {
    const f = await fake({ runners: [{ ...DIND_RUNNER, status: "never_contacted" }] });
    const { code, output } = await run(
      f,
      {},
      {
        onLine: (line) => {
          // The runner contacts GitLab: it is online from then on.
          if (line.includes("Waiting for runner #7"))
            setTimeout(
              () => Object.assign(f.state.runners[0], { status: "online", contacted_at: new Date().toISOString() }),
              50,
            );
        },
      },
    );
    expect(output).toContain("… Waiting for runner #7 gitlab-dind-runner to come online (now never_contacted)");
    expect(code).toBe(0);
  });

  it("no runner online: diagnoses it and creates nothing", async () => {
    const f = await fake({ runners: [{ ...DIND_RUNNER, status: "offline" }] });
    const { code, output } = await run(f, { runner: { kind: "instance" }, pendingTimeoutMs: 100 }, { fakeClock: true });
    expect(code).toBe(1);
    expect(output).toContain(
      "… Waiting for an online instance runner with tags docker, dind (0 of 1 instance runners online, none with tags docker, dind)",
    );
    expect(output).toContain("Diagnosis: No runner is online [no-runner-online]");
    expect(output).toContain("#7 gitlab-dind-runner: offline, tags docker, dind");
    expect(f.requestsTo("POST", "/api/v4/projects")).toHaveLength(0);
  });

  it("the stack's runner lacks the pipeline's tags: diagnoses the mismatch before creating anything", async () => {
    const f = await fake({ runners: [{ ...DIND_RUNNER, tag_list: ["docker"] }] });
    const { code, output } = await run(f);
    expect(code).toBe(1);
    // Every job of the example pipeline asks for the same tags.
    expect(output).toContain(
      "✘ Runner #7 is online but does not take job docker-in-docker, registry-push, registry-pull, cache-write, cache-read.",
    );
    expect(output).toContain("Diagnosis: The job waits for a runner with its tags [tags-mismatch]");
    expect(output).toContain("needs a runner with all of these tags: docker, dind");
    expect(f.state.projects).toHaveLength(0);
  });

  it("a job stuck pending because no runner has its tags: diagnoses it, cancels the pipeline, deletes the project", async () => {
    const f = await fake();
    // Someone retags the runner between the check and the job: the job can only wait.
    const wrap = (c: GitLabClient): GitLabClient => ({
      ...c,
      request: async (method, p, o) => {
        const result = await c.request(method, p, o);
        if (p.endsWith("/repository/commits")) f.state.runners[0].tag_list = ["docker"];
        return result as never;
      },
    });
    const { code, output } = await run(f, { pendingTimeoutMs: 100 }, { wrap, fakeClock: true });
    expect(code).toBe(1);
    // cache-write, alone in .pre, is the first job to wait.
    expect(output).toContain("✘ Job cache-write is still pending after 100ms: no runner picked it up.");
    expect(output).toContain("[tags-mismatch]");
    expect(output).toContain("Online runners: #7 gitlab-dind-runner: online, tags docker.");
    expect(f.requestsTo("POST", /\/pipelines\/\d+\/cancel$/)).toHaveLength(1);
    expectDeleted(f);
  });

  const causes: [string, string, string[]][] = [
    [
      "Cannot connect to the Docker daemon at tcp://docker:2375 (TLS settings)",
      "docker-tcp-2375",
      [
        "$ docker version",
        "Client:",
        " Version:           27.3.1",
        "Cannot connect to the Docker daemon at tcp://docker:2375. Is the docker daemon running?",
      ],
    ],
    [
      "dind without privileged",
      "not-privileged",
      [
        "*** WARNING: Service runner-t3abc-project-1-concurrent-0-docker-0 probably didn't start properly.",
        "Service container logs:",
        "2024-11-08T10:00:01.000Z mount: permission denied (are you root?)",
        "2024-11-08T10:00:01.000Z Could not mount /sys/kernel/security.",
        "$ docker version",
        'error during connect: Get "https://docker:2376/v1.47/version": dial tcp: lookup docker on 10.0.0.2:53: no such host',
      ],
    ],
    [
      "a certificate error",
      "docker-certificate",
      [
        "$ docker version",
        'error during connect: Get "https://docker:2376/v1.47/version": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      ],
    ],
    [
      "missing /certs/client volume",
      "certs-volume-missing",
      ["$ docker version", "unable to resolve docker endpoint: open /certs/client/ca.pem: no such file or directory"],
    ],
    [
      "GitLab's certificate not trusted when cloning",
      "gitlab-certificate",
      [
        "Fetching changes with git depth set to 20...",
        "fatal: unable to access 'https://gitlab.example.com/root/x.git/': server certificate verification failed. CAfile: none CRLfile: none",
      ],
    ],
  ];
  for (const [name, id, body] of causes) {
    it(`a failing job (${name}): prints the log tail and the diagnosis, deletes the project`, async () => {
      const f = await fake({
        pipelineBehaviour: { jobs: { "*": { outcome: "failed", trace: failingTrace(...body) } } },
      });
      const { code, output, lines } = await run(f);
      expect(code).toBe(1);
      expect(output).toMatch(/✘ Pipeline #\d+ failed/);
      expect(output).toContain("--- last ");
      // The tail is the cleaned log: no ANSI escapes, no section markers.
      expect(lines.some((l) => l.includes("\x1b") || l.includes("section_"))).toBe(false);
      expect(output).toContain(`  ${body[body.length - 1]}`);
      expect(lines.find((l) => l.startsWith("Diagnosis:"))).toContain(`[${id}]`);
      expectDeleted(f);
    });
  }

  it("a pipeline file GitLab rejects: shows its yaml_errors", async () => {
    const f = await fake({
      pipelineBehaviour: { yamlErrors: "jobs:docker-in-docker:services config should be an array" },
    });
    const { code, output } = await run(f);
    expect(code).toBe(1);
    expect(output).toContain("GitLab says: jobs:docker-in-docker:services config should be an array");
    expectDeleted(f);
  });

  it("a pipeline that never starts: diagnoses it after the pending timeout and deletes the project", async () => {
    const f = await fake({ pipelineBehaviour: { create: false } });
    const { code, output } = await run(f, { pendingTimeoutMs: 150 }, { fakeClock: true });
    expect(code).toBe(1);
    expect(output).toMatch(/✘ No pipeline for commit \w{8} after 150ms\./);
    expect(output).toContain("[no-pipeline]");
    expectDeleted(f);
  });

  it("a job that never finishes: times out, shows the log so far, cancels, deletes the project", async () => {
    const f = await fake({
      pipelineBehaviour: {
        jobs: {
          "*": {
            outcome: "success",
            trace: "Running with gitlab-runner 17.5.1\n$ docker version\nstill going\n",
            runningPolls: 1_000_000,
          },
        },
      },
    });
    const started = Date.now();
    const { code, output } = await run(f, { timeoutMs: 150 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(code).toBe(1);
    expect(output).toContain("✘ Timed out after 150ms waiting for the pipeline to finish (raise it with --timeout).");
    expect(output).toContain("  Running with gitlab-runner 17.5.1");
    expect(f.requestsTo("POST", /\/cancel$/)).toHaveLength(1);
    expectDeleted(f);
  });

  it("Ctrl-C while the job runs: stops, cancels the pipeline, deletes the project, exits 130", async () => {
    const f = await fake({
      pipelineBehaviour: { jobs: { "*": { outcome: "success", trace: "x\n", runningPolls: 1_000_000 } } },
    });
    const { code, output } = await run(
      f,
      { timeoutMs: 10_000 },
      {
        onLine: (line, interrupt) => {
          if (line.includes(": running")) interrupt.abort(new Interrupted("SIGINT"));
        },
      },
    );
    expect(code).toBe(130);
    expect(output).toContain("✘ Interrupted while waiting for the pipeline to finish.");
    expect(f.requestsTo("POST", /\/cancel$/)).toHaveLength(1);
    expectDeleted(f);
  });

  it("--keep leaves the project and says where it is", async () => {
    const f = await fake();
    const { code, output } = await run(f, { keep: true, projectName: "kept-smoke" });
    expect(code).toBe(0);
    expect(output).toContain(`Kept project root/kept-smoke for inspection (--keep): ${f.url}/root/kept-smoke`);
    expect(f.state.projects.map((p) => p.path)).toEqual(["kept-smoke"]);
    expect(f.requestsTo("DELETE", /projects/)).toHaveLength(0);
  });

  it("GitLab 18+ delayed deletion: removes the marked project permanently with its renamed full_path", async () => {
    const f = await fake();
    const { code, output } = await run(f, { projectName: "delayed-smoke" });
    expect(code).toBe(0);
    expect(output).toContain(
      "Cleanup: project root/delayed-smoke deleted (GitLab marked it for deletion as root/delayed-smoke-deletion_scheduled-1; removed at once with permanently_remove).",
    );
    const deletes = f.requestsTo("DELETE", /^\/api\/v4\/projects\/\d+$/);
    expect(deletes).toHaveLength(2);
    expect(deletes[0]?.query.get("permanently_remove")).toBeNull();
    expect(deletes[1]?.query.get("permanently_remove")).toBe("true");
    // The path GitLab renamed the project to on marking, read back with GET /projects/:id.
    expect(deletes[1]?.query.get("full_path")).toBe("root/delayed-smoke-deletion_scheduled-1");
    expect(f.state.projects).toEqual([]);
  });

  it("a mark whose answer was lost (502, then 400 'already marked' on the retry) still ends in the permanent removal", async () => {
    const f = await fake();
    const builtIn = projectRoutes.find((r) => r.method === "DELETE" && r.pattern === "/api/v4/projects/:id");
    let lost = false;
    f.addRoute({
      method: "DELETE",
      pattern: "/api/v4/projects/:id",
      handler: (ctx) => {
        const reply = builtIn!.handler(ctx);
        if (lost || reply.status !== 202 || ctx.query.get("permanently_remove") === "true") return reply;
        lost = true; // GitLab marked it; the proxy lost the answer
        return { status: 502, text: "Bad Gateway" };
      },
    });
    const { code, output } = await run(f, { projectName: "lost-smoke" });
    expect(code).toBe(0);
    expect(output).toContain(
      "Cleanup: project root/lost-smoke deleted (GitLab marked it for deletion as root/lost-smoke-deletion_scheduled-1; removed at once with permanently_remove).",
    );
    expect(f.requestsTo("DELETE", /^\/api\/v4\/projects\/\d+$/).map((r) => r.query.get("permanently_remove"))).toEqual([
      null,
      null,
      "true",
    ]);
    expect(f.state.projects).toEqual([]);
  });

  it("GitLab before 18 (no delayed deletion): one DELETE removes the project", async () => {
    const f = await fake({ delayedDeletion: false });
    const { code, output } = await run(f, { projectName: "old-smoke" });
    expect(code).toBe(0);
    expect(output).toContain("Cleanup: project root/old-smoke deleted.");
    expect(f.requestsTo("DELETE", /^\/api\/v4\/projects\/\d+$/)).toHaveLength(1);
    expect(f.state.projects).toEqual([]);
  });

  it("GitLab refuses the immediate removal (400): says the project stays marked, under its new path", async () => {
    const f = await fake();
    // An instance that refuses immediate removal (GitLab 18.5+ can turn it off): the mark goes to the
    // fake's own route, the permanent removal gets a 400 (the message is an example).
    const builtIn = projectRoutes.find((r) => r.method === "DELETE" && r.pattern === "/api/v4/projects/:id");
    f.addRoute({
      method: "DELETE",
      pattern: "/api/v4/projects/:id",
      handler: (ctx) =>
        ctx.query.get("permanently_remove") === "true"
          ? { status: 400, json: { message: "Immediate deletion is not allowed on this instance" } }
          : builtIn!.handler(ctx),
    });
    const { code, output } = await run(f, { projectName: "refused-smoke" });
    expect(output).toContain(
      "Cleanup: project root/refused-smoke marked for deletion on " +
        new Date().toISOString().slice(0, 10) +
        " as root/refused-smoke-deletion_scheduled-1, not removed: GitLab refused the immediate removal " +
        "(Immediate deletion is not allowed on this instance); it removes the project itself when its deletion delay ends.",
    );
    expect(code).toBe(0);
    expect(f.state.projects.map((p) => p.path_with_namespace)).toEqual(["root/refused-smoke-deletion_scheduled-1"]);
    // The project stays marked, but its images are gone: smoke deleted them first.
    expect(f.state.registryRepositories).toEqual([]);
    expect(output).toContain(
      "Cleanup: deleted the project's images 198.51.100.7:4567/root/refused-smoke/smoke (1 tag)",
    );
  });

  it("a cleanup that fails turns a pass into a failure and names the project to delete by hand", async () => {
    const f = await fake({ faults: [{ method: "DELETE", status: 500, times: 100 }] });
    const { code, output } = await run(f, { projectName: "stuck-smoke" });
    expect(code).toBe(1);
    expect(output).toContain(`Cleanup FAILED: could not delete project root/stuck-smoke (${f.url}/root/stuck-smoke)`);
  });

  it("a project create that got no answer but happened is adopted and cleaned up", async () => {
    const f = await fake();
    // The create is processed, then the proxy answers 502: the client must not create a second project.
    f.addRoute({
      method: "POST",
      pattern: "/api/v4/projects",
      handler: (ctx) => {
        f.state.projects.push({
          id: 41,
          name: "adopt-smoke",
          path: "adopt-smoke",
          path_with_namespace: "root/adopt-smoke",
          visibility: "private",
          default_branch: null,
          shared_runners_enabled: true,
          created_at: "",
          marked_for_deletion_on: null,
          branches: new Map(),
          commits: [],
        });
        f.state.nextId.project = 42;
        return { status: 502, text: `Bad Gateway ${ctx.path}` };
      },
    });
    const { code, output } = await run(f, { projectName: "adopt-smoke" });
    expect(f.requestsTo("POST", "/api/v4/projects")).toHaveLength(1);
    expect(output).toContain("✔ Created private project root/adopt-smoke");
    expect(code).toBe(0);
    expectDeleted(f);
  });

  it("a bad token: stops at once with the 401 explanation", async () => {
    const f = await fake();
    const lines: string[] = [];
    const client = createGitLabClient({
      baseUrl: f.url,
      token: "glpat-revoked-token-123456",
      retry: { deadlineMs: 0, initialDelayMs: 10, maxDelayMs: 10 },
    });
    const code = await runSmoke(
      {
        gitlabUrl: f.url,
        runner: { kind: "stack", id: 7 },
        pipeline: describePipeline(EXAMPLE, "x"),
        keep: false,
        timeoutMs: 2_000,
        pendingTimeoutMs: 500,
        pollMs: 10,
      },
      { client, out: (l) => lines.push(l) },
    );
    expect(code).toBe(1);
    expect(lines.join("\n")).toContain("the token is invalid, expired or revoked");
    expect(lines.join("\n")).not.toContain("glpat-revoked-token-123456");
  });
});
