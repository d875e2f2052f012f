/**
 * `SesSender`: Amazon SES as GitLab's relay.
 *
 * - The sending domain (email.from's) as an SES domain identity with Easy DKIM, kept on destroy
 *   (retainOnDelete: other senders may use it); its DKIM CNAMEs (kept too) and, when the domain is
 *   GitLab's own host, a DMARC record in the Route53 zone `dns.zoneId` when the stack has one,
 *   otherwise listed for the operator to add (`dnsRecords`). With `email.sesExistingIdentity` the identity is someone
 *   else's (another stack's, or made by hand): read with `aws.ses.getDomainIdentity` (which fails
 *   at preview when the domain is no identity in the region), never created, changed or deleted.
 * - An IAM user whose one right is `ses:SendRawEmail` (what SES's SMTP interface performs: the SMTP
 *   password is a SigV4 signature of the message "SendRawEmail") on that identity, from GitLab's
 *   sender address only (`ses:FromAddress`).
 * - Its access key, turned into an SMTP password by the provider (`sesSmtpPasswordV4`, for the
 *   provider's region): both the key id (the SMTP user name) and the password reach GitLab as
 *   root-only files, never gitlab.rb's text, an output or user data.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Naming } from "../naming";
import { sesDnsRecords, dkimTarget, DMARC_POLICY, publishesDmarc, type DnsRecord } from "./ses-records";

/** Route53 TTL of the DKIM and DMARC records (the `aws.ses.DomainDkim` example's). */
export const SES_RECORD_TTL_SECONDS = 600;
/** SES Easy DKIM always hands out three tokens. */
export const DKIM_TOKEN_COUNT = 3;

export interface SesSenderArgs {
  /** The sending domain: email.from's. */
  readonly domain: string;
  /** GitLab's sender: the only From address the IAM user may send as. */
  readonly from: string;
  /** The domain is already an SES identity the stack must not take over (`email.sesExistingIdentity`). Default false. */
  readonly existingIdentity?: boolean;
  /**
   * GitLab's host name (the external URL's); undefined with the Elastic IP URL. DMARC is published
   * only for a sending domain equal to it, never for a domain above it (a company's apex).
   */
  readonly externalHost: string | undefined;
  /** The Route53 zone for the DKIM and DMARC records (`dns.zoneId`); undefined: listed in `dnsRecords`. */
  readonly zoneId: string | undefined;
  /** The stack's AWS provider (its region is SES's). */
  readonly provider: aws.Provider;
  readonly names: Naming;
}

export class SesSender extends pulumi.ComponentResource {
  /** The identity's ARN: what the IAM user may send from. */
  declare readonly identityArn: pulumi.Output<string>;
  /** The SMTP user name (the access key id); a secret, never an output. */
  declare readonly smtpUserName: pulumi.Output<string>;
  /** The SMTP password for the provider's region; a secret. */
  declare readonly smtpPassword: pulumi.Output<string>;
  /** The records to add by hand (no zone, a created identity); empty otherwise. */
  declare readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  readonly user: aws.iam.User;
  readonly accessKey: aws.iam.AccessKey;

  constructor(name: string, args: SesSenderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:SesSender", name, {}, opts);
    const awsOpts = { parent: this, provider: args.provider };
    const { domain, names } = args;
    const withDmarc = publishesDmarc(domain, args.externalHost);

    let identityArn: pulumi.Output<string>;
    let dnsRecords: pulumi.Output<DnsRecord[]> = pulumi.output([]);
    if (args.existingIdentity === true) {
      identityArn = aws.ses.getDomainIdentityOutput({ domain }, awsOpts).arn;
    } else {
      // Kept on destroy (and on replacement): another stack or team may send from the same domain,
      // and deleting the identity would stop their mail. SES's VerifyDomainIdentity and
      // VerifyDomainDkim are idempotent, so a later stack creating it again takes it over unchanged.
      // Removing it is a manual step (docs/operations.md, "Amazon SES").
      const kept = { ...awsOpts, retainOnDelete: true };
      const identity = new aws.ses.DomainIdentity(`${name}-identity`, { domain }, kept);
      const dkim = new aws.ses.DomainDkim(`${name}-dkim`, { domain: identity.domain }, kept);
      identityArn = identity.arn;
      if (args.zoneId !== undefined) {
        for (let i = 0; i < DKIM_TOKEN_COUNT; i++) {
          new aws.route53.Record(
            `${name}-dkim-${i}`,
            {
              zoneId: args.zoneId,
              name: dkim.dkimTokens.apply((tokens) => `${tokens[i]}._domainkey.${domain}`),
              type: "CNAME",
              ttl: SES_RECORD_TTL_SECONDS,
              records: [dkim.dkimTokens.apply((tokens) => dkimTarget(tokens[i]))],
              // The kept identity stays verified only while SES sees these; they point at
              // amazonses.com and grant nothing by themselves, so keeping them is harmless. A stack
              // made again finds them (same identity, same tokens): it overwrites them with the same values.
              allowOverwrite: true,
            },
            kept,
          );
        }
        if (withDmarc)
          new aws.route53.Record(
            `${name}-dmarc`,
            {
              zoneId: args.zoneId,
              name: `_dmarc.${domain}`,
              type: "TXT",
              ttl: SES_RECORD_TTL_SECONDS,
              records: [DMARC_POLICY],
            },
            awsOpts,
          );
      } else {
        dnsRecords = dkim.dkimTokens.apply((tokens) => sesDnsRecords(domain, tokens, withDmarc));
      }
    }

    this.user = new aws.iam.User(
      `${name}-user`,
      { name: names.name("ses-smtp"), path: "/gitlab-dind/", tags: names.tags("ses-smtp") },
      awsOpts,
    );
    new aws.iam.UserPolicy(
      `${name}-send`,
      {
        user: this.user.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: sesSendStatements(identityArn, args.from),
        }),
      },
      awsOpts,
    );
    this.accessKey = new aws.iam.AccessKey(`${name}-key`, { user: this.user.name }, awsOpts);

    this.identityArn = identityArn;
    this.smtpUserName = pulumi.secret(this.accessKey.id);
    this.smtpPassword = pulumi.secret(this.accessKey.sesSmtpPasswordV4);
    this.dnsRecords = dnsRecords;
    this.registerOutputs({ identityArn, dnsRecords });
  }
}

/** The SMTP user's policy: SES's SMTP send, on one identity, as one sender. */
export function sesSendStatements(identityArn: pulumi.Input<string>, from: string) {
  return [
    {
      Sid: "SendAsGitLabOnly",
      Effect: "Allow" as const,
      Action: ["ses:SendRawEmail"],
      Resource: identityArn,
      Condition: { StringEquals: { "ses:FromAddress": from } },
    },
  ];
}
