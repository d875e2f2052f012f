/**
 * Two private subnets in two availability zones of the host's VPC, shared by the managed data
 * services (the RDS instance's DB subnet group, the ElastiCache subnet group): both need subnets in
 * two zones, and whichever asks first creates them, once per host.
 *
 * Private: no route to the internet gateway. They share a route table of their own holding only the
 * VPC's local route, whatever the VPC's main table gets later, and nothing in them gets a public address.
 *
 * Their blocks are the VPC's third and fourth /24 (`10.42.2.0/24`, `10.42.3.0/24` in the default
 * `10.42.0.0/16`): the first is the host's public subnet (network.ts `firstSubnet`), the second the
 * CI workers' (autoscaler `secondSubnetCidr`). The config refuses a VPC narrower than /22 when a
 * service needs them (infra/config/parse.ts `privateSubnetProblems`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Naming } from "../../naming";
import type { AwsHostNetwork } from "./aws-host";

/** The two private subnets and their zones (the host's zone first, then another). */
export interface PrivateSubnets {
  readonly subnetIds: pulumi.Output<string>[];
  readonly availabilityZones: pulumi.Output<string>[];
  /** Their blocks, in the same order. */
  readonly cidrBlocks: readonly [string, string];
}

/**
 * The VPC's third and fourth /24 (`10.42.0.0/16` → `10.42.2.0/24`, `10.42.3.0/24`). Throws, naming
 * the key, for a VPC narrower than /22 (no room after the host's and the workers' /24s).
 */
export function privateSubnetCidrs(vpcCidr: string): [string, string] {
  const [address, prefixText] = vpcCidr.split("/");
  const prefix = Number(prefixText);
  const octets = (address ?? "").split(".").map(Number);
  if (
    octets.length !== 4 ||
    octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) ||
    !(prefix >= 16 && prefix <= 22)
  ) {
    throw new Error(
      `gitlab-dind:network.vpcCidr: expected an IPv4 block from /16 to /22 for the private subnets of RDS and ElastiCache; got ${vpcCidr}`,
    );
  }
  const value = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const base = (value & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
  const block = (n: number): string => {
    const v = base + n * 256;
    return `${[v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".")}/24`;
  };
  return [block(2), block(3)];
}

/** Created subnets, per host: a second caller gets the first one's. */
const created = new WeakMap<AwsHostNetwork, PrivateSubnets>();

/**
 * The host's two private subnets, created on the first call for this host (on its provider, named
 * `<name>-private-1`/`-2` from `names`) and returned as they are on every later call.
 */
export function privateSubnets(host: AwsHostNetwork, names: Naming): PrivateSubnets {
  const existing = created.get(host);
  if (existing !== undefined) return existing;
  const cidrBlocks = privateSubnetCidrs(host.vpcCidr);
  const opts: pulumi.CustomResourceOptions = { provider: host.provider };
  // Availability Zones only: an opted-in Local Zone is "available" too, but RDS and ElastiCache
  // subnets belong in the region's own zones (a Local Zone's name sorts before them).
  const zones = aws.getAvailabilityZonesOutput(
    { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
    { provider: host.provider },
  ).names;
  // The host's zone first (its database or cache is one zone away from nothing), then another.
  const otherZone = pulumi.all([zones, host.availabilityZone]).apply(([all, hostZone]) => {
    const other = all.find((z) => z !== hostZone);
    if (other === undefined) throw new Error(`the region has no available zone other than ${hostZone}`);
    return other;
  });
  const availabilityZones = [host.availabilityZone, otherZone];
  const routeTable = new aws.ec2.RouteTable(
    names.name("private-rt"),
    { vpcId: host.vpcId, tags: names.tags("private") },
    opts,
  );
  const subnetIds = cidrBlocks.map((cidrBlock, i) => {
    const subnet = new aws.ec2.Subnet(
      names.name(`private-${i + 1}`),
      {
        vpcId: host.vpcId,
        cidrBlock,
        availabilityZone: availabilityZones[i],
        mapPublicIpOnLaunch: false,
        tags: names.tags(`private-${i + 1}`),
      },
      {
        ...opts,
        // A subnet holding a database or a cache must not be replaced because the list of
        // available zones changed (AWS refuses to delete it while they are in it anyway).
        ignoreChanges: ["availabilityZone"],
      },
    );
    new aws.ec2.RouteTableAssociation(
      names.name(`private-rta-${i + 1}`),
      { subnetId: subnet.id, routeTableId: routeTable.id },
      opts,
    );
    return subnet.id;
  });
  const subnets: PrivateSubnets = { subnetIds, availabilityZones, cidrBlocks };
  created.set(host, subnets);
  return subnets;
}
