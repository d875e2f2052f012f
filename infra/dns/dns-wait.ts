/**
 * Waits until a DNS name resolves to an address: GitLab's container must not start with Let's
 * Encrypt before its name points at the host, or the ACME challenge fails, `reconfigure` (run under
 * `set -e` at every container start, docker/assets/init-container) exits, and the container
 * crash-loops. Dependency-free (Node's `dns`, required inside the function), so the dynamic provider
 * (dns-wait-provider.ts) can capture it.
 */
import type * as dnsModule from "node:dns";

export interface WaitForDnsOptions {
  /** The name, e.g. `gitlab.example.com`. */
  readonly hostname: string;
  /** The IPv4 address it must resolve to (the Elastic IP). */
  readonly address: string;
  /** Overall bound. */
  readonly timeoutMs: number;
  /** Pause between lookups. Default 10000. */
  readonly pollMs?: number;
  /** Minimum time between progress lines. Default 30000. */
  readonly progressEveryMs?: number;
  readonly onProgress?: (message: string) => void;
  /** A-record lookup. Default: Node's `dns.promises.resolve4` (the system's resolver configuration). */
  readonly resolve4?: (hostname: string) => Promise<string[]>;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export async function waitForDns(o: WaitForDnsOptions): Promise<{ readonly lookups: number }> {
  const pollMs = o.pollMs ?? 10_000;
  const progressEveryMs = o.progressEveryMs ?? 30_000;
  const now = o.now ?? (() => Date.now());
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const progress = o.onProgress ?? (() => undefined);
  const resolve4 =
    o.resolve4 ??
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- required inside: the serialized provider loads Node's own module
    ((name: string) => (require("node:dns") as typeof dnsModule).promises.resolve4(name));
  const startedAt = now();
  let lastReportAt = -Infinity;
  let last = "no answer yet";
  progress(
    `Waiting until ${o.hostname} resolves to ${o.address} before GitLab starts (Let's Encrypt's challenge needs it; giving up after ${Math.round(o.timeoutMs / 1000)}s)`,
  );
  for (let lookups = 1; ; lookups++) {
    try {
      const addresses = await resolve4(o.hostname);
      if (addresses.includes(o.address)) {
        progress(`${o.hostname} resolves to ${o.address}`);
        return { lookups };
      }
      last = `it resolves to ${addresses.join(", ") || "nothing"}`;
    } catch (error) {
      last = `lookup failed: ${(error as { code?: string }).code ?? (error as Error).message}`;
    }
    const elapsed = now() - startedAt;
    const remaining = o.timeoutMs - elapsed;
    if (remaining <= 0) {
      throw new Error(
        `${o.hostname} did not resolve to ${o.address} within ${Math.round(o.timeoutMs / 1000)}s (${last}). ` +
          "GitLab was not started: with Let's Encrypt it would fail its challenge and restart in a loop. " +
          "Check the A record (gitlab-dind:dns.zoneId creates it; without it, create it yourself), " +
          `then run \`pulumi up\` again. \`dig +short ${o.hostname}\` shows what resolvers see; a cached negative answer expires after the zone's SOA minimum TTL.`,
      );
    }
    if (now() - lastReportAt >= progressEveryMs) {
      progress(`${o.hostname}: ${last}; ${Math.round(elapsed / 1000)}s elapsed, ${Math.round(remaining / 1000)}s left`);
      lastReportAt = now();
    }
    await sleep(Math.min(pollMs, remaining));
  }
}
