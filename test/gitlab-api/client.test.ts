import { afterEach, describe, expect, it } from "vitest";
import { createGitLabClient, GitLabApiError } from "../../infra/gitlab-api";
import type { GitLabClientOptions } from "../../infra/gitlab-api";
import { startFakeGitLab } from "../support/fake-gitlab";
import type { FakeGitLab, FakeGitLabOptions } from "../support/fake-gitlab";
import { fakeClock } from "../support/clock";

const open: FakeGitLab[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

async function fake(options: FakeGitLabOptions = {}): Promise<FakeGitLab> {
  const f = await startFakeGitLab(options);
  open.push(f);
  return f;
}

function client(f: FakeGitLab, extra: Partial<GitLabClientOptions> = {}) {
  const progress: string[] = [];
  const c = createGitLabClient({
    baseUrl: f.url,
    token: f.token,
    requestTimeoutMs: 2_000,
    retry: { deadlineMs: 3_000, initialDelayMs: 10, maxDelayMs: 40 },
    onProgress: (m) => progress.push(m),
    ...extra,
  });
  return { c, progress };
}

async function caught(promise: Promise<unknown>): Promise<GitLabApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GitLabApiError);
    return error as GitLabApiError;
  }
  throw new Error("expected the call to fail");
}

describe("GitLab client", () => {
  it("sends the token as PRIVATE-TOKEN and parses JSON", async () => {
    const f = await fake();
    const { c } = client(f);
    const version = await c.request<{ version: string }>("GET", "/version");
    expect(version.version).toBe("19.3.0");
    expect(f.requestsTo("GET", "/api/v4/version")[0]?.hadToken).toBe(true);
  });

  it("retries 502 while GitLab starts, reports progress without the token, then succeeds", async () => {
    const f = await fake({ faults: [{ status: 502, times: 3 }] });
    const { c, progress } = client(f, fakeClock());
    const user = await c.request<{ username: string }>("GET", "/user");
    expect(user.username).toBe("root");
    expect(f.requestsTo("GET", "/api/v4/user")).toHaveLength(4);
    expect(progress).toHaveLength(3);
    expect(progress[0]).toMatch(
      new RegExp(`^GitLab at ${f.url} not answering yet \\(502\\); retrying in 10ms, \\d+(ms|s) left$`),
    );
    expect(progress.join("\n")).not.toContain(f.token);
  });

  it("retries 503 and 504 too, with doubling delays capped at maxDelayMs", async () => {
    const f = await fake({
      faults: [
        { status: 503, times: 2 },
        { status: 504, times: 2 },
      ],
    });
    const { c, progress } = client(f, fakeClock());
    await c.request("GET", "/version");
    expect(progress.map((m) => m.match(/retrying in (\w+)/)?.[1])).toEqual(["10ms", "20ms", "40ms", "40ms"]);
    expect(progress[2]).toContain("(504)");
  });

  it("retries while connections are refused, then succeeds once GitLab listens", async () => {
    const f = await fake({ refuseConnectionsForMs: 150 });
    const { c, progress } = client(f);
    const version = await c.request<{ version: string }>("GET", "/version");
    expect(version.version).toBe("19.3.0");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toContain("ECONNREFUSED");
  });

  it("explains a 401 without leaking the token", async () => {
    const f = await fake();
    const { c } = client(f, { token: "glpat-wrong-token-abcdefgh" });
    const error = await caught(c.request("GET", "/user"));
    expect(error.kind).toBe("http");
    expect(error.status).toBe(401);
    expect(error.method).toBe("GET");
    expect(error.path).toBe("/api/v4/user");
    expect(error.message).toContain("the token is invalid, expired or revoked");
    expect(error.message).not.toContain("glpat-wrong-token-abcdefgh");
    expect(error.bodyExcerpt).toContain("401 Unauthorized");
  });

  it("explains a 403 (token without admin/api scope)", async () => {
    const f = await fake({ isAdmin: false });
    const { c } = client(f);
    const error = await caught(c.request("GET", "/runners/all"));
    expect(error.status).toBe(403);
    expect(error.message).toContain("the token lacks the admin/api scope");
  });

  it("redacts the token and glrt-/glpat- tokens if a body echoes them", async () => {
    const f = await fake();
    f.addFault({ status: 400, body: JSON.stringify({ message: `bad ${f.token} and glrt-t1_abcdefghijklmnop` }) });
    const { c } = client(f);
    const error = await caught(c.request("GET", "/version"));
    expect(error.message).not.toContain(f.token);
    expect(error.message).not.toContain("glrt-t1_abcdefghijklmnop");
    expect(error.message).toContain("[REDACTED]");
  });

  it("gives a clear timeout error when GitLab hangs (no retry)", async () => {
    const f = await fake({ faults: [{ hang: true }] });
    const { c } = client(f, { requestTimeoutMs: 100 });
    const error = await caught(c.request("GET", "/version", { retry: "none" }));
    expect(error.kind).toBe("timeout");
    expect(error.message).toBe(
      `GitLab did not answer GET ${f.url}/api/v4/version within 100ms: is GitLab overloaded or still starting? (raise requestTimeoutMs if it is just slow)`,
    );
  });

  it("retries a GET that hung, then succeeds", async () => {
    const f = await fake({ faults: [{ hang: true }] });
    const { c, progress } = client(f, { requestTimeoutMs: 100 });
    await c.request("GET", "/version");
    expect(progress[0]).toContain("no answer within 100ms");
  });

  it("gives up at the deadline with the last failure", async () => {
    const f = await fake({ faults: [{ status: 502, times: 1_000 }] });
    const { c, progress } = client(f, {
      retry: { deadlineMs: 200, initialDelayMs: 20, maxDelayMs: 50 },
      ...fakeClock(),
    });
    const started = Date.now();
    const error = await caught(c.request("GET", "/version"));
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(error.kind).toBe("deadline");
    expect(error.status).toBe(502);
    expect(error.message).toMatch(
      /^GitLab at http:\/\/127\.0\.0\.1:\d+ did not become available for GET \/api\/v4\/version after \d+ attempts; gave up at the deadline \(last: 502, 200ms deadline\)\.$/,
    );
    expect(progress.length).toBeGreaterThan(1);
  });

  it("does not retry a POST that got a 502 (it may have been processed)", async () => {
    const f = await fake({ faults: [{ method: "POST", status: 502 }] });
    const { c } = client(f);
    const error = await caught(c.request("POST", "/projects", { json: { name: "x" } }));
    expect(error.status).toBe(502);
    expect(f.requestsTo("POST", "/api/v4/projects")).toHaveLength(1);
    expect(f.state.projects).toHaveLength(0);
  });

  it("does not retry a POST whose connection was reset mid-request", async () => {
    const f = await fake({ faults: [{ method: "POST", reset: true }] });
    const { c } = client(f);
    const error = await caught(c.request("POST", "/projects", { json: { name: "x" } }));
    expect(error.kind).toBe("network");
    expect(f.requestsTo("POST", "/api/v4/projects")).toHaveLength(1);
  });

  it("retries a POST while the connection is refused (never sent), creating exactly one project", async () => {
    const f = await fake({ refuseConnectionsForMs: 120 });
    const { c } = client(f);
    const project = await c.request<{ id: number }>("POST", "/projects", { json: { name: "once" } });
    expect(project.id).toBe(1);
    expect(f.state.projects).toHaveLength(1);
  });

  it("retries a POST on 502 when the caller says it is idempotent", async () => {
    const f = await fake({ faults: [{ method: "POST", status: 502 }] });
    const { c } = client(f);
    await c.request("POST", "/projects", { json: { name: "y" }, retry: "idempotent" });
    expect(f.state.projects).toHaveLength(1);
  });

  it("accepts statuses listed in expect and returns them from send", async () => {
    const f = await fake();
    const { c } = client(f);
    const response = await c.send("GET", "/runners/99", { expect: [200, 404] });
    expect(response.status).toBe(404);
    const error = await caught(c.request("GET", "/runners/99"));
    expect(error.message).toContain("GitLab answered 404 to GET");
  });

  it("sends form bodies with array parameters the way GitLab reads them", async () => {
    const f = await fake();
    const { c } = client(f);
    const created = await c.request<{ id: number; token: string }>("POST", "/user/runners", {
      form: { runner_type: "instance_type", tag_list: ["docker", "dind"], run_untagged: false },
    });
    expect(created.token).toMatch(/^glrt-/);
    expect(f.state.runners[0]?.tag_list).toEqual(["docker", "dind"]);
    expect(f.state.runners[0]?.run_untagged).toBe(false);
  });

  it("reads every page of a list", async () => {
    const f = await fake({ runners: Array.from({ length: 45 }, () => ({ tag_list: ["docker"] })) });
    const { c } = client(f);
    const runners = await c.getAll<{ id: number }>("/runners/all", { perPage: 20 });
    expect(runners.map((r) => r.id)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
    expect(f.requestsTo("GET", "/api/v4/runners/all")).toHaveLength(3);
  });

  it("stops retrying when the caller aborts", async () => {
    const f = await fake({ faults: [{ status: 502, times: 1_000 }] });
    const { c } = client(f, { retry: { deadlineMs: 60_000, initialDelayMs: 20, maxDelayMs: 20 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("interrupted")), 40);
    await expect(c.request("GET", "/version", { signal: controller.signal })).rejects.toThrow("interrupted");
  });

  it("rejects a base URL without a scheme", () => {
    expect(() => createGitLabClient({ baseUrl: "gitlab.example.com" })).toThrow(
      'GitLab URL must start with http:// or https://, got "gitlab.example.com"',
    );
  });
});
