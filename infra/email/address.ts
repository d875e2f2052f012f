/**
 * Email addresses as the email capability takes them (`email.from`): `local@domain`, with a DNS
 * domain (the SES identity is that domain). Pure functions.
 */
import { isIpHost } from "../url-host";

/** A DNS name: dot-separated labels of letters, digits and '-', not starting or ending with '-'. */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;
/** The local part: RFC 5322's dot-atom (no quoted strings, which no relay here needs). */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** Why `value` is not an address with a DNS domain; undefined when it is. */
export function checkEmailAddress(value: string): string | undefined {
  const at = value.lastIndexOf("@");
  const local = at < 0 ? "" : value.slice(0, at);
  const domain = at < 0 ? "" : value.slice(at + 1);
  if (at < 0 || local.length === 0 || local.length > 64 || !LOCAL_PART.test(local) || !isDnsName(domain)) {
    return "an email address with a DNS domain, such as gitlab@gitlab.example.com";
  }
  return undefined;
}

/** The domain of an address (lower case): the SES identity it sends from. */
export function emailDomain(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/** Whether a URL's host is a DNS name with a dot (not an IP address, not `localhost`). */
export function isDnsName(host: string): boolean {
  return !isIpHost(host) && DNS_NAME.test(host);
}

/**
 * The default sender for an external URL's host: `gitlab@<host>` when the host is a DNS name (or
 * `localhost`, which Mailpit accepts); undefined for an IP address or no URL.
 */
export function defaultSender(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  if (host === "localhost" || isDnsName(host)) return `gitlab@${host.toLowerCase()}`;
  return undefined;
}
