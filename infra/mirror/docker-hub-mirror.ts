/**
 * `DockerHubMirror`: a Docker Hub pull-through cache on the stack's host (CNCF Distribution, the
 * `registry` image, in proxy mode), which every job's DinD daemon uses as its registry mirror.
 *
 *   job's DinD daemon ──http://host.docker.internal:<port>──▶ cache ──https──▶ registry-1.docker.io
 *
 * - Reachable from jobs, never from outside: published on the Docker bridge's gateway address
 *   only (the address `host-gateway`, hence host.docker.internal, resolves to), plus on aws the
 *   host's loopback for the host daemon's own pulls. No security-group rule opens it to the world.
 * - With autoscaled CI workers (infra/autoscaler), also on the host's private IPv4 address: the
 *   workers' daemons and their jobs' DinD services reach it there, and the host's security group
 *   admits the workers' security group only on its port (RunnerWorkers' rules). Never on 0.0.0.0.
 * - The DinD services get its daemon.json as one of the jobs' /etc/docker files (`jobDockerFiles`,
 *   infra/job-docker): a read-only mount in every job and service container, so a user's
 *   `.gitlab-ci.yml` needs no change.
 * - Cached blobs live on the stack's persistent storage and expire after `PROXY_TTL`.
 */
import { posix } from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { MirrorConfig } from "../config/types";
import { HOST_GATEWAY_NAME, HOST_GENERATION_LABEL, type DockerHost } from "../host/docker-host";
import type { Naming } from "../naming";
import type { JobDockerFile } from "../job-docker/files";
import { DAEMON_JSON_PATH, dindDaemonJson } from "./daemon-json";

/** Docker Hub's registry API: what the cache proxies. */
export const DOCKER_HUB_REGISTRY = "https://registry-1.docker.io";
/** How long a cached blob or manifest stays before the next pull fetches it again (Distribution's default). */
export const PROXY_TTL = "168h";
/** The port Distribution listens on inside its container. */
export const REGISTRY_CONTAINER_PORT = 5000;
/** Where the cache keeps its blobs inside the container (the image's default filesystem root). */
export const REGISTRY_STORAGE_PATH = "/var/lib/registry";

export interface DockerHubMirrorArgs {
  /** The Docker host the cache runs on (its provider, readiness, data path and generation). */
  readonly host: DockerHost;
  /** The stack's `mirror.*` configuration, fully defaulted (and enabled). */
  readonly config: MirrorConfig;
  /** Physical names: the container is `<team>-mirror`, its volumes `<team>-mirror-…`. */
  readonly names: Naming;
  /**
   * Also publish the cache on the host's loopback (for the host daemon's `registry-mirrors`).
   * Default: false (the `local` target leaves the user's daemon alone).
   */
  readonly publishOnLoopback?: boolean;
  /**
   * Also publish the cache on this address: the aws host's private IPv4 address, where autoscaled CI
   * workers reach it (the host's security group admits only the workers' group on the port).
   * Default: unset (jobs run on the host and reach it on the bridge gateway).
   */
  readonly privateAddress?: pulumi.Input<string>;
  /**
   * Keep the named cache volume on `pulumi destroy` (local target only; on aws the cache is under
   * the data path). Default: false: the cache is only a cache.
   */
  readonly keepCacheOnDestroy?: boolean;
}

export class DockerHubMirror extends pulumi.ComponentResource {
  /** The address jobs' DinD daemons reach the cache at: `http://host.docker.internal:<port>`. */
  declare readonly mirrorUrl: pulumi.Output<string>;
  /** The Docker bridge's gateway address the cache is published on. */
  declare readonly bridgeGateway: pulumi.Output<string>;
  /**
   * The host's jobs' share of /etc/docker (infra/job-docker): `daemon.json` naming the cache at
   * host.docker.internal. Workers name it at the host's private address instead (their user data).
   */
  readonly jobDockerFiles: readonly JobDockerFile[];
  /** The daemon.json every job's DinD daemon reads (no secret). */
  declare readonly dindDaemonJson: pulumi.Output<string>;
  /** The cache's container name on the host. */
  declare readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: DockerHubMirrorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:DockerHubMirror", name, {}, opts);
    const { host, config, names } = args;
    const dockerOpts = { parent: this, provider: host.provider, dependsOn: [...host.ready] };

    // The address `host-gateway` resolves to in every container (the default bridge's gateway).
    // Read from the daemon, once it answers, rather than assumed to be 172.17.0.1.
    const bridge = docker.getNetworkOutput({ name: "bridge" }, dockerOpts);
    const bridgeGateway = bridge.ipamConfigs.apply((configs) => {
      const gateway = configs.map((c) => c.gateway).find((g) => g !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(g));
      if (gateway === undefined) {
        throw new Error(
          "the Docker daemon's bridge network has no IPv4 gateway address to publish the pull-through cache on (mirror.enabled: false turns the cache off)",
        );
      }
      return gateway;
    });

    const daemonJson = dindDaemonJson(config.port);
    const labels = [
      { label: "managed-by", value: names.commonTags.ManagedBy },
      // A rebuilt host has an empty daemon: the new generation re-creates the volumes there.
      { label: HOST_GENERATION_LABEL, value: host.generation },
    ];
    const storage = this.storage(name, args, labels, dockerOpts);

    const image = new docker.RemoteImage(
      `${name}-image`,
      // triggers: a rebuilt host has no image yet; pull it there again.
      { name: config.image, keepLocally: true, triggers: { hostGeneration: host.generation } },
      dockerOpts,
    );

    const ports = pulumi
      .all([bridgeGateway, args.privateAddress ?? ""])
      .apply(([gateway, privateAddress]) => [
        { internal: REGISTRY_CONTAINER_PORT, external: config.port, ip: gateway },
        ...(args.publishOnLoopback
          ? [{ internal: REGISTRY_CONTAINER_PORT, external: config.port, ip: "127.0.0.1" }]
          : []),
        ...(args.privateAddress === undefined
          ? []
          : [{ internal: REGISTRY_CONTAINER_PORT, external: config.port, ip: privateHostAddress(privateAddress) }]),
      ]);

    const credentials =
      config.dockerHubUsername !== undefined && config.dockerHubToken !== undefined
        ? [
            `REGISTRY_PROXY_USERNAME=${config.dockerHubUsername}`,
            pulumi.secret(`REGISTRY_PROXY_PASSWORD=${config.dockerHubToken.reveal()}`),
          ]
        : [];

    const container = new docker.Container(
      name,
      {
        name: names.name("mirror"),
        image: image.imageId,
        restart: "always",
        ports,
        // Distribution reads REGISTRY_<section>_<key> over its config.yml (configuration.md).
        envs: [
          `REGISTRY_PROXY_REMOTEURL=${DOCKER_HUB_REGISTRY}`,
          `REGISTRY_PROXY_TTL=${PROXY_TTL}`,
          // The proxy's scheduler removes expired blobs only when deletes are on (the mirror recipe).
          "REGISTRY_STORAGE_DELETE_ENABLED=true",
          // Distribution 3 exports OpenTelemetry traces by default and logs every failed export;
          // there is no collector here (its deploying guide: `-e OTEL_TRACES_EXPORTER=none`).
          "OTEL_TRACES_EXPORTER=none",
          ...credentials,
        ],
        volumes: [storage],
        labels,
        logDriver: "json-file",
        logOpts: { "max-size": "10m", "max-file": "3" },
      },
      // Fixed name and ports: the old container goes before its replacement. deletedWith: a
      // container on a host being rebuilt goes with its machine (the new daemon never had it).
      { ...dockerOpts, deleteBeforeReplace: true, deletedWith: host.machine },
    );

    this.bridgeGateway = bridgeGateway;
    this.mirrorUrl = pulumi.output(`http://${HOST_GATEWAY_NAME}:${config.port}`);
    this.jobDockerFiles = [{ path: posix.basename(DAEMON_JSON_PATH), content: daemonJson }];
    this.dindDaemonJson = pulumi.output(daemonJson);
    this.containerName = container.name;
    this.registerOutputs({
      mirrorUrl: this.mirrorUrl,
      bridgeGateway: this.bridgeGateway,
      containerName: this.containerName,
    });
  }

  /**
   * The cache's blobs: under the host's data path (aws: the data volume, /srv/mirror), or a named
   * volume (local).
   */
  private storage(
    name: string,
    args: DockerHubMirrorArgs,
    labels: docker.types.input.VolumeLabel[],
    dockerOpts: pulumi.CustomResourceOptions,
  ): docker.types.input.ContainerVolume {
    if (args.host.dataPath !== undefined) {
      return { hostPath: `${args.host.dataPath.replace(/\/+$/, "")}/mirror`, containerPath: REGISTRY_STORAGE_PATH };
    }
    const volume = new docker.Volume(
      `${name}-cache`,
      { name: args.names.name("mirror-cache"), labels },
      // retainOnDelete: kept only when asked; it is a cache, and it can be large.
      { ...dockerOpts, retainOnDelete: args.keepCacheOnDestroy ?? false },
    );
    return { volumeName: volume.name, containerPath: REGISTRY_STORAGE_PATH };
  }
}

/**
 * The host's private address as a publish address: a specific IPv4 address, never the unspecified
 * one (Docker would publish on every interface, the public one included).
 */
function privateHostAddress(address: string): string {
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address)?.slice(1).map(Number);
  if (octets === undefined || octets.some((o) => o > 255) || octets.every((o) => o === 0)) {
    throw new Error(
      `the pull-through cache for the CI workers: expected the GitLab host's private IPv4 address; got ${JSON.stringify(address)}`,
    );
  }
  return address;
}
