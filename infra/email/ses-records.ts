/**
 * The DNS records of an SES domain identity with Easy DKIM: three CNAMEs `<token>._domainkey.<domain>`
 * → `<token>.dkim.amazonses.com` (SES Developer Guide, "Easy DKIM"; the `aws.ses.DomainDkim`
 * example of @pulumi/aws 7.48.0), which also verify the domain, and a DMARC policy
 * `_dmarc.<domain>` (`p=none`: report only, so that a mail from another of the domain's senders is
 * not rejected because of this stack) when the domain is GitLab's own host (publishesDmarc). Pure.
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

/**
 * Whether the stack publishes DMARC for the sending domain: only when it is GitLab's own host name
 * (the external URL's). A domain above it (a company's apex, `example.com`) has its own senders and
 * its own DMARC policy, which one stack must not set to `p=none` (or overwrite) for everyone.
 */
export function publishesDmarc(domain: string, externalHost: string | undefined): boolean {
  return externalHost !== undefined && domain.toLowerCase() === externalHost.toLowerCase();
}

export function sesDnsRecords(domain: string, dkimTokens: readonly string[], withDmarc: boolean): DnsRecord[] {
  return [
    ...dkimTokens.map((token) => ({
      name: `${token}._domainkey.${domain}`,
      type: "CNAME" as const,
      value: dkimTarget(token),
    })),
    ...(withDmarc ? [{ name: `_dmarc.${domain}`, type: "TXT" as const, value: DMARC_POLICY }] : []),
  ];
}
