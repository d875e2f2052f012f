/**
 * Pulumi's own calls to GitLab over https, verified against the stack CA (issue 12 §3): a local
 * HTTPS server that speaks GitLab's API presents a certificate signed by a stack CA; the client,
 * the readiness wait and the registration — the dynamic providers in the form Pulumi serializes
 * them — succeed with that CA and refuse the server with another CA or the system's CAs.
 */
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitLabClient, isCertificateError } from "../../infra/gitlab-api";
import { readinessProvider } from "../../infra/gitlab/readiness";
import { waitUntilReady } from "../../infra/gitlab/readiness-wait";
import { changedFields, createRegistrationProvider } from "../../infra/runner/registration-provider";
import { startFakeGitLab, type FakeGitLab } from "../support/fake-gitlab";
import { requireTool } from "../support/tools";
import { makeStackCa, type StackCaFixture } from "../support/tls-fixtures";
import { fakeClock } from "../support/clock";

const hasOpenssl = requireTool("openssl", "apt-get install openssl", ["version"]);
const TOKEN = "AbCdEfGhIj0123456789";

/** As Pulumi's dynamic provider host loads a serialized provider. */
async function serialized<T>(provider: T): Promise<T> {
  const text = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false })).text;
  const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi"));
  const requireFromString = pulumiRequire("require-from-string") as (code: string) => { handler: () => T };
  return requireFromString(text).handler();
}

describe.skipIf(!hasOpenssl)("https to GitLab with the stack CA", () => {
  let pki: StackCaFixture;
  let fake: FakeGitLab;
  beforeAll(async () => {
    pki = makeStackCa();
    fake = await startFakeGitLab({ token: TOKEN, tls: { cert: pki.serverCert, key: pki.serverKey } });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it("the client verifies GitLab against the stack CA, and refuses it with another CA or the system's CAs, without retrying", async () => {
    expect(fake.url).toMatch(/^https:/);
    const trusted = createGitLabClient({ baseUrl: fake.url, token: TOKEN, ca: pki.caCert });
    expect(await trusted.request<{ username: string }>("GET", "/user")).toMatchObject({ username: "root" });

    for (const options of [{ ca: pki.otherCaCert }, {}]) {
      const before = fake.state.requests.length;
      const client = createGitLabClient({ baseUrl: fake.url, token: TOKEN, retry: { deadlineMs: 5_000 }, ...options });
      const error = await client.request("GET", "/user").catch((e: unknown) => e);
      expect(isCertificateError(error)).toBe(true);
      // The token never reached the server: the handshake failed first.
      expect(fake.state.requests.length).toBe(before);
    }
  });

  it("the readiness wait succeeds with the stack CA and fails at once, naming the CA, with another one", async () => {
    const ready = await waitUntilReady({ apiUrl: fake.url, adminToken: TOKEN, ca: pki.caCert, timeoutMs: 10_000 });
    expect(ready.adminUsername).toBe("root");
    await expect(
      waitUntilReady({ apiUrl: fake.url, adminToken: TOKEN, ca: pki.otherCaCert, timeoutMs: 60_000 }),
    ).rejects.toThrow(/certificate the stack CA did not sign/);
  });

  it("the readiness wait with the system's CAs (Let's Encrypt) takes an untrusted certificate as 'not yet' until its bound", async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    await expect(
      waitUntilReady({
        apiUrl: fake.url,
        adminToken: TOKEN,
        timeoutMs: 60_000,
        ...clock,
        onProgress: (l) => lines.push(l),
      }),
    ).rejects.toThrow(/not ready after 1m.*not trusted yet.*Let's Encrypt's first certificate/);
    expect(clock.now()).toBeGreaterThanOrEqual(60_000);
  });

  it("the serialized readiness provider takes the CA from its inputs", async () => {
    const provider = await serialized(readinessProvider);
    const props = { apiUrl: fake.url, adminToken: TOKEN, containerId: "c0ffee1234567890", timeoutSeconds: 5 };
    await expect(provider.create({ ...props, caPem: pki.caCert })).resolves.toMatchObject({
      id: "gitlab-ready-c0ffee123456",
    });
    await expect(provider.create({ ...props, caPem: pki.otherCaCert })).rejects.toThrow(/stack CA did not sign/);
    // A new CA means waiting again.
    const diff = await provider.diff!("x", { ...props, caPem: "a" }, { ...props, caPem: "b" });
    expect(diff.changes).toBe(true);
    // A state from before the stack CA (no caPem) against the system's CAs ("") is no change.
    expect((await provider.diff!("x", props, { ...props, caPem: "" })).changes).toBe(false);
  });

  it("the serialized registration provider registers and deletes over https with the CA, and refuses another CA", async () => {
    const provider = await serialized(
      createRegistrationProvider({
        requestTimeoutMs: 2_000,
        deadlineMs: 3_000,
        initialDelayMs: 10,
        log: () => undefined,
      }),
    );
    const inputs = {
      apiUrl: fake.url,
      adminToken: TOKEN,
      description: "dev-dind-0a1b2c3d",
      tags: ["docker"],
      runUntagged: true,
      caPem: pki.caCert,
    };
    const created = await provider.create(inputs);
    expect(fake.state.runners.map((r) => r.id)).toEqual([created.outs!.runnerId]);
    await provider.delete!(created.id, created.outs!);
    expect(fake.state.runners).toHaveLength(0);

    expect(changedFields({ ...inputs, caPem: undefined }, { ...inputs, caPem: "" })).toEqual([]);
    expect(changedFields(inputs, { ...inputs, caPem: pki.otherCaCert })).toEqual(["caPem"]);
    const refused = await provider.create({ ...inputs, caPem: pki.otherCaCert }).catch((e: unknown) => e);
    // The message survives serialization (an Error subclass there loses it unless set explicitly).
    expect((refused as Error).message).toMatch(/register the runner.*certificate was refused/s);
    expect(fake.state.runners).toHaveLength(0);
  });
});
