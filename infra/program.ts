/**
 * The program: configuration → host → GitLab → runner → outputs. `infra/entry/index.ts` runs it for
 * `pulumi up`; the offline plan (tools/plan) runs the same function under Pulumi's mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/types";
import { GitLabServer } from "./gitlab";
import { createHost } from "./host";
import { naming } from "./naming";
import { GitLabRunner } from "./runner";
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
  const stack = pulumi.getStack();
  const teamWarning = stackTeamWarning(stack, config.team);
  if (teamWarning !== undefined) void pulumi.log.warn(teamWarning);
  const names = naming(config.team, stack);
  const host = createHost(config, names);

  const gitlab = new GitLabServer("gitlab", {
    names,
    target: config.target,
    gitlab: config.gitlab,
    host: host.host,
    keepDataOnDestroy: config.host.keepDataOnDestroy,
    operatorCidrs: config.network.adminCidrs,
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

/**
 * Physical names come from the team, not the stack name. A stack file copied from another team's
 * (`Pulumi.dev.yaml` to `Pulumi.payments.yaml`) and left unedited builds under that team's names,
 * in the same AWS account or on the same Docker daemon. A warning, not a refusal: `prod` or
 * `staging` are fine stack names when the team is right.
 */
export function stackTeamWarning(stack: string, team: string): string | undefined {
  if (stack.toLowerCase().includes(team.toLowerCase())) return undefined;
  return (
    `stack "${stack}" does not contain its team "${team}" (gitlab-dind:team) in its name. ` +
    `Physical names come from the team, not the stack (the SSM parameter /${team}/gitlab-dind/..., ` +
    `the containers ${team}-gitlab and ${team}-runner): if this stack's settings were copied from team ${team}'s ` +
    `stack without changing gitlab-dind:team, it takes team ${team}'s names in the same AWS account or ` +
    `Docker daemon and clashes with that stack. If this stack belongs to another team, run ` +
    `\`pulumi config set gitlab-dind:team <that team> --stack ${stack}\`; if it is team ${team}'s, ` +
    `name the stack after the team (for example ${team}-${stack}) or ignore this warning.`
  );
}
