/**
 * What a valid configuration still deserves a word about: printed by `pulumi preview`/`up`
 * (`pulumi.log.warn` in the program) and by the offline plan, one line each, naming the key.
 */
import { isIpHost } from "../url-host";
import { runnerVersionWarning } from "./runner-version";
import {
  GITLAB_BASELINE_MEMORY_GIB,
  GITLAB_MINIMUM_MEMORY_GIB,
  instanceTypeFacts,
  isBurstableFamily,
  nearestInstanceType,
  sdkListsInstanceType,
} from "./instance-types";
import { DEFAULT_INSTANCE_TYPE, NAMESPACE } from "./schema";
import { BACKUP_AGE_MARGIN_HOURS, MAX_BACKUP_GAP_HOURS, backupGapHours } from "../alarms/backup-age";
import type { StackConfig } from "./types";
import { unusedOmnibusSecrets } from "../omnibus/omnibus-settings";

const WHOLE_INTERNET = "0.0.0.0/0";

/** A secret of gitlab.omnibusSecrets that gitlab.omnibus never uses (a typo on either side, or one left behind). */
function omnibusSecretWarnings(config: StackConfig): string[] {
  return unusedOmnibusSecrets(config.gitlab.omnibus, Object.keys(config.gitlab.omnibusSecrets)).map(
    (name) =>
      `${NAMESPACE}:gitlab.omnibusSecrets.${name} is not used: no { secret: ${name} } in gitlab.omnibus, so GitLab never reads it; reference it or remove it with \`pulumi config rm --path 'gitlab.omnibusSecrets.${name}'\`.`,
  );
}

export function stackWarnings(config: StackConfig): string[] {
  const warnings: string[] = [];
  // On every target: the runner's version in step with GitLab's.
  const runnerWarning = runnerVersionWarning(config.gitlab.image, config.runner.image);
  if (runnerWarning !== undefined) warnings.push(runnerWarning);
  warnings.push(...omnibusSecretWarnings(config));
  if (config.target !== "aws") return warnings;
  const { gitlab } = config;
  if (gitlab.tlsMode === "off") {
    const key = gitlab.externalUrl !== undefined ? "gitlab.externalUrl" : "gitlab.tls";
    const given = gitlab.externalUrl !== undefined ? JSON.stringify(gitlab.externalUrl) : '"off"';
    warnings.push(
      `${NAMESPACE}:${key} is ${given}: GitLab's traffic is plain HTTP — root's password, the admin API token \`pulumi up\` sends, every login and every git over HTTP cross the network unencrypted. Unset gitlab.externalUrl (and gitlab.tls) for https with the stack CA, or use an https:// URL with a DNS name for Let's Encrypt.`,
    );
  }
  if (gitlab.tlsMode === "letsencrypt" && !config.network.webCidrs.includes(WHOLE_INTERNET)) {
    warnings.push(
      `${NAMESPACE}:network.webCidrs does not include ${WHOLE_INTERNET}: Let's Encrypt's HTTP-01 challenge reaches port 80 from addresses it does not publish, so the first certificate and every renewal fail (and GitLab's container, whose start runs reconfigure, stops) unless port 80 is open to the internet.`,
    );
  }
  const registryWarning = workerRegistryWarning(config);
  if (registryWarning !== undefined) warnings.push(registryWarning);
  warnings.push(...instanceTypeWarnings(config));
  if (gitlab.tlsMode === "letsencrypt" && config.dns.zoneId === undefined && gitlab.externalUrl !== undefined) {
    const host = new URL(gitlab.externalUrl).hostname;
    warnings.push(
      `${NAMESPACE}:dns.zoneId is not set with the Let's Encrypt URL ${gitlab.externalUrl}: the A record of ${host} is yours to create, pointing at the stack's Elastic IP (output publicIp), before \`pulumi up\` waits for the name to resolve (GitLab does not start until it does). Set dns.zoneId to a Route53 hosted zone that holds ${host} to have the stack create it.`,
    );
  }
  warnings.push(...alarmWarnings(config));
  return warnings;
}

/**
 * What the alarms (infra/alarms) deserve a word about: email subscriptions wait for their
 * confirmation; a backup schedule whose longest gap is over 7 days (a failed backup is noticed
 * only after more than a week) or that has no regular gap (no freshness alarm). (A host type
 * without the recover action shows in the plan: its recovery alarm has no action.)
 */
export function alarmWarnings(config: StackConfig): string[] {
  const warnings: string[] = [];
  if (config.target !== "aws") return warnings;
  if (config.alerts.email.length > 0) {
    warnings.push(
      `${NAMESPACE}:alerts.email: AWS mails each address (${config.alerts.email.join(", ")}) a subscription confirmation from SNS after \`pulumi up\`; no alarm reaches an address until its link is followed (the stack output alarmTopic names the topic; pending subscriptions show in the SNS console).`,
    );
  }
  if (config.backup.enabled) {
    const gap = backupGapHours(config.backup.schedule);
    if (gap === undefined) {
      warnings.push(
        `${NAMESPACE}:backup.schedule ${JSON.stringify(config.backup.schedule)} does not repeat regularly: the stack has no backup-freshness alarm. Use a repeating expression such as "*-*-* 02:30:00 UTC".`,
      );
    } else if (gap > MAX_BACKUP_GAP_HOURS) {
      warnings.push(
        `${NAMESPACE}:backup.schedule ${JSON.stringify(config.backup.schedule)} leaves up to ${gap} hours between backups, over 7 days: the backup-freshness alarm fires only ${gap + BACKUP_AGE_MARGIN_HOURS} hours after the last good backup, so a failing backup goes unnoticed for over a week. A daily schedule is what GitLab's backup docs assume.`,
      );
    }
  }
  return warnings;
}

/**
 * The instance types deserve a word about: a well-formed type the pinned SDK does not list
 * (it lags new families; EC2 decides at launch), and for the GitLab host, memory under GitLab's
 * 16 GB baseline, a burstable family, or a type whose memory the vendored table does not know.
 */
function instanceTypeWarnings(config: StackConfig): string[] {
  const warnings: string[] = [];
  const notListed = (key: string, type: string): string =>
    `${NAMESPACE}:${key} ${type} is not an instance type the pinned @pulumi/aws lists (its list lags new families): if EC2 has no such type, \`pulumi up\` fails when it launches the instance${nearestInstanceType(type) === undefined ? "" : `; the nearest listed type is ${nearestInstanceType(type)}`}.`;
  const host = config.host.instanceType;
  const facts = instanceTypeFacts(host);
  if (!sdkListsInstanceType(host)) warnings.push(notListed("host.instanceType", host));
  else if (facts === undefined) {
    warnings.push(
      `${NAMESPACE}:host.instanceType ${host}: its memory is not in this project's table of instance types (infra/config/instance-types.ts), so it was not checked; GitLab wants ${GITLAB_BASELINE_MEMORY_GIB} GB (at least ${GITLAB_MINIMUM_MEMORY_GIB} GB).`,
    );
  } else if (facts.memoryGiB < GITLAB_BASELINE_MEMORY_GIB) {
    warnings.push(
      `${NAMESPACE}:host.instanceType ${host} has ${facts.memoryGiB} GiB of memory, under GitLab's ${GITLAB_BASELINE_MEMORY_GIB} GB baseline (https://docs.gitlab.com/install/requirements/): GitLab runs, but slowly and close to running out of memory; ${DEFAULT_INSTANCE_TYPE} has 16 GiB.`,
    );
  }
  if (isBurstableFamily(host)) {
    warnings.push(
      `${NAMESPACE}:host.instanceType ${host} is a burstable type: once its CPU credits run out it is throttled to a fraction of a core, and GitLab's requirements page does not recommend burstable types; ${DEFAULT_INSTANCE_TYPE} is not burstable.`,
    );
  }
  if (config.runner.autoscaler.enabled && !sdkListsInstanceType(config.runner.autoscaler.instanceType)) {
    warnings.push(notListed("runner.autoscaler.instanceType", config.runner.autoscaler.instanceType));
  }
  return warnings;
}

/**
 * `$CI_REGISTRY` is registry_external_url's `host:port`: with GitLab at an IP address that is the
 * Elastic IP, which no /etc/hosts entry can remap. A job's DinD daemon then reaches the registry
 * through the internet gateway: from a worker's public address on autoscaled workers, from the
 * Elastic IP itself on the host (AWS routes an instance's traffic to its own public address out
 * and back in). Narrowed webCidrs drop both: `docker login`/`push` in jobs time out.
 */
function workerRegistryWarning(config: StackConfig): string | undefined {
  const { gitlab } = config;
  if (gitlab.registryPort === 0) return undefined;
  if (config.network.webCidrs.includes(WHOLE_INTERNET)) return undefined;
  const host = gitlab.externalUrl === undefined ? undefined : new URL(gitlab.externalUrl).hostname;
  if (host !== undefined && !isIpHost(host)) return undefined;
  const registry = `${host ?? "<Elastic IP>"}:${gitlab.registryPort}`;
  const where = config.runner.autoscaler.enabled
    ? `jobs run on autoscaled workers (${NAMESPACE}:runner.autoscaler.enabled), which reach it only through the Elastic IP from their public addresses`
    : `jobs on the host reach it through the internet gateway, arriving from the Elastic IP itself`;
  return (
    `${NAMESPACE}:network.webCidrs does not include ${WHOLE_INTERNET}, and GitLab is at an IP address (${NAMESPACE}:gitlab.externalUrl ${host === undefined ? "unset" : JSON.stringify(gitlab.externalUrl)}): ` +
    `jobs get $CI_REGISTRY = ${registry}, and ${where}, so \`docker login\`/\`push\` in jobs fail with "dial tcp ${registry}: i/o timeout". ` +
    `Set gitlab.externalUrl to an https:// URL with a DNS name (jobs then reach the registry at the host's private address), keep network.webCidrs at ${WHOLE_INTERNET}${config.runner.autoscaler.enabled ? "" : " (or add the Elastic IP, output publicIp, as a /32)"}, or turn the registry off (gitlab.registryPort: 0). See docs/pitfalls.md.`
  );
}
