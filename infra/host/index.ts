/**
 * Picks the host for the stack's target: an EC2 host on AWS, or this machine's Docker daemon.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/types";
import type { Naming } from "../naming";
import type { DockerHost } from "./docker-host";
import { AwsHost } from "./aws/aws-host";
import { LocalHost } from "./local-host";

export type { DockerHost } from "./docker-host";

export interface HostBuild {
  readonly host: DockerHost;
  /** Stack outputs that belong to the host (instance id, the SSM session command, ...). */
  readonly outputs: Readonly<Record<string, pulumi.Input<unknown>>>;
  /** Files the host renders, by name (`user-data.yaml` on AWS). */
  readonly files: Readonly<Record<string, pulumi.Output<string>>>;
  /** On AWS: what other components attach to the host (its role, its instance). */
  readonly aws?: AwsHostAttachments;
}

export interface AwsHostAttachments {
  /** Name of the host's IAM role, for components that grant it more (a policy of their own). */
  readonly roleName: pulumi.Output<string>;
  readonly instanceId: pulumi.Output<string>;
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
