/**
 * Waits, during `pulumi up`, until the host's Docker daemon answers over TLS, before any
 * container is created (and before the Docker provider is even configured: the provider pings
 * the daemon when it starts, so its `host` is this resource's output).
 *
 * A Pulumi dynamic resource: its provider code is serialized into the state and run by the
 * Pulumi engine, so everything it uses is below and needs only Node's built-in `https`.
 * Progress goes to stdout, which the engine shows as info messages. `https` is required inside
 * the function, not imported: Pulumi's closure serializer never captures `require`, so the
 * serialized provider loads Node's own module wherever it runs.
 */
import type * as httpsModule from "node:https";
import * as pulumi from "@pulumi/pulumi";

export interface DockerApiProbe {
  /** The daemon's address (the Elastic IP). */
  readonly host: string;
  readonly port: number;
  /** PEM of the CA that signed the daemon's certificate. */
  readonly caPem: string;
  /** PEM of the client certificate and its key (the daemon runs with --tlsverify). */
  readonly certPem: string;
  readonly keyPem: string;
}

export interface WaitOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Pause between attempts. */
  readonly intervalMs: number;
  /** Time allowed for one attempt (connect, TLS handshake, answer). */
  readonly attemptTimeoutMs: number;
  /** Minimum time between two progress messages. */
  readonly progressEveryMs: number;
  /** Where progress goes. */
  readonly log: (message: string) => void;
  /** What to check when the wait fails, appended to the error. */
  readonly hints: readonly string[];
}

export interface WaitResult {
  readonly attempts: number;
  readonly elapsedMs: number;
}

/**
 * Calls `GET /_ping` over mutual TLS until the daemon answers `OK`, at most `timeoutMs`.
 * Rejects with the last error and what to check.
 */
export async function waitForDockerApi(probe: DockerApiProbe, options: WaitOptions): Promise<WaitResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const endpoint = `tcp://${probe.host}:${probe.port}`;
  const minutes = (ms: number): string => {
    const s = Math.round(ms / 1000);
    return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  };

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const https = require("node:https") as typeof httpsModule;
  const ping = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const request = https.request(
        {
          host: probe.host,
          port: probe.port,
          path: "/_ping",
          method: "GET",
          ca: probe.caPem,
          cert: probe.certPem,
          key: probe.keyPem,
          rejectUnauthorized: true,
          agent: false,
          timeout: options.attemptTimeoutMs,
        },
        (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            if (body.length < 200) body += chunk;
          });
          response.on("end", () => {
            if (response.statusCode === 200 && body.trim() === "OK") resolve();
            else
              reject(
                new Error(
                  `HTTP ${response.statusCode ?? "?"} ${JSON.stringify(body.trim().slice(0, 100))} (expected 200 "OK")`,
                ),
              );
          });
          response.on("error", reject);
        },
      );
      request.on("timeout", () => request.destroy(new Error(`no answer within ${minutes(options.attemptTimeoutMs)}`)));
      request.on("error", reject);
      request.end();
    });

  const describe = (e: unknown): string => {
    const err = e as NodeJS.ErrnoException;
    return err?.code !== undefined && !String(err.message).includes(err.code)
      ? `${err.code}: ${err.message}`
      : String(err?.message ?? e);
  };

  let attempts = 0;
  let lastError = "no attempt made";
  let lastProgress = started;
  options.log(`waiting for the Docker API at ${endpoint} to answer over TLS (at most ${minutes(options.timeoutMs)})`);
  for (;;) {
    attempts += 1;
    try {
      await ping();
      const elapsedMs = Date.now() - started;
      options.log(
        `Docker API at ${endpoint} answered after ${minutes(elapsedMs)} (${attempts} attempt${attempts === 1 ? "" : "s"})`,
      );
      return { attempts, elapsedMs };
    } catch (e) {
      lastError = describe(e);
    }
    const now = Date.now();
    if (now >= deadline) break;
    if (now - lastProgress >= options.progressEveryMs) {
      lastProgress = now;
      options.log(
        `still waiting for ${endpoint}: ${minutes(now - started)} of ${minutes(options.timeoutMs)}, last: ${lastError}`,
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(options.intervalMs, Math.max(0, deadline - now))));
  }
  throw new Error(
    [
      `The Docker API at ${endpoint} did not answer over TLS within ${minutes(options.timeoutMs)} (${attempts} attempts; last error: ${lastError}).`,
      "Check:",
      ...options.hints.map((h) => `  - ${h}`),
    ].join("\n"),
  );
}

/** The inputs of the wait, as the dynamic provider receives them. */
interface WaitInputs extends DockerApiProbe {
  /** The instance whose daemon is awaited: a new instance means a new wait. */
  readonly instanceId: string;
  /** The instance's type: a new type stops and starts the same instance, so the wait runs again. */
  readonly instanceType: string;
  readonly timeoutSeconds: number;
  readonly hints: string[];
}

/** Inputs that make a new wait (a replacement) when they change: another daemon, other certificates. */
const WAIT_TRIGGERS = ["host", "port", "instanceId", "caPem", "certPem"] as const;

/**
 * Inputs whose change stops and starts the same instance (same id, same daemon state on the root
 * volume, a daemon that boots again): the wait runs again as an update, so that the Docker
 * provider (configured from the wait's output) and every container (which depend on the wait)
 * come after it, and nothing that depends on the wait is replaced. Of the instance's arguments
 * the program sets, only the type does this: the AWS provider stops, modifies and starts the
 * instance for `instanceType` (and for `userData` and a capacity reservation, which the program
 * either replaces the instance for, `userDataReplaceOnChange`, or does not set).
 */
const RESTART_TRIGGERS = ["instanceType"] as const;

/** Waits for the daemon and returns the wait's outputs (never the client key). */
async function awaitDaemon(inputs: WaitInputs): Promise<{ id: string; outs: Record<string, unknown> }> {
  const result = await waitForDockerApi(inputs, {
    timeoutMs: inputs.timeoutSeconds * 1000,
    intervalMs: 5000,
    attemptTimeoutMs: 10000,
    progressEveryMs: 30000,
    log: (message) => console.log(`gitlab-dind: ${message}`),
    hints: inputs.hints,
  });
  return {
    id: `${inputs.instanceId}:${inputs.port}`,
    outs: {
      host: inputs.host,
      port: inputs.port,
      instanceId: inputs.instanceId,
      instanceType: inputs.instanceType,
      caPem: inputs.caPem,
      certPem: inputs.certPem,
      endpoint: `tcp://${inputs.host}:${inputs.port}`,
      attempts: result.attempts,
    },
  };
}

/** The dynamic provider. Exported for tests; self-contained for serialization. */
export const dockerApiWaitProvider: pulumi.dynamic.ResourceProvider = {
  create(inputs: WaitInputs): Promise<pulumi.dynamic.CreateResult> {
    return awaitDaemon(inputs);
  },
  diff(_id: string, olds: Record<string, unknown>, news: WaitInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = WAIT_TRIGGERS.filter((k) => olds[k] !== news[k]);
    const restarted = RESTART_TRIGGERS.filter((k) => olds[k] !== news[k]);
    return Promise.resolve({
      changes: replaces.length > 0 || restarted.length > 0,
      replaces,
      deleteBeforeReplace: true,
    });
  },
  async update(_id: string, _olds: Record<string, unknown>, news: WaitInputs): Promise<pulumi.dynamic.UpdateResult> {
    // The same instance was stopped and started: wait for its daemon again.
    return { outs: (await awaitDaemon(news)).outs };
  },
  async delete(): Promise<void> {
    // Nothing to remove: the wait leaves nothing behind.
  },
};

export interface DockerApiWaitArgs {
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  readonly caPem: pulumi.Input<string>;
  readonly certPem: pulumi.Input<string>;
  /** Secret. */
  readonly keyPem: pulumi.Input<string>;
  readonly instanceId: pulumi.Input<string>;
  /**
   * The instance's type, as the instance reports it: a change stops and starts the same instance,
   * and the wait runs again.
   */
  readonly instanceType: pulumi.Input<string>;
  /** How long to wait; the host passes 600 (10 minutes) unless told otherwise. */
  readonly timeoutSeconds: pulumi.Input<number>;
  /** What to check when the daemon does not answer. */
  readonly hints: pulumi.Input<pulumi.Input<string>[]>;
}

/** A wait that succeeds once the Docker daemon answers over TLS. */
export class DockerApiWait extends pulumi.dynamic.Resource {
  /** `tcp://<ip>:<port>`, known only once the daemon answered. */
  declare readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: DockerApiWaitArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      dockerApiWaitProvider,
      name,
      { ...args, keyPem: pulumi.secret(args.keyPem), endpoint: undefined, attempts: undefined },
      { ...opts, additionalSecretOutputs: ["keyPem"] },
      "gitlab-dind",
      "DockerApiWait",
    );
  }
}
