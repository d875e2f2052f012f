/**
 * Whether a URL's host (`new URL(…).hostname`) is an IP address, IPv4 or bracketed IPv6, rather
 * than a DNS name: no Let's Encrypt certificate can name it, a container hostname cannot be it,
 * and /etc/hosts cannot remap it.
 */
export function isIpHost(hostname: string): boolean {
  return /^[0-9.]+$/.test(hostname) || hostname.startsWith("[");
}
