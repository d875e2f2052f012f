/**
 * Alarms of an AWS stack (infra/alarms): the host's own measurements (`hostMonitoring`, a
 * contribution: the CloudWatch agent and probes, their metric permission and alarms) and every
 * alarm with its topic (`StackAlarms`, built once every contribution exists). The local target
 * has none of it.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/types";
import type { Contribution } from "../contributions";
import type { HostBuild } from "../host";
import type { Naming } from "../naming";
import { HostMonitoring } from "./host-monitoring";
import { StackAlarms } from "./stack-alarms";

export { HostMonitoring, metricNamespace, metricStatements, hostAlarmSpecs } from "./host-monitoring";
export { StackAlarms, recoverySpec, instanceStatusSpec, ciCapacitySpec } from "./stack-alarms";

/** The host's measurements and their alarms, as a contribution; `{ name }` (nothing) locally. */
export function hostMonitoring(config: StackConfig, names: Naming, host: HostBuild): Contribution {
  if (config.target !== "aws" || host.aws === undefined) return { name: "alarms-host" };
  const dataPath = host.host.dataPath;
  if (dataPath === undefined) throw new Error("hostMonitoring: the AWS host has no data path");
  const externalHost =
    config.gitlab.externalUrl === undefined ? undefined : new URL(config.gitlab.externalUrl).hostname;
  return new HostMonitoring(names.name("monitoring"), {
    names,
    alerts: config.alerts,
    host: host.aws,
    dataPath,
    // GitLabServer names its container so (infra/gitlab/gitlab-server.ts).
    gitlabContainer: names.name("gitlab"),
    tls: config.gitlab.tlsMode === "off" ? undefined : config.gitlab.tlsMode,
    tlsServerName: externalHost ?? host.host.publicDns,
    backupSchedule: config.backup.enabled ? config.backup.schedule : undefined,
    hostReady: [...host.host.ready],
  }).contribution;
}

/**
 * Every alarm of an AWS stack with its topic, as a contribution (its outputs); `{ name }` locally.
 * Called once every contribution exists (their `alarms`), and after the CI workers' group.
 */
export function stackAlarms(
  config: StackConfig,
  names: Naming,
  host: HostBuild,
  contributions: readonly Contribution[],
  workers: { readonly autoScalingGroupName: pulumi.Input<string> } | undefined,
  gitlabReady: readonly pulumi.Resource[] = [],
): Contribution {
  if (config.target !== "aws" || host.aws === undefined) return { name: "alarms" };
  return new StackAlarms("alarms", {
    names,
    alerts: config.alerts,
    host: host.aws,
    instanceType: config.host.instanceType,
    contributions,
    gitlabReady,
    ...(workers === undefined
      ? {}
      : {
          ciWorkers: {
            autoScalingGroupName: workers.autoScalingGroupName,
            maxInstances: config.runner.autoscaler.maxInstances,
          },
        }),
  }).contribution;
}
