/**
 * How jobs on a worker reach GitLab. On a worker, `host.docker.internal` and Docker's `host-gateway` are
 * the worker itself, so the autoscaled runner's `url` and `clone_url` name the GitLab host's private
 * address, inside the VPC (the host's security group admits the workers' group on GitLab's ports).
 * - http: the private IP itself, with the HTTP port unless 80.
 * - https with a DNS name (Let's Encrypt): the external URL, whose name jobs map to the private IP
 *   (`extra_hosts`), so GitLab's certificate still matches the name they connect to.
 * - https to an IP address (the stack CA): `https://gitlab-dind.internal`, a name of this project's
 *   that the stack CA's certificate carries when the autoscaler is on, mapped to the private IP. An
 *   IP cannot be remapped by /etc/hosts, and the private IP is not in the certificate.
 */
import { isIpHost } from "../url-host";

/** The name jobs on workers reach GitLab by with the stack CA (`.internal` is reserved for private use). */
export const WORKER_GITLAB_NAME = "gitlab-dind.internal";
export interface WorkerAccess {
  /** config.toml's `url` and `clone_url` for the autoscaled runner. */
  readonly url: string;
  /** `[runners.docker] extra_hosts` entries: `name:private-ip`, or none. */
  readonly extraHosts: readonly string[];
}

export function workerAccess(externalUrl: string, httpPort: number, privateIp: string): WorkerAccess {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(privateIp)) {
    throw new Error(`worker access: expected the GitLab host's private IPv4 address; got ${JSON.stringify(privateIp)}`);
  }
  const url = new URL(externalUrl);
  if (url.protocol === "https:") {
    if (isIpHost(url.hostname)) {
      return { url: `https://${WORKER_GITLAB_NAME}`, extraHosts: [`${WORKER_GITLAB_NAME}:${privateIp}`] };
    }
    return { url: externalUrl.replace(/\/+$/, ""), extraHosts: [`${url.hostname}:${privateIp}`] };
  }
  return { url: httpPort === 80 ? `http://${privateIp}` : `http://${privateIp}:${httpPort}`, extraHosts: [] };
}
