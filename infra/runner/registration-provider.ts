/**
 * The dynamic provider behind `RunnerRegistration`: creates, updates, reads and deletes an instance
 * runner through GitLab's REST API (runner-api.ts).
 *
 * Pulumi serializes this provider with its closure into the state and runs it in a separate process,
 * so it captures only plain values and small dependency-free modules (the GitLab client, runner-api):
 * no Outputs, no resources, no @pulumi/docker. Logging goes through `pulumi.log`, loaded inside the
 * function so the closure holds a `require`, not the SDK.
 *
 * Lifecycle:
 * - create: `POST /user/runners`, safe against lost answers (see runner-api.ts);
 * - diff: a change of description, tags or untagged flag is an in-place update (`PUT /runners/:id`):
 *   the runner keeps its id and token, so the runner container is not reconfigured; a new API URL or
 *   admin token only updates the state. Nothing forces a replacement;
 * - read (`pulumi refresh`): a runner GitLab no longer has leaves the state, so the next `up`
 *   registers a new one;
 * - delete: `DELETE /runners/:id` (404 counts as done), falling back to the runner's own token when
 *   GitLab refuses the admin token.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createGitLabClient } from "../gitlab-api/client";
import type { GitLabClient } from "../gitlab-api/client";
import { createRunner, deleteRunner, getRunner, updateRunner } from "./runner-api";

/** The provider's inputs, as Pulumi hands them over (secrets already revealed). */
export interface RegistrationInputs {
  /** Where this process reaches GitLab's API (the GitLab component's `apiUrl`). */
  readonly apiUrl: string;
  /** An administrator's personal access token with the `api` scope. Secret. */
  readonly adminToken: string;
  /** The runner's description in GitLab, unique to this registration. */
  readonly description: string;
  readonly tags: readonly string[];
  readonly runUntagged: boolean;
  /** The stack CA (PEM) GitLab's certificate is verified against; "" or absent: the system's CAs. */
  readonly caPem?: string;
}

/** The state: the inputs plus what GitLab returned. `token` and `adminToken` are secret. */
export interface RegistrationOutputs extends RegistrationInputs {
  readonly runnerId: number;
  /** The runner authentication token (`glrt-…`). */
  readonly token: string;
}

export interface RegistrationProviderOptions {
  /** Time allowed for one HTTP request. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Overall budget of one operation, retries included (GitLab may still be starting). Default 300000. */
  readonly deadlineMs?: number;
  /** First backoff delay between retries. Default 2000. */
  readonly initialDelayMs?: number;
  /** Longest backoff delay. Default 15000. */
  readonly maxDelayMs?: number;
  /** POST attempts when answers get lost. Default 4. */
  readonly maxCreateAttempts?: number;
  /** Progress lines (retries, cleanups). Default: `pulumi.log.info`. */
  readonly log?: (message: string) => void;
}

/** Inputs that change the runner in GitLab (and so need a `PUT`). */
const GITLAB_FIELDS = ["description", "tags", "runUntagged"] as const;
/** Inputs that only change how Pulumi reaches GitLab. */
const ACCESS_FIELDS = ["apiUrl", "adminToken", "caPem"] as const;

/** Tags compare as sets: GitLab does not keep their order. */
function sameTags(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = [...(a ?? [])].sort();
  const y = [...(b ?? [])].sort();
  return x.length === y.length && x.every((t, i) => t === y[i]);
}

function fieldChanged(field: string, olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
  if (field === "tags") return !sameTags(olds.tags as string[] | undefined, news.tags as string[] | undefined);
  // A state from before the stack CA has no caPem: the same as "" (the system's CAs).
  if (field === "caPem") return (olds.caPem ?? "") !== (news.caPem ?? "");
  return olds[field] !== news[field];
}

/** The fields that differ, GitLab-side first. Pure; exported for tests. */
export function changedFields(olds: Partial<RegistrationOutputs>, news: RegistrationInputs): string[] {
  const o = olds as Record<string, unknown>;
  const n = news as unknown as Record<string, unknown>;
  return [...GITLAB_FIELDS, ...ACCESS_FIELDS].filter((f) => fieldChanged(f, o, n));
}

function defaultLog(message: string): void {
  // Required here, not imported: the serialized closure then holds a `require`, not the whole SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  void (require("@pulumi/pulumi") as typeof pulumi).log.info(message);
}

export function createRegistrationProvider(
  options: RegistrationProviderOptions = {},
): pulumi.dynamic.ResourceProvider<RegistrationInputs, RegistrationOutputs> {
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const deadlineMs = options.deadlineMs ?? 300_000;
  const initialDelayMs = options.initialDelayMs ?? 2_000;
  const maxDelayMs = options.maxDelayMs ?? 15_000;
  const maxCreateAttempts = options.maxCreateAttempts ?? 4;
  const log = options.log ?? defaultLog;

  const client = (apiUrl: string, token: string | undefined, caPem: string | undefined): GitLabClient =>
    createGitLabClient({
      baseUrl: apiUrl,
      ...(token === undefined ? {} : { token }),
      ...(caPem ? { ca: caPem } : {}),
      requestTimeoutMs,
      retry: { deadlineMs, initialDelayMs, maxDelayMs },
      onProgress: log,
    });

  const spec = (inputs: RegistrationInputs) => ({
    description: inputs.description,
    tags: inputs.tags,
    runUntagged: inputs.runUntagged,
  });

  return {
    async create(inputs) {
      const created = await createRunner(client(inputs.apiUrl, inputs.adminToken, inputs.caPem), spec(inputs), {
        maxAttempts: maxCreateAttempts,
        deadlineMs,
        retryDelayMs: initialDelayMs,
        log,
      });
      log(`Registered runner #${created.id} ("${inputs.description}") with GitLab at ${inputs.apiUrl}`);
      // The id is GitLab's runner id: never the token, which must stay out of plain state fields.
      return {
        id: String(created.id),
        outs: { ...inputs, tags: [...inputs.tags], runnerId: created.id, token: created.token },
      };
    },

    diff(_id, olds, news) {
      const changed = changedFields(olds, news);
      // Nothing replaces: a replacement would mean a new token and a reconfigured runner container.
      // Should one be forced (`--replace`), delete first: two live registrations share a description.
      return Promise.resolve({ changes: changed.length > 0, replaces: [], deleteBeforeReplace: true });
    },

    async update(id, olds, news) {
      const changed = changedFields(olds, news);
      if (changed.some((f) => (GITLAB_FIELDS as readonly string[]).includes(f))) {
        await updateRunner(client(news.apiUrl, news.adminToken, news.caPem), olds.runnerId, spec(news));
        log(`Updated runner #${id} (${changed.join(", ")}); it keeps its token`);
      }
      return { outs: { ...news, tags: [...news.tags], runnerId: olds.runnerId, token: olds.token } };
    },

    async read(id, props) {
      if (props === undefined) return { id, props };
      const details = await getRunner(client(props.apiUrl, props.adminToken, props.caPem), props.runnerId);
      if (details === undefined) {
        log(`Runner #${id} is no longer in GitLab at ${props.apiUrl}: dropping it from the state`);
        return {};
      }
      return {
        id,
        props: {
          ...props,
          description: details.description ?? props.description,
          tags: details.tag_list ?? [...props.tags],
          runUntagged: details.run_untagged ?? props.runUntagged,
        },
      };
    },

    async delete(id, props) {
      const result = await deleteRunner(
        client(props.apiUrl, props.adminToken, props.caPem),
        client(props.apiUrl, undefined, props.caPem),
        props.runnerId,
        props.token,
      );
      const how = {
        "admin-token": "deleted",
        "runner-token": "deleted with its own token (GitLab refused the admin token)",
        "already-gone": "was already gone",
      }[result.how];
      log(`Runner #${id} ("${props.description}") ${how}`);
    },
  };
}
