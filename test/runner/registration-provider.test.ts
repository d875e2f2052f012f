/**
 * The registration provider against a local server that speaks GitLab's runner API
 * (test/support/fake-gitlab plus fake-runner-routes.ts): every case of issue 5 §2.
 * Deadlines are small and injected, so a hang costs well under a second.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startFakeGitLab } from "../support/fake-gitlab";
import type { FakeGitLab, FakeGitLabOptions } from "../support/fake-gitlab";
import { createRegistrationProvider } from "../../infra/runner/registration-provider";
import type {
  RegistrationInputs,
  RegistrationOutputs,
  RegistrationProviderOptions,
} from "../../infra/runner/registration-provider";
import { addRunnerExtensionRoutes, createThenFail } from "./fake-runner-routes";

const DESCRIPTION = "payments-dind-0a1b2c3d";
const FAST: RegistrationProviderOptions = {
  requestTimeoutMs: 1_000,
  deadlineMs: 5_000,
  initialDelayMs: 10,
  maxDelayMs: 50,
  maxCreateAttempts: 3,
};

let fake: FakeGitLab | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: FakeGitLabOptions = {}): Promise<FakeGitLab> {
  fake = await startFakeGitLab(options);
  addRunnerExtensionRoutes(fake);
  return fake;
}

function inputsFor(f: FakeGitLab, over: Partial<RegistrationInputs> = {}): RegistrationInputs {
  return {
    apiUrl: f.url,
    adminToken: f.token,
    description: DESCRIPTION,
    tags: ["docker", "dind"],
    runUntagged: true,
    ...over,
  };
}

function provider(over: RegistrationProviderOptions = {}): {
  p: ReturnType<typeof createRegistrationProvider>;
  logs: string[];
} {
  const logs: string[] = [];
  return { p: createRegistrationProvider({ ...FAST, log: (m) => logs.push(m), ...over }), logs };
}

const POST_RUNNERS = "/api/v4/user/runners";

describe("create", () => {
  it("creates one instance runner with the description, tags and untagged flag, and returns its id and glrt- token", async () => {
    const f = await start();
    const { p } = provider();
    const result = await p.create(inputsFor(f));

    expect(f.state.runners).toHaveLength(1);
    const runner = f.state.runners[0];
    expect(runner).toMatchObject({
      runner_type: "instance_type",
      description: DESCRIPTION,
      tag_list: ["docker", "dind"],
      run_untagged: true,
    });
    expect(result.id).toBe(String(runner.id));
    expect(result.outs).toMatchObject({ runnerId: runner.id, token: runner.token, description: DESCRIPTION });
    expect(result.outs!.token).toMatch(/^glrt-/);
    // The token is never part of the id.
    expect(result.id).not.toContain(runner.token);
    const posts = f.requestsTo("POST", POST_RUNNERS);
    expect(posts).toHaveLength(1);
    expect(posts[0].hadToken).toBe(true);
    expect(posts[0].body).toEqual({
      runner_type: "instance_type",
      description: DESCRIPTION,
      tag_list: ["docker", "dind"],
      run_untagged: true,
    });
  });

  it("registers run_untagged=false when asked", async () => {
    const f = await start();
    await provider().p.create(inputsFor(f, { runUntagged: false, tags: ["dind"] }));
    expect(f.state.runners[0]).toMatchObject({ run_untagged: false, tag_list: ["dind"] });
  });

  it("waits through 502s while GitLab starts, and still leaves exactly one runner", async () => {
    const f = await start({ faults: [{ status: 502, times: 3 }] });
    const { p, logs } = provider();
    const result = await p.create(inputsFor(f));
    expect(f.state.runners.map((r) => r.id)).toEqual([result.outs!.runnerId]);
    expect(logs.join("\n")).toMatch(/502/);
  });

  it("waits through refused connections while GitLab starts", async () => {
    const f = await start({ refuseConnectionsForMs: 100 });
    const { p, logs } = provider();
    const result = await p.create(inputsFor(f));
    expect(f.state.runners).toHaveLength(1);
    expect(result.outs!.runnerId).toBe(f.state.runners[0].id);
    expect(logs.join("\n")).toMatch(/ECONNREFUSED/);
  });

  it("a 502 after GitLab created the runner: the retry removes the orphan, one runner is left and its token is the one returned", async () => {
    const f = await start();
    createThenFail(f, 502);
    const { p, logs } = provider();
    const result = await p.create(inputsFor(f));

    expect(f.requestsTo("POST", POST_RUNNERS)).toHaveLength(2);
    expect(f.state.runners).toHaveLength(1);
    expect(f.state.runners[0].token).toBe(result.outs!.token);
    expect(logs.join("\n")).toMatch(/leftover/);
  });

  it("an answer lost in a hang after GitLab created the runner: timeout, cleanup, retry, one runner", async () => {
    const f = await start();
    f.addFault({ method: "POST", path: POST_RUNNERS, hang: true });
    const { p } = provider({ requestTimeoutMs: 150 });
    const creating = p.create(inputsFor(f));
    // GitLab processes the request, but its answer never arrives.
    await until(() => f.requestsTo("POST", POST_RUNNERS).length === 1);
    f.addRunner({
      description: DESCRIPTION,
      status: "never_contacted",
      tag_list: ["docker", "dind"],
      run_untagged: true,
    });
    const result = await creating;

    expect(f.state.runners).toHaveLength(1);
    expect(f.state.runners[0].token).toBe(result.outs!.token);
  });

  it("a hang past the timeout every time: fails, bounded, saying GitLab did not answer, and leaves no runner", async () => {
    const f = await start({ faults: [{ method: "POST", path: POST_RUNNERS, hang: true, times: 100 }] });
    const { p } = provider({ requestTimeoutMs: 100, maxCreateAttempts: 2 });
    const started = Date.now();
    const error = await p.create(inputsFor(f)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(error?.message).toMatch(/did not answer/);
    expect(error?.message).toMatch(/Gave up after 2 attempts/);
    expect(error?.message).toMatch(/No runner was left behind/);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(f.requestsTo("POST", POST_RUNNERS)).toHaveLength(2);
    expect(f.state.runners).toHaveLength(0);
  });

  it("gives up on 502 forever within its attempts and removes what the lost answers created", async () => {
    const f = await start();
    createThenFail(f, 502, 100);
    const { p } = provider({ maxCreateAttempts: 3 });
    const error = await p.create(inputsFor(f)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(error?.message).toMatch(/Gave up after 3 attempts/);
    expect(error?.message).toMatch(/Removed 1 runner/);
    expect(f.state.runners).toHaveLength(0);
  });

  it("401: fails at once with what to fix, without creating anything", async () => {
    const f = await start();
    const { p } = provider();
    const error = await p.create(inputsFor(f, { adminToken: "glpat-revoked-000000000000" })).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(error?.message).toMatch(/refused the administrator API token \(401\)/);
    expect(error?.message).toMatch(/pulumi up --replace/);
    expect(error?.message).not.toContain("glpat-revoked-000000000000");
    expect(f.requestsTo("POST", POST_RUNNERS)).toHaveLength(0);
    expect(f.state.runners).toHaveLength(0);
  });

  it("403 (not an administrator): says the token's user needs administrator access", async () => {
    const f = await start({ isAdmin: false });
    const error = await provider()
      .p.create(inputsFor(f))
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error?.message).toMatch(/403/);
    expect(error?.message).toMatch(/not an administrator/);
    expect(f.state.runners).toHaveLength(0);
  });

  it("removes leftovers of an earlier failed `pulumi up`, but never a runner that has contacted GitLab or another description", async () => {
    const f = await start();
    const leftover = f.addRunner({ description: DESCRIPTION, status: "never_contacted" });
    const live = f.addRunner({ description: DESCRIPTION, status: "online" });
    const other = f.addRunner({ description: "someone-else", status: "never_contacted" });
    const result = await provider().p.create(inputsFor(f));

    const ids = f.state.runners.map((r) => r.id);
    expect(ids).not.toContain(leftover.id);
    expect(ids).toEqual(expect.arrayContaining([live.id, other.id, result.outs!.runnerId]));
    expect(ids).toHaveLength(3);
  });

  it("removes a leftover GitLab reports as `stale` (never contacted, created 8 days ago), never a stale runner that has contacted GitLab", async () => {
    const f = await start();
    const days = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const leftover = f.addRunner({ description: DESCRIPTION, status: "never_contacted", created_at: days(8) });
    const retired = f.addRunner({
      description: DESCRIPTION,
      status: "offline",
      created_at: days(30),
      contacted_at: days(10),
    });
    // What GitLab lists: both are `stale` (7 days past creation or last contact); only one never contacted it.
    const listed = await fetch(`${f.url}/api/v4/runners/all?type=instance_type`, {
      headers: { "private-token": f.token },
    }).then((r) => r.json() as Promise<{ id: number; status: string }[]>);
    expect(listed.map((r) => [r.id, r.status])).toEqual([
      [leftover.id, "stale"],
      [retired.id, "stale"],
    ]);

    const { p, logs } = provider();
    const result = await p.create(inputsFor(f));

    const ids = f.state.runners.map((r) => r.id);
    expect(ids).not.toContain(leftover.id);
    expect(ids).toEqual([retired.id, result.outs!.runnerId]);
    expect(logs.join("\n")).toContain(`Deleting runner #${leftover.id} ("${DESCRIPTION}"): a leftover`);
  });

  it("finds leftovers beyond the first page of runners", async () => {
    const f = await start();
    for (let i = 0; i < 120; i++) f.addRunner({ description: `other-${i}`, status: "never_contacted" });
    const leftover = f.addRunner({ description: DESCRIPTION, status: "never_contacted" });
    await provider().p.create(inputsFor(f));
    expect(f.state.runners.find((r) => r.id === leftover.id)).toBeUndefined();
    expect(f.state.runners.filter((r) => r.description === DESCRIPTION)).toHaveLength(1);
  });
});

describe("delete", () => {
  async function registered(): Promise<{ f: FakeGitLab; outs: RegistrationOutputs; id: string }> {
    const f = await start();
    const created = await provider().p.create(inputsFor(f));
    return { f, outs: created.outs!, id: created.id };
  }

  it("removes the runner from GitLab with DELETE /runners/:id", async () => {
    const { f, outs, id } = await registered();
    const { p, logs } = provider();
    await p.delete!(id, outs);
    expect(f.state.runners).toHaveLength(0);
    expect(f.requestsTo("DELETE", `/api/v4/runners/${outs.runnerId}`)).toHaveLength(1);
    expect(logs.join("\n")).toMatch(/deleted/);
  });

  it("404: the runner is already gone, which counts as done", async () => {
    const { f, outs, id } = await registered();
    f.state.runners = [];
    const { p, logs } = provider();
    await expect(p.delete!(id, outs)).resolves.toBeUndefined();
    expect(logs.join("\n")).toMatch(/already gone/);
  });

  it("waits through 502s and refused connections", async () => {
    const { f, outs, id } = await registered();
    f.addFault({ method: "DELETE", status: 503, times: 2 });
    await provider().p.delete!(id, outs);
    expect(f.state.runners).toHaveLength(0);
  });

  it("falls back to the runner's own token when GitLab refuses the admin token", async () => {
    const { f, outs, id } = await registered();
    f.state.token = "glpat-rotated-token-000000"; // the stored admin token no longer works
    const { p, logs } = provider();
    await p.delete!(id, outs);
    expect(f.state.runners).toHaveLength(0);
    const byToken = f.requestsTo("DELETE", "/api/v4/runners");
    expect(byToken).toHaveLength(1);
    expect(byToken[0].body).toEqual({ token: outs.token });
    expect(byToken[0].hadToken).toBe(false);
    expect(logs.join("\n")).toMatch(/own token/);
  });

  it("both tokens refused: fails saying what to fix, without printing either token", async () => {
    const { f, outs, id } = await registered();
    f.state.token = "glpat-rotated-token-000000";
    f.state.runners[0].token = "glrt-reset-elsewhere-0000";
    const error = await provider().p.delete!(id, outs).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/refused the administrator API token \(401\) and the runner's own token/);
    expect(error?.message).toMatch(/pulumi state delete/);
    expect(error?.message).not.toContain(outs.token);
    expect(error?.message).not.toContain(outs.adminToken);
    expect(f.state.runners).toHaveLength(1);
  });

  it("a hang past the timeout: fails, bounded", async () => {
    const { f, outs, id } = await registered();
    f.addFault({ method: "DELETE", hang: true, times: 100 });
    const started = Date.now();
    const error = await provider({ requestTimeoutMs: 100, deadlineMs: 300 }).p.delete!(id, outs).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/did not answer|did not become available/);
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

describe("diff, update and read", () => {
  it("diff: a tag or untagged change is an in-place update, never a replacement; tag order does not matter", async () => {
    const f = await start();
    const { p } = provider();
    const { outs, id } = await p.create(inputsFor(f));
    expect(await p.diff!(id, outs!, inputsFor(f, { tags: ["dind", "docker"] }))).toMatchObject({
      changes: false,
      replaces: [],
    });
    expect(await p.diff!(id, outs!, inputsFor(f, { tags: ["docker"] }))).toMatchObject({ changes: true, replaces: [] });
    expect(await p.diff!(id, outs!, inputsFor(f, { runUntagged: false }))).toMatchObject({
      changes: true,
      replaces: [],
    });
    expect(await p.diff!(id, outs!, inputsFor(f, { adminToken: "glpat-new" }))).toMatchObject({
      changes: true,
      replaces: [],
    });
  });

  it("update: new tags go to GitLab with PUT; the runner keeps its id and token", async () => {
    const f = await start();
    const { p } = provider();
    const { outs, id } = await p.create(inputsFor(f));
    const updated = await p.update!(id, outs!, inputsFor(f, { tags: ["docker"], runUntagged: false }));

    expect(updated.outs).toMatchObject({
      runnerId: outs!.runnerId,
      token: outs!.token,
      tags: ["docker"],
      runUntagged: false,
    });
    expect(f.state.runners).toHaveLength(1);
    expect(f.state.runners[0]).toMatchObject({ id: outs!.runnerId, tag_list: ["docker"], run_untagged: false });
    expect(f.requestsTo("PUT", `/api/v4/runners/${outs!.runnerId}`)).toHaveLength(1);
    expect(f.requestsTo("POST", POST_RUNNERS)).toHaveLength(1);
  });

  it("update: a new admin token only changes the state, no call to GitLab", async () => {
    const f = await start();
    const { p } = provider();
    const { outs, id } = await p.create(inputsFor(f));
    const updated = await p.update!(id, outs!, inputsFor(f, { adminToken: "glpat-new-token-value-000" }));
    expect(updated.outs?.adminToken).toBe("glpat-new-token-value-000");
    expect(f.requestsTo("PUT", /runners/)).toHaveLength(0);
  });

  it("update of a runner deleted by hand: says to run `pulumi refresh`", async () => {
    const f = await start();
    const { p } = provider();
    const { outs, id } = await p.create(inputsFor(f));
    f.state.runners = [];
    await expect(p.update!(id, outs!, inputsFor(f, { tags: ["docker"] }))).rejects.toThrow(/pulumi refresh/);
  });

  it("read: a runner GitLab no longer has leaves the state; an existing one reports GitLab's tags", async () => {
    const f = await start();
    const { p } = provider();
    const { outs, id } = await p.create(inputsFor(f));
    f.state.runners[0].tag_list = ["changed-by-hand"];
    const read = await p.read!(id, outs);
    expect(read).toMatchObject({ id, props: { tags: ["changed-by-hand"], token: outs!.token } });
    f.state.runners = [];
    expect(await p.read!(id, outs)).toEqual({});
  });
});

describe("the serialized provider (what Pulumi stores and runs)", () => {
  it("serializes without capturing resources or the SDK, and the deserialized copy registers and deletes a runner", async () => {
    const f = await start();
    const original = createRegistrationProvider({ ...FAST, log: () => undefined });
    const serialized = await pulumi.runtime.serializeFunction(() => original, { allowSecrets: false });
    expect(serialized.containsSecrets).toBe(false);
    expect(serialized.text).not.toMatch(/@pulumi\/docker/);

    // As Pulumi's dynamic provider host does: evaluate the module text, call its handler.
    const module = { exports: {} as { handler?: () => typeof original } };
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- evaluating the serialized provider is what is tested
    new Function("exports", "module", "require", serialized.text)(module.exports, module, require);
    const copy = module.exports.handler!();
    const created = await copy.create(inputsFor(f));
    expect(f.state.runners.map((r) => r.id)).toEqual([created.outs!.runnerId]);
    await copy.delete!(created.id, created.outs!);
    expect(f.state.runners).toHaveLength(0);
  });
});

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
