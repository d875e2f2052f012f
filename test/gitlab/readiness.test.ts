/**
 * The readiness wait against a local HTTP server that speaks GitLab's health, readiness and
 * user endpoints (test/support/fake-gitlab), with GitLab's start-up failures injected.
 */
import { afterEach, describe, expect, it } from "vitest";
import { waitUntilReady } from "../../infra/gitlab/readiness-wait";
import { startFakeGitLab, type FakeGitLab, type FakeGitLabOptions } from "../support/fake-gitlab";
import { fakeClock } from "../support/clock";

const TOKEN = "AbCdEfGhIj0123456789";
let fake: FakeGitLab | undefined;

async function start(options: FakeGitLabOptions = {}): Promise<FakeGitLab> {
  fake = await startFakeGitLab({ token: TOKEN, ...options });
  return fake;
}

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function wait(url: string, extra: Partial<Parameters<typeof waitUntilReady>[0]> = {}) {
  const messages: string[] = [];
  const promise = waitUntilReady({
    apiUrl: url,
    adminToken: TOKEN,
    timeoutMs: 5_000,
    pollMs: 10,
    progressEveryMs: 0,
    onProgress: (m) => messages.push(m),
    ...extra,
  });
  return { promise, messages };
}

describe("waitUntilReady", () => {
  it("waits through refused connections, 502s, failed readiness and a not-yet-bootstrapped token", async () => {
    const gl = await start({
      refuseConnectionsForMs: 150,
      readinessFailures: 2,
      faults: [
        { path: "/-/health", status: 502, times: 3 },
        { path: "/api/v4/user", status: 401, times: 2 },
      ],
    });
    const { promise, messages } = wait(gl.url);
    await expect(promise).resolves.toEqual({ monitoringChecked: true, adminUsername: expect.any(String) });

    // In order: health until OK, readiness until ok, then the token.
    const paths = gl.state.requests.map((r) => r.path);
    const lastHealth = paths.lastIndexOf("/-/health");
    const firstReadiness = paths.indexOf("/-/readiness");
    const firstUser = paths.indexOf("/api/v4/user");
    expect(gl.requestsTo("GET", "/-/health")).toHaveLength(4);
    expect(gl.requestsTo("GET", "/-/readiness")).toHaveLength(3);
    expect(gl.requestsTo("GET", "/api/v4/user")).toHaveLength(3);
    expect(lastHealth).toBeLessThan(firstReadiness);
    expect(paths.lastIndexOf("/-/readiness")).toBeLessThan(firstUser);
    expect(gl.requestsTo("GET", "/-/readiness")[0].query.get("all")).toBe("1");

    // The token goes to the API only, never to the monitoring endpoints.
    expect(gl.requestsTo("GET", "/-/health").every((r) => !r.hadToken)).toBe(true);
    expect(gl.requestsTo("GET", "/api/v4/user").every((r) => r.hadToken)).toBe(true);

    // Progress a user can follow, without the token.
    expect(messages.some((m) => /waiting for \/-\/health \(HTTP 502\)/.test(m))).toBe(true);
    expect(messages.some((m) => /waiting for \/-\/readiness\?all=1 \(not ready/.test(m))).toBe(true);
    expect(messages.some((m) => /admin token.*401/.test(m))).toBe(true);
    expect(messages.at(-1)).toMatch(/is ready; the admin token works/);
    expect(messages.join("\n")).not.toContain(TOKEN);
  });

  it("checks the token alone when the monitoring endpoints hide from this machine (404)", async () => {
    const gl = await start({ monitoringAllowed: false });
    const { promise, messages } = wait(gl.url);
    await expect(promise).resolves.toMatchObject({ monitoringChecked: false });
    expect(gl.requestsTo("GET", "/-/readiness")).toHaveLength(0);
    expect(messages.some((m) => m.includes("monitoring_whitelist"))).toBe(true);
  });

  it("gives up at the deadline and says what it was waiting for", async () => {
    const gl = await start({ faults: [{ path: "/-/health", status: 502, times: 10_000 }] });
    const { promise } = wait(gl.url, { timeoutMs: 300, ...fakeClock() });
    await expect(promise).rejects.toThrow(
      /was not ready after 300ms: waiting for \/-\/health \(last: HTTP 502\)\. Look at the GitLab container's log/,
    );
  });

  it("points at the bootstrap when GitLab runs but never accepts the token", async () => {
    const gl = await start({ faults: [{ path: "/api/v4/user", status: 401, times: 10_000 }] });
    const { promise } = wait(gl.url, { timeoutMs: 300, ...fakeClock() });
    const error = await promise.catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/waiting for the admin token .*401.*gitlab-dind: bootstrap/);
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it("fails at once when the token's user is not an administrator", async () => {
    const gl = await start({ isAdmin: false });
    const { promise } = wait(gl.url, { timeoutMs: 60_000 });
    await expect(promise).rejects.toThrow(/is not an administrator/);
    expect(gl.requestsTo("GET", "/api/v4/user")).toHaveLength(1);
  });

  it("fails at once on an answer waiting will not fix (403)", async () => {
    const gl = await start({ faults: [{ path: "/api/v4/user", status: 403, times: 100 }] });
    const { promise } = wait(gl.url, { timeoutMs: 60_000 });
    await expect(promise).rejects.toThrow(/403/);
    expect(gl.requestsTo("GET", "/api/v4/user")).toHaveLength(1);
  });

  it("reports a failing probe at most once per progress interval", async () => {
    const gl = await start({ faults: [{ path: "/-/health", status: 502, times: 20 }] });
    const { promise, messages } = wait(gl.url, { progressEveryMs: 60_000, ...fakeClock() });
    await promise;
    expect(gl.requestsTo("GET", "/-/health").length).toBe(21);
    expect(messages.filter((m) => m.includes("waiting for /-/health"))).toHaveLength(1);
  });
});
