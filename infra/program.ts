/**
 * The program: configuration → upgrade guard → host → (pull-through cache) → GitLab → runner → outputs. `infra/entry/index.ts` runs it for
 * `pulumi up`; the offline plan (tools/plan) runs the same function under Pulumi's mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { hostMonitoring, stackAlarms } from "./alarms";
import { createBackups } from "./backup";
import { rdsDatabase } from "./database";
import { grantHostRole, stackPartsOf, type Contribution } from "./contributions";
import { omnibusSettings } from "./omnibus";
import type { StackConfig } from "./config/types";
import { stackWarnings } from "./config/warnings";
import { GitLabDns } from "./dns";
import { email } from "./email";
import { GitLabServer } from "./gitlab";
import { createHost } from "./host";
import { HOST_GATEWAY_NAME } from "./host/docker-host";
import { DockerHubMirror } from "./mirror";
import { naming } from "./naming";
import { objectStorage } from "./object-storage";
import { elastiCacheRedis } from "./redis";
import { dataLocationGuard } from "./data-location-guard";
import { GitLabRunner, type RunnerAutoscaling } from "./runner";
import { runnerCache } from "./runner-cache";
import { RunnerWorkers, WORKER_GITLAB_NAME, workerAccess } from "./autoscaler";
import { HTTPS_PORT } from "./host/aws/network";
import { JobDockerConfig, registryCaFile } from "./job-docker";
import { GitLabTls } from "./tls";
import { GitLabDeployedVersion, UpgradeGuard } from "./upgrade-guard";
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

/** The CI workers' cloud-init, as the offline plan writes it. */
export const WORKER_USER_DATA_FILE = "worker-user-data.yaml";

export function buildStack(config: StackConfig): StackBuild {
  const stack = pulumi.getStack();
  // Warnings (a stack name without its team; plain HTTP on AWS; Let's Encrypt behind narrowed
  // webCidrs) print with preview and up.
  const teamWarning = stackTeamWarning(stack, config.team);
  if (teamWarning !== undefined) void pulumi.log.warn(teamWarning);
  for (const warning of stackWarnings(config)) void pulumi.log.warn(warning);
  const names = naming(config.team, stack);
  // First of all: its check (at preview, against the image in the state) refuses a gitlab.image
  // change that skips a required upgrade stop or downgrades, before anything else is planned.
  const upgradeGuard = new UpgradeGuard("gitlab-upgrade-guard", { image: config.gitlab.image });
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
          extraDnsNames: [
            ...(externalHost === undefined ? [] : [externalHost]),
            // Jobs on the CI workers reach GitLab by this name (mapped to the host's private address).
            ...(config.runner.autoscaler.enabled ? [WORKER_GITLAB_NAME] : []),
          ],
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

  // Docker Hub pull-through cache on the host, which every job's DinD daemon pulls through.
  const mirror = config.mirror.enabled
    ? new DockerHubMirror("mirror", {
        host: host.host,
        config: config.mirror,
        names,
        // On aws the host daemon pulls job and service images through it too (cloud-init's daemon.json).
        publishOnLoopback: config.target === "aws",
        // Autoscaled CI workers reach it at the host's private address (their security group only).
        ...(config.runner.autoscaler.enabled && host.aws !== undefined ? { privateAddress: host.aws.privateIp } : {}),
      })
    : undefined;

  // The runner's shared S3 cache (runner.cache.type s3): its bucket goes to the runner's config.toml.
  const sharedCache = runnerCache(config, names, host.aws);
  // What each capability adds to GitLab (gitlab.rb settings, root-only files, what it starts after),
  // to the host's role (one inline policy each), to the alarms and to the outputs, in one shape
  // (infra/contributions.ts). One line per capability, each built from the config and the host.
  const contributions: Contribution[] = [
    // First: its check refuses moving data back onto the box before anything else changes.
    dataLocationGuard(config),
    objectStorage(config, names, host),
    rdsDatabase(config, names, host),
    elastiCacheRedis(config, names, host.aws),
    email(config, names, host),
    // The host's measurements for the alarms (CloudWatch agent, probes) and their metric permission.
    hostMonitoring(config, names, host),
    sharedCache.contribution,
    // Last: the team's own gitlab.rb settings (gitlab.omnibus), after everything the program sets.
    omnibusSettings(config),
  ];
  const hostGrants = grantHostRole(names.name("host"), host.aws, contributions);

  const gitlab = new GitLabServer("gitlab", {
    names,
    target: config.target,
    gitlab: config.gitlab,
    host: host.host,
    keepDataOnDestroy: config.host.keepDataOnDestroy,
    operatorCidrs: config.network.adminCidrs,
    ...(tls === undefined ? {} : { certificate: tls }),
    // GitLab's first boot uses the role's grants (object storage through the instance profile).
    startAfter: [...(dns?.ready ?? []), ...hostGrants],
    upgradeGuard,
    contributions,
  });

  // The version GitLab runs, recorded once its container runs the image (dependsOn: a tag that fails
  // to pull never gets a container, and is never recorded). Not after readiness: GitLab migrates its
  // database as soon as the new container starts, so a readiness wait that then fails must not leave
  // the older version recorded (going back to it would be allowed). At preview its check refuses a
  // gitlab.image that skips a stop or goes back.
  new GitLabDeployedVersion(
    "gitlab-deployed-version",
    { image: config.gitlab.image },
    { dependsOn: [gitlab.container] },
  );
  // The stack CA for GitLab's registry where every job's DinD daemon looks for it (certs.d), so jobs
  // push to `$CI_REGISTRY`. None with Let's Encrypt (public roots) or without a registry.
  const registryCa =
    tls !== undefined && config.gitlab.registryPort !== 0
      ? [registryCaFile(gitlab.externalUrl, config.gitlab.registryPort, tls.caCertPem)]
      : [];

  // With runner.autoscaler.enabled (AWS only; the config refuses it locally), jobs run on throw-away
  // EC2 workers and the runner container becomes their manager. Off, none of this exists.
  let autoscaler: RunnerAutoscaling | undefined;
  let workers: RunnerWorkers | undefined;
  if (config.runner.autoscaler.enabled) {
    if (host.aws === undefined) throw new Error("runner.autoscaler.enabled needs the aws target");
    const awsHost = host.aws;
    workers = new RunnerWorkers("ci-workers", {
      settings: config.runner.autoscaler,
      host: awsHost,
      gitlabPorts: [
        config.gitlab.httpPort,
        // 443 only when GitLab serves TLS (the host publishes it only then).
        ...(config.gitlab.tlsMode !== "off" ? [HTTPS_PORT] : []),
        ...(config.gitlab.registryPort !== 0 ? [config.gitlab.registryPort] : []),
      ],
      // The workers' daemons and their jobs' DinD daemons pull through the cache on the host.
      ...(mirror !== undefined ? { mirrorPort: config.mirror.port } : {}),
      // Their user data writes these under /etc/docker, for their daemons and their jobs' DinD daemons.
      dockerFiles: registryCa,
      names,
    });
    const access = pulumi
      .all([gitlab.externalUrl, awsHost.privateIp])
      .apply(([url, privateIp]) => workerAccess(url, config.gitlab.httpPort, privateIp));
    autoscaler = {
      settings: config.runner.autoscaler,
      autoScalingGroupName: workers.autoScalingGroupName,
      region: awsHost.region,
      workerUrl: access.url,
      workerExtraHosts: access.extraHosts,
      // Created after, and on destroy deleted before, the manager's policy and the group (infra/runner).
      dependsOn: [workers.managerPolicy, workers.group],
    };
  }

  // Jobs on the host: their /etc/docker files (the cache's daemon.json, the registry's CA) in a volume.
  const hostJobFiles = [...(mirror?.jobDockerFiles ?? []), ...registryCa];
  const jobDocker =
    autoscaler === undefined && hostJobFiles.length > 0
      ? new JobDockerConfig("job-docker", { host: host.host, names, files: hostJobFiles, image: config.runner.image })
      : undefined;

  // Registers against `gitlab.apiUrl` with `gitlab.adminToken` after `gitlab.ready`; its
  // container reaches GitLab at `gitlab.containerUrl`. Destroyed before GitLab (container, then
  // the registration), so GitLab still answers when the runner is removed from it.
  const runner = new GitLabRunner("runner", {
    host: host.host,
    gitlab,
    config: config.runner,
    names,
    // The example pipeline's registry round trip, where a job's DinD daemon can reach the registry
    // over https it trusts: on aws with TLS. Locally `$CI_REGISTRY` is localhost:<port>, which inside
    // the dind service is the service itself; with plain http the daemon refuses a non-TLS registry.
    registry: config.gitlab.registryPort !== 0 && config.target === "aws" && config.gitlab.tlsMode !== "off",
    ...(autoscaler !== undefined ? { autoscaler } : {}),
    // Unset with the local cache.
    cache: sharedCache.cache,
    // /etc/docker in every job and service container: the host's volume, or the workers' directory.
    jobVolumes: [...(jobDocker !== undefined ? [jobDocker.jobVolume] : []), ...(workers?.jobVolumes ?? [])],
    // The name the host's DinD daemons reach the cache by (already mapped when GitLab is at it).
    ...(mirror !== undefined && autoscaler === undefined ? { jobGatewayHosts: [HOST_GATEWAY_NAME] } : {}),
  });

  // Backups of GitLab: on AWS a bucket, the host role's access to it and a timer on the host.
  const backups = createBackups(config, names, host, gitlab);
  // Every alarm (the contributions' and the host's recovery), with its topic (infra/alarms); AWS only.
  const alarms = stackAlarms(config, names, host, contributions, workers, [gitlab.ready]);
  const contributed = stackPartsOf([...contributions, alarms]);

  return {
    outputs: {
      team: names.team,
      target: config.target,
      ...host.outputs,
      // Exported once GitLab answers (its readiness resource exists), not merely once it is configured.
      gitlabUrl: pulumi.all([gitlab.externalUrl, gitlab.ready.id]).apply(([url]) => url),
      // The stack CA (public): trust it in browsers and git (README, "HTTPS"). Unset without one.
      ...(gitlab.caCertPem === undefined ? {} : { gitlabCaCertificate: gitlab.caCertPem }),
      // When GitLab's certificate from the stack CA expires (public; renewed by `pulumi up` in its last 14 days).
      ...(tls === undefined ? {} : { gitlabCertificateExpiry: tls.certificateExpiry }),
      rootPassword: gitlab.rootPassword,
      adminToken: gitlab.adminToken,
      sshCloneExample: pulumi.interpolate`git clone ssh://git@${gitlab.sshHost}:${config.gitlab.sshPort}/<group>/<project>.git`,
      runnerId: runner.runnerId,
      runnerTags: runner.tags,
      examplePipeline: runner.examplePipeline,
      ...(mirror !== undefined ? { dockerHubMirror: mirror.mirrorUrl } : {}),
      ...(workers !== undefined ? { ciWorkersAutoScalingGroup: workers.autoScalingGroupName } : {}),
      ...backups.outputs,
      ...contributed.outputs,
    },
    files: {
      ...(workers !== undefined ? { [WORKER_USER_DATA_FILE]: workers.userData } : {}),
      ...host.files,
      ...backups.files,
      ...contributed.files,
      "gitlab.rb": gitlab.gitlabRb,
      [CONFIG_TOML_FILE]: runner.configToml,
      [EXAMPLE_PIPELINE_FILE]: runner.examplePipeline,
      ...(mirror !== undefined ? { "dind-daemon.json": mirror.dindDaemonJson } : {}),
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
