/**
 * Value rules shared by several keys. Each returns what was expected when the value breaks
 * the rule, or undefined when it is fine, so that the parser can report every problem at once.
 */
import {
  GITLAB_BASELINE_MEMORY_GIB,
  GITLAB_MINIMUM_MEMORY_GIB,
  arm64InstanceTypeReason,
  instanceTypeFacts,
  malformedInstanceTypeReason,
} from "./instance-types";
import { isIP } from "node:net";

export { editDistance } from "./edit-distance";

export interface CidrRule {
  readonly ipv4Only?: boolean;
  /** Smallest prefix length accepted (largest network). */
  readonly minPrefix?: number;
  /** Largest prefix length accepted (smallest network). */
  readonly maxPrefix?: number;
}

export function checkCidr(value: string, rule: CidrRule = {}): string | undefined {
  const what = rule.ipv4Only ? "an IPv4 CIDR such as 10.42.0.0/16" : "a CIDR such as 203.0.113.0/24";
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return what;
  const [, address, prefixText] = match;
  const family = isIP(address);
  const prefix = Number(prefixText);
  if (family === 0 || (rule.ipv4Only && family !== 4)) return what;
  const maxBits = family === 4 ? 32 : 128;
  const lo = rule.minPrefix ?? 0;
  const hi = rule.maxPrefix ?? maxBits;
  if (prefix < lo || prefix > hi) return `${what}, with a prefix from /${lo} to /${hi}`;
  // AWS refuses a CIDR whose address has bits set past the prefix; say so here instead.
  if (family === 4 && !ipv4IsNetworkAddress(address, prefix)) {
    return `${what} whose address is the network address (host bits zero)`;
  }
  return undefined;
}

/**
 * A source CIDR of a security-group rule. The stack's VPC is IPv4-only (no IPv6 block, no IPv6
 * route), so a rule for an IPv6 range would be accepted by AWS and never match anyone: refused.
 * `minPrefix` bounds how wide a range may be (the Docker API's CIDRs stop at /8).
 */
export function checkIngressCidr(value: string, rule: { readonly minPrefix?: number } = {}): string | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (match !== null && isIP(match[1]) === 6) {
    return "an IPv4 CIDR such as 203.0.113.0/24 (the stack's VPC is IPv4-only: a rule for an IPv6 range would never let anyone in)";
  }
  // Not IPv6 (refused above): the generic rule checks the form and the host bits.
  const why = checkCidr(value);
  if (why !== undefined) return why;
  const prefix = Number(match?.[2]);
  if (rule.minPrefix !== undefined && prefix < rule.minPrefix) {
    return `a CIDR of /${rule.minPrefix} or narrower (/${prefix} spans ${2 ** (32 - prefix)} addresses; the Docker API gives root on the host)`;
  }
  return undefined;
}

/**
 * A CIDR list with each range once. Each entry becomes a security-group rule named after it, so a
 * repeated one would plan two resources with one name, which `pulumi up` refuses (duplicate URN).
 * `203.0.113.0/24` and `203.0.113.0/024` are the same range. Call once every entry is a valid CIDR.
 */
export function checkDistinctCidrs(list: readonly string[]): string | undefined {
  const seen = new Map<string, string>();
  for (const cidr of list) {
    const [address, prefix] = cidr.split("/");
    const canonical = `${address}/${Number(prefix)}`;
    const first = seen.get(canonical);
    if (first !== undefined) {
      return first === cidr
        ? `each CIDR once (${cidr} is listed twice)`
        : `each CIDR once (${first} and ${cidr} are the same range)`;
    }
    seen.set(canonical, cidr);
  }
  return undefined;
}

function ipv4IsNetworkAddress(address: string, prefix: number): boolean {
  const n = address.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
  const hostBits = 32 - prefix;
  return hostBits === 0 || n % 2 ** hostBits === 0;
}

export function checkPort(value: number): string | undefined {
  return value >= 1 && value <= 65535 ? undefined : "a TCP port from 1 to 65535";
}

export function checkHttpUrl(value: string): string | undefined {
  const what = "an http:// or https:// URL with a host and no query or fragment";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return what;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") return what;
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") return what;
  return undefined;
}

/**
 * An image reference with an explicit version tag. `latest` and untagged references are refused:
 * they change under a stack, and a GitLab upgrade must be a reviewed change, not a surprise on restart.
 */
export function checkImageRef(value: string, example = "gitlab/gitlab-ce:19.3.0-ce.0"): string | undefined {
  const what = `an image with a version tag, such as ${example} (no \`latest\`, no missing tag)`;
  const withoutDigest = value.split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const nameAndTag = withoutDigest.slice(lastSlash + 1);
  const colon = nameAndTag.indexOf(":");
  if (colon <= 0 || /\s/.test(value)) return what;
  const tag = nameAndTag.slice(colon + 1);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) || tag === "latest") return what;
  return undefined;
}

/** Nanoseconds per unit of Go's time.ParseDuration. */
const GO_DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * A duration as Go's `time.ParseDuration` reads it (`20m`, `1h30m`, `1.5h`, `0`), in nanoseconds;
 * undefined when Go would refuse it. Negative durations are refused here too: none of our keys
 * means anything below zero.
 */
export function parseGoDuration(value: string): number | undefined {
  if (value === "0") return 0;
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  if (value.length === 0) return undefined;
  while (at < value.length) {
    part.lastIndex = at;
    const match = part.exec(value);
    if (match === null) return undefined;
    total += Number(match[1]) * GO_DURATION_UNITS[match[2]];
    at = part.lastIndex;
  }
  return total;
}

/** A Go duration of at least `minSeconds`. */
export function checkGoDuration(value: string, minSeconds: number): string | undefined {
  const what = `a Go duration of at least ${minSeconds}s, such as 15m or 1h30m (units ns, us, ms, s, m, h)`;
  const ns = parseGoDuration(value);
  return ns === undefined || ns < minSeconds * 1e9 ? what : undefined;
}

/**
 * An EC2 instance type for an x86_64 AMI. Arm (Graviton) types are told apart by name: the `a1`
 * family, and every family with a `g` among the attribute letters after its generation number
 * (`m7g`, `c7gn`, `t4g`, `im4gn`, `is4gen`); `mac` types need dedicated hosts. The name alone
 * cannot show vCPUs or memory: the default (m7i.large) has 2 and 8 GiB.
 */
export function checkX86InstanceType(value: string): string | undefined {
  const what = "an x86_64 EC2 instance type such as m7i.large";
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(value)) return what;
  // A size or a family EC2 cannot have, with the nearest x86_64 type the pinned SDK lists.
  const malformed = malformedInstanceTypeReason(value, isX86);
  if (malformed !== undefined) return `${what}: ${malformed}`;
  // The one list of arm64 and Mac families (instance-types.ts), shared with host.instanceType.
  const arm64 = arm64InstanceTypeReason(value);
  return arm64 === undefined ? undefined : `${what}: the workers run the x86_64 Amazon Linux 2023 AMI, and ${arm64}`;
}

const isX86 = (type: string): boolean => arm64InstanceTypeReason(type) === undefined;

/**
 * The GitLab host's instance type: well-formed, x86_64 and, when the vendored table knows it, with
 * at least the memory GitLab runs with (GitLab's requirements page: 8 GB the least, in a
 * memory-constrained setup; 16 GB the baseline, which is a warning in ./warnings.ts).
 */
export function checkHostInstanceType(value: string): string | undefined {
  const what = "an x86_64 instance type such as m7i.xlarge";
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(value)) return "an EC2 instance type such as m7i.xlarge";
  const malformed = malformedInstanceTypeReason(value, isX86);
  if (malformed !== undefined) return `${what}: ${malformed}`;
  const arm64 = arm64InstanceTypeReason(value);
  if (arm64 !== undefined) return `${what}: the host boots Amazon Linux 2023 for x86_64, and ${arm64}`;
  const facts = instanceTypeFacts(value);
  if (facts !== undefined && facts.memoryGiB < GITLAB_MINIMUM_MEMORY_GIB) {
    return `${what} with at least ${GITLAB_MINIMUM_MEMORY_GIB} GiB of memory (GitLab's requirements: ${GITLAB_BASELINE_MEMORY_GIB} GB the baseline, ${GITLAB_MINIMUM_MEMORY_GIB} GB the least it runs with); ${value} has ${facts.memoryGiB} GiB`;
  }
  return undefined;
}
