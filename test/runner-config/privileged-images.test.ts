import { describe, expect, test } from "vitest";
import { matchesImagePattern, privilegedImagePatterns } from "../../runner-config";
import { admitsImage, tagVariant, unsupportedPatternReason } from "../../runner-config/privileged-images";
import { DEFAULT_DIND_IMAGE, DEFAULT_JOB_IMAGE } from "../../infra/config/schema";

// GitLab "Docker executor" page, "Restrict Docker images and services": the lists are doublestar
// wildcard patterns; "Use rootless Docker-in-Docker with restricted privileged mode" lists the short
// and the docker.io/library/ long form side by side, tag pattern included. gitlab-runner matches
// `doublestar.Match(pattern, <image name as written in the job>)`.
describe("doublestar Match, the subset used (docs: 'Restrict Docker images and services')", () => {
  test.each([
    ["docker:*-dind", "docker:29.7.2-dind", true],
    ["docker:*-dind", "docker:dind", false],
    ["docker:*-dind", "docker:29.7.2-dind-rootless", false],
    ["docker:*-dind", "docker:29.7.2-cli", false],
    ["docker:*-dind", "docker.io/library/docker:29.7.2-dind", false],
    ["docker:*-dind", "evil/docker:29.7.2-dind", false],
    ["docker:*-dind", "docker:x/y-dind", false],
    ["docker:*-dind", "docker:29.7.2-dind@sha256:abc", false],
    ["docker.io/library/docker:*-dind", "docker.io/library/docker:29.7.2-dind", true],
    ["*/*:*", "library/alpine:3", true],
    ["*/*:*", "alpine:3", false],
    ["docker:dind", "docker:dind", true],
    ["a.b:*", "aXb:1", false],
  ])("%s matches %s: %s", (pattern, image, expected) => {
    expect(matchesImagePattern(pattern, image)).toBe(expected);
  });

  test.each(["**", "docker:{27,28}-dind", "docker:2?-dind", "docker:[0-9]*", "!alpine*", "", "a\\*"])(
    "refuses syntax outside the subset: %j",
    (p) => {
      expect(unsupportedPatternReason(p)).toBeDefined();
      expect(() => matchesImagePattern(p, "x")).toThrow();
    },
  );
});

describe("allowed_privileged_images/services admit runner.dindImage and refuse others (docs: 'Use rootless Docker-in-Docker with restricted privileged mode')", () => {
  test("the default DinD image gives GitLab's documented shape, plus the library/ spelling", () => {
    expect(privilegedImagePatterns(DEFAULT_DIND_IMAGE)).toEqual([
      "docker:*-dind",
      "docker:dind",
      "library/docker:*-dind",
      "library/docker:dind",
      "docker.io/library/docker:*-dind",
      "docker.io/library/docker:dind",
    ]);
  });

  test("admits the DinD image as a job writes it, short or long, and other DinD versions", () => {
    const patterns = privilegedImagePatterns(DEFAULT_DIND_IMAGE);
    for (const image of [
      DEFAULT_DIND_IMAGE,
      `library/${DEFAULT_DIND_IMAGE}`,
      `docker.io/library/${DEFAULT_DIND_IMAGE}`,
      "docker:28.5.2-dind",
      "docker:dind",
    ]) {
      expect(admitsImage(patterns, image), image).toBe(true);
    }
  });

  test("refuses the CLI job image and every ordinary image", () => {
    const patterns = privilegedImagePatterns(DEFAULT_DIND_IMAGE);
    for (const image of [
      DEFAULT_JOB_IMAGE,
      `docker.io/library/${DEFAULT_JOB_IMAGE}`,
      "docker:29.7.2",
      "docker:29.7.2-dind-rootless",
      "alpine:3.22",
      "docker.io/docker:29.7.2-cli",
      "evil.example.com/docker:29.7.2-dind",
      "evil/docker:29.7.2-dind",
      "gitlab/gitlab-runner-helper:x86_64-v19.3.0",
    ]) {
      expect(admitsImage(patterns, image), image).toBe(false);
    }
  });

  test("a rootless DinD image admits the rootless variant only", () => {
    const patterns = privilegedImagePatterns("docker:29.7.2-dind-rootless");
    expect(admitsImage(patterns, "docker:29.7.2-dind-rootless")).toBe(true);
    expect(admitsImage(patterns, "docker:29.7.2-dind")).toBe(false);
  });

  test("a private registry's DinD image is admitted in its own repository only", () => {
    const patterns = privilegedImagePatterns("registry.example.com:5000/ci/docker:29.7.2-dind");
    expect(patterns).toEqual([
      "registry.example.com:5000/ci/docker:*-dind",
      "registry.example.com:5000/ci/docker:dind",
    ]);
    expect(admitsImage(patterns, "registry.example.com:5000/ci/docker:29.7.2-dind")).toBe(true);
    expect(admitsImage(patterns, "docker:29.7.2-dind")).toBe(false);
  });

  test("a Docker Hub user repository gets its two spellings", () => {
    expect(privilegedImagePatterns("team/dind:2.0-dind")).toEqual([
      "team/dind:*-dind",
      "team/dind:dind",
      "docker.io/team/dind:*-dind",
      "docker.io/team/dind:dind",
    ]);
  });

  test("a versioned tag without a variant admits that repository's tags", () => {
    expect(privilegedImagePatterns("registry.example.com/dind:1.0")).toEqual(["registry.example.com/dind:*"]);
  });

  test("a digest-pinned DinD image is admitted as written", () => {
    const pinned = `${DEFAULT_DIND_IMAGE}@sha256:${"a".repeat(64)}`;
    expect(admitsImage(privilegedImagePatterns(pinned), pinned)).toBe(true);
  });

  test.each([
    ["29.7.2-dind", "dind"],
    ["29-dind-rootless", "dind-rootless"],
    ["dind", "dind"],
    ["29.7.2", ""],
  ])("tag variant of %s is %j", (tag, variant) => {
    expect(tagVariant(tag)).toBe(variant);
  });
});
