/**
 * A small GitLab REST client: global `fetch`, a per-request timeout, retries
 * with exponential backoff bounded by an overall deadline while GitLab starts,
 * and errors that say what to fix. No dependencies and no module-level mutable
 * state, so a Pulumi dynamic provider can capture it in its closure.
 *
 * Retries and duplicates: a POST that times out or gets a 502 may still have
 * been processed by GitLab. So by default only GET/HEAD/PUT/DELETE retry every
 * transient failure ("idempotent"); POST/PATCH retry only failures where the
 * request provably never reached GitLab — the connection could not be opened
 * ("safe-only"). A caller that creates something (a runner, a project) and
 * gets an ambiguous failure must find out whether it was created (look it up
 * by a unique name/description) before creating it again. Pass `retry: "none"`
 * to handle every failure yourself, or `retry: "idempotent"` on a POST that is
 * safe to repeat.
 */
import type * as undiciModule from "undici";
import { GitLabApiError, redactSecrets } from "./errors";

/** Backoff policy for transient failures (GitLab starting: refused, 502, 503, 504). */
export interface RetryPolicy {
  /** Overall time budget for one call, including all its retries. Default 60000. 0 disables retries. */
  readonly deadlineMs: number;
  /** First backoff delay; doubles after each failure. Default 1000. */
  readonly initialDelayMs: number;
  /** Upper bound for one backoff delay. Default 15000. */
  readonly maxDelayMs: number;
}

export interface GitLabClientOptions {
  /** GitLab's external URL, e.g. `https://gitlab.example.com` (a trailing slash is ignored). */
  readonly baseUrl: string;
  /** Personal/project access token, sent as `PRIVATE-TOKEN`. Never printed. Default: none (anonymous). */
  readonly token?: string;
  /** Time allowed for one HTTP request, body included. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Retry policy for transient failures. Default `{ deadlineMs: 60000, initialDelayMs: 1000, maxDelayMs: 15000 }`. */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * PEM certificate(s) of the CA that signed GitLab's certificate (the stack CA of gitlab.tls
   * `selfSigned`): https is then verified against it instead of the system's CAs. Verification is
   * never turned off. Default: the system's CAs.
   */
  readonly ca?: string;
  /** Receives one line per retry ("GitLab at … not answering yet (502); retrying in 4s, 3m left"). Default: silent. */
  readonly onProgress?: (message: string) => void;
  /** Clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
  /** Sleep, for tests. Default a `setTimeout` promise. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Which failures one call may retry.
 * - `idempotent`: connection failures, timeouts, 502, 503, 504 (default for GET, HEAD, PUT, DELETE).
 * - `safe-only`: only failures to open the connection (refused, DNS, unreachable, connect timeout),
 *   where GitLab cannot have processed the request (default for POST, PATCH).
 * - `none`: no retries.
 */
export type RetryMode = "idempotent" | "safe-only" | "none";

export type QueryValue = string | number | boolean | undefined | readonly (string | number)[];

export interface RequestOptions {
  /** Query parameters; `undefined` values are skipped, arrays are sent as `key[]=a&key[]=b`. */
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** A JSON body. */
  readonly json?: unknown;
  /** A form body (`application/x-www-form-urlencoded`). */
  readonly form?: Readonly<Record<string, QueryValue>>;
  /** Statuses the caller accepts (e.g. `[200, 404]`); anything else throws. Default: any 2xx. */
  readonly expect?: readonly number[];
  /** Retry mode for this call; default from the method (see `RetryMode`). */
  readonly retry?: RetryMode;
  /** Override the client's overall deadline for this call. */
  readonly deadlineMs?: number;
  /** Cancels the call (and its retries) when aborted; the abort reason is rethrown as is. */
  readonly signal?: AbortSignal;
}

export interface GitLabResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON when GitLab answered JSON, otherwise the text. */
  readonly data: T;
  readonly text: string;
}

export interface GitLabClient {
  readonly baseUrl: string;
  /**
   * Send a request and return the parsed body. `path` is relative to `/api/v4`
   * (`/projects/7`), except monitoring paths starting with `/-/` (`/-/readiness`).
   */
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** Like `request`, also returning the status and headers (useful with `expect`). */
  send<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<GitLabResponse<T>>;
  /** GET every page of a list endpoint (follows `x-next-page`), up to `maxPages` (default 20). */
  getAll<T>(
    path: string,
    options?: RequestOptions & { readonly perPage?: number; readonly maxPages?: number },
  ): Promise<T[]>;
}

const IDEMPOTENT_METHODS = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"];
const RETRYABLE_STATUSES = [502, 503, 504];
/** Error codes meaning the connection was never opened, so the request was never sent. */
const CONNECT_PHASE_CODES = [
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
];

/**
 * TLS verification failures (Node's codes): the certificate is not signed by a trusted CA, names
 * another host, or is out of its validity. Retrying the same call cannot fix them, so the client
 * does not; the readiness wait decides whether to wait (Let's Encrypt's first certificate).
 */
export const CERTIFICATE_ERROR_CODES: readonly string[] = [
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
];

/** Whether a client error is a refused certificate. */
export function isCertificateError(error: unknown): boolean {
  return (
    error instanceof GitLabApiError && error.kind === "network" && CERTIFICATE_ERROR_CODES.includes(error.detail ?? "")
  );
}

export function createGitLabClient(options: GitLabClientOptions): GitLabClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]/.test(baseUrl)) {
    throw new Error(`GitLab URL must start with http:// or https://, got "${options.baseUrl}"`);
  }
  const token = options.token;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const policy: RetryPolicy = {
    deadlineMs: options.retry?.deadlineMs ?? 60_000,
    initialDelayMs: options.retry?.initialDelayMs ?? 1_000,
    maxDelayMs: options.retry?.maxDelayMs ?? 15_000,
  };
  const now = options.now ?? (() => Date.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const progress = options.onProgress ?? (() => undefined);
  // undici (Node's fetch) takes the CA through a dispatcher: `connect` is passed to tls.connect.
  // Required here, not imported: a dynamic provider's serialized closure then holds a `require`
  // (resolved where the engine runs it), and undici loads only when a CA is given.
  const dispatcher =
    options.ca === undefined
      ? undefined
      : // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
        new (require("undici") as typeof undiciModule).Agent({ connect: { ca: options.ca, rejectUnauthorized: true } });

  async function send<T>(method: string, path: string, opts: RequestOptions = {}): Promise<GitLabResponse<T>> {
    const verb = method.toUpperCase();
    const fullPath = path.startsWith("/-/") ? path : `/api/v4${path.startsWith("/") ? "" : "/"}${path}`;
    const url = baseUrl + fullPath + encodeQuery(opts.query);
    const mode: RetryMode = opts.retry ?? (IDEMPOTENT_METHODS.includes(verb) ? "idempotent" : "safe-only");
    const deadlineMs = opts.deadlineMs ?? policy.deadlineMs;
    const startedAt = now();
    const headers: Record<string, string> = { Accept: "application/json" };
    if (token) headers["PRIVATE-TOKEN"] = token;
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.form !== undefined) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = encodeQuery(opts.form).slice(1);
    }
    const errorBase = { method: verb, path: fullPath, baseUrl };

    let delay = policy.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      const elapsed = now() - startedAt;
      // Never let one attempt run far past the deadline, but give each at least 1s.
      const timeoutMs =
        attempt === 1 ? requestTimeoutMs : Math.min(requestTimeoutMs, Math.max(deadlineMs - elapsed, 1_000));
      const signals = [AbortSignal.timeout(timeoutMs)];
      if (opts.signal) signals.push(opts.signal);
      let failure: { reason: string; error: GitLabApiError; retryable: boolean };
      try {
        const response = await fetch(url, {
          method: verb,
          headers,
          body,
          signal: AbortSignal.any(signals),
          redirect: "manual",
          ...(dispatcher === undefined ? {} : { dispatcher }),
        });
        const text = await response.text();
        const accepted = opts.expect
          ? opts.expect.includes(response.status)
          : response.status >= 200 && response.status < 300;
        if (accepted) {
          const isJson = (response.headers.get("content-type") ?? "").includes("json");
          const data = (isJson && text.length > 0 ? JSON.parse(text) : text) as T;
          return { status: response.status, headers: response.headers, data, text };
        }
        const location = response.status >= 300 && response.status < 400 ? response.headers.get("location") : null;
        const error = new GitLabApiError({
          ...errorBase,
          kind: "http",
          status: response.status,
          // Redirects are not followed: fetch would forward PRIVATE-TOKEN to another host.
          bodyExcerpt: location
            ? `Location: ${redactSecrets(location, [token])}`
            : excerpt(redactSecrets(text, [token])),
          attempts: attempt,
        });
        failure = {
          reason: String(response.status),
          error,
          retryable: mode === "idempotent" && RETRYABLE_STATUSES.includes(response.status),
        };
      } catch (caught) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        const isTimeout = caught instanceof Error && caught.name === "TimeoutError";
        if (isTimeout) {
          const error = new GitLabApiError({
            ...errorBase,
            kind: "timeout",
            detail: formatDuration(timeoutMs),
            attempts: attempt,
            cause: caught,
          });
          failure = {
            reason: `no answer within ${formatDuration(timeoutMs)}`,
            error,
            retryable: mode === "idempotent",
          };
        } else if (caught instanceof GitLabApiError || caught instanceof SyntaxError) {
          throw caught;
        } else {
          const code = networkCode(caught);
          const error = new GitLabApiError({
            ...errorBase,
            kind: "network",
            detail: code,
            attempts: attempt,
            cause: caught,
          });
          const neverSent = CONNECT_PHASE_CODES.includes(code);
          const refusedCertificate = CERTIFICATE_ERROR_CODES.includes(code);
          failure = {
            reason: code,
            error,
            retryable: !refusedCertificate && (mode === "idempotent" || (mode === "safe-only" && neverSent)),
          };
        }
      }
      if (!failure.retryable || deadlineMs <= 0) throw failure.error;
      const remaining = deadlineMs - (now() - startedAt);
      if (remaining <= 0) {
        throw new GitLabApiError({
          ...errorBase,
          kind: "deadline",
          status: failure.error.status,
          bodyExcerpt: failure.error.bodyExcerpt,
          detail: `${failure.reason}, ${formatDuration(deadlineMs)} deadline`,
          attempts: attempt,
          cause: failure.error,
        });
      }
      const wait = Math.min(delay, remaining);
      progress(
        `GitLab at ${baseUrl} not answering yet (${failure.reason}); retrying in ${formatDuration(wait)}, ${formatDuration(remaining)} left`,
      );
      await sleep(wait);
      if (opts.signal?.aborted) throw opts.signal.reason;
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }

  async function request<T>(method: string, path: string, opts?: RequestOptions): Promise<T> {
    return (await send<T>(method, path, opts)).data;
  }

  async function getAll<T>(
    path: string,
    opts: RequestOptions & { readonly perPage?: number; readonly maxPages?: number } = {},
  ): Promise<T[]> {
    const items: T[] = [];
    const maxPages = opts.maxPages ?? 20;
    let page: string | null = "1";
    for (let n = 0; page && n < maxPages; n++) {
      const response: GitLabResponse<T[]> = await send<T[]>("GET", path, {
        ...opts,
        query: { ...opts.query, per_page: opts.perPage ?? 100, page },
      });
      if (!Array.isArray(response.data)) {
        throw new Error(`GitLab answered GET ${path} with something that is not a list`);
      }
      items.push(...response.data);
      page = response.headers.get("x-next-page") || null;
    }
    return items;
  }

  return { baseUrl, request, send, getAll };
}

/** `?a=1&b[]=x&b[]=y`, or "" when there is nothing to send. */
export function encodeQuery(query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const item of value) params.append(`${key}[]`, String(item));
    } else {
      params.append(key, String(value));
    }
  }
  const encoded = params.toString();
  return encoded ? `?${encoded}` : "";
}

/** "4s", "1m30s", "3m", "250ms". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  const totalSeconds = Math.round(ms / 1_000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes === 0) return `${seconds}s`;
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

/** The system error code behind a failed fetch (undici wraps it in `cause`, sometimes an AggregateError). */
function networkCode(error: unknown): string {
  const seen: unknown[] = [];
  let current: unknown = error;
  let innermost = error instanceof Error ? error.message : "network error";
  while (current && typeof current === "object" && !seen.includes(current)) {
    seen.push(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    if (current instanceof Error && current.message) innermost = current.message;
    const nested = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(nested) && nested.length > 0) {
      current = nested[0];
      continue;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return innermost;
}
