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
}
