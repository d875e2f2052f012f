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
import { isIpHost } from "../url-host";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AutoscalerConfig, RunnerConfig } from "../config/types";
import { HOST_GATEWAY, HOST_GENERATION_LABEL, type DockerHost } from "../host/docker-host";
import type { Naming } from "../naming";
import {
  RunnerConfigError,
  renderExamplePipeline,
  renderRunnerConfigToml,
  runnerConfigModel,
  runnerName,
  runnerSettingsProblems,
  type RunnerConfigSettings,
  type SharedCacheBucket,
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

/** Where the manager keeps the fleeting plugin (`FLEETING_PLUGIN_PATH`), on a host directory across restarts. */
export const FLEETING_PLUGIN_DIR = "/opt/gitlab-dind/fleeting-plugins";

/**
 * The manager container's start: install the pinned fleeting plugin config.toml names (skipped when the
 * volume has it already: `fleeting install` installs only what is missing), then hand over to the image's
 * own `/entrypoint` (it imports `/etc/gitlab-runner/certs/ca.crt`, then `exec gitlab-runner "$@"`) with
 * the image's default command. A failed install stops the container, with gitlab-runner's message in
 * `docker logs`, and Docker restarts it: the runner cannot run a job without its plugin anyway.
 * Sources: gitlab-runner v19.3.0 `commands/fleeting/fleeting.go` (`fleeting [--config FILE] install`),
 * `docs/fleet_scaling/fleeting.md` (FLEETING_PLUGIN_PATH), and the image's entrypoint and command
 * (`dockerfiles/runner/ubuntu/Dockerfile` before the base images moved out; `/entrypoint run …` in
 * v19.3.0 `docs/install/kubernetes-agent.md`).
 */
export const MANAGER_START_SCRIPT = `#!/bin/sh
set -eu
gitlab-runner fleeting --config ${CONFIG_TOML_PATH} install
exec /entrypoint run --user=gitlab-runner --working-directory=/home/gitlab-runner
`;

/** With `runner.autoscaler.enabled`: jobs run on the CI workers, and this container is only their manager. */
export interface RunnerAutoscaling {
  /** `runner.autoscaler.*`. */
  readonly settings: AutoscalerConfig;
  /** The workers' Auto Scaling group. */
  readonly autoScalingGroupName: pulumi.Input<string>;
  /** The AWS region, as `AWS_REGION` for the plugin's SDK (the plugin has no region setting). */
  readonly region: string;
  /** GitLab as jobs on a worker reach it: the host's private address (infra/autoscaler/worker-access.ts). */
  readonly workerUrl: pulumi.Input<string>;
  /** `name:private-ip` entries for the jobs' /etc/hosts (https), or none. */
  readonly workerExtraHosts: pulumi.Input<readonly string[]>;
  /**
   * What must exist before the container starts and outlive its delete: the manager's IAM policy and
   * the workers' group (the stopping manager removes its workers through both).
   */
  readonly dependsOn: readonly pulumi.Resource[];
}

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
  /**
   * More volumes for every job and service container (`src:dst[:mode]`), one entry per contribution,
   * after `/certs/client` and `/cache`: such as the jobs' /etc/docker (infra/job-docker: the cache's
   * daemon.json, the registry's CA). Default: none.
   */
  readonly jobVolumes?: readonly pulumi.Input<string>[];
  /**
   * More host names mapped to the host's gateway in every job and service container, besides
   * GitLab's (e.g. `host.docker.internal` for the pull-through cache when GitLab has a DNS name).
   * Default: none.
   */
  readonly jobGatewayHosts?: readonly string[];
  /**
   * Jobs' DinD daemons reach GitLab's container registry over https they trust (the registry on, aws,
   * TLS): the example pipeline also builds, pushes and pulls an image. Default: false.
   */
  readonly registry?: boolean;
  /** Timeouts and retries of the registration's API calls. Default: the provider's defaults. */
  readonly registration?: RegistrationProviderOptions;
  /** Jobs on autoscaled EC2 workers (docker-autoscaler). Default: unset, the docker executor on the host. */
  readonly autoscaler?: RunnerAutoscaling;
  /**
   * The shared S3 cache (`runner.cache.type` s3, infra/runner-cache): config.toml's `[runners.cache]`
   * names the bucket, and the runner presigns its URLs with the host role. Default: unset, the local cache.
   */
  readonly cache?: RunnerCacheBucket | undefined;
}

/** The stack's cache bucket, as the runner's config.toml names it. */
export interface RunnerCacheBucket {
  readonly bucketName: pulumi.Input<string>;
  /** The bucket's region. */
  readonly region: string;
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
    const { host, gitlab, config, names, autoscaler } = args;

    // Bad runner settings fail here, before anything is registered in GitLab: config.toml is only
    // rendered once the registration returns its token, too late to leave nothing half-created.
    const problems = runnerSettingsProblems(config);
    if (problems.length > 0) throw new RunnerConfigError("config.toml", problems);
    const examplePipeline = renderExamplePipeline({
      jobImage: config.jobImage,
      dindImage: config.dindImage,
      tags: config.tags,
      registry: args.registry ?? false,
      // The cache jobs, where a later job can hit: the shared S3 cache, or the host's own local cache
      // (the docker executor). Autoscaled workers with the local cache start empty, so they would miss.
      cache: args.cache !== undefined || autoscaler === undefined,
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

    const jobVolumes = pulumi.all([...(args.jobVolumes ?? [])]);
    const cache = args.cache;
    const cacheBucket: pulumi.Output<SharedCacheBucket | undefined> =
      cache === undefined
        ? pulumi.output(undefined)
        : pulumi.output(cache.bucketName).apply((bucketName) => ({ bucketName, region: cache.region }));
    // Where jobs run decides how they reach GitLab; the rest of config.toml is the same.
    const jobAccess: pulumi.Output<Pick<RunnerConfigSettings, "url" | "extraHosts" | "autoscaler">> =
      autoscaler === undefined
        ? pulumi.all([gitlab.containerUrl, gitlab.containerHostName]).apply(([url, hostName]) => ({
            // The helper containers upload artifacts to `url`, so it must be reachable from every job.
            // Jobs clone through the same URL: GitLab's external URL (localhost locally, the public
            // address on AWS, behind the security group) is not reachable from a job's network.
            url,
            extraHosts: [...new Set([hostName, ...(args.jobGatewayHosts ?? [])])].map((h) => `${h}:${HOST_GATEWAY}`),
            autoscaler: undefined,
          }))
        : pulumi
            .all([autoscaler.workerUrl, autoscaler.workerExtraHosts, autoscaler.autoScalingGroupName])
            .apply(([url, extraHosts, groupName]) => ({
              // Jobs run on the workers: they reach GitLab at the host's private address, as does
              // this container (on the host itself). jobGatewayHosts do not apply: on a worker the
              // gateway is the worker itself.
              url,
              extraHosts: [...extraHosts],
              autoscaler: { settings: autoscaler.settings, autoScalingGroupName: groupName },
            }));
    const configToml = pulumi.secret(
      pulumi.all([registration.token, jobAccess, jobVolumes, cacheBucket]).apply(([token, access, volumes, bucket]) =>
        renderRunnerConfigToml(
          runnerConfigModel({
            team: names.team,
            url: access.url,
            cloneUrl: access.url,
            extraHosts: access.extraHosts,
            extraVolumes: volumes,
            // The runner verifies GitLab's certificate against the stack CA and hands it to jobs.
            ...(gitlab.caCertPem === undefined ? {} : { tlsCaFile: RUNNER_CA_FILE }),
            token,
            runner: config,
            autoscaler: access.autoscaler,
            ...(bucket === undefined ? {} : { cache: bucket }),
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
        ...(autoscaler === undefined
          ? {
              // The docker executor starts job and service containers on the host's daemon.
              volumes: [{ hostPath: DOCKER_SOCKET, containerPath: DOCKER_SOCKET }],
            }
          : managerSettings(host, autoscaler)),
        uploads: [
          { file: CONFIG_TOML_PATH, content: configToml, permissions: "0600" },
          // Public: the CA's certificate, not its key.
          ...(gitlab.caCertPem === undefined
            ? []
            : [{ file: RUNNER_CA_FILE, content: gitlab.caCertPem, permissions: "0644" }]),
        ],
        // The runner process reaches GitLab through the host's gateway, like its jobs.
        // The manager of the CI workers calls GitLab at the workers' URL: its name maps here too.
        hosts: pulumi
          .all([gitlab.containerHostName, autoscaler?.workerUrl ?? ""])
          .apply(([hostName, workerUrl]) =>
            [...new Set([hostName, ...(workerUrl === "" ? [] : [new URL(workerUrl).hostname])])]
              .filter((h) => !isIpHost(h))
              .map((h) => ({ host: h, ip: HOST_GATEWAY })),
          ),
        // A rebuilt host has an empty daemon: the new generation re-creates the container there.
        labels: [{ label: HOST_GENERATION_LABEL, value: host.generation }],
        // SIGQUIT is gitlab-runner's graceful stop (v19.3.0 commands/multi.go handleGracefulShutdown):
        // it takes no new jobs, waits for the running ones with no limit of its own, then shuts its
        // executor providers down (the autoscaler's removes its workers) within shutdown_timeout.
        // A replacement (a config.toml change) or a delete waits up to 10 minutes: then Docker
        // kills it, the jobs still running are not cancelled in GitLab (GitLab fails them once
        // they go without an update), and on destroy the group's delete ends the workers.
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
        // With the autoscaler, also after the manager's IAM policy and the group (the plugin uses
        // them at once), and deleted before them (its graceful stop removes the workers).
        dependsOn: [...host.ready, registration, ...(autoscaler?.dependsOn ?? [])],
        // The container has a fixed name: the old one must go before its replacement can start
        // (a config.toml change replaces the container: uploads cannot change in place).
        deleteBeforeReplace: true,
        // deletedWith, only for the docker executor: its jobs run on the host's own daemon, so when
        // the instance goes (destroy, rebuild) they go with it whatever Pulumi does, and the new
        // daemon of a rebuilt host never had this container. The autoscaler's manager has none: on
        // destroy Pulumi must delete it (SIGQUIT, up to RUNNER_STOP_TIMEOUT_SECONDS, then it removes
        // its workers: delete_instances_on_shutdown) while its IAM policy, the group and GitLab
        // still exist, which dependsOn above orders. On a rebuild its delete reaches the new daemon,
        // which answers "No such container" (the provider takes that as deleted).
        ...(autoscaler === undefined ? { deletedWith: host.machine } : {}),
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

/**
 * The manager's container settings: no Docker socket (no job runs on the host), the plugin directory on
 * the host's data path (kept across restarts and container replacements), the region for the plugin's
 * AWS SDK (credentials come from the host's role through IMDS, hop limit 2), and the start script.
 */
function managerSettings(host: DockerHost, autoscaler: RunnerAutoscaling): Partial<docker.ContainerArgs> {
  if (host.dataPath === undefined) {
    throw new Error("GitLabRunner: the autoscaler needs a host with a data path (the AWS host's /srv)");
  }
  const root = host.dataPath.replace(/\/+$/, "");
  return {
    volumes: [{ hostPath: `${root}/gitlab-runner/fleeting-plugins`, containerPath: FLEETING_PLUGIN_DIR }],
    envs: [`AWS_REGION=${autoscaler.region}`, `FLEETING_PLUGIN_PATH=${FLEETING_PLUGIN_DIR}`],
    entrypoints: ["/bin/sh", "-c", MANAGER_START_SCRIPT, "gitlab-runner-manager"],
  };
}
