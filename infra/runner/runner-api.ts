/**
 * The GitLab API calls behind the runner registration, as plain async functions over the shared
 * client (infra/gitlab-api). The dynamic provider (registration-provider.ts) serializes them with
 * its closure, so this file imports nothing but the client's own dependency-free modules.
 *
 * Endpoints (docs.gitlab.com/api/users#create-a-runner-linked-to-a-user, docs.gitlab.com/api/runners):
 * - `POST /user/runners` (`runner_type=instance_type`, `description`, `tag_list`, `run_untagged`)
 *   → 201 `{ id, token: "glrt-…", token_expires_at }`; the token is never shown again;
 * - `GET /runners/all?type=instance_type` (administrators; paginated);
 * - `GET /runners/:id` (details, with `contacted_at`), `PUT /runners/:id` (`description`, `tag_list`, `run_untagged`);
 * - `DELETE /runners/:id` → 204 (administrator token);
 * - `DELETE /runners` with form `token=<runner authentication token>` → 204 (no user token).
 *
 * Lost responses. The one call that is not idempotent is the POST. When it fails without a
 * definite answer (timeout, reset connection, 5xx: GitLab may have created the runner and lost the
 * answer), the runner it may have created has no token we know, and GitLab never shows a runner's
 * token again. So every attempt first deletes the runners that carry this registration's
 * description and have never contacted GitLab (the leftovers of lost answers, or of an earlier
 * `pulumi up` that failed), then POSTs. The description is unique to the stack's registration (it
 * ends in a random suffix), and a runner that has contacted GitLab is left alone: only a runner
 * whose token nobody has can be such a leftover. The last step of a failed create cleans up the
 * same way, so a create that gives up leaves no runner behind either.
 *
 * "Never contacted" is `contacted_at == null` in the runner's details, not its `status`: GitLab
 * reports a runner created more than 7 days ago that never contacted it as `stale`, not
 * `never_contacted` (app/models/ci/runner.rb: `status` returns `:stale` first, `STALE_TIMEOUT =
 * 7.days`), and a leftover of a `pulumi up` that failed a week ago is exactly such a runner.
 */
import type { GitLabClient } from "../gitlab-api/client";
import { isCertificateError } from "../gitlab-api/client";
import { GitLabApiError } from "../gitlab-api/errors";

/** What the registration asks GitLab for. */
export interface RunnerSpec {
  /** Unique within the GitLab instance: the key for finding leftovers of lost answers. */
  readonly description: string;
  readonly tags: readonly string[];
  readonly runUntagged: boolean;
}

export interface CreatedRunner {
  readonly id: number;
  /** The runner authentication token, `glrt-…`. */
  readonly token: string;
}

/** A runner as GitLab lists it (the fields this module reads). */
export interface ListedRunner {
  readonly id: number;
  readonly description: string | null;
  readonly runner_type?: string;
  readonly status?: string;
}

/** A runner's details (`GET /runners/:id`), the fields this module reads. */
export interface RunnerDetails extends ListedRunner {
  readonly tag_list?: string[];
  readonly run_untagged?: boolean;
  /** When the runner last contacted GitLab; null when it never did. Not in the list entries. */
  readonly contacted_at?: string | null;
}

export interface CreateOptions {
  /** POST attempts at most (each preceded by the leftover cleanup). */
  readonly maxAttempts: number;
  /** Overall time budget of the create, retries included. */
  readonly deadlineMs: number;
  /** Pause between attempts after an ambiguous failure. */
  readonly retryDelayMs: number;
  readonly log: (message: string) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** An error from the registration, with what happened and what to fix; never contains a token. */
export class RunnerRegistrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Set again: in the provider as Pulumi serializes it, `Error.call(this, …)` leaves `this.message` unset.
    this.message = message;
    this.name = "RunnerRegistrationError";
  }
}

/**
 * Whether a failed POST may still have been processed by GitLab: no answer (timeout, reset), or a
 * 5xx from GitLab or its proxy. A refused connection cannot have been processed, but the client
 * retries those itself and reports only when its deadline passes; cleaning up then is harmless.
 */
export function isAmbiguousFailure(error: unknown): boolean {
  if (!(error instanceof GitLabApiError)) return false;
  // A refused certificate fails the handshake: the request was never sent.
  if (isCertificateError(error)) return false;
  if (error.kind === "http") return (error.status ?? 0) >= 500;
  return true;
}

/** The message for a failure the user must fix, naming the token's job and the fix. */
export function explainFailure(error: unknown, action: string, baseUrl: string): RunnerRegistrationError {
  if (!(error instanceof GitLabApiError)) {
    const text = error instanceof Error ? error.message : String(error);
    return new RunnerRegistrationError(`Could not ${action} (GitLab at ${baseUrl}): ${text}`, { cause: error });
  }
  let fix: string;
  if (error.kind === "http" && error.status === 401) {
    fix =
      "GitLab refused the administrator API token (401): it is invalid, expired or revoked, or belongs to another GitLab. " +
      "Fix: check that the GitLab API URL points at this stack's GitLab, then have Pulumi create the token again " +
      "(`pulumi up --replace <URN of the GitLab component's admin token>`; `pulumi stack --show-urns` lists the URNs).";
  } else if (error.kind === "http" && error.status === 403) {
    fix =
      "GitLab refused the administrator API token (403): its user is not an administrator, or the token lacks the `api` scope " +
      "(instance runners can only be created and removed by an administrator). Fix: give the token's user administrator access " +
      "and the token the `api` scope, or let Pulumi create it again.";
  } else if (isCertificateError(error)) {
    fix =
      `GitLab's certificate was refused (${error.detail}): it is not signed by the CA Pulumi verifies it against (the stack CA, or the system's CAs with Let's Encrypt), or it names another host. ` +
      "Fix: check that the GitLab API URL points at this stack's GitLab; verification is never turned off.";
  } else if (error.kind === "timeout" || error.kind === "deadline" || error.kind === "network") {
    fix =
      "GitLab did not answer in time: check that it is running and healthy (`docker logs` of the GitLab container), then run `pulumi up` again.";
  } else {
    fix = "See GitLab's answer below.";
  }
  return new RunnerRegistrationError(`Could not ${action}. ${fix}\n  ${error.message}`, { cause: error });
}

function checkCreated(data: unknown, baseUrl: string): CreatedRunner {
  const body = data as { id?: unknown; token?: unknown } | null;
  if (
    body === null ||
    typeof body !== "object" ||
    typeof body.id !== "number" ||
    typeof body.token !== "string" ||
    body.token === ""
  ) {
    throw new RunnerRegistrationError(
      `GitLab at ${baseUrl} answered POST /api/v4/user/runners without a runner id and token: is this GitLab 16.0 or later?`,
    );
  }
  return { id: body.id, token: body.token };
}

/**
 * Runners with this description that never contacted GitLab (`contacted_at` null), whatever their
 * status (`never_contacted`, or `stale` once 7 days old): leftovers no one has a token for. The list
 * entries carry no `contacted_at`, so each runner with the description is read (`GET /runners/:id`).
 */
export async function findLeftovers(
  client: GitLabClient,
  description: string,
  deadlineMs?: number,
): Promise<ListedRunner[]> {
  const deadline = deadlineMs === undefined ? {} : { deadlineMs };
  const listed = await client.getAll<ListedRunner>("/runners/all", {
    query: { type: "instance_type" },
    ...deadline,
  });
  const leftovers: ListedRunner[] = [];
  for (const runner of listed.filter((r) => r.description === description)) {
    const details = await client.send<RunnerDetails>("GET", `/runners/${runner.id}`, {
      expect: [200, 404],
      ...deadline,
    });
    // 404: gone meanwhile. A missing `contacted_at` (not null) is not taken as "never contacted".
    if (details.status === 200 && details.data.contacted_at === null) leftovers.push(runner);
  }
  return leftovers;
}

/** Delete the leftovers of earlier attempts; returns how many went. */
export async function removeLeftovers(
  client: GitLabClient,
  description: string,
  log: (m: string) => void,
  deadlineMs?: number,
): Promise<number> {
  const leftovers = await findLeftovers(client, description, deadlineMs);
  for (const runner of leftovers) {
    log(
      `Deleting runner #${runner.id} ("${description}"): a leftover of an earlier attempt whose token was never received`,
    );
    await client.send("DELETE", `/runners/${runner.id}`, {
      expect: [204, 404],
      ...(deadlineMs === undefined ? {} : { deadlineMs }),
    });
  }
  return leftovers.length;
}

/**
 * Create the instance runner and return its id and token. Ambiguous failures are retried (bounded by
 * `maxAttempts` and `deadlineMs`) after removing what they may have created; a definite refusal
 * (4xx) fails at once with what to fix. On success exactly one runner with the description exists.
 */
export async function createRunner(
  client: GitLabClient,
  spec: RunnerSpec,
  options: CreateOptions,
): Promise<CreatedRunner> {
  const now = options.now ?? (() => Date.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const startedAt = now();
  const remaining = (): number => Math.max(options.deadlineMs - (now() - startedAt), 0);
  const action = `register the runner "${spec.description}" with GitLab`;
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    try {
      await removeLeftovers(client, spec.description, options.log, remaining());
      const created = await client.send<unknown>("POST", "/user/runners", {
        json: {
          runner_type: "instance_type",
          description: spec.description,
          tag_list: [...spec.tags],
          run_untagged: spec.runUntagged,
        },
        // GitLab documents 201; 200 would be a success all the same (treating it as a failure would orphan the runner).
        expect: [201, 200],
        // Only failures to connect are retried inside the client: anything else may have created a runner.
        retry: "safe-only",
        deadlineMs: remaining(),
      });
      return checkCreated(created.data, client.baseUrl);
    } catch (error) {
      if (!isAmbiguousFailure(error)) throw explainFailure(error, action, client.baseUrl);
      lastError = error;
      if (attempt === options.maxAttempts || remaining() <= 0) break;
      const wait = Math.min(options.retryDelayMs * 2 ** (attempt - 1), remaining());
      options.log(
        `Registering the runner got no clear answer (${(error as GitLabApiError).kind === "http" ? (error as GitLabApiError).status : (error as GitLabApiError).kind}); ` +
          `GitLab may have created it: cleaning up and trying again in ${Math.round(wait / 1000)}s (attempt ${attempt + 1} of ${options.maxAttempts})`,
      );
      await sleep(wait);
    }
  }
  // Give up, but leave nothing behind: a runner created by the last lost answer would be an orphan.
  let cleanup = "";
  try {
    const removed = await removeLeftovers(client, spec.description, options.log, Math.max(remaining(), 10_000));
    cleanup =
      removed > 0 ? ` Removed ${removed} runner(s) the lost answers had created.` : " No runner was left behind.";
  } catch (cleanupError) {
    cleanup =
      ` Could not check for a runner the lost answers may have created (${(cleanupError as Error).message}); ` +
      `look for "${spec.description}" under Admin > CI/CD > Runners and delete it.`;
  }
  const failure = explainFailure(lastError, action, client.baseUrl);
  throw new RunnerRegistrationError(`${failure.message}\n  Gave up after ${options.maxAttempts} attempts.${cleanup}`, {
    cause: lastError,
  });
}

/** Set the description, tags and untagged flag of an existing runner (no new token). */
export async function updateRunner(client: GitLabClient, id: number, spec: RunnerSpec): Promise<void> {
  const response = await client
    .send("PUT", `/runners/${id}`, {
      json: { description: spec.description, tag_list: [...spec.tags], run_untagged: spec.runUntagged },
      expect: [200, 404],
    })
    .catch((error: unknown) => {
      throw explainFailure(error, `update runner #${id}`, client.baseUrl);
    });
  if (response.status === 404) {
    throw new RunnerRegistrationError(
      `Runner #${id} no longer exists in GitLab at ${client.baseUrl} (deleted by hand, or GitLab's data was reset). ` +
        "Fix: run `pulumi refresh` (it drops the registration from the state), then `pulumi up` registers a new runner.",
    );
  }
}

/** The runner's details, or undefined when GitLab no longer has it. */
export async function getRunner(client: GitLabClient, id: number): Promise<RunnerDetails | undefined> {
  const response = await client
    .send<RunnerDetails>("GET", `/runners/${id}`, { expect: [200, 404] })
    .catch((error: unknown) => {
      throw explainFailure(error, `read runner #${id}`, client.baseUrl);
    });
  return response.status === 404 ? undefined : response.data;
}

export interface DeleteResult {
  /** How the runner went: by id with the admin token, by its own token, or it was already gone. */
  readonly how: "admin-token" | "runner-token" | "already-gone";
}

/**
 * Remove the runner from GitLab: `DELETE /runners/:id` with the administrator token (404: already
 * gone). When GitLab refuses that token (401/403), fall back to `DELETE /runners` with the runner's
 * own authentication token, which needs no user token.
 */
export async function deleteRunner(
  adminClient: GitLabClient,
  anonymousClient: GitLabClient,
  id: number,
  runnerToken: string | undefined,
): Promise<DeleteResult> {
  try {
    const response = await adminClient.send("DELETE", `/runners/${id}`, { expect: [204, 404] });
    return { how: response.status === 404 ? "already-gone" : "admin-token" };
  } catch (error) {
    const refused =
      error instanceof GitLabApiError && error.kind === "http" && (error.status === 401 || error.status === 403);
    if (!refused || !runnerToken) throw explainFailure(error, `delete runner #${id}`, adminClient.baseUrl);
    try {
      await anonymousClient.send("DELETE", "/runners", { form: { token: runnerToken }, expect: [204] });
      return { how: "runner-token" };
    } catch (fallbackError) {
      const both =
        fallbackError instanceof GitLabApiError && fallbackError.kind === "http" && fallbackError.status === 403;
      if (!both) throw explainFailure(fallbackError, `delete runner #${id} with its own token`, adminClient.baseUrl);
      throw new RunnerRegistrationError(
        `Could not delete runner #${id} from GitLab at ${adminClient.baseUrl}: GitLab refused the administrator API token ` +
          `(${error.status}) and the runner's own token (403: the runner is gone, or its token was reset). ` +
          "Fix: make the administrator token valid again and rerun, or, if the runner is no longer listed under Admin > CI/CD > Runners, " +
          "remove the registration from the state with `pulumi state delete <its URN>`.",
        { cause: fallbackError },
      );
    }
  }
}
