/**
 * Where GitLab's database lives in the stack's VPC: two private /24 subnets in two availability
 * zones (an RDS DB subnet group needs two zones, and a Multi-AZ instance puts its standby in the
 * other). They follow what the VPC already holds: the host's public subnet is its first /24
 * (infra/host/aws/network.ts `firstSubnet`), the CI workers' second public subnet its second
 * (infra/autoscaler `secondSubnetCidr`, whether or not the autoscaler is on, so turning it on later
 * clashes with nothing). The database takes the third and fourth, so a VPC of /22 or wider
 * (the config refuses a narrower one with gitlab.database rds). Existing subnets never change.
 */

/** The VPC's third and fourth /24 (`10.42.0.0/16` → `10.42.2.0/24`, `10.42.3.0/24`); undefined when the VPC is narrower than /22. */
export function privateSubnetCidrs(vpcCidr: string): readonly [string, string] | undefined {
  const [address, prefixText] = vpcCidr.split("/");
  const prefix = Number(prefixText);
  const octets = address.split(".").map(Number);
  if (
    octets.length !== 4 ||
    octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) ||
    !Number.isInteger(prefix) ||
    prefix < 16 ||
    prefix > 22
  ) {
    return undefined;
  }
  const value = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const base = (value & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
  const block = (n: number): string => {
    const v = base + n * 256;
    return `${[v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".")}/24`;
  };
  return [block(2), block(3)];
}
