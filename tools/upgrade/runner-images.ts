/**
 * The GitLab Runner's latest patch of each minor release, for the runner image `npm run upgrade`
 * sets in step with each GitLab stop (same major.minor: docs/operations.md, "Upgrading the runner
 * in step with GitLab").
 *
 * Source: the release tags (`vX.Y.Z`) of gitlab-org/gitlab-runner, read in its mirror
 * gitlabhq/gitlab-runner at a snapshot of 2026-08-22; a later patch may exist
 * (https://gitlab.com/gitlab-org/gitlab-runner/-/tags, Docker Hub `gitlab/gitlab-runner` tags).
 * A minor release missing here gets its `.0` patch, which every release has.
 */
import type { GitLabVersion } from "../../infra/upgrade-guard/upgrade-stops";

export const RUNNER_LATEST_PATCH: Readonly<Record<string, number>> = {
  "16.0": 3,
  "16.1": 1,
  "16.2": 3,
  "16.3": 3,
  "16.4": 2,
  "16.5": 0,
  "16.6": 3,
  "16.7": 1,
  "16.8": 1,
  "16.9": 2,
  "16.10": 1,
  "16.11": 4,
  "17.0": 3,
  "17.1": 2,
  "17.2": 3,
  "17.3": 3,
  "17.4": 2,
  "17.5": 5,
  "17.6": 1,
  "17.7": 1,
  "17.8": 5,
  "17.9": 3,
  "17.10": 2,
  "17.11": 4,
  "18.0": 5,
  "18.1": 3,
  "18.2": 2,
  "18.3": 1,
  "18.4": 0,
  "18.5": 0,
  "18.6": 6,
  "18.7": 2,
  "18.8": 0,
  "18.9": 0,
  "18.10": 1,
  "18.11": 4,
  "19.0": 3,
  "19.1": 2,
  "19.2": 2,
  "19.3": 0,
};

/**
 * The runner image in step with GitLab `version`: the current runner image's repository and tag
 * flavour (`alpine-` in `alpine-v19.3.0`) with `v<major>.<minor>.<latest patch>`.
 */
export function runnerImageFor(version: GitLabVersion, currentRunnerImage: string): string {
  const reference = currentRunnerImage.trim().split("@")[0] ?? "";
  const colon = reference.lastIndexOf(":");
  const slash = reference.lastIndexOf("/");
  const repository = colon > slash ? reference.slice(0, colon) : reference;
  const tag = colon > slash ? reference.slice(colon + 1) : "";
  const flavour = /^([a-z0-9.-]+-)?v\d/.exec(tag)?.[1] ?? "";
  const patch = RUNNER_LATEST_PATCH[`${version.major}.${version.minor}`] ?? 0;
  return `${repository}:${flavour}v${version.major}.${version.minor}.${patch}`;
}
