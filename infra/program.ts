/**
 * The program: configuration → upgrade guard → host → GitLab → runner → outputs. `infra/entry/index.ts` runs it for
 * `pulumi up`; the offline plan (tools/plan) runs the same function under Pulumi's mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/types";
import { GitLabServer } from "./gitlab";
import { createHost } from "./host";
import { naming } from "./naming";
import { GitLabRunner } from "./runner";
import { UpgradeGuard } from "./upgrade-guard";
import { CONFIG_TOML_FILE, EXAMPLE_PIPELINE_FILE } from "../runner-config";

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
  // First of all: its check (at preview, against the image in the state) refuses a gitlab.image
  // change that skips a required upgrade stop or downgrades, before anything else is planned.
  const upgradeGuard = new UpgradeGuard("gitlab-upgrade-guard", { image: config.gitlab.image });
  const host = createHost(config, names);

  const gitlab = new GitLabServer("gitlab", {
    names,
    target: config.target,
    gitlab: config.gitlab,
    host: host.host,
    keepDataOnDestroy: config.host.keepDataOnDestroy,
    operatorCidrs: config.network.adminCidrs,
    upgradeGuard,
  });

  // Registers against `gitlab.apiUrl` with `gitlab.adminToken` after `gitlab.ready`; its
  // container reaches GitLab at `gitlab.containerUrl`. Destroyed before GitLab (container, then
  // the registration), so GitLab still answers when the runner is removed from it.
  const runner = new GitLabRunner("runner", { host: host.host, gitlab, config: config.runner, names });

  return {
    outputs: {
      team: names.team,
      target: config.target,
      ...host.outputs,
      // Exported once GitLab answers (its readiness resource exists), not merely once it is configured.
      gitlabUrl: pulumi.all([gitlab.externalUrl, gitlab.ready.id]).apply(([url]) => url),
      rootPassword: gitlab.rootPassword,
      adminToken: gitlab.adminToken,
      sshCloneExample: pulumi.interpolate`git clone ssh://git@${gitlab.sshHost}:${config.gitlab.sshPort}/<group>/<project>.git`,
      runnerId: runner.runnerId,
      runnerTags: runner.tags,
      examplePipeline: runner.examplePipeline,
    },
    files: {
      ...host.files,
      "gitlab.rb": gitlab.gitlabRb,
      [CONFIG_TOML_FILE]: runner.configToml,
      [EXAMPLE_PIPELINE_FILE]: runner.examplePipeline,
    },
  };
}
