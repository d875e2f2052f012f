/**
 * The DNS records of an SES domain identity with Easy DKIM: three CNAMEs `<token>._domainkey.<domain>`
 * → `<token>.dkim.amazonses.com` (SES Developer Guide, "Easy DKIM"; the `aws.ses.DomainDkim`
 * example of @pulumi/aws 7.48.0), which also verify the domain, and a DMARC policy
 * `_dmarc.<domain>` (`p=none`: report only, so that a mail from another of the domain's senders is
 * not rejected because of this stack). Pure.
 */

export interface DnsRecord {
  readonly name: string;
  readonly type: "CNAME" | "TXT";
  readonly value: string;
}

/** The DMARC policy the stack publishes: monitoring only. */
export const DMARC_POLICY = "v=DMARC1; p=none;";

/** Easy DKIM's CNAME target host for a token. */
export function dkimTarget(token: string): string {
  return `${token}.dkim.amazonses.com`;
}

export function sesDnsRecords(domain: string, dkimTokens: readonly string[]): DnsRecord[] {
  return [
    ...dkimTokens.map((token) => ({
      name: `${token}._domainkey.${domain}`,
      type: "CNAME" as const,
      value: dkimTarget(token),
    })),
    { name: `_dmarc.${domain}`, type: "TXT", value: DMARC_POLICY },
  ];
}
