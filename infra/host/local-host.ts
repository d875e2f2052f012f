/**
 * `LocalHost`: this machine's Docker daemon as the stack's host (`target: local`). No AWS
 * account; GitLab's data lives in named Docker volumes; users reach it at `localhost`.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Naming } from "../naming";
import type { DockerHost } from "./docker-host";

/** The local daemon's socket: the default of `docker` on Linux and Docker Desktop. */
export const LOCAL_DOCKER_HOST = "unix:///var/run/docker.sock";

export interface LocalHostArgs {
  /** Physical names; the host itself creates nothing named, kept for symmetry with the AWS host. */
  readonly names: Naming;
  /** The Docker endpoint. Default `unix:///var/run/docker.sock`. */
  readonly dockerHost?: string;
}

export class LocalHost extends pulumi.ComponentResource implements DockerHost {
  declare readonly provider: docker.Provider;
  /** Nothing to wait for: the local daemon answers or `pulumi up` fails at the first resource. */
  declare readonly ready: readonly pulumi.Resource[];
  /** Undefined: GitLab keeps its data in named Docker volumes. */
  declare readonly dataPath: string | undefined;
  declare readonly publicAddress: pulumi.Output<string>;
  declare readonly publicDns: pulumi.Output<string>;
  /** Constant: the local daemon is not rebuilt by this program. */
  declare readonly generation: pulumi.Output<string>;
  /** None: the local daemon outlives the stack. */
  declare readonly machine: pulumi.Resource | undefined;
  declare readonly dockerHost: string;

  constructor(name: string, args: LocalHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:LocalHost", name, {}, opts);
    this.dockerHost = args.dockerHost ?? LOCAL_DOCKER_HOST;
    this.provider = new docker.Provider(`${name}-docker`, { host: this.dockerHost }, { parent: this });
    this.ready = [];
    this.dataPath = undefined;
    this.publicAddress = pulumi.output("localhost");
    this.publicDns = pulumi.output("localhost");
    this.generation = pulumi.output("local");
    this.machine = undefined;
    this.registerOutputs({ dockerHost: this.dockerHost });
  }
}
