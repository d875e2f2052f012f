import { afterEach, describe, expect, it } from "vitest";
import { checkHealth, checkReadiness, createGitLabClient, parseReadiness } from "../../infra/gitlab-api";
import { startFakeGitLab } from "../support/fake-gitlab";
import type { FakeGitLab, FakeGitLabOptions } from "../support/fake-gitlab";

const open: FakeGitLab[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

async function setup(options: FakeGitLabOptions = {}, token?: string) {
  const f = await startFakeGitLab(options);
  open.push(f);
  const client = createGitLabClient({
    baseUrl: f.url,
    token: token ?? f.token,
    requestTimeoutMs: 1_000,
    retry: { deadlineMs: 0, initialDelayMs: 10, maxDelayMs: 10 },
  });
  return { f, client };
}

describe("health endpoints", () => {
  it("reads /-/health", async () => {
    const { client } = await setup();
    expect(await checkHealth(client)).toBe(true);
  });

  it("parses a failing readiness answer into named failed checks", () => {
    const r = parseReadiness(503, {
      status: "failed",
      master_check: [{ status: "ok" }],
      db_check: [{ status: "failed", message: "PG::ConnectionBad" }],
    });
    expect(r).toMatchObject({ ready: false, failed: ["db_check: PG::ConnectionBad"] });
    expect(parseReadiness(200, { status: "ok", master_check: [{ status: "ok" }] }).ready).toBe(true);
    expect(parseReadiness(503, {}).failed).toEqual(["readiness answered 503"]);
  });

  it("says so when the monitoring allowlist hides /-/readiness from this machine", async () => {
    const { client } = await setup({ monitoringAllowed: false });
    await expect(checkReadiness(client)).rejects.toThrow("monitoring IP allowlist");
  });
});
