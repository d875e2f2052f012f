/**
 * The Docker daemon settings that point a daemon at the stack's Docker Hub pull-through cache:
 * pure functions of plain values, rendered as JSON (never string-templated).
 *
 * The cache speaks plain HTTP. It is published on the Docker bridge's gateway address only (and,
 * on aws, the host's loopback; with autoscaled CI workers also the host's private address, which
 * the host's security group admits from the workers' group only), so its traffic never leaves the
 * host or, for the workers, the stack's VPC; Docker checks what it
 * pulls by digest against the manifest, which the cache fetched from Docker Hub over TLS. A TLS
 * mirror would need the daemon in every job to trust a stack CA under /etc/docker/certs.d, which
 * the `local` target has no way to give it. dockerd talks plain HTTP to a registry only when it is
 * listed in `insecure-registries` (loopback is always on that list), hence that entry.
 */
import { HOST_GATEWAY_NAME } from "../host/docker-host";

/** Where dockerd reads its settings, in the DinD image as on the host. */
export const DAEMON_JSON_PATH = "/etc/docker/daemon.json";

/** The part of daemon.json this project writes. */
export interface MirrorDaemonSettings {
  readonly "registry-mirrors": readonly string[];
  readonly "insecure-registries": readonly string[];
}

/** The settings for a daemon that reaches the cache at `host:port` over plain HTTP. */
export function mirrorDaemonSettings(host: string, port: number): MirrorDaemonSettings {
  if (!/^[A-Za-z0-9.-]+$/.test(host))
    throw new Error(`mirror host: expected a host name or IPv4 address; got ${JSON.stringify(host)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`mirror port: expected a TCP port; got ${port}`);
  // A mirror URL must be the root of the registry (no path): Distribution's "mirror" recipe.
  return { "registry-mirrors": [`http://${host}:${port}`], "insecure-registries": [`${host}:${port}`] };
}

/** daemon.json (pretty-printed, newline-terminated) for a daemon that reaches the cache at `host:port`. */
export function mirrorDaemonJson(host: string, port: number): string {
  return `${JSON.stringify(mirrorDaemonSettings(host, port), null, 2)}\n`;
}

/**
 * daemon.json of every job's DinD service: the cache at host.docker.internal, which the runner
 * maps to the host's gateway in every job and service container (`extra_hosts`).
 */
export function dindDaemonJson(port: number): string {
  return mirrorDaemonJson(HOST_GATEWAY_NAME, port);
}

/** daemon.json of the aws host's own daemon (the job and service images the runner pulls): loopback. */
export function hostDaemonJson(port: number): string {
  return mirrorDaemonJson("127.0.0.1", port);
}
