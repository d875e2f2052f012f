/**
 * `GitLabReadiness`: a resource that exists once GitLab answers its health and readiness checks
 * and accepts the admin token. The runner registration depends on it, so `pulumi up` registers
 * the runner only against a GitLab that works, and `pulumi destroy` removes the registration
 * while GitLab still runs.
 *
 * A dynamic provider: Pulumi serializes `readinessProvider` with everything it captures and runs it
 * in its own process, so it captures only `waitUntilReady` (global fetch, no resources, no
 * Outputs) and `pulumi.log`.
 */
import * as pulumi from "@pulumi/pulumi";
import { waitUntilReady } from "./readiness-wait";

/** Default bound on the wait: GitLab's first boot takes 3 to 10 minutes. */
export const DEFAULT_READY_TIMEOUT_SECONDS = 900;

export interface GitLabReadinessArgs {
  /** The URL Pulumi's own process reaches GitLab at. */
  readonly apiUrl: pulumi.Input<string>;
  /** The admin API token (a secret). */
  readonly adminToken: pulumi.Input<string>;
  /** The GitLab container's id: a new container means a new wait. */
  readonly containerId: pulumi.Input<string>;
  /** The stack CA (PEM) GitLab's certificate is verified against; default the system's CAs. */
  readonly caPem?: pulumi.Input<string>;
  /** Bound on the wait, in seconds. Default 900. */
  readonly timeoutSeconds?: pulumi.Input<number>;
}

/** The provider's view of the inputs (and outputs: it returns them as they are). */
export interface ReadinessProps {
  readonly apiUrl: string;
  readonly adminToken: string;
  readonly containerId: string;
  /** The stack CA, or "" for the system's CAs. */
  readonly caPem?: string;
  readonly timeoutSeconds: number;
  /**
   * Time between probes in milliseconds; the component never sets it (the wait's default, 5 s).
   * Tests that drive the serialized provider directly set it, so that a retry takes no 5 s sleep.
   */
  readonly pollMs?: number;
}

/** Inputs whose change means "wait again"; the timeout alone does not. */
const WAIT_AGAIN_ON: readonly (keyof ReadinessProps)[] = ["apiUrl", "adminToken", "containerId", "caPem"];

/** Whether a field differs; a missing caPem (a state from before the stack CA) equals "". */
function differs(olds: ReadinessProps, news: ReadinessProps, k: keyof ReadinessProps): boolean {
  return k === "caPem" ? (olds.caPem ?? "") !== (news.caPem ?? "") : olds[k] !== news[k];
}

async function waitFor(props: ReadinessProps): Promise<void> {
  await waitUntilReady({
    apiUrl: props.apiUrl,
    adminToken: props.adminToken,
    ...(props.caPem ? { ca: props.caPem } : {}),
    timeoutMs: props.timeoutSeconds * 1000,
    pollMs: props.pollMs,
    onProgress: (message) => {
      // A log line is fire-and-forget: the engine keeps its order, and a lost one must not fail the wait.
      void pulumi.log.info(message);
    },
  });
}

export const readinessProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ReadinessProps): Promise<pulumi.dynamic.CreateResult> {
    await waitFor(inputs);
    return { id: `gitlab-ready-${String(inputs.containerId).slice(0, 12)}`, outs: { ...inputs } };
  },
  diff(_id: string, olds: ReadinessProps, news: ReadinessProps): Promise<pulumi.dynamic.DiffResult> {
    const changed = WAIT_AGAIN_ON.filter((k) => differs(olds, news, k));
    if (olds.timeoutSeconds !== news.timeoutSeconds) changed.push("timeoutSeconds");
    return Promise.resolve({ changes: changed.length > 0, replaces: [], deleteBeforeReplace: false });
  },
  async update(_id: string, olds: ReadinessProps, news: ReadinessProps): Promise<pulumi.dynamic.UpdateResult> {
    if (WAIT_AGAIN_ON.some((k) => differs(olds, news, k))) await waitFor(news);
    return { outs: { ...news } };
  },
  async delete(): Promise<void> {
    // Nothing to remove: the resource only records that GitLab was ready.
  },
};

export class GitLabReadiness extends pulumi.dynamic.Resource {
  declare readonly apiUrl: pulumi.Output<string>;
  declare readonly containerId: pulumi.Output<string>;

  constructor(name: string, args: GitLabReadinessArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      readinessProvider,
      name,
      {
        apiUrl: args.apiUrl,
        adminToken: args.adminToken,
        containerId: args.containerId,
        caPem: args.caPem ?? "",
        timeoutSeconds: args.timeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS,
      },
      // The provider returns the token among its outputs (to tell when it changes): keep it secret.
      { ...opts, additionalSecretOutputs: ["adminToken"] },
      "gitlab-dind",
      "GitLabReadiness",
    );
  }
}
