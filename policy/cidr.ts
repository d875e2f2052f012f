/**
 * Address arithmetic for the ingress policies: how much of the internet a set of CIDR blocks
 * covers, counted as the union of the blocks (so two halves count as the whole, and overlapping
 * rules count once), without the ranges that are not the internet.
 */

export type Family = 4 | 6;

/** An inclusive range of addresses of one family. */
export interface Range {
  readonly family: Family;
  readonly start: bigint;
  readonly end: bigint;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let address = text;
  // An IPv4 tail (::ffff:192.0.2.1) is two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (tail !== null) {
    const v4 = parseIpv4(tail[1]);
    if (v4 === undefined) return undefined;
    address = `${address.slice(0, -tail[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    value = (value << 16n) | BigInt(`0x${group}`);
  }
  return value;
}

/** The range of a CIDR block (`203.0.113.0/24`, `::/0`; an address alone is one address); undefined when malformed. */
export function parseCidr(cidr: string): Range | undefined {
  const [address, prefixText, ...extra] = cidr.trim().split("/");
  if (extra.length > 0) return undefined;
  const family: Family = address.includes(":") ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  const value = family === 4 ? parseIpv4(address) : parseIpv6(address);
  if (value === undefined) return undefined;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) return undefined;
  const size = 1n << BigInt(bits - prefix);
  const start = value - (value % size);
  return { family, start, end: start + size - 1n };
}

const range = (cidr: string): Range => {
  const parsed = parseCidr(cidr);
  if (parsed === undefined) throw new Error(`not a CIDR: ${cidr}`);
  return parsed;
};

/**
 * IPv4 blocks that are not the internet: private networks (RFC 1918), carrier-grade NAT's shared
 * space (RFC 6598), loopback and link-local. Everything else counts.
 */
export const NOT_INTERNET_V4: readonly string[] = [
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.168.0.0/16",
];
/** The IPv6 internet: global unicast, 2000::/3 (RFC 4291; unique-local fc00::/7 and link-local fe80::/10 are not). */
export const INTERNET_V6 = "2000::/3";

/** The union of ranges, sorted and merged. */
export function union(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort(
    (a, b) => a.family - b.family || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0),
  );
  const merged: Range[] = [];
  for (const r of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && last.family === r.family && r.start <= last.end + 1n) {
      if (r.end > last.end) merged[merged.length - 1] = { ...last, end: r.end };
    } else merged.push(r);
  }
  return merged;
}

function size(r: Range): bigint {
  return r.end - r.start + 1n;
}

function overlap(a: Range, b: Range): bigint {
  if (a.family !== b.family) return 0n;
  const start = a.start > b.start ? a.start : b.start;
  const end = a.end < b.end ? a.end : b.end;
  return end >= start ? end - start + 1n : 0n;
}

/** How many internet addresses of `family` the union of `cidrs` covers (malformed blocks are ignored). */
export function internetAddresses(cidrs: readonly string[], family: Family): bigint {
  const blocks = union(cidrs.map(parseCidr).filter((r): r is Range => r !== undefined && r.family === family));
  if (family === 6) {
    const internet = range(INTERNET_V6);
    return blocks.reduce((sum, b) => sum + overlap(b, internet), 0n);
  }
  const excluded = union(NOT_INTERNET_V4.map(range));
  return blocks.reduce((sum, b) => sum + size(b) - excluded.reduce((s, e) => s + overlap(b, e), 0n), 0n);
}

/** The family of a CIDR block, or undefined when it is malformed. */
export function familyOf(cidr: string): Family | undefined {
  return parseCidr(cidr)?.family;
}
