/** The external URL's DNS record (Route53) and the wait until it resolves. */
export { GitLabDns, RECORD_TTL_SECONDS } from "./gitlab-dns";
export type { GitLabDnsArgs } from "./gitlab-dns";
export { DnsWait, dnsWaitProvider, DEFAULT_DNS_TIMEOUT_SECONDS } from "./dns-wait-provider";
export { waitForDns } from "./dns-wait";
