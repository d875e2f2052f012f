/**
 * The GitLabRunner component under Pulumi's mocks: what the Docker provider and the registration
 * provider would receive, the secrets, and the order of creation and destruction.
 */
import { beforeEach, describe, expect, it } from "vitest";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as TOML from "@iarna/toml";
import { COMPUTED, RecordingMocks, isSecretValue, redactSecrets, revealSecrets, valueOf } from "../../tools/plan/mocks";
import { runUnderMocks } from "../../tools/plan/under-mocks";
import type { RecordedResource } from "../../tools/plan/mocks";
import { GitLabRunner, RUNNER_REGISTRATION_TYPE } from "../../infra/runner";
import type { GitLabEndpoint } from "../../infra/runner";
import type { RunnerConfig } from "../../infra/config/types";
import type { DockerHost } from "../../infra/host/docker-host";
import { naming } from "../../infra/naming";
import { DEFAULT_RUNNER } from "../runner-config/fixtures";

const TOKEN = "glrt-t1_from-the-registration-0123";
const ADMIN_TOKEN = "glpat-admin-token-for-tests-01";
const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";

/** The stack's `runner.*` defaults, with the images this file's expectations name. */
const RUNNER: RunnerConfig = {
  ...DEFAULT_RUNNER,
  image: "gitlab/gitlab-runner:v19.3.0",
  jobImage: "docker:29.7.2-cli",
  dindImage: "docker:29.7.2-dind",
};

/** A stand-in for the readiness resources of the host and of GitLab. */
class Marker extends pulumi.CustomResource {
  constructor(type: string, name: string) {
    super(type, name, {});
  }
}

interface Built {
  readonly mocks: RecordingMocks;
  readonly runner: GitLabRunner;
  /** Resource name → names of the resources in its `dependsOn`. */
  readonly dependsOn: ReadonlyMap<string, readonly string[]>;
  /** Resource name → its `deleteBeforeReplace` option. */
  readonly deleteBeforeReplace: ReadonlyMap<string, boolean | undefined>;
  /** Resource name → its `additionalSecretOutputs` option (applied by the engine, not by the mocks). */
  readonly secretOutputs: ReadonlyMap<string, string[] | undefined>;
}

/** The local daemon, as the runner sees a host. */
function localDockerHost(ready: pulumi.Resource[]): DockerHost {
  return {
    provider: new docker.Provider("docker-host", { host: "unix:///var/run/docker.sock" }),
    ready,
    dataPath: undefined,
    publicAddress: pulumi.output("localhost"),
    publicDns: pulumi.output("localhost"),
    generation: pulumi.output("gen-1"),
    machine: undefined,
  };
}

/** What the GitLab server component gives the runner. */
function gitlabEndpoint(): GitLabEndpoint {
  return {
    apiUrl: pulumi.output("http://localhost:8080"),
    containerUrl: pulumi.output("http://host.docker.internal:8080"),
    containerHostName: pulumi.output("host.docker.internal"),
    adminToken: pulumi.secret(ADMIN_TOKEN),
    ready: new Marker("test:index:GitLabReady", "gitlab-ready"),
  };
}

async function build(config: RunnerConfig = RUNNER): Promise<Built> {
  const mocks = new RecordingMocks({
    ...COMPUTED,
    [RUNNER_REGISTRATION_TYPE]: () => ({ runnerId: 42, token: TOKEN }),
  });
  const run = await runUnderMocks(mocks, "gitlab-dind", "local", () => {
    const host = localDockerHost([new Marker("test:index:HostReady", "host-ready")]);
    return new GitLabRunner("runner", { host, gitlab: gitlabEndpoint(), config, names: naming("payments", "local") });
  });
  const option = <K extends keyof pulumi.CustomResourceOptions>(key: K) =>
    new Map([...run.options].map(([name, o]) => [name, o[key]] as const));
  return {
    mocks,
    runner: run.result,
    dependsOn: run.dependsOn,
    deleteBeforeReplace: option("deleteBeforeReplace"),
    secretOutputs: option("additionalSecretOutputs"),
  };
}

function registrationOf(b: Built): RecordedResource {
  return b.mocks.get(RUNNER_REGISTRATION_TYPE, "runner-registration");
}
function containerOf(b: Built): RecordedResource {
  return b.mocks.get(CONTAINER, "runner");
}

let built: Built;
beforeEach(async () => {
  built = await build();
});

describe("the runner container", () => {
  it("runs runner.image with restart always, named after the team, on the host's provider", () => {
    const c = containerOf(built);
    const image = built.mocks.get(IMAGE, "runner-image");
    expect(image.inputs).toMatchObject({ name: "gitlab/gitlab-runner:v19.3.0", keepLocally: true });
    expect(image.provider).toMatch(/docker-host/);
    expect(c.provider).toMatch(/docker-host/);
    expect(c.inputs).toMatchObject({ name: "payments-runner", restart: "always" });
    // The container runs the pulled image by id, so a new image tag replaces it.
    expect(c.inputs.image).toMatch(/^sha256:/);
  });

  it("stops gracefully (SIGQUIT) so that running jobs finish before a replacement, for up to 10 minutes", () => {
    expect(containerOf(built).inputs).toMatchObject({
      stopSignal: "SIGQUIT",
      stopTimeout: 600,
      destroyGraceSeconds: 600,
    });
  });

  it("mounts the host's docker.sock and nothing else", () => {
    expect(containerOf(built).inputs.volumes).toEqual([
      { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" },
    ]);
    expect(containerOf(built).inputs.privileged).toBeUndefined();
  });

  it("reaches GitLab through the host gateway, on no shared network", () => {
    expect(containerOf(built).inputs.networksAdvanced).toBeUndefined();
    expect(containerOf(built).inputs.hosts).toEqual([{ host: "host.docker.internal", ip: "host-gateway" }]);
  });

  it("is re-created, with its image, on a rebuilt host: both carry the host's generation", () => {
    expect(containerOf(built).inputs.labels).toEqual([{ label: "gitlab-dind.host-generation", value: "gen-1" }]);
    expect(built.mocks.get("docker:index/remoteImage:RemoteImage", "runner-image").inputs.triggers).toEqual({
      hostGeneration: "gen-1",
    });
  });

  it("gets config.toml at /etc/gitlab-runner/config.toml, as a secret, root-only, with the registered token and GitLab's URL for containers", () => {
    // The content is secret, so Pulumi sends the whole `uploads` property as a secret.
    const wire = containerOf(built).inputs.uploads;
    expect(isSecretValue(wire)).toBe(true);
    const uploads = revealSecrets(wire) as Record<string, unknown>[];
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({ file: "/etc/gitlab-runner/config.toml", permissions: "0600" });

    const toml = TOML.parse(uploads[0].content as string) as any;
    expect(toml.concurrent).toBe(4);
    expect(toml.runners).toHaveLength(1);
    expect(toml.runners[0]).toMatchObject({
      token: TOKEN,
      url: "http://host.docker.internal:8080",
      clone_url: "http://host.docker.internal:8080",
      executor: "docker",
    });
    expect(toml.runners[0].docker).toMatchObject({
      image: "docker:29.7.2-cli",
      privileged: true,
      extra_hosts: ["host.docker.internal:host-gateway"],
    });
    // Each job on its own network: concurrent jobs' `docker` aliases never meet.
    expect(toml.runners[0].feature_flags).toEqual({ FF_NETWORK_PER_BUILD: true });
    expect(toml.runners[0].docker.network_mode).toBeUndefined();
  });

  it("has no secret in plain view: the runner token and admin token appear only inside secret values", () => {
    for (const r of built.mocks.resources) {
      const visible = JSON.stringify(redactSecrets(r.inputs));
      expect(visible, `${r.type} ${r.name}`).not.toContain(TOKEN);
      expect(visible, `${r.type} ${r.name}`).not.toContain(ADMIN_TOKEN);
    }
  });
});

describe("the registration", () => {
  it("asks for an instance runner with the team's unique description, runner.tags and runner.runUntagged, the admin token secret", () => {
    const reg = registrationOf(built);
    expect(reg.inputs).toMatchObject({ apiUrl: "http://localhost:8080", tags: ["docker", "dind"], runUntagged: true });
    expect(reg.inputs.description).toBe("payments-dind-5eed0000");
    expect(isSecretValue(reg.inputs.adminToken)).toBe(true);
    expect(revealSecrets(reg.inputs.adminToken)).toBe(ADMIN_TOKEN);
    // The serialized provider travels with the inputs, as with every dynamic resource.
    expect(typeof reg.inputs.__provider).toBe("string");
  });

  it("its token (and the admin token it keeps for delete) are secret outputs in the state", () => {
    expect(built.secretOutputs.get("runner-registration")).toEqual(expect.arrayContaining(["token", "adminToken"]));
  });

  it("a config.toml-only change (concurrency, images, intervals) changes the container, not the registration's inputs", async () => {
    const before = registrationOf(built).inputs;
    const containerBefore = revealSecrets(containerOf(built).inputs.uploads);
    const changed = await build({
      ...RUNNER,
      concurrent: 8,
      checkInterval: 10,
      sessionTimeout: 600,
      jobImage: "docker:29.7.3-cli",
      dindImage: "docker:29.7.3-dind",
    });
    expect(registrationOf(changed).inputs).toEqual(before);
    expect(revealSecrets(containerOf(changed).inputs.uploads)).not.toEqual(containerBefore);
  });

  it("a tag change is a registration input (an in-place update by the provider)", async () => {
    const changed = await build({ ...RUNNER, tags: ["docker"] });
    expect(registrationOf(changed).inputs.tags).toEqual(["docker"]);
  });
});

describe("bad input", () => {
  it("a job image that does not pair with the DinD image fails before anything is registered, naming the key", async () => {
    const mocks = new RecordingMocks();
    await pulumi.runtime.setMocks(mocks, "gitlab-dind", "local", false);
    const bad = { ...RUNNER, jobImage: "docker:28.0.0-cli" };
    expect(
      () =>
        new GitLabRunner("runner", {
          host: localDockerHost([]),
          gitlab: gitlabEndpoint(),
          config: bad,
          names: naming("payments", "local"),
        }),
    ).toThrow(/gitlab-dind:runner\.jobImage: expected the CLI image matching/);
    await valueOf(pulumi.output("settle"));
    expect(mocks.ofType(RUNNER_REGISTRATION_TYPE)).toHaveLength(0);
    expect(mocks.ofType(CONTAINER)).toHaveLength(0);
    expect(mocks.ofType(IMAGE)).toHaveLength(0);
  });
});

describe("order of creation and destruction", () => {
  it("registration after GitLab is ready; container after the host is ready and the registration (so destroy goes container → registration → GitLab)", () => {
    expect(built.dependsOn.get("runner-registration")).toEqual(["gitlab-ready"]);
    expect(built.dependsOn.get("runner")).toEqual(["host-ready", "runner-registration"]);
    expect(built.dependsOn.get("runner-image")).toEqual(["host-ready"]);
  });

  it("the fixed-name container and the registration are deleted before being replaced", () => {
    expect(built.deleteBeforeReplace.get("runner")).toBe(true);
    expect(built.deleteBeforeReplace.get("runner-registration")).toBe(true);
  });
});

describe("outputs", () => {
  it("runnerId and tags from the registration, config.toml secret, the example pipeline plain and asking for the runner's tags", async () => {
    expect(await valueOf(built.runner.runnerId)).toBe(42);
    expect(await valueOf(built.runner.tags)).toEqual(["docker", "dind"]);
    expect(await pulumi.isSecret(built.runner.configToml)).toBe(true);
    expect(await pulumi.isSecret(built.runner.examplePipeline)).toBe(false);
    const pipeline = await valueOf(built.runner.examplePipeline);
    expect(pipeline).toContain("docker:29.7.2-dind");
    expect(pipeline).toMatch(/tags:\s*\n\s*- docker\s*\n\s*- dind/);
    expect(pipeline).not.toContain(TOKEN);
  });
});
