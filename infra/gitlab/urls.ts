/**
 * GitLab's addresses: the external URL, the registry URL, the container's host name, and who may
 * read the monitoring endpoints. Pure functions (plus one Output helper).
 */
import { isIpHost } from "../url-host";
import * as pulumi from "@pulumi/pulumi";
import type { Target, TlsMode } from "../config/types";
import { HOST_GATEWAY_NAME } from "../host/docker-host";

/**
 * Without `gitlab.externalUrl`: `https://<host's public address>` on AWS (a certificate from the stack
 * CA), `http://<address>` (with the port unless 80) when TLS is off there, `http://localhost:<port>` locally.
 */
export function defaultExternalUrl(
  target: Target,
  publicAddress: pulumi.Input<string>,
  httpPort: number,
  tlsMode: TlsMode,
): pulumi.Output<string> {
  if (target === "local") return pulumi.output(`http://localhost:${httpPort}`);
  return pulumi
    .output(publicAddress)
    .apply((address) =>
      tlsMode === "off" ? withPort(`http://${bracketIPv6(address)}`, httpPort, 80) : `https://${bracketIPv6(address)}`,
    );
}

/** How containers on the host (the runner, its job and helper containers) reach GitLab. */
export interface ContainerAccess {
  /** The URL they use: config.toml's `url` and `clone_url`. */
  readonly url: string;
  /** The host name in it, which their /etc/hosts maps to the Docker host's gateway (`host-gateway`). */
  readonly hostName: string;
}

/**
 * Every job runs on a network of its own, so containers reach GitLab through the Docker host's
 * gateway and GitLab's published ports. Over plain HTTP that is `host.docker.internal:<httpPort>`;
 * with the stack CA `https://host.docker.internal` (a name its certificate carries); with Let's
 * Encrypt the external URL itself, its host name mapped to the gateway, so that the certificate
 * matches the name (and no HTTP-to-HTTPS redirect sends them elsewhere).
 */
export function containerAccess(externalUrl: string, httpPort: number, tlsMode: TlsMode): ContainerAccess {
  const url = new URL(externalUrl);
  if (tlsMode === "selfSigned") return { url: `https://${HOST_GATEWAY_NAME}`, hostName: HOST_GATEWAY_NAME };
  if (url.protocol === "https:") return { url: externalUrl.replace(/\/+$/, ""), hostName: url.hostname };
  return { url: `http://${HOST_GATEWAY_NAME}:${httpPort}`, hostName: HOST_GATEWAY_NAME };
}

/** The registry's external URL on the external URL's host and scheme, or undefined when off (port 0). */
export function registryUrl(externalUrl: string, registryPort: number): string | undefined {
  if (registryPort === 0) return undefined;
  const url = new URL(externalUrl);
  return `${url.protocol}//${url.hostname}:${registryPort}`;
}

/**
 * The container's host name: the external URL's DNS name, except `localhost` and IP addresses,
 * which would make the container's /etc/hosts map them to its own network address; those get
 * the container name.
 */
export function containerHostname(externalUrl: string, containerName: string): string {
  const host = new URL(externalUrl).hostname;
  return host === "localhost" || isIpHost(host) ? containerName : host;
}

/**
 * Who may read `/-/health` and `/-/readiness`: the container itself; locally, the Docker
 * networks' private ranges (requests to a published port arrive from the network's gateway);
 * on AWS, the operators' CIDRs, from where `pulumi up` waits on GitLab.
 */
export function monitoringAllowlist(target: Target, operatorCidrs: readonly string[]): string[] {
  const loopback = ["127.0.0.0/8", "::1/128"];
  if (target === "local") return [...loopback, "172.16.0.0/12", "192.168.0.0/16", "10.0.0.0/8"];
  return [...loopback, ...operatorCidrs];
}

function withPort(base: string, port: number, defaultPort: number): string {
  return port === defaultPort ? base : `${base}:${port}`;
}

function bracketIPv6(address: string): string {
  return address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
}
