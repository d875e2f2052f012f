import { describe, expect, test } from "vitest";
import { KNOWN_KEYS, renderRunnerConfigToml, type KnownTable } from "../../runner-config";
import { keyProblems, parse } from "./key-walk";
import { defaultModel, localModel } from "./fixtures";

describe("every key the renderer emits is one gitlab-runner reads, at its type", () => {
  test.each([
    ["aws (default)", defaultModel],
    ["local (clone_url, network_mode)", localModel],
  ])("%s", (_name, make) => {
    expect(keyProblems(parse(renderRunnerConfigToml(make())))).toEqual([]);
  });

  test("with environment and extra_hosts set", () => {
    const model = defaultModel();
    const runner = model.runners[0];
    const withEnv = {
      ...model,
      runners: [
        {
          ...runner,
          environment: ["FF_NETWORK_PER_BUILD=1"],
          docker: { ...runner.docker, extra_hosts: ["gitlab.local:host-gateway"] },
        },
      ],
    };
    expect(keyProblems(parse(renderRunnerConfigToml(withEnv)))).toEqual([]);
  });

  test("the tables walked are the ones the key list covers", () => {
    const tables: KnownTable[] = [
      "",
      "session_server",
      "runners",
      "runners.feature_flags",
      "runners.docker",
      "runners.autoscaler",
      "runners.autoscaler.plugin_config",
      "runners.autoscaler.connector_config",
      "runners.autoscaler.policy",
      "runners.autoscaler.scale_throttle",
      "runners.autoscaler.state_storage",
      "runners.cache",
      "runners.cache.s3",
    ];
    expect(Object.keys(KNOWN_KEYS).sort()).toEqual([...tables].sort());
  });
});

describe("the walk catches what it must (it is not a test that cannot fail)", () => {
  test("an unknown key, a misspelt key, a wrong type, a float for an integer, a bad duration", () => {
    const text = [
      "concurrent = 4.0",
      'check_interval = "3s"',
      'connection_max_age = "15 minutes"',
      "[[runners]]",
      'name = "x"',
      "privileged = true",
      "[runners.docker]",
      'shm_size = "64m"',
      'pull_policy = "always"',
      "allowed_privileged_image = []",
      "[runners.docker.services_devices]",
    ].join("\n");
    expect(keyProblems(parse(text))).toEqual([
      "concurrent: gitlab-runner reads a integer",
      "check_interval: gitlab-runner reads a integer",
      "connection_max_age: gitlab-runner reads a duration",
      "runners[0].privileged: gitlab-runner reads no such key in [runners]",
      "runners[0].docker.shm_size: gitlab-runner reads a integer",
      "runners[0].docker.allowed_privileged_image: gitlab-runner reads no such key in [runners.docker]",
      "runners[0].docker.services_devices: table [runners.docker.services_devices] is not in the key list",
    ]);
  });
});
