/**
 * The admin API token, created without a human.
 *
 * GitLab's Docker image runs the shell command in `GITLAB_POST_RECONFIGURE_SCRIPT` after every
 * `gitlab-ctl reconfigure`, that is on every container start, once the database is migrated
 * (omnibus-gitlab's docker/assets/init-container, the image's CMD, which `eval`s it under `set -e`;
 * the file was docker/assets/wrapper until GitLab 17.10 renamed it; merge request
 * omnibus-gitlab!1017 added the variable). Ours runs a Ruby
 * script with `gitlab-rails runner` that makes sure root has a personal access token whose value
 * Pulumi generated — GitLab's documented way to "create a personal access token
 * programmatically" (`token.set_token('<20 characters>')`, `token.save!`) — and applies the
 * sign-up setting, which is an application setting, not a gitlab.rb one.
 *
 * The token never travels in the container's environment or on a command line: Pulumi uploads it
 * into a root-only file, and the shell script hands that file to the Ruby script on stdin.
 * The script is idempotent: on each restart it finds the token by its value, moves its expiry
 * forward, and creates it only when it is missing (first boot, or a new value from Pulumi, in
 * which case the old token of the same name is revoked).
 */
import { rubyLiteral } from "./gitlab-rb";

/** Where the bootstrap files live in the container (outside the mounted volumes). */
export const BOOTSTRAP_DIR = "/opt/gitlab-dind";
export const BOOTSTRAP_SCRIPT_PATH = `${BOOTSTRAP_DIR}/bootstrap.rb`;
export const POST_RECONFIGURE_PATH = `${BOOTSTRAP_DIR}/post-reconfigure.sh`;
export const ADMIN_TOKEN_PATH = `${BOOTSTRAP_DIR}/admin-token`;
/** Root's initial password, read by gitlab.rb (`File.read`), root-only: never in the container's environment. */
export const ROOT_PASSWORD_PATH = `${BOOTSTRAP_DIR}/root-password`;

/** The token's name in GitLab (root's Access tokens page). */
export const ADMIN_TOKEN_NAME = "gitlab-dind-admin";
/**
 * `api` for the REST API (runner registration is `POST /user/runners`); `admin_mode` so the token
 * keeps working if an administrator turns Admin Mode on.
 */
export const ADMIN_TOKEN_SCOPES: readonly string[] = ["api", "admin_mode"];
/**
 * GitLab refuses personal access tokens that live longer than its maximum lifetime (365 days by
 * default); the script moves the expiry forward on every container start.
 */
export const ADMIN_TOKEN_LIFETIME_DAYS = 364;
/** "The token must be 20 characters long" (GitLab docs, create a personal access token programmatically). */
export const ADMIN_TOKEN_LENGTH = 20;

/** The value of `GITLAB_POST_RECONFIGURE_SCRIPT`: the image's `/assets/init-container` `eval`s it in bash. */
export const POST_RECONFIGURE_COMMAND = POST_RECONFIGURE_PATH;

export interface BootstrapOptions {
  /** `gitlab.allowSignup`: whether anyone who reaches GitLab may create an account. */
  readonly allowSignup: boolean;
}

/**
 * The shell script init-container runs. It never fails: init-container runs under `set -e`, and a
 * failure there would stop the container in a restart loop; instead it says so in the container
 * log, and `pulumi up` reports that the token is not accepted.
 */
export function renderPostReconfigureScript(): string {
  return [
    "#!/bin/sh",
    "# Run by GitLab's Docker image after every `gitlab-ctl reconfigure` (GITLAB_POST_RECONFIGURE_SCRIPT).",
    "# The admin token reaches the Rails runner on stdin: not in argv, not in the environment.",
    `if /opt/gitlab/bin/gitlab-rails runner ${BOOTSTRAP_SCRIPT_PATH} < ${ADMIN_TOKEN_PATH}; then`,
    '  echo "gitlab-dind: bootstrap done"',
    "else",
    '  echo "gitlab-dind: bootstrap FAILED (exit $?): the admin API token may not work; see the lines above" >&2',
    "fi",
    "",
  ].join("\n");
}

/** The Ruby script `gitlab-rails runner` runs; it holds no secret. */
export function renderBootstrapScript(options: BootstrapOptions): string {
  return [
    "# gitlab-dind bootstrap: the admin API token Pulumi generated, and the sign-up setting.",
    "# Run by post-reconfigure.sh with the token on stdin; it never prints the token.",
    `TOKEN_NAME = ${rubyLiteral(ADMIN_TOKEN_NAME)}`,
    `TOKEN_SCOPES = ${rubyLiteral([...ADMIN_TOKEN_SCOPES])}`,
    `TOKEN_LIFETIME_DAYS = ${rubyLiteral(ADMIN_TOKEN_LIFETIME_DAYS)}`,
    `SIGNUP_ENABLED = ${rubyLiteral(options.allowSignup)}`,
    "",
    "value = $stdin.read.to_s.strip",
    "abort 'gitlab-dind bootstrap: no token on stdin' if value.empty?",
    "root = User.find_by_username('root')",
    "abort 'gitlab-dind bootstrap: GitLab has no root user yet' if root.nil?",
    "expires_at = TOKEN_LIFETIME_DAYS.days.from_now.to_date",
    "",
    "token = PersonalAccessToken.find_by_token(value)",
    "if token && token.user_id != root.id",
    "  abort 'gitlab-dind bootstrap: the generated token value belongs to another user; not touching it'",
    "end",
    "if token.nil?",
    "  # First boot, or Pulumi generated a new value: retire the old token of the same name.",
    "  root.personal_access_tokens.where(name: TOKEN_NAME, revoked: false).each(&:revoke!)",
    "  token = root.personal_access_tokens.build(name: TOKEN_NAME, scopes: TOKEN_SCOPES, expires_at: expires_at)",
    "  token.set_token(value)",
    "  token.save!",
    '  puts "gitlab-dind bootstrap: created root\'s token #{TOKEN_NAME}, expires #{expires_at}"',
    "else",
    "  token.update!(revoked: false, scopes: TOKEN_SCOPES, expires_at: expires_at)",
    '  puts "gitlab-dind bootstrap: root\'s token #{TOKEN_NAME} is in place, expires #{expires_at}"',
    "end",
    "",
    "settings = ApplicationSetting.current_without_cache || ApplicationSetting.create_from_defaults",
    "if settings.signup_enabled != SIGNUP_ENABLED",
    "  settings.update!(signup_enabled: SIGNUP_ENABLED)",
    "  puts \"gitlab-dind bootstrap: sign-up #{SIGNUP_ENABLED ? 'enabled' : 'disabled'}\"",
    "end",
    "",
  ].join("\n");
}
