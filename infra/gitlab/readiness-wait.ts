/**
 * Waits until GitLab really works, in three steps, under one deadline:
 *   1. `GET /-/health` answers `GitLab OK` (the web server runs);
 *   2. `GET /-/readiness?all=1` answers ok (database, Redis, Gitaly… all reachable);
 *   3. `GET /api/v4/user` with the admin token answers an administrator (the post-reconfigure
 *      bootstrap has created the token, so the runner registration can use it).
 * GitLab's first boot takes 3 to 10 minutes. Refused connections, 502/503/504, timeouts and,
 * in step 3, 401 (the bootstrap has not run yet) mean "not yet". When the monitoring endpoints
 * answer 404 (this machine is not in GitLab's monitoring allowlist) steps 1 and 2 are skipped.
 *
 * Dependency-free apart from the shared client, so the readiness dynamic provider can capture it.
 */
import {
  checkHealth,
  checkReadiness,
  createGitLabClient,
  formatDuration,
  GitLabApiError,
  isCertificateError,
} from "../gitlab-api";

export interface WaitUntilReadyOptions {
  /** The URL this process reaches GitLab at. */
  readonly apiUrl: string;
  /** The admin API token (sent as PRIVATE-TOKEN in step 3 only). */
  readonly adminToken: string;
  /** Overall bound. */
  readonly timeoutMs: number;
  /**
   * The CA (PEM) GitLab's certificate must be signed by (the stack CA): a certificate it did not
   * sign fails the wait at once. Default: the system's CAs, and then an untrusted certificate means
   * "not yet" (GitLab serves a temporary self-signed one until Let's Encrypt's first arrives).
   */
  readonly ca?: string;
  /** Time between probes. Default 5000. */
  readonly pollMs?: number;
  /** Time allowed for one request. Default 10000. */
  readonly requestTimeoutMs?: number;
  /** Progress lines; a failing probe is reported at most once per `progressEveryMs`. */
  readonly onProgress?: (message: string) => void;
  /** Default 30000. */
  readonly progressEveryMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface GitLabIsReady {
  /** Whether steps 1 and 2 ran (false when the monitoring endpoints are not allowlisted here). */
  readonly monitoringChecked: boolean;
  /** The admin token's user, e.g. `root`. */
  readonly adminUsername: string;
}

type Step = "health" | "readiness" | "token";

const STEP_LABEL: Record<Step, string> = {
  health: "/-/health",
  readiness: "/-/readiness?all=1",
  token: "the admin token (GET /api/v4/user)",
};

const TRANSIENT_STATUSES = [502, 503, 504];

export async function waitUntilReady(o: WaitUntilReadyOptions): Promise<GitLabIsReady> {
  const pollMs = o.pollMs ?? 5_000;
  const progressEveryMs = o.progressEveryMs ?? 30_000;
  const now = o.now ?? (() => Date.now());
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const progress = o.onProgress ?? (() => undefined);
  const requestTimeoutMs = o.requestTimeoutMs ?? 10_000;
  // Monitoring endpoints need no token: the anonymous client never sends it where it is not needed.
  const ca = o.ca === undefined ? {} : { ca: o.ca };
  const anonymous = createGitLabClient({ baseUrl: o.apiUrl, requestTimeoutMs, retry: { deadlineMs: 0 }, ...ca });
  const admin = createGitLabClient({
    baseUrl: o.apiUrl,
    token: o.adminToken,
    ...ca,
    requestTimeoutMs,
    retry: { deadlineMs: 0 },
  });

  const startedAt = now();
  let step: Step = "health";
  let monitoringChecked = true;
  let last = "no answer yet";
  let lastReportAt = -Infinity;
  progress(
    `Waiting for GitLab at ${anonymous.baseUrl} (first boot takes 3 to 10 minutes; giving up after ${formatDuration(o.timeoutMs)})`,
  );

  for (;;) {
    let advanced = false;
    try {
      if (step === "health") {
        if (await checkHealth(anonymous)) {
          step = "readiness";
          advanced = true;
        } else {
          last = "health check did not answer 'GitLab OK'";
        }
      } else if (step === "readiness") {
        const readiness = await checkReadiness(anonymous);
        if (readiness.ready) {
          step = "token";
          advanced = true;
        } else {
          last = `not ready: ${readiness.failed.join(", ")}`;
        }
      } else {
        const user = await admin.request<{ username?: string; is_admin?: boolean }>("GET", "/user", { retry: "none" });
        if (user.is_admin !== true) {
          throw new Error(
            `GitLab at ${admin.baseUrl} accepts the admin token, but its user ${user.username ?? "(unknown)"} is not an administrator: the runner registration needs an admin token.`,
          );
        }
        progress(`GitLab at ${admin.baseUrl} is ready; the admin token works (user ${user.username ?? "root"}).`);
        return { monitoringChecked, adminUsername: user.username ?? "root" };
      }
    } catch (error) {
      if (!(error instanceof GitLabApiError)) throw error;
      if (isCertificateError(error)) {
        if (o.ca !== undefined) {
          throw new Error(
            `GitLab at ${anonymous.baseUrl} presents a certificate the stack CA did not sign (${error.detail}): ` +
              "is this address another server, or was the stack CA replaced? `pulumi up` never turns verification off.",
          );
        }
        last = `its certificate is not trusted yet (${error.detail}): Let's Encrypt's first certificate takes a minute or two after GitLab starts`;
      } else if (error.kind === "http" && error.status === 404 && step !== "token") {
        progress(
          `GitLab at ${anonymous.baseUrl} hides ${STEP_LABEL[step]} from this machine (not in gitlab_rails['monitoring_whitelist']); checking the admin token only.`,
        );
        step = "token";
        monitoringChecked = false;
        advanced = true;
      } else if (error.kind !== "http" || TRANSIENT_STATUSES.includes(error.status ?? 0)) {
        last = error.kind === "http" ? `HTTP ${error.status}` : (error.detail ?? error.kind);
      } else if (step === "token" && error.status === 401) {
        last =
          "HTTP 401: the admin token is not accepted yet (GitLab's post-reconfigure bootstrap has not run, or failed)";
      } else {
        throw error;
      }
    }
    if (advanced) {
      progress(`GitLab at ${anonymous.baseUrl}: ${STEP_LABEL[step]} next`);
      last = "no answer yet";
      lastReportAt = -Infinity;
      continue;
    }
    const elapsed = now() - startedAt;
    const remaining = o.timeoutMs - elapsed;
    if (remaining <= 0) {
      throw new Error(
        `GitLab at ${anonymous.baseUrl} was not ready after ${formatDuration(o.timeoutMs)}: waiting for ${STEP_LABEL[step]} (last: ${last}). ` +
          hintFor(step),
      );
    }
    if (now() - lastReportAt >= progressEveryMs) {
      progress(
        `GitLab at ${anonymous.baseUrl}: waiting for ${STEP_LABEL[step]} (${last}); ${formatDuration(elapsed)} elapsed, ${formatDuration(remaining)} left`,
      );
      lastReportAt = now();
    }
    await sleep(Math.min(pollMs, remaining));
  }
}

function hintFor(step: Step): string {
  switch (step) {
    case "health":
    case "readiness":
      return "Look at the GitLab container's log (`docker logs <team>-gitlab`): a first boot can take 10 minutes on a small host; `pulumi up` again resumes the wait.";
    case "token":
      return "GitLab runs, but the token Pulumi generated does not work: look for 'gitlab-dind: bootstrap' in the GitLab container's log (`docker logs <team>-gitlab`).";
  }
}
