/** GitLab on the stack's Docker host: the server component and what it is made of. */
export { GitLabServer, PLAIN_HTTP_LABEL } from "./gitlab-server";
export type { GitLabServerArgs } from "./gitlab-server";
export { GitLabReadiness, DEFAULT_READY_TIMEOUT_SECONDS } from "./readiness";
export { gitLabSettings, renderGitLabRb, rubyLiteral, rubyString } from "./gitlab-rb";
