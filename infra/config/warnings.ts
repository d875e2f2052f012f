/**
 * What a valid configuration still deserves a word about: printed by `pulumi preview`/`up`
 * (`pulumi.log.warn` in the program) and by the offline plan, one line each, naming the key.
 */
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
  return warnings;
}
