import { afterEach, describe, expect, it } from "vitest";
import { checkHealth, checkReadiness, createGitLabClient, parseReadiness, waitForGitLab } from "../../infra/gitlab-api";
import { startFakeGitLab } from "../support/fake-gitlab";
import type { FakeGitLab, FakeGitLabOptions } from "../support/fake-gitlab";

const open: FakeGitLab[] = [];
afterEach(async () => {
    await Promise.all(open.splice(0).map((f) => f.close()));
});

async function setup(options: FakeGitLabOptions = {}, token?: string) {
    const f = await startFakeGitLab(options);
    open.push(f);
    const client = createGitLabClient({ baseUrl: f.url, token: token ?? f.token, requestTimeoutMs: 1_000, retry: { deadlineMs: 0, initialDelayMs: 10, maxDelayMs: 10 } });
    return { f, client };
}

describe("health endpoints", () => {
    it("reads /-/health", async () => {
        const { client } = await setup();
        expect(await checkHealth(client)).toBe(true);
    });

    it("parses a failing readiness answer into named failed checks", () => {
        const r = parseReadiness(503, { status: "failed", master_check: [{ status: "ok" }], db_check: [{ status: "failed", message: "PG::ConnectionBad" }] });
        expect(r).toMatchObject({ ready: false, failed: ["db_check: PG::ConnectionBad"] });
        expect(parseReadiness(200, { status: "ok", master_check: [{ status: "ok" }] }).ready).toBe(true);
        expect(parseReadiness(503, {}).failed).toEqual(["readiness answered 503"]);
    });

    it("waits through refused connections and failing readiness until ready", async () => {
        const { client } = await setup({ refuseConnectionsForMs: 100, readinessFailures: 2 });
        const progress: string[] = [];
        const ready = await waitForGitLab(client, { deadlineMs: 3_000, pollMs: 20, onProgress: (m) => progress.push(m) });
        expect(ready.via).toBe("readiness");
        expect(progress.some((m) => m.includes("ECONNREFUSED"))).toBe(true);
        expect(progress.some((m) => m.includes("not ready: db_check: PG::ConnectionBad"))).toBe(true);
    });

    it("falls back to /api/v4/version when the monitoring allowlist hides /-/readiness", async () => {
        const { client } = await setup({ monitoringAllowed: false });
        const progress: string[] = [];
        await expect(checkReadiness(client)).rejects.toThrow("monitoring IP allowlist");
        const ready = await waitForGitLab(client, { deadlineMs: 1_000, pollMs: 10, onProgress: (m) => progress.push(m) });
        expect(ready).toEqual({ via: "api", version: "17.5.1" });
        expect(progress[0]).toContain("monitoring allowlist");
    });

    it("fails at once on a bad token instead of waiting", async () => {
        const { client } = await setup({ monitoringAllowed: false }, "glpat-not-the-token-xyz");
        await expect(waitForGitLab(client, { deadlineMs: 5_000, pollMs: 10 })).rejects.toThrow("the token is invalid, expired or revoked");
    });

    it("gives up at its deadline naming the last problem", async () => {
        const { client } = await setup({ readinessFailures: 1_000 });
        await expect(waitForGitLab(client, { deadlineMs: 100, pollMs: 20 })).rejects.toThrow(/was not ready after 100ms \(last: not ready: db_check: PG::ConnectionBad\)/);
    });
});
