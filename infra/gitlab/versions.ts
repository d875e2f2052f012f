/**
 * The GitLab versions this program runs, and the version each gitlab.rb setting it writes first
 * appeared in. gitlab.rb is rendered for the version in `gitlab.image`'s tag, so the intermediate
 * stops of an upgrade and a restore onto a backup's version get the keys their omnibus reads.
 *
 * Each version was read in omnibus-gitlab at its `X.Y.0+ce.0` tag (the tag before it lacks the key);
 * test/gitlab/omnibus-keys holds the key lists the renderer's output is checked against.
 */
import { compareVersions, formatVersion, parseGitLabVersion, type GitLabVersion } from "../upgrade-guard/upgrade-stops";

/**
 * The oldest GitLab this program supports: 16.0. The runner is registered through
 * `POST /api/v4/user/runners` with a runner authentication token (infra/runner/runner-api.ts),
 * the runner creation workflow GitLab introduced in 16.0 ("In GitLab 16.0, we introduced a new
 * runner creation workflow that uses authentication tokens to register runners", gitlabhq
 * doc/ci/runners/new_creation_workflow.md as of 16.2; 15.10 and 15.11 only had it as a preview).
 */
export const OLDEST_SUPPORTED_GITLAB: GitLabVersion = { major: 16, minor: 0, patch: 0 };

/**
 * `gitlab_rails['nginx'][…]` (the Rails server's NGINX) and `registry['nginx'][…]` (the registry's):
 * omnibus 19.2 moved them from `nginx[…]` and `registry_nginx[…]`, which it still translates with a
 * deprecation warning (19.2.0+ce.0 files/gitlab-cookbooks/gitlab/attributes/default.rb
 * `default['gitlab']['gitlab_rails']['nginx']`, registry/attributes/default.rb `default['registry']['nginx']`,
 * gitlab/libraries/gitlab_rails.rb `translate_client_settings`). Before 19.2 the new keys are not read.
 */
export const SERVICE_NGINX_KEYS_SINCE: GitLabVersion = { major: 19, minor: 2, patch: 0 };

/**
 * `gitlab_rails['backup_role']`, `['backup_registry_password']`, `['restore_registry_password']`:
 * the credentials `gitlab-backup` uses for the container registry's metadata database (omnibus
 * doc/settings/backups.md, "Container Registry metadata database backup credentials", introduced in 18.11).
 */
export const REGISTRY_BACKUP_ROLE_SINCE: GitLabVersion = { major: 18, minor: 11, patch: 0 };

/**
 * The registry keeps its metadata in the bundled PostgreSQL by default: `registry['database']['enabled']`
 * defaults to `"prefer"` from 19.0 (`"false"` up to 18.11.x; registry/attributes/default.rb), and
 * `"prefer"` means the database when omnibus manages PostgreSQL (gitlab/libraries/registry.rb
 * `parse_database_configuration`). gitlab.rb does not set it, so this is when there is registry
 * metadata in PostgreSQL for a backup to hold.
 */
export const REGISTRY_DATABASE_DEFAULT_SINCE: GitLabVersion = { major: 19, minor: 0, patch: 0 };

/** Whether `version` is `since` or later. */
export function atLeast(version: GitLabVersion, since: GitLabVersion): boolean {
  return compareVersions(version, since) >= 0;
}

/**
 * The GitLab version in an image reference's tag, for rendering gitlab.rb. Throws when the tag has
 * none or it is older than `OLDEST_SUPPORTED_GITLAB` (config validation refuses both first, naming the key).
 */
export function gitLabImageVersion(image: string): GitLabVersion {
  const version = parseGitLabVersion(image);
  if (version === undefined) throw new Error(`gitlab.rb: ${JSON.stringify(image)} has no GitLab version in its tag`);
  const refused = unsupportedGitLabVersion(version);
  if (refused !== undefined) throw new Error(`gitlab.rb: ${image}: ${refused}`);
  return version;
}

/** Why a version is not supported (what is expected instead), or undefined when it is. */
export function unsupportedGitLabVersion(version: GitLabVersion): string | undefined {
  if (atLeast(version, OLDEST_SUPPORTED_GITLAB)) return undefined;
  return (
    `GitLab ${formatVersion(OLDEST_SUPPORTED_GITLAB)} or later (the runner is registered with a runner authentication ` +
    `token, POST /user/runners, which GitLab ${formatVersion(OLDEST_SUPPORTED_GITLAB)} introduced); ` +
    `this image is GitLab ${formatVersion(version)}`
  );
}

/**
 * The `gitlab.image` rule's refusal of a version older than the oldest supported one, as the
 * config validation's "expected …" text; undefined for a supported version or an image without
 * one (the tag rule reports that).
 */
export function checkSupportedGitLabImage(image: string): string | undefined {
  const version = parseGitLabVersion(image);
  return version === undefined ? undefined : unsupportedGitLabVersion(version);
}
