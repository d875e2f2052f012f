/**
 * What a valid configuration still deserves a word about: printed by `pulumi preview`/`up`
 * (`pulumi.log.warn` in the program) and by the offline plan, one line each, naming the key.
 */
import { isIpHost } from "../url-host";
import { runnerVersionWarning } from "./runner-version";
import { NAMESPACE } from "./schema";
import type { StackConfig } from "./types";

const WHOLE_INTERNET = "0.0.0.0/0";

export function stackWarnings(config: StackConfig): string[] {
  const warnings: string[] = [];
  // On every target: the runner's version in step with GitLab's.
  const runnerWarning = runnerVersionWarning(config.gitlab.image, config.runner.image);
  if (runnerWarning !== undefined) warnings.push(runnerWarning);
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
  return warnings;
}

/**
 * Jobs on autoscaled workers reach GitLab at the host's private address (extra_hosts maps GitLab's
 * DNS name there), but `$CI_REGISTRY` is registry_external_url's `host:port`: with GitLab at an IP
 * address that is the Elastic IP, which no /etc/hosts entry can remap. A worker's DinD daemon then
 * reaches the registry through the Elastic IP from the worker's public address, which narrowed
 * webCidrs drop: `docker login`/`push` in jobs time out.
 */
function workerRegistryWarning(config: StackConfig): string | undefined {
  const { gitlab } = config;
  if (!config.runner.autoscaler.enabled || gitlab.registryPort === 0) return undefined;
  if (config.network.webCidrs.includes(WHOLE_INTERNET)) return undefined;
  const host = gitlab.externalUrl === undefined ? undefined : new URL(gitlab.externalUrl).hostname;
  if (host !== undefined && !isIpHost(host)) return undefined;
  const registry = `${host ?? "<Elastic IP>"}:${gitlab.registryPort}`;
  return (
    `${NAMESPACE}:network.webCidrs does not include ${WHOLE_INTERNET}, and jobs run on autoscaled workers (${NAMESPACE}:runner.autoscaler.enabled) while GitLab is at an IP address (${NAMESPACE}:gitlab.externalUrl ${host === undefined ? "unset" : JSON.stringify(gitlab.externalUrl)}): ` +
    `jobs get $CI_REGISTRY = ${registry}, which a worker reaches only through the Elastic IP from its public address, so \`docker login\`/\`push\` in jobs fail with "dial tcp ${registry}: i/o timeout". ` +
    `Set gitlab.externalUrl to an https:// URL with a DNS name (jobs on workers then reach the registry at the host's private address), keep network.webCidrs at ${WHOLE_INTERNET}, or turn the registry off (gitlab.registryPort: 0). See docs/pitfalls.md.`
  );
}
