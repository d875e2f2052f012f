/**
 * How jobs on a worker reach GitLab. On a worker, `host.docker.internal` and Docker's `host-gateway` are
 * the worker itself, so the autoscaled runner's `url` and `clone_url` name the GitLab host's private
 * address, inside the VPC (the host's security group admits the workers' group on GitLab's ports).
 * - http: the private IP itself, with the HTTP port unless 80.
 * - https: the external URL, whose name jobs map to the private IP (`extra_hosts`), so GitLab's
 *   certificate still matches the name they connect to.
 */
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
    return { url: externalUrl.replace(/\/+$/, ""), extraHosts: [`${url.hostname}:${privateIp}`] };
  }
  return { url: httpPort === 80 ? `http://${privateIp}` : `http://${privateIp}:${httpPort}`, extraHosts: [] };
}
