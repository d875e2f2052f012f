/**
 * The wait for the host's Docker API, against a local mutual-TLS server that answers like
 * dockerd (`GET /_ping` → `OK`), with real certificates made by openssl.
 */
import * as https from "node:https";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  dockerApiWaitProvider,
  waitForDockerApi,
  type DockerApiProbe,
  type WaitOptions,
} from "../../infra/host/aws/docker-api-wait";
import { makeTlsFixtures, type TlsFixtures } from "../support/tls-fixtures";
import { freePort } from "../support/ports";
import { haveTool } from "../support/tools";

const HINTS = ["gitlab-dind:network.adminCidrs includes this machine", "the instance console log"];

let tlsFiles: TlsFixtures;
const servers: https.Server[] = [];

beforeAll(() => {
  if (!haveTool("openssl", ["version"])) throw new Error("openssl is needed to make test certificates");
  tlsFiles = makeTlsFixtures();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A daemon-like server: mutual TLS against the test CA. */
function startDaemon(answer: (path: string) => [number, string] = () => [200, "OK"], port = 0): Promise<number> {
  const server = https.createServer(
    {
      key: tlsFiles.serverKey,
      cert: tlsFiles.serverCert,
      ca: tlsFiles.caCert,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const [status, body] = answer(req.url ?? "");
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(body);
    },
  );
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

function probe(port: number, overrides: Partial<DockerApiProbe> = {}): DockerApiProbe {
  return {
    host: "127.0.0.1",
    port,
    caPem: tlsFiles.caCert,
    certPem: tlsFiles.clientCert,
    keyPem: tlsFiles.clientKey,
    ...overrides,
  };
}

function options(log: string[], overrides: Partial<WaitOptions> = {}): WaitOptions {
  return {
    timeoutMs: 1500,
    intervalMs: 50,
    attemptTimeoutMs: 500,
    progressEveryMs: 200,
    log: (m) => log.push(m),
    hints: HINTS,
    ...overrides,
  };
}

describe("waitForDockerApi", () => {
  it("returns at the first attempt when the daemon answers OK over mutual TLS", async () => {
    const port = await startDaemon();
    const log: string[] = [];
    const result = await waitForDockerApi(probe(port), options(log));
    expect(result.attempts).toBe(1);
    expect(log.at(-1)).toMatch(/answered after/);
  });

  it("keeps trying, with progress, until a daemon that starts late answers", async () => {
    const port = await freePort();
    setTimeout(() => void startDaemon(undefined, port), 300);
    const log: string[] = [];
    const result = await waitForDockerApi(probe(port), options(log, { timeoutMs: 5000, progressEveryMs: 50 }));
    expect(result.attempts).toBeGreaterThan(1);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(log.some((m) => /still waiting for tcp:\/\/127\.0\.0\.1:\d+: .* of .*, last: .*ECONNREFUSED/.test(m))).toBe(
      true,
    );
  });

  it("gives up at the deadline with the last error and what to check", async () => {
    const port = await freePort();
    const started = Date.now();
    // 0.5 s, which the message rounds to 1s.
    const error = await waitForDockerApi(probe(port), options([], { timeoutMs: 500 })).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(message).toContain(`tcp://127.0.0.1:${port} did not answer over TLS within 1s`);
    expect(message).toMatch(/last error: .*ECONNREFUSED/);
    for (const hint of HINTS) expect(message).toContain(hint);
  });

  it("does not accept a daemon whose certificate another CA signed", async () => {
    const port = await startDaemon();
    const message = await waitForDockerApi(
      probe(port, { caPem: tlsFiles.otherCaCert }),
      options([], { timeoutMs: 150 }),
    ).then(
      () => "answered",
      (e: Error) => e.message,
    );
    expect(message).toMatch(/last error: .*(certificate|self.signed|issuer)/i);
  });

  it("is refused by the daemon with a client certificate from another CA", async () => {
    const port = await startDaemon();
    const message = await waitForDockerApi(
      probe(port, { certPem: tlsFiles.strangerCert, keyPem: tlsFiles.strangerKey }),
      options([], { timeoutMs: 150 }),
    ).then(
      () => "answered",
      (e: Error) => e.message,
    );
    expect(message).toMatch(/did not answer over TLS/);
    expect(message).not.toBe("answered");
  });

  it("treats anything but 200 OK from /_ping as not ready", async () => {
    const paths: string[] = [];
    const port = await startDaemon((path) => {
      paths.push(path);
      return [503, "starting"];
    });
    const message = await waitForDockerApi(probe(port), options([], { timeoutMs: 150 })).then(
      () => "answered",
      (e: Error) => e.message,
    );
    expect(message).toContain('last error: HTTP 503 "starting" (expected 200 "OK")');
    expect(new Set(paths)).toEqual(new Set(["/_ping"]));
  });
});

describe("the DockerApiWait dynamic provider", () => {
  it("creates once the daemon answers; its outputs carry the endpoint, never the client key", async () => {
    const port = await startDaemon();
    const result = await dockerApiWaitProvider.create({
      ...probe(port),
      instanceId: "i-0123",
      timeoutSeconds: 2,
      hints: HINTS,
    });
    expect(result.id).toBe(`i-0123:${port}`);
    expect(result.outs.endpoint).toBe(`tcp://127.0.0.1:${port}`);
    expect(JSON.stringify(result.outs)).not.toContain("PRIVATE KEY");
  });

  it("waits again (replaces) when the instance or the endpoint changes, not otherwise", async () => {
    const olds = { host: "198.51.100.7", port: 2376, instanceId: "i-1", caPem: "ca", certPem: "cert" };
    const same = await dockerApiWaitProvider.diff!("id", olds, {
      ...olds,
      keyPem: "k",
      timeoutSeconds: 600,
      hints: [],
    });
    expect(same.changes).toBe(false);
    const rebuilt = await dockerApiWaitProvider.diff!("id", olds, {
      ...olds,
      instanceId: "i-2",
      keyPem: "k",
      timeoutSeconds: 600,
      hints: [],
    });
    expect(rebuilt).toMatchObject({ changes: true, replaces: ["instanceId"] });
  });

  it("waits again, as an update (nothing that depends on it is replaced), when the instance type changes", async () => {
    const olds = {
      host: "198.51.100.7",
      port: 2376,
      instanceId: "i-1",
      instanceType: "m7i.xlarge",
      caPem: "ca",
      certPem: "cert",
    };
    const news = { ...olds, instanceType: "m7i.2xlarge", keyPem: "k", timeoutSeconds: 600, hints: [] };
    // The AWS provider stops and starts the same instance for a new type: same id, a daemon booting again.
    const resized = await dockerApiWaitProvider.diff!("i-1:2376", olds, news);
    expect(resized).toMatchObject({ changes: true, replaces: [] });
    const same = await dockerApiWaitProvider.diff!("i-1:2376", olds, { ...news, instanceType: "m7i.xlarge" });
    expect(same.changes).toBe(false);
  });

  it("the update really waits for the daemon again: it returns once it answers, and fails with the hints when it does not", async () => {
    const port = await startDaemon();
    const inputs = {
      ...probe(port),
      instanceId: "i-0123",
      instanceType: "m7i.2xlarge",
      timeoutSeconds: 2,
      hints: HINTS,
    };
    const olds = { ...inputs, instanceType: "m7i.xlarge" };
    const updated = await dockerApiWaitProvider.update!("i-0123:1", olds, inputs);
    expect(updated.outs).toMatchObject({
      endpoint: `tcp://127.0.0.1:${port}`,
      instanceType: "m7i.2xlarge",
      attempts: 1,
    });
    expect(JSON.stringify(updated.outs)).not.toContain("PRIVATE KEY");
    const silent = await freePort();
    const message = await dockerApiWaitProvider.update!("i-0123:1", olds, {
      ...inputs,
      port: silent,
      // The provider's own pause between attempts (5 s) is cut short by the deadline.
      timeoutSeconds: 0.2,
    }).then(
      () => "answered",
      (e: Error) => e.message,
    );
    expect(message).toContain(`tcp://127.0.0.1:${silent} did not answer over TLS`);
    for (const hint of HINTS) expect(message).toContain(hint);
  });

  it("works on its own once Pulumi has serialized it (the engine runs it from the state)", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => dockerApiWaitProvider, { allowSecrets: false });
    expect(serialized.containsSecrets).toBe(false);
    expect(serialized.text).not.toMatch(/node_modules|@pulumi/);
    // The same loader Pulumi's dynamic provider host uses.
    const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi"));
    const requireFromString = pulumiRequire("require-from-string") as (code: string) => {
      handler: () => pulumi.dynamic.ResourceProvider;
    };
    const provider = requireFromString(serialized.text).handler();
    const port = await startDaemon();
    const inputs = {
      ...probe(port),
      instanceId: "i-0456",
      instanceType: "m7i.xlarge",
      timeoutSeconds: 2,
      hints: HINTS,
    };
    const created = await provider.create(inputs);
    expect(created.outs.endpoint).toBe(`tcp://127.0.0.1:${port}`);
    const updated = await provider.update!("i-0456:1", created.outs, { ...inputs, instanceType: "c7i.xlarge" });
    expect(updated.outs).toMatchObject({ endpoint: `tcp://127.0.0.1:${port}`, instanceType: "c7i.xlarge" });
  });
});
