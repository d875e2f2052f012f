/**
 * GitLab's health endpoints (docs: administration/monitoring/health_check):
 * `GET /-/health` answers `GitLab OK` once the app server runs;
 * `GET /-/readiness?all=1` answers `{"status":"ok"|"failed","master_check":[{"status":"ok"}],"db_check":[…],…}`
 * with 200, or 503 when a check fails. Both answer only to IPs in the monitoring
 * allowlist (`gitlab_rails['monitoring_whitelist']`, localhost by default);
 * other IPs get 404, so `waitForGitLab` then falls back to `GET /api/v4/version`
 * (which needs a token).
 */
import type { GitLabClient } from "./client";
import { formatDuration } from "./client";
import { GitLabApiError } from "./errors";

/** One check in the readiness answer. */
export interface ReadinessCheck {
    readonly status: string;
    readonly message?: string;
    readonly labels?: Readonly<Record<string, string>>;
}

export interface Readiness {
    readonly ready: boolean;
    /** `name: message` for each failed check, e.g. `db_check: connection refused`. */
    readonly failed: readonly string[];
    /** The raw answer. */
    readonly checks: Readonly<Record<string, unknown>>;
}

/** `GET /-/health`: true when GitLab answers `GitLab OK`. Throws GitLabApiError (404 = not allowlisted). */
export async function checkHealth(client: GitLabClient, signal?: AbortSignal): Promise<boolean> {
    const text = await client.request<string>("GET", "/-/health", { retry: "none", signal });
    return String(text).trim() === "GitLab OK";
}

/** `GET /-/readiness?all=1` (200 or 503), parsed. Throws GitLabApiError for anything else (404 = not allowlisted). */
export async function checkReadiness(client: GitLabClient, signal?: AbortSignal): Promise<Readiness> {
    const response = await client.send<unknown>("GET", "/-/readiness", { query: { all: 1 }, expect: [200, 503], retry: "none", signal });
    return parseReadiness(response.status, response.data);
}

/** Pure: interpret a readiness answer. */
export function parseReadiness(status: number, body: unknown): Readiness {
    const checks = body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const failed: string[] = [];
    for (const [name, value] of Object.entries(checks)) {
        if (name === "status") continue;
        // Each check is a list of results (one per shard); older GitLab used a single object.
        const results = Array.isArray(value) ? value : [value];
        for (const result of results) {
            const r = result as Partial<ReadinessCheck> | null;
            if (r && typeof r === "object" && r.status !== undefined && r.status !== "ok") {
                failed.push(r.message ? `${name}: ${r.message}` : name);
            }
        }
    }
    const overall = checks["status"];
    const ready = status === 200 && failed.length === 0 && (overall === undefined || overall === "ok");
    if (!ready && failed.length === 0) failed.push(`readiness answered ${status}${typeof overall === "string" ? ` (status ${overall})` : ""}`);
    return { ready, failed, checks };
}

export interface WaitForGitLabOptions {
    /** Give up after this long. Default 600000 (10 minutes). */
    readonly deadlineMs?: number;
    /** Time between probes. Default 5000. */
    readonly pollMs?: number;
    /** Receives one line per failed probe. Default: silent. */
    readonly onProgress?: (message: string) => void;
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly signal?: AbortSignal;
}

export interface GitLabReady {
    /** Which probe succeeded. */
    readonly via: "readiness" | "api";
    /** GitLab's version when probed through the API, e.g. `17.5.1`. */
    readonly version?: string;
}

/**
 * Poll until GitLab is ready: `/-/readiness?all=1` answers ok, or — when the
 * monitoring endpoints are not allowlisted for this IP (404) — `GET /api/v4/version`
 * answers 200. Connection failures, 502/503/504 and timeouts mean "still
 * starting"; 401/403 fail at once (waiting will not fix a bad token).
 */
export async function waitForGitLab(client: GitLabClient, options: WaitForGitLabOptions = {}): Promise<GitLabReady> {
    const deadlineMs = options.deadlineMs ?? 600_000;
    const pollMs = options.pollMs ?? 5_000;
    const now = options.now ?? (() => Date.now());
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const progress = options.onProgress ?? (() => undefined);
    const startedAt = now();
    let probe: "readiness" | "api" = "readiness";
    let last = "no answer yet";
    for (;;) {
        try {
            if (probe === "readiness") {
                const readiness = await checkReadiness(client, options.signal);
                if (readiness.ready) return { via: "readiness" };
                last = `not ready: ${readiness.failed.join(", ")}`;
            } else {
                const version = await client.request<{ version?: string }>("GET", "/version", { retry: "none", signal: options.signal });
                return { via: "api", version: version.version };
            }
        } catch (error) {
            if (options.signal?.aborted) throw error;
            if (!(error instanceof GitLabApiError)) throw error;
            if (error.kind === "http" && error.status === 404 && probe === "readiness") {
                probe = "api";
                progress(`GitLab at ${client.baseUrl} hides /-/readiness from this IP (monitoring allowlist); probing /api/v4/version instead`);
                continue;
            }
            const transient = error.kind !== "http" || [502, 503, 504].includes(error.status ?? 0);
            if (!transient) throw error;
            last = error.kind === "http" ? String(error.status) : (error.detail ?? error.kind);
        }
        const remaining = deadlineMs - (now() - startedAt);
        if (remaining <= 0) {
            throw new Error(`GitLab at ${client.baseUrl} was not ready after ${formatDuration(deadlineMs)} (last: ${last}).`);
        }
        const wait = Math.min(pollMs, remaining);
        progress(`GitLab at ${client.baseUrl} not ready yet (${last}); retrying in ${formatDuration(wait)}, ${formatDuration(remaining)} left`);
        await sleep(wait);
    }
}
