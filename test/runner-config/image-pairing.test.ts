import { describe, expect, test } from "vitest";
import { RunnerConfigError, imagePairProblems, runnerConfigModel, runnerSettingsProblems } from "../../runner-config";
import { DEFAULT_RUNNER, TOKEN } from "./fixtures";

describe("the job image is the -cli tag matching the DinD image", () => {
  test.each([
    ["docker:29.7.2-cli", "docker:29.7.2-dind"],
    ["docker:29.7.2-cli", "docker:29.7.2-dind-rootless"],
    ["docker.io/library/docker:29.7.2-cli", "docker:29.7.2-dind"],
    ["docker:29-cli", "docker:29-dind"],
    ["docker:29.7.2-cli", "docker:dind"],
    // Not both docker Official Images: the pairing is the team's own, nothing is checked.
    ["registry.example.com/ci/docker-cli:1.0", "docker:29.7.2-dind"],
    ["docker:27.0.0-cli", "registry.example.com/ci/dind:2.0"],
  ])("%s with %s is accepted", (jobImage, dindImage) => {
    expect(imagePairProblems({ jobImage, dindImage })).toEqual([]);
  });

  test("a CLI version other than the daemon's is refused, naming the matching tag", () => {
    expect(runnerSettingsProblems({ jobImage: "docker:29.7.1-cli", dindImage: "docker:29.7.2-dind" })).toEqual([
      'gitlab-dind:runner.jobImage: expected the CLI image matching gitlab-dind:runner.dindImage (docker:29.7.2-dind), docker:29.7.2-cli; given "docker:29.7.1-cli"',
    ]);
  });

  test("the daemon image as the job image is refused", () => {
    expect(imagePairProblems({ jobImage: "docker:29.7.2-dind", dindImage: "docker:29.7.2-dind" })).toHaveLength(1);
  });

  test.each(["docker:29.7.2-cli", "docker:29.7.2", "docker:latest-ish"])(
    "a docker DinD image without a DinD tag (%s) is refused",
    (dindImage) => {
      expect(imagePairProblems({ jobImage: "docker:29.7.2-cli", dindImage })).toEqual([
        `gitlab-dind:runner.dindImage: expected a DinD tag of the docker image (<version>-dind or <version>-dind-rootless), so that only the daemon runs privileged; given ${JSON.stringify(dindImage)}`,
      ]);
    },
  );

  test("images without a tag are refused, both reported", () => {
    expect(imagePairProblems({ jobImage: "docker", dindImage: "" })).toHaveLength(2);
  });

  test("runnerConfigModel refuses a mismatched pair before building anything", () => {
    const build = () =>
      runnerConfigModel({
        team: "t",
        url: "http://gitlab.example.com",
        token: TOKEN,
        runner: { ...DEFAULT_RUNNER, jobImage: "docker:28.0.0-cli" },
      });
    expect(build).toThrow(RunnerConfigError);
    expect(build).toThrow(/gitlab-dind:runner\.jobImage: expected the CLI image matching/);
  });
});
