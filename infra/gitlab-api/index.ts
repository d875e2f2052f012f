/**
 * A small, dependency-free GitLab REST client shared by the runner-registration
 * provider, the GitLab readiness wait and `npm run smoke`. See client.ts for
 * the retry rules (which failures are retried, and why POSTs are not by default).
 */
export { CERTIFICATE_ERROR_CODES, createGitLabClient, encodeQuery, formatDuration, isCertificateError } from "./client";
export type {
  GitLabClient,
  GitLabClientOptions,
  GitLabResponse,
  QueryValue,
  RequestOptions,
  RetryMode,
  RetryPolicy,
} from "./client";
export { GitLabApiError, hintForStatus, redactSecrets } from "./errors";
export type { GitLabApiErrorInit, GitLabErrorKind } from "./errors";
export { checkHealth, checkReadiness, parseReadiness } from "./health";
export type { Readiness, ReadinessCheck } from "./health";
