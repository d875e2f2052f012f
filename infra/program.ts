/**
 * The program: configuration → host → GitLab → runner → outputs. `infra/index.ts` runs it for
 * `pulumi up`; the offline plan (tools/plan) runs the same function under Pulumi's mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/types";
import { createHost } from "./host";
import { naming } from "./naming";

export interface StackBuild {
  /** The stack outputs, as `pulumi stack output` shows them. */
  readonly outputs: Readonly<Record<string, pulumi.Input<unknown>>>;
  /**
   * Every file the stack renders, by file name (`config.toml`, `gitlab.rb`,
   * `gitlab-ci.example.yml`, `user-data.yaml`), for the offline plan to write out.
   */
  readonly files: Readonly<Record<string, pulumi.Output<string>>>;
}

export function buildStack(config: StackConfig): StackBuild {
  const names = naming(config.team, pulumi.getStack());
  const host = createHost(config, names);
  return {
    outputs: {
      team: names.team,
      target: config.target,
      ...host.outputs,
    },
    files: { ...host.files },
  };
}
