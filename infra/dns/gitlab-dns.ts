/**
 * `GitLabDns`: the external URL's name pointed at the host, before GitLab first starts.
 * - with `dns.zoneId`: an `aws.route53.Record` (A, the Elastic IP, 60 s TTL) in that zone;
 * - with Let's Encrypt: a wait until the name resolves to the Elastic IP (whoever made the record),
 *   which GitLab's container depends on (`ready`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Naming } from "../naming";
import { DnsWait } from "./dns-wait-provider";

/** Short: a moved Elastic IP (a rebuilt stack) is seen within a minute. */
export const RECORD_TTL_SECONDS = 60;

export interface GitLabDnsArgs {
  /** The external URL's host, e.g. `gitlab.example.com`. */
  readonly hostname: string;
  /** The Elastic IP the name must point at. */
  readonly address: pulumi.Input<string>;
  /** The Route53 hosted zone to create the A record in (`dns.zoneId`); undefined: no record is made. */
  readonly zoneId: string | undefined;
  /** Wait until the name resolves to `address` (Let's Encrypt). */
  readonly waitUntilResolves: boolean;
  /** The AWS region of the provider (Route53 is global, the provider still needs one). */
  readonly region: string;
  readonly names: Naming;
  /** Bound on the wait, in seconds. Default 600. */
  readonly timeoutSeconds?: number;
}

export class GitLabDns extends pulumi.ComponentResource {
  /** The A record, when `zoneId` is set. */
  readonly record: aws.route53.Record | undefined;
  /** What GitLab's container must start after (the wait, else the record); empty when neither exists. */
  readonly ready: readonly pulumi.Resource[];

  constructor(name: string, args: GitLabDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:GitLabDns", name, {}, opts);
    const record =
      args.zoneId === undefined
        ? undefined
        : new aws.route53.Record(
            `${name}-a`,
            {
              zoneId: args.zoneId,
              name: args.hostname,
              type: "A",
              ttl: RECORD_TTL_SECONDS,
              records: [args.address],
            },
            {
              parent: this,
              provider: new aws.Provider(
                `${name}-aws`,
                { region: args.region, defaultTags: { tags: { ...args.names.commonTags } } },
                { parent: this },
              ),
            },
          );
    const wait = args.waitUntilResolves
      ? new DnsWait(
          `${name}-resolves`,
          {
            hostname: args.hostname,
            address: args.address,
            ...(args.timeoutSeconds === undefined ? {} : { timeoutSeconds: args.timeoutSeconds }),
          },
          // After the record: the wait is for the record this stack makes (when it makes one).
          { parent: this, ...(record === undefined ? {} : { dependsOn: [record] }) },
        )
      : undefined;
    this.record = record;
    this.ready = wait !== undefined ? [wait] : record !== undefined ? [record] : [];
    this.registerOutputs({});
  }
}
