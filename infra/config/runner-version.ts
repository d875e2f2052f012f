/**
 * The runner's version against GitLab's. GitLab's runner docs ("GitLab Runner versions",
 * https://docs.gitlab.com/runner/#gitlab-runner-versions): keep the runner's major.minor in step
 * with GitLab's; a runner newer than GitLab may call APIs that GitLab does not have yet, and one
 * older misses fixes and features the server expects. One release behind (the runner upgraded
 * just after GitLab, or at the next stop) is the usual window.
 */
import { parseGitLabVersion, type GitLabVersion } from "../upgrade-guard/upgrade-stops";
import { NAMESPACE } from "./schema";

/** The version in a runner image tag (`v19.3.0`, `alpine-v19.3.0`, `alpine3.21-v19.3.0`, `ubi-fips-v19.3.0`); undefined for `latest` or a digest only. */
export function parseRunnerVersion(image: string): GitLabVersion | undefined {
  const reference = image.trim().split("@")[0] ?? "";
  const last = reference.slice(reference.lastIndexOf("/") + 1);
  const colon = last.lastIndexOf(":");
  if (colon < 0) return undefined;
  const match = /^(?:[a-z0-9.-]+-)?v(\d{1,3})\.(\d{1,3})\.(\d{1,4})$/.exec(last.slice(colon + 1));
  if (match === null) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/**
 * The release's place in GitLab's monthly sequence: since 16.0 every major runs x.0 to x.11, so
 * 19.0 follows 18.11 (older majors ended earlier: 14.10, 15.11; close enough for a warning).
 */
function releaseIndex(v: GitLabVersion): number {
  return v.major * 12 + v.minor;
}

/** A warning when runner.image's major.minor is ahead of gitlab.image's, or more than one release behind. */
export function runnerVersionWarning(gitlabImage: string, runnerImage: string): string | undefined {
  const gitlab = parseGitLabVersion(gitlabImage);
  const runner = parseRunnerVersion(runnerImage);
  if (gitlab === undefined || runner === undefined) return undefined;
  const behind = releaseIndex(gitlab) - releaseIndex(runner);
  const versions = `runner.image is ${runner.major}.${runner.minor}, gitlab.image ${gitlab.major}.${gitlab.minor}`;
  const fix = `Set ${NAMESPACE}:runner.image to gitlab/gitlab-runner:v${gitlab.major}.${gitlab.minor}.<latest patch> (docs/operations.md, "Upgrading the runner in step with GitLab").`;
  if (behind < 0)
    return `${NAMESPACE}:runner.image is ahead of GitLab (${versions}): a runner newer than GitLab may call APIs GitLab does not have yet (job requests, registration). ${fix}`;
  if (behind > 1)
    return `${NAMESPACE}:runner.image is ${behind} releases behind GitLab (${versions}): GitLab supports the runner of its own major.minor; an older one misses fixes and features the server expects. ${fix}`;
  return undefined;
}
