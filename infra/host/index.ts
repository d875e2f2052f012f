/**
 * Picks the host for the stack's target: an EC2 host on AWS, or this machine's Docker daemon.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/types";
import type { Naming } from "../naming";
import type { DockerHost } from "./docker-host";
import { AwsHost, type AwsHostNetwork } from "./aws/aws-host";
import { LocalHost } from "./local-host";

export type { DockerHost } from "./docker-host";

export interface HostBuild {
  readonly host: DockerHost;
  /** Stack outputs that belong to the host (instance id, the SSM session command, ...). */
  readonly outputs: Readonly<Record<string, pulumi.Input<unknown>>>;
  /** Files the host renders, by name (`user-data.yaml` on AWS). */
  readonly files: Readonly<Record<string, pulumi.Output<string>>>;
  /** On AWS: the host's network, private address, role and instance, for what attaches to it (CI workers, backups); undefined locally. */
  readonly aws?: AwsHostNetwork;
}

export function createHost(config: StackConfig, names: Naming): HostBuild {
  switch (config.target) {
    case "aws":
      return new AwsHost(names.name("host"), { config, names }).build;
    case "local": {
      const host = new LocalHost("local-host", { names });
      return { host, outputs: { dockerHost: host.dockerHost }, files: {} };
    }
  }
}
