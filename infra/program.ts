/**
 * The program: configuration → host → GitLab → runner → outputs. `infra/entry/index.ts` runs it for
 * `pulumi up`; the offline plan (tools/plan) runs the same function under Pulumi's mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/types";
import { stackWarnings } from "./config/warnings";
import { GitLabDns } from "./dns";
import { GitLabServer } from "./gitlab";
import { createHost } from "./host";
import { naming } from "./naming";
import { GitLabRunner } from "./runner";
import { GitLabTls } from "./tls";
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
  // Warnings (plain HTTP on AWS, Let's Encrypt behind narrowed webCidrs) print with preview and up.
  for (const warning of stackWarnings(config)) void pulumi.log.warn(warning);
  const names = naming(config.team, pulumi.getStack());
  const host = createHost(config, names);
  const tlsMode = config.gitlab.tlsMode;
  const externalHost =
    config.gitlab.externalUrl === undefined ? undefined : new URL(config.gitlab.externalUrl).hostname;

  // selfSigned: the stack CA and GitLab's certificate for the Elastic IP, its DNS name and
  // host.docker.internal (plus the external URL's name, when one is set).
  const tls =
    tlsMode === "selfSigned"
      ? new GitLabTls("gitlab-tls", {
          publicIp: host.host.publicAddress,
          publicDns: host.host.publicDns,
          extraDnsNames: externalHost === undefined ? [] : [externalHost],
          organization: `gitlab-dind ${names.team}`,
        })
      : undefined;

  // An https:// URL with a DNS name: its A record (dns.zoneId) and, with Let's Encrypt, the wait
  // until it resolves, before GitLab first starts.
  const dns =
    config.target === "aws" &&
    externalHost !== undefined &&
    (config.dns.zoneId !== undefined || tlsMode === "letsencrypt")
      ? new GitLabDns("gitlab-dns", {
          hostname: externalHost,
          address: host.host.publicAddress,
          zoneId: config.dns.zoneId,
          waitUntilResolves: tlsMode === "letsencrypt",
          region: config.awsRegion ?? "",
          names,
        })
      : undefined;

  const gitlab = new GitLabServer("gitlab", {
    names,
    target: config.target,
    gitlab: config.gitlab,
    host: host.host,
    keepDataOnDestroy: config.host.keepDataOnDestroy,
    operatorCidrs: config.network.adminCidrs,
    ...(tls === undefined ? {} : { certificate: tls }),
    startAfter: dns?.ready ?? [],
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
      // The stack CA (public): trust it in browsers and git (README, "HTTPS"). Unset without one.
      ...(gitlab.caCertPem === undefined ? {} : { gitlabCaCertificate: gitlab.caCertPem }),
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
