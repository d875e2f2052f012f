/**
 * GitLab's health endpoints (docs: administration/monitoring/health_check):
 * `GET /-/health` answers `GitLab OK` once the app server runs;
 * `GET /-/readiness?all=1` answers `{"status":"ok"|"failed","master_check":[{"status":"ok"}],"db_check":[…],…}`
 * with 200, or 503 when a check fails. Both answer only to IPs in the monitoring
 * allowlist (`gitlab_rails['monitoring_whitelist']`, localhost by default);
 * other IPs get 404. The wait that `pulumi up` does on them is infra/gitlab/readiness-wait.ts.
 */
import type { GitLabClient } from "./client";

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
  const response = await client.send<unknown>("GET", "/-/readiness", {
    query: { all: 1 },
    expect: [200, 503],
    retry: "none",
    signal,
  });
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
  if (!ready && failed.length === 0)
    failed.push(`readiness answered ${status}${typeof overall === "string" ? ` (status ${overall})` : ""}`);
  return { ready, failed, checks };
}
