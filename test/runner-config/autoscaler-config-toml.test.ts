/**
 * config.toml for the docker-autoscaler executor (issue 10): one `[[runners]]` with
 * `executor = "docker-autoscaler"`, `[runners.docker]` keeping everything DinD needs, and
 * `[runners.autoscaler]` with a pinned plugin, the Auto Scaling group, the connector and one policy.
 */
import * as TOML from "@iarna/toml";
import * as smol from "smol-toml";
import { describe, expect, test } from "vitest";
import {
  FLEETING_PLUGIN_AWS,
  INSTANCE_READY_COMMAND,
  RunnerConfigError,
  renderRunnerConfigToml,
  runnerConfigModel,
  type RunnerConfigModel,
} from "../../runner-config";
import { keyProblems, parse } from "./key-walk";
import { DEFAULT_RUNNER, TOKEN, defaultModel } from "./fixtures";

const ASG = "payments-ci-workers";

function scaledModel(
  overrides: Partial<typeof DEFAULT_RUNNER.autoscaler> = {},
  concurrent?: number,
): RunnerConfigModel {
  const settings = { ...DEFAULT_RUNNER.autoscaler, enabled: true, ...overrides };
  return runnerConfigModel({
    team: "payments",
    url: "http://10.42.0.10",
    cloneUrl: "http://10.42.0.10",
    token: TOKEN,
    runner: { ...DEFAULT_RUNNER, concurrent: concurrent ?? settings.maxInstances * settings.capacityPerInstance },
    autoscaler: { settings, autoScalingGroupName: ASG },
  });
}

function problemsOf(model: unknown): readonly string[] {
  try {
    renderRunnerConfigToml(model as RunnerConfigModel);
  } catch (e) {
    expect(e).toBeInstanceOf(RunnerConfigError);
    return (e as RunnerConfigError).problems;
  }
  throw new Error("expected the model to be refused, it was rendered");
}

/** The model with a patch applied to runners[0].autoscaler. */
function withAutoscaler(patch: Record<string, unknown>): unknown {
  const model = scaledModel();
  return { ...model, runners: [{ ...model.runners[0], autoscaler: { ...model.runners[0].autoscaler, ...patch } }] };
}

describe("the rendered file", () => {
  const text = renderRunnerConfigToml(
    scaledModel({ maxInstances: 6, capacityPerInstance: 2, idleCount: 3, idleTime: "1h30m" }),
  );

  test("has only keys gitlab-runner reads, at their types, and both TOML parsers read the same", () => {
    expect(keyProblems(parse(text))).toEqual([]);
    expect(JSON.parse(JSON.stringify(smol.parse(text)))).toEqual(JSON.parse(JSON.stringify(TOML.parse(text))));
  });

  test("one docker-autoscaler runner, DinD intact, concurrent = max × capacity", () => {
    const doc = TOML.parse(text) as any;
    expect(doc.concurrent).toBe(12);
    expect(doc.runners).toHaveLength(1);
    const runner = doc.runners[0];
    expect(runner.executor).toBe("docker-autoscaler");
    expect(runner.url).toBe("http://10.42.0.10");
    expect(runner.docker.privileged).toBe(true);
    expect(runner.docker.volumes).toEqual(["/certs/client", "/cache"]);
    expect(runner.docker.allowed_privileged_services).toContain("docker:*-dind");
    expect(runner.feature_flags).toEqual({ FF_NETWORK_PER_BUILD: true });
    expect(JSON.stringify(doc)).not.toContain("docker.sock");
  });

  test("[runners.autoscaler]: pinned plugin, the group, connector over private addresses, one policy", () => {
    const a = (TOML.parse(text) as any).runners[0].autoscaler;
    expect(a).toEqual({
      plugin: FLEETING_PLUGIN_AWS,
      capacity_per_instance: 2,
      max_use_count: 1,
      max_instances: 6,
      instance_ready_command: INSTANCE_READY_COMMAND,
      plugin_config: { name: ASG },
      connector_config: { username: "ec2-user", use_external_addr: false, use_static_credentials: false },
      policy: [{ idle_count: 3, idle_time: "1h30m" }],
      delete_instances_on_shutdown: true,
    });
    expect(FLEETING_PLUGIN_AWS).toMatch(/^registry\.gitlab\.com\/gitlab-org\/fleeting\/plugins\/aws:\d+\.\d+\.\d+$/);
    expect(INSTANCE_READY_COMMAND).toContain("cloud-init status --wait");
    expect(INSTANCE_READY_COMMAND).toContain("docker info");
    expect(text).toContain("[[runners.autoscaler.policy]]");
  });

  test("the docker executor's file has no [runners.autoscaler] (the host runner is unchanged)", () => {
    const doc = TOML.parse(renderRunnerConfigToml(defaultModel())) as any;
    expect(doc.runners[0].executor).toBe("docker");
    expect(doc.runners[0].autoscaler).toBeUndefined();
  });
});

describe("refused models, every problem named", () => {
  test("a plugin that is not pinned to one release", () => {
    for (const plugin of [
      "aws",
      "aws:latest",
      "aws:1",
      "aws:1.1",
      "registry.gitlab.com/gitlab-org/fleeting/plugins/aws",
    ]) {
      expect(problemsOf(withAutoscaler({ plugin })), plugin).toEqual([
        expect.stringMatching(/^runners\[0\]\.autoscaler\.plugin: expected a fleeting plugin pinned to one release/),
      ]);
    }
    expect(() => renderRunnerConfigToml(withAutoscaler({ plugin: "aws:1.1.0" }) as RunnerConfigModel)).not.toThrow();
  });

  test("external addresses, static credentials, no policy, a bad idle_time, 0 instances, no group name", () => {
    expect(
      problemsOf(
        withAutoscaler({
          max_instances: 0,
          plugin_config: { name: "" },
          connector_config: { username: "ec2-user", use_external_addr: true, use_static_credentials: true },
          policy: [{ idle_count: 0, idle_time: "20" }],
        }),
      ),
    ).toEqual([
      "runners[0].autoscaler.max_instances: expected the most instances (0 would mean unlimited) (an integer ≥ 1); given 0",
      'runners[0].autoscaler.plugin_config.name: expected the Auto Scaling group\'s name (a non-empty string); given ""',
      "runners[0].autoscaler.connector_config.use_external_addr: expected false (the manager reaches workers at their private addresses, inside the VPC); given true",
      "runners[0].autoscaler.connector_config.use_static_credentials: expected false (a key pushed per connection through EC2 Instance Connect); given true",
      'runners[0].autoscaler.policy[0].idle_time: expected a Go duration of at least 1s, such as 20m; given "20"',
    ]);
    expect(problemsOf(withAutoscaler({ policy: [] }))).toEqual([
      "runners[0].autoscaler.policy: expected at least one [[runners.autoscaler.policy]]; given []",
    ]);
  });

  test("a manager that would leave its workers running when it stops", () => {
    for (const value of [false, undefined, "true"]) {
      expect(problemsOf(withAutoscaler({ delete_instances_on_shutdown: value })), String(value)).toEqual([
        `runners[0].autoscaler.delete_instances_on_shutdown: expected true (a stopping manager removes its workers, so a destroy leaves none running); given ${value === undefined ? "nothing" : JSON.stringify(value)}`,
      ]);
    }
  });

  test("jobs on a worker pointed at host.docker.internal or host-gateway (the worker itself)", () => {
    const model = scaledModel();
    const runner = model.runners[0];
    const bad = {
      ...model,
      runners: [
        {
          ...runner,
          url: "http://host.docker.internal:80",
          clone_url: "http://host.docker.internal:80",
          docker: {
            ...runner.docker,
            extra_hosts: ["host.docker.internal:host-gateway", "gitlab.example.com:host-gateway"],
          },
        },
      ],
    };
    expect(problemsOf(bad)).toEqual([
      'runners[0].url: expected the GitLab host\'s private address (on a worker, host.docker.internal is the worker itself); given "http://host.docker.internal:80"',
      'runners[0].clone_url: expected the GitLab host\'s private address (on a worker, host.docker.internal is the worker itself); given "http://host.docker.internal:80"',
      'runners[0].docker.extra_hosts[0]: expected a name mapped to the GitLab host\'s private address (on a worker, host-gateway and host.docker.internal are the worker itself); given "host.docker.internal:host-gateway"',
      'runners[0].docker.extra_hosts[1]: expected a name mapped to the GitLab host\'s private address (on a worker, host-gateway and host.docker.internal are the worker itself); given "gitlab.example.com:host-gateway"',
    ]);
    // The same addresses are what the host's docker executor needs: not refused there.
    const onHost = { ...bad, runners: [{ ...bad.runners[0], executor: "docker", autoscaler: undefined }] };
    expect(() => renderRunnerConfigToml({ ...onHost, concurrent: 4 } as RunnerConfigModel)).not.toThrow();
  });

  test("concurrent other than max × capacity; an autoscaler table on the docker executor; none on docker-autoscaler", () => {
    expect(problemsOf(scaledModel({ maxInstances: 5, capacityPerInstance: 2 }, 4))).toEqual([
      "concurrent: expected 10 (max_instances × capacity_per_instance of the autoscaled runners); given 4",
    ]);
    const docker = defaultModel();
    const scaled = scaledModel();
    expect(
      problemsOf({ ...docker, runners: [{ ...docker.runners[0], autoscaler: scaled.runners[0].autoscaler }] }),
    ).toEqual(["runners[0].autoscaler: expected no [runners.autoscaler] with the docker executor; given a table"]);
    expect(problemsOf({ ...scaled, runners: [{ ...scaled.runners[0], autoscaler: undefined }] })).toEqual([
      "runners[0].autoscaler: expected the [runners.autoscaler] table of the docker-autoscaler executor; given nothing",
    ]);
  });
});

describe("the key walk covers the autoscaler tables (it can fail)", () => {
  test("a misspelt autoscaler key, a number for a duration, an unknown plugin key", () => {
    const text = [
      "concurrent = 1",
      "[[runners]]",
      'executor = "docker-autoscaler"',
      "[runners.autoscaler]",
      "max_instance = 1",
      "[runners.autoscaler.plugin_config]",
      'region = "eu-central-1"',
      "[[runners.autoscaler.policy]]",
      "idle_time = 20",
    ].join("\n");
    expect(keyProblems(parse(text))).toEqual([
      "runners[0].autoscaler.max_instance: gitlab-runner reads no such key in [runners.autoscaler]",
      "runners[0].autoscaler.plugin_config.region: gitlab-runner reads no such key in [runners.autoscaler.plugin_config]",
      "runners[0].autoscaler.policy[0].idle_time: gitlab-runner reads a duration",
    ]);
  });
});
