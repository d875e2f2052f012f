/**
 * `DnsWait`: a resource that exists once a name resolves to the host's address. GitLab's container
 * depends on it with Let's Encrypt. A dynamic provider: Pulumi serializes `dnsWaitProvider` with
 * what it captures (the wait, `pulumi.log` required inside) and runs it in its own process.
 */
import * as pulumi from "@pulumi/pulumi";
import { waitForDns } from "./dns-wait";

/** Default bound: a fresh Route53 record answers within a minute; resolvers' negative caches take longer. */
export const DEFAULT_DNS_TIMEOUT_SECONDS = 600;

export interface DnsWaitProps {
  readonly hostname: string;
  readonly address: string;
  readonly timeoutSeconds: number;
}

function log(message: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the serialized closure holds a `require`, not the SDK
  void (require("@pulumi/pulumi") as typeof pulumi).log.info(message);
}

export const dnsWaitProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: DnsWaitProps): Promise<pulumi.dynamic.CreateResult> {
    await waitForDns({
      hostname: inputs.hostname,
      address: inputs.address,
      timeoutMs: inputs.timeoutSeconds * 1000,
      onProgress: log,
    });
    return { id: `${inputs.hostname}=${inputs.address}`, outs: { ...inputs } };
  },
  diff(_id: string, olds: DnsWaitProps, news: DnsWaitProps): Promise<pulumi.dynamic.DiffResult> {
    // A new name or address is a new wait (a replacement, created before what depends on it).
    const replaces = (["hostname", "address"] as const).filter((k) => olds[k] !== news[k]);
    const changes = replaces.length > 0 || olds.timeoutSeconds !== news.timeoutSeconds;
    return Promise.resolve({ changes, replaces, deleteBeforeReplace: false });
  },
  async update(_id: string, _olds: DnsWaitProps, news: DnsWaitProps): Promise<pulumi.dynamic.UpdateResult> {
    return Promise.resolve({ outs: { ...news } });
  },
  async delete(): Promise<void> {
    // Nothing to remove: the resource only records that the name resolved.
  },
};

export interface DnsWaitArgs {
  readonly hostname: pulumi.Input<string>;
  readonly address: pulumi.Input<string>;
  /** Bound on the wait, in seconds. Default 600. */
  readonly timeoutSeconds?: pulumi.Input<number>;
}

export class DnsWait extends pulumi.dynamic.Resource {
  declare readonly hostname: pulumi.Output<string>;
  declare readonly address: pulumi.Output<string>;

  constructor(name: string, args: DnsWaitArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      dnsWaitProvider,
      name,
      {
        hostname: args.hostname,
        address: args.address,
        timeoutSeconds: args.timeoutSeconds ?? DEFAULT_DNS_TIMEOUT_SECONDS,
      },
      opts,
      "gitlab-dind",
      "DnsWait",
    );
  }
}
