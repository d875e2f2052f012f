/**
 * What the rest of the program needs from a host: a Docker endpoint to deploy containers to,
 * where to keep data, and the address users reach it at. The AWS host (aws-host.ts) and the
 * local Docker daemon (local-host.ts) both provide it.
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";

export interface DockerHost {
  /** The explicit Docker provider every container and image of the stack is created with. */
  readonly provider: docker.Provider;
  /**
   * Resources that must be ready before the first container is created (the AWS host's wait
   * until its Docker API answers over TLS). Containers take them as `dependsOn`.
   */
  readonly ready: readonly pulumi.Resource[];
  /**
   * Where GitLab and the runner keep their files: an absolute directory on the host for bind
   * mounts (the AWS data volume at `/srv`), or undefined to use named Docker volumes (local).
   */
  readonly dataPath: string | undefined;
  /** The address users reach the host at: the Elastic IP on AWS, `localhost` locally. */
  readonly publicAddress: pulumi.Output<string>;
  /** The host's public DNS name on AWS; `localhost` locally. */
  readonly publicDns: pulumi.Output<string>;
  /**
   * Changes when the machine behind the provider is replaced (the EC2 instance id on AWS). A new
   * machine has an empty Docker daemon: images and containers take this value (as a trigger or a
   * label) so that they are created again on it, instead of being believed to exist.
   */
  readonly generation: pulumi.Output<string>;
  /**
   * The resource whose deletion takes the daemon and every container on it with it: the EC2
   * instance on AWS; undefined locally. Containers name it as their `deletedWith`, so that on a
   * rebuilt host Pulumi does not ask the new, empty daemon to stop containers it never had.
   */
  readonly machine: pulumi.Resource | undefined;
}

/**
 * The name containers on the host use for the host itself: `host-gateway` makes Docker map it to
 * the host's gateway address. The runner and its job containers reach GitLab's published HTTP
 * port through it, whatever network a job is on.
 */
export const HOST_GATEWAY_NAME = "host.docker.internal";

/** Docker's special address in `--add-host` / ExtraHosts: the host's gateway, resolved by the daemon. */
export const HOST_GATEWAY = "host-gateway";

/** The label that carries `DockerHost.generation` on every container of the stack. */
export const HOST_GENERATION_LABEL = "gitlab-dind.host-generation";
