/**
 * `GitLabRunner`: the runner registered with GitLab and its container on the stack's host.
 *
 *   registration (POST /user/runners) ──token──▶ config.toml ──upload──▶ runner container
 *
 * - The registration's inputs are the description, tags and untagged flag only: config.toml is not
 *   one of them, so a change to config.toml (concurrency, images, intervals) replaces the container
 *   with the same token and never registers a new runner.
 * - The container mounts the host's Docker socket (the docker executor starts job containers on the
 *   host daemon) and reaches GitLab through the host's gateway (`host.docker.internal`), as job
 *   and helper containers do. Each job runs on a Docker network of its own (FF_NETWORK_PER_BUILD,
 *   set by runner-config), so the `docker` alias of one job's DinD service is never another's.
 * - Destroy order: runner container → registration → GitLab (the registration depends on GitLab's
 *   readiness resource), so GitLab still answers when the runner is removed from it.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RunnerConfig } from "../config/types";
import { HOST_GATEWAY, HOST_GENERATION_LABEL, type DockerHost } from "../host/docker-host";
import type { Naming } from "../naming";
import {
  RunnerConfigError,
  renderExamplePipeline,
  renderRunnerConfigToml,
  runnerConfigModel,
  runnerName,
  runnerSettingsProblems,
} from "../../runner-config";
import { RunnerRegistration } from "./runner-registration";
import type { RegistrationProviderOptions } from "./registration-provider";

/** Where gitlab-runner reads its configuration in the official image. */
export const CONFIG_TOML_PATH = "/etc/gitlab-runner/config.toml";
/** How long a stopping runner may take to let running jobs finish. */
export const RUNNER_STOP_TIMEOUT_SECONDS = 600;
/** Where the stack CA's certificate is placed in the runner container (config.toml's `tls-ca-file`). */
export const RUNNER_CA_FILE = "/etc/gitlab-runner/certs/gitlab-dind-ca.crt";
/** The host daemon's socket, mounted at the same path in the runner container. */
export const DOCKER_SOCKET = "/var/run/docker.sock";

/** What the runner needs from the GitLab server component. */
export interface GitLabEndpoint {
  /** Where Pulumi's own process reaches GitLab's API (used by the registration). */
  readonly apiUrl: pulumi.Input<string>;
  /** How the runner and its job containers reach GitLab (`http://host.docker.internal:<httpPort>`, or the https external URL). */
  readonly containerUrl: pulumi.Input<string>;
  /** The host name in `containerUrl`, mapped to the Docker host's gateway in every container. */
  readonly containerHostName: pulumi.Input<string>;
  /** An administrator's personal access token with the `api` scope (secret). */
  readonly adminToken: pulumi.Input<string>;
  /**
   * The stack CA (PEM) when GitLab serves a certificate from it (gitlab.tls `selfSigned`): the
   * registration and the runner verify GitLab against it. Undefined: plain HTTP, or the system's CAs.
   */
  readonly caCertPem?: pulumi.Input<string>;
  /** Exists once GitLab answers and accepts the admin token; the registration depends on it. */
  readonly ready: pulumi.Resource;
}

export interface GitLabRunnerArgs {
  /** The Docker host the container runs on (its provider and readiness). */
  readonly host: DockerHost;
  readonly gitlab: GitLabEndpoint;
  /** The stack's `runner.*` configuration, fully defaulted. */
  readonly config: RunnerConfig;
  /** Physical names: the container is `<team>-runner`, the runner `<team>-dind-<suffix>` in GitLab. */
  readonly names: Naming;
  /** Timeouts and retries of the registration's API calls. Default: the provider's defaults. */
  readonly registration?: RegistrationProviderOptions;
}

export class GitLabRunner extends pulumi.ComponentResource {
  /** GitLab's id of the runner. */
  declare readonly runnerId: pulumi.Output<number>;
  /** The runner's description in GitLab. */
  declare readonly description: pulumi.Output<string>;
  /** The tags the runner is registered with. */
  declare readonly tags: pulumi.Output<string[]>;
  /** The rendered config.toml; secret (it holds the runner token). */
  declare readonly configToml: pulumi.Output<string>;
  /** The example `.gitlab-ci.yml` for this runner (no secrets). */
  declare readonly examplePipeline: pulumi.Output<string>;
  /** The runner container's name on the host. */
  declare readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: GitLabRunnerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("gitlab-dind:index:GitLabRunner", name, {}, opts);
    const { host, gitlab, config, names } = args;

    // Bad runner settings fail here, before anything is registered in GitLab: config.toml is only
    // rendered once the registration returns its token, too late to leave nothing half-created.
    const problems = runnerSettingsProblems(config);
    if (problems.length > 0) throw new RunnerConfigError("config.toml", problems);
    const examplePipeline = renderExamplePipeline({
      jobImage: config.jobImage,
      dindImage: config.dindImage,
      tags: config.tags,
    });

    // Makes the description unique in GitLab: it is how a retried create finds what a lost answer created.
    const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 4 }, { parent: this });
    const description = pulumi.interpolate`${runnerName(names.team)}-${suffix.hex}`;

    const registration = new RunnerRegistration(
      `${name}-registration`,
      {
        apiUrl: gitlab.apiUrl,
        adminToken: gitlab.adminToken,
        description,
        tags: [...config.tags],
        runUntagged: config.runUntagged,
        ...(gitlab.caCertPem === undefined ? {} : { caPem: gitlab.caCertPem }),
      },
      // Registered only once GitLab answers and accepts the admin token; and on destroy, removed
      // from GitLab before GitLab itself goes.
      { parent: this, dependsOn: [gitlab.ready] },
      args.registration,
    );

    const configToml = pulumi.secret(
      pulumi.all([registration.token, gitlab.containerUrl, gitlab.containerHostName]).apply(([token, url, hostName]) =>
        renderRunnerConfigToml(
          runnerConfigModel({
            team: names.team,
            // The helper containers upload artifacts to `url`, so it must be reachable from every job.
            url,
            // Jobs clone through the same URL: GitLab's external URL (localhost locally, the public
            // address on AWS, behind the security group) is not reachable from a job's network.
            cloneUrl: url,
            extraHosts: [`${hostName}:${HOST_GATEWAY}`],
            // The runner verifies GitLab's certificate against the stack CA and hands it to jobs.
            ...(gitlab.caCertPem === undefined ? {} : { tlsCaFile: RUNNER_CA_FILE }),
            token,
            runner: config,
          }),
        ),
      ),
    );

    const image = new docker.RemoteImage(
      `${name}-image`,
      // keepLocally: the image may be shared with other stacks on the same daemon.
      // triggers: a rebuilt host has no image yet; pull it there again.
      { name: config.image, keepLocally: true, triggers: { hostGeneration: host.generation } },
      { parent: this, provider: host.provider, dependsOn: [...host.ready] },
    );

    const container = new docker.Container(
      name,
      {
        name: names.name("runner"),
        image: image.imageId,
        restart: "always",
        // The docker executor starts job and service containers on the host's daemon.
        volumes: [{ hostPath: DOCKER_SOCKET, containerPath: DOCKER_SOCKET }],
        uploads: [
          { file: CONFIG_TOML_PATH, content: configToml, permissions: "0600" },
          // Public: the CA's certificate, not its key.
          ...(gitlab.caCertPem === undefined
            ? []
            : [{ file: RUNNER_CA_FILE, content: gitlab.caCertPem, permissions: "0644" }]),
        ],
        // The runner process reaches GitLab through the host's gateway, like its jobs.
        hosts: [{ host: gitlab.containerHostName, ip: HOST_GATEWAY }],
        // A rebuilt host has an empty daemon: the new generation re-creates the container there.
        labels: [{ label: HOST_GENERATION_LABEL, value: host.generation }],
        // SIGQUIT is gitlab-runner's graceful stop: it takes no new jobs and lets running ones
        // finish. A replacement (a config.toml change) or destroy waits up to 10 minutes for them.
        stopSignal: "SIGQUIT",
        stopTimeout: RUNNER_STOP_TIMEOUT_SECONDS,
        destroyGraceSeconds: RUNNER_STOP_TIMEOUT_SECONDS,
        logDriver: "json-file",
        logOpts: { "max-size": "10m", "max-file": "3" },
      },
      {
        parent: this,
        provider: host.provider,
        // After the host is ready; and created after / destroyed before the registration, so
        // `pulumi destroy` stops the runner before it is removed from GitLab.
        dependsOn: [...host.ready, registration],
        // The container has a fixed name: the old one must go before its replacement can start
        // (a config.toml change replaces the container: uploads cannot change in place).
        deleteBeforeReplace: true,
        // A container on a host being rebuilt goes with its machine: the new daemon never had it.
        deletedWith: host.machine,
      },
    );

    this.runnerId = registration.runnerId;
    this.description = registration.description;
    this.tags = registration.tags;
    this.configToml = configToml;
    this.examplePipeline = pulumi.output(examplePipeline);
    this.containerName = container.name;
    this.registerOutputs({
      runnerId: this.runnerId,
      description: this.description,
      tags: this.tags,
      configToml: this.configToml,
      examplePipeline: this.examplePipeline,
      containerName: this.containerName,
    });
  }
}
