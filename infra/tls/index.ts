/** GitLab's HTTPS certificate from the stack CA, and the PKI helpers it shares with the Docker API. */
export { GitLabTls } from "./gitlab-tls";
export type { GitLabTlsArgs } from "./gitlab-tls";
export { certificateExpiryWarning, EXPIRY_WARNING_DAYS } from "./expiry";
export type { ExpiringCertificate } from "./expiry";
