import { describe, expect, it } from "vitest";
import { parseRunnerVersion, runnerVersionWarning } from "../../infra/config/runner-version";
import { stackWarnings } from "../../infra/config/warnings";
import { stackConfig } from "../support/stack-plans";

describe("runner.image in step with gitlab.image", () => {
  it("reads the runner's version from its tags", () => {
    expect(parseRunnerVersion("gitlab/gitlab-runner:v19.3.0")).toEqual({ major: 19, minor: 3, patch: 0 });
    expect(parseRunnerVersion("registry.example.com:5000/gitlab/gitlab-runner:alpine-v18.11.2")).toEqual({
      major: 18,
      minor: 11,
      patch: 2,
    });
    expect(parseRunnerVersion("gitlab/gitlab-runner:alpine3.21-v19.3.0")).toEqual({ major: 19, minor: 3, patch: 0 });
    expect(parseRunnerVersion("gitlab/gitlab-runner:ubi-fips-v19.3.0")).toEqual({ major: 19, minor: 3, patch: 0 });
    expect(parseRunnerVersion("gitlab/gitlab-runner:latest")).toBeUndefined();
    expect(parseRunnerVersion("gitlab/gitlab-runner@sha256:abc")).toBeUndefined();
  });

  it("says nothing for the same release or one behind (across a major too)", () => {
    expect(runnerVersionWarning("gitlab/gitlab-ce:19.3.0-ce.0", "gitlab/gitlab-runner:v19.3.0")).toBeUndefined();
    expect(runnerVersionWarning("gitlab/gitlab-ce:19.3.1-ce.0", "gitlab/gitlab-runner:v19.2.4")).toBeUndefined();
    expect(runnerVersionWarning("gitlab/gitlab-ce:19.0.0-ce.0", "gitlab/gitlab-runner:v18.11.3")).toBeUndefined();
  });

  it("warns, naming the key and the image to set, when the runner is ahead of GitLab", () => {
    expect(runnerVersionWarning("gitlab/gitlab-ce:18.11.3-ce.0", "gitlab/gitlab-runner:v19.0.0")).toBe(
      "gitlab-dind:runner.image is ahead of GitLab (runner.image is 19.0, gitlab.image 18.11): a runner newer than GitLab may call APIs GitLab does not have yet (job requests, registration). " +
        'Set gitlab-dind:runner.image to gitlab/gitlab-runner:v18.11.<latest patch> (docs/operations.md, "Upgrading the runner in step with GitLab").',
    );
  });

  it("warns when the runner is more than one release behind", () => {
    expect(runnerVersionWarning("gitlab/gitlab-ce:19.1.0-ce.0", "gitlab/gitlab-runner:v18.11.0")).toMatch(
      /^gitlab-dind:runner\.image is 2 releases behind GitLab \(runner\.image is 18\.11, gitlab\.image 19\.1\)/,
    );
  });

  it("reaches the warnings printed at preview and by the plan, on the local target too", () => {
    const config = stackConfig("local", {
      "gitlab-dind:gitlab": { image: "gitlab/gitlab-ce:19.3.0-ce.0" },
      "gitlab-dind:runner": { image: "gitlab/gitlab-runner:v18.8.0" },
    });
    expect(stackWarnings(config)).toEqual([expect.stringMatching(/^gitlab-dind:runner\.image is 7 releases behind/)]);
    expect(stackWarnings(stackConfig("dev")).filter((w) => w.includes("runner.image"))).toEqual([]);
  });
});
