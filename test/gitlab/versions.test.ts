/**
 * The GitLab versions the program supports: the configuration refuses an image older than the
 * oldest one, naming the key, with every other problem at once; the renderer takes the version from the tag.
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";
import {
  OLDEST_SUPPORTED_GITLAB,
  checkSupportedGitLabImage,
  gitLabImageVersion,
  unsupportedGitLabVersion,
} from "../../infra/gitlab/versions";

const AWS_MINIMAL: RawConfig = {
  "aws:region": "eu-central-1",
  "gitlab-dind:team": "payments",
  "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
};

function problems(values: RawConfig): readonly string[] {
  const r = parseStackConfig({ values, secretKeys: new Set() });
  return r.ok ? [] : r.problems;
}

describe("the oldest supported GitLab", () => {
  it("is 16.0, the release of the runner creation workflow the registration uses (POST /user/runners)", () => {
    expect(OLDEST_SUPPORTED_GITLAB).toEqual({ major: 16, minor: 0, patch: 0 });
  });

  it("gitlab.image below it is refused naming the key, what is expected and what was given, with the other problems", () => {
    const p = problems({
      ...AWS_MINIMAL,
      "gitlab-dind:gitlab": { image: "gitlab/gitlab-ce:15.11.13-ce.0", sshPort: 0 },
    });
    expect(p).toEqual([
      expect.stringMatching(
        /^gitlab-dind:gitlab\.image: expected GitLab 16\.0\.0 or later \(the runner is registered with a runner authentication token, POST \/user\/runners, .*\); this image is GitLab 15\.11\.13; got "gitlab\/gitlab-ce:15\.11\.13-ce\.0"$/,
      ),
      expect.stringMatching(/^gitlab-dind:gitlab\.sshPort: /),
    ]);
  });

  it("accepts the oldest supported version and later ones, from any registry", () => {
    for (const image of [
      "gitlab/gitlab-ce:16.0.0-ce.0",
      "gitlab/gitlab-ce:18.11.11-ce.0",
      "registry.example.com:5000/mirror/gitlab-ce:19.3.0-ce.0",
    ]) {
      expect(problems({ ...AWS_MINIMAL, "gitlab-dind:gitlab": { image } })).toEqual([]);
      expect(checkSupportedGitLabImage(image)).toBeUndefined();
    }
  });

  it("leaves an image without a version to the tag rule, and the renderer refuses both", () => {
    expect(checkSupportedGitLabImage("gitlab/gitlab-ce:latest")).toBeUndefined();
    expect(() => gitLabImageVersion("gitlab/gitlab-ce:latest")).toThrow(/no GitLab version in its tag/);
    expect(() => gitLabImageVersion("gitlab/gitlab-ce:15.4.6-ce.0")).toThrow(/16\.0\.0 or later/);
    expect(gitLabImageVersion("gitlab/gitlab-ce:19.2.4-ce.0")).toEqual({ major: 19, minor: 2, patch: 4 });
    expect(unsupportedGitLabVersion({ major: 15, minor: 11, patch: 99 })).toMatch(/this image is GitLab 15\.11\.99/);
  });
});
