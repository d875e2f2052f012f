/**
 * Errors raised by the GitLab REST client.
 *
 * One class, `GitLabApiError`, for everything that can go wrong talking to
 * GitLab, told apart by `kind`. Messages name the method, the path (never the
 * query string, never a token) and what to fix. Dependency-free so a Pulumi
 * dynamic provider can capture it.
 */

/** What went wrong: an HTTP answer we did not expect, or no usable answer at all. */
export type GitLabErrorKind =
  /** GitLab answered with a status the caller did not expect (see `status`). */
  | "http"
  /** One request got no answer within `requestTimeoutMs`. */
  | "timeout"
  /** The connection failed (refused, reset, DNS, TLS). */
  | "network"
  /** Retries of a transient failure ran past the overall deadline. */
  | "deadline";

export interface GitLabApiErrorInit {
  readonly kind: GitLabErrorKind;
  readonly method: string;
  /** Request path without query string, e.g. `/api/v4/projects/7`. */
  readonly path: string;
  /** GitLab base URL, e.g. `http://gitlab.example.com`. */
  readonly baseUrl: string;
  readonly status?: number;
  /** First ~300 characters of the response body, secrets redacted. */
  readonly bodyExcerpt?: string;
  /** A short description of the underlying failure (network code, timeout). */
  readonly detail?: string;
  readonly attempts?: number;
  readonly cause?: unknown;
}

export class GitLabApiError extends Error {
  readonly kind: GitLabErrorKind;
  readonly method: string;
  readonly path: string;
  readonly baseUrl: string;
  readonly status: number | undefined;
  readonly bodyExcerpt: string;
  readonly detail: string | undefined;
  readonly attempts: number;

  constructor(init: GitLabApiErrorInit) {
    super(describeGitLabError(init), init.cause === undefined ? undefined : { cause: init.cause });
    // Set again: in a dynamic provider as Pulumi serializes it, the class becomes a function whose
    // `Error.call(this, …)` returns a new object and leaves `this.message` unset.
    this.message = describeGitLabError(init);
    this.name = "GitLabApiError";
    this.kind = init.kind;
    this.method = init.method;
    this.path = init.path;
    this.baseUrl = init.baseUrl;
    this.status = init.status;
    this.bodyExcerpt = init.bodyExcerpt ?? "";
    this.detail = init.detail;
    this.attempts = init.attempts ?? 1;
  }
}

/** What to do about an HTTP status, in words a user can act on. */
export function hintForStatus(status: number, path: string): string {
  const monitoring = path.startsWith("/-/");
  switch (status) {
    case 301:
    case 302:
    case 307:
    case 308:
      return "GitLab redirects this URL (see Location): use GitLab's external_url exactly, scheme included";
    case 400:
      return "GitLab rejected the request's parameters (see the body)";
    case 401:
      return "the token is invalid, expired or revoked: create a new personal access token with the api scope";
    case 403:
      return "the token lacks the admin/api scope, or its user is not an administrator (or lacks access to this resource)";
    case 404:
      return monitoring
        ? "GitLab hides monitoring endpoints from IPs outside gitlab_rails['monitoring_whitelist'] (the monitoring IP allowlist): add this machine's IP, or probe /api/v4/version instead"
        : "not found: check the id or path, and that the token's user can see it (GitLab answers 404, not 403, for resources you cannot see)";
    case 409:
      return "it conflicts with something that exists already";
    case 422:
      return "GitLab could not process the request (see the body)";
    case 429:
      return "GitLab is rate limiting this client: wait and retry, or raise the limits in Admin > Settings > Network";
    case 500:
      return "GitLab had an internal error: see gitlab-rails/production.log on the server";
    case 502:
    case 504:
      return "GitLab's web server is not answering yet (still starting, or puma is down)";
    case 503:
      return "GitLab is unavailable (starting, in maintenance, or a readiness check failed)";
    default:
      return "";
  }
}

function describeGitLabError(init: GitLabApiErrorInit): string {
  const where = `${init.method} ${init.baseUrl}${init.path}`;
  const tries = (init.attempts ?? 1) > 1 ? ` after ${init.attempts} attempts` : "";
  switch (init.kind) {
    case "http": {
      const hint = hintForStatus(init.status ?? 0, init.path);
      const body = init.bodyExcerpt ? ` Body: ${init.bodyExcerpt}` : "";
      return `GitLab answered ${init.status} to ${where}${tries}${hint ? `: ${hint}.` : "."}${body}`;
    }
    case "timeout":
      return `GitLab did not answer ${where} within ${init.detail ?? "the request timeout"}${tries}: is GitLab overloaded or still starting? (raise requestTimeoutMs if it is just slow)`;
    case "network":
      return `Could not reach GitLab for ${where}${tries} (${init.detail ?? "network error"}): check the URL, that GitLab is running, and that this machine can reach it.`;
    case "deadline":
      return `GitLab at ${init.baseUrl} did not become available for ${init.method} ${init.path}${tries}; gave up at the deadline (last: ${init.detail ?? "unknown"}).`;
  }
}

/**
 * Remove anything that looks like a GitLab token from text that is going into
 * an error or log: the configured token itself and the documented prefixed
 * token formats (glpat-, glrt-, GR1348941 registration tokens, ...).
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[REDACTED]");
  }
  return out
    .replace(
      /\b(glpat|glrt|glrtr|gldt|glptt|glft|glimt|glagent|gloas|glcbt|glsoat)-[A-Za-z0-9_.-]{8,}/g,
      "$1-[REDACTED]",
    )
    .replace(/\bGR1348941[A-Za-z0-9_-]{8,}/g, "GR1348941[REDACTED]");
}
