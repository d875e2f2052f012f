/**
 * `npm run smoke` against a GitLab that never answers stops within 30 s (the connect budget) and
 * says GitLab did not answer, instead of waiting out the whole run and blaming the pipeline; a
 * failure no retry can cure (a port Node.js refuses, an invalid URL) stops at once. The clock and
 * the pauses are injected: no test waits 30 real seconds.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createGitLabClient } from "../../infra/gitlab-api";
import type { SmokeConfig } from "../../tools/smoke/flow";
import { runSmoke } from "../../tools/smoke/flow";
import { describePipeline } from "../../tools/smoke/pipeline";
import { startFakeGitLab } from "../support/fake-gitlab";
import type { FakeGitLab } from "../support/fake-gitlab";
import { freePort } from "../support/ports";
import { smokeMain } from "./smoke-main";

const ROOT = path.join(__dirname, "../..");
const EXAMPLE = readFileSync(path.join(ROOT, "examples/dind/.gitlab-ci.yml"), "utf8");
const open: FakeGitLab[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

/** runSmoke with a fake clock: `sleep` moves it on (and may wait for something real first). */
async function smoke(
  url: string,
  token: string,
  options: { beforeWake?: () => Promise<void>; connectTimeoutMs?: number } = {},
) {
  let clock = 0;
  const sleeps: number[] = [];
  const now = () => clock;
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    clock += ms;
    await options.beforeWake?.();
  };
  const lines: string[] = [];
  const client = createGitLabClient({
    baseUrl: url,
    token,
    requestTimeoutMs: 5_000,
    retry: { deadlineMs: 120_000, initialDelayMs: 1_000, maxDelayMs: 15_000 },
    onProgress: (m) => lines.push(`… ${m}`),
    now,
    sleep,
  });
  const config: SmokeConfig = {
    gitlabUrl: url,
    runner: { kind: "stack", id: 7 },
    pipeline: describePipeline(EXAMPLE, "examples/dind/.gitlab-ci.yml"),
    keep: false,
    timeoutMs: 600_000,
    pendingTimeoutMs: 180_000,
    pollMs: 5_000,
    cleanupTimeoutMs: 60_000,
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  };
  const code = await runSmoke(config, { client, out: (l) => lines.push(l), now, sleep });
  return { code, output: lines.join("\n"), elapsedMs: clock, sleeps };
}

describe("GitLab never answers", () => {
  it("a closed local port: retries within 30 s, then says GitLab did not answer and what to check; nothing else", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const r = await smoke(url, "glpat-unused-token");
    expect(r.code).toBe(1);
    expect(r.elapsedMs).toBeLessThanOrEqual(30_000);
    expect(r.sleeps.length).toBeGreaterThanOrEqual(3);
    expect(r.output).toContain(`… GitLab does not answer at ${url} (connection refused); retrying in 1s, 30s left`);
    expect(r.output).toMatch(
      new RegExp(
        `✘ GitLab did not answer at ${url} \\(connection refused; \\d+ attempts in \\d+s\\)\\. Nothing was created`,
      ),
    );
    expect(r.output).toContain(`Diagnosis: GitLab did not answer at ${url} [gitlab-unreachable]`);
    expect(r.output).toContain(`Connection refused: nothing listens on 127.0.0.1:${port}. Is GitLab running?`);
    expect(r.output).toContain("--connect-timeout");
    // Not a timeout of the run, and no word about runners or pipelines.
    expect(r.output).not.toMatch(/Timed out|did not become available|runner #|Runner|Pipeline #/);
  });

  it("--connect-timeout sets the budget", async () => {
    const r = await smoke(`http://127.0.0.1:${await freePort()}`, "t0k3n-unused", { connectTimeoutMs: 5_000 });
    expect(r.code).toBe(1);
    expect(r.elapsedMs).toBeLessThanOrEqual(5_000);
    expect(r.sleeps.length).toBeGreaterThanOrEqual(2);
    expect(r.output).toMatch(/did not answer at .* attempts in [1-5]s\)/);
  });

  it("a port Node.js refuses to connect to: one attempt, no retry, says why", async () => {
    const url = "http://127.0.0.1:6000"; // X11's port, on fetch's list of blocked ports
    const r = await smoke(url, "t0k3n-unused");
    expect(r.code).toBe(1);
    expect(r.sleeps).toEqual([]);
    expect(r.elapsedMs).toBe(0);
    expect(r.output).toContain(
      `✘ Node.js refuses to connect to ${url}: port 6000 is on fetch's list of blocked ports, so no retry can succeed`,
    );
    expect(r.output).toContain("Diagnosis: Node.js never connects to port 6000 [gitlab-port-blocked]");
    expect(r.output).not.toContain("retrying");
  });

  it("a URL Node.js cannot parse: one attempt, no retry", async () => {
    const r = await smoke("http://gitlab example.com", "t0k3n-unused");
    expect(r.code).toBe(1);
    expect(r.sleeps).toEqual([]);
    expect(r.output).toContain("✘ http://gitlab example.com is not a URL Node.js can open");
  });
});

describe("GitLab answers, perhaps late (the fake GitLab)", () => {
  it("refused at first, listening a moment later: retried within the budget, then the run goes on and passes", async () => {
    const f = await startFakeGitLab({
      runners: [{ id: 7, description: "gitlab-dind-runner", tag_list: ["docker", "dind"], status: "online" }],
      refuseConnectionsForMs: 300,
    });
    open.push(f);
    const r = await smoke(f.url, f.token, { beforeWake: () => f.listening });
    expect(r.output).toContain(`… GitLab does not answer at ${f.url} (connection refused); retrying in 1s`);
    expect(r.output).toMatch(/✔ GitLab \S+ answers/);
    expect(r.output).toContain("Docker-in-Docker works");
    expect(r.code).toBe(0);
    expect(f.state.projects).toEqual([]);
  });

  it("answering 502 while GitLab starts is an answer: the usual retries, not 'did not answer'", async () => {
    const f = await startFakeGitLab({
      runners: [{ id: 7, description: "gitlab-dind-runner", tag_list: ["docker", "dind"], status: "online" }],
      faults: [{ path: "/api/v4/version", status: 502, times: 3 }],
    });
    open.push(f);
    const r = await smoke(f.url, f.token);
    expect(r.output).not.toContain("did not answer");
    expect(r.output).toContain(`… GitLab at ${f.url} not answering yet (502)`);
    expect(r.code).toBe(0);
  });
});

describe("npm run smoke's entry point (tools/smoke/main.ts, in-process; test/smoke/main.test.ts spawns it)", () => {
  it("against a port Node.js refuses: exit 1 at once with the reason, the token never printed", async () => {
    const r = await smokeMain(["--url", "http://127.0.0.1:6000"], { GITLAB_TOKEN: "glpat-unused-token-123" });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("port 6000 is on fetch's list of blocked ports");
    expect(r.stdout + r.stderr).not.toContain("glpat-unused-token-123");
  });

  it("against a closed port with --connect-timeout 1s: exit 1, GitLab did not answer", async () => {
    const port = await freePort();
    const r = await smokeMain(
      ["--url", `http://127.0.0.1:${port}`, "--connect-timeout", "1s"],
      { GITLAB_TOKEN: "glpat-unused-token-123" },
      { fakeClock: true },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`✘ GitLab did not answer at http://127.0.0.1:${port} (connection refused;`);
    expect(r.stdout).not.toContain("Timed out");
    expect(r.elapsedMs).toBeLessThanOrEqual(1_000);
  });
});
