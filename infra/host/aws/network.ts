/**
 * The host's network: a VPC per stack with one public subnet, an internet gateway and its
 * default route, and a security group that lets in GitLab's own ports from `network.webCidrs`
 * and the TLS Docker API only from `network.adminCidrs`. Nothing reaches port 22 of the host:
 * shell access is AWS Systems Manager Session Manager.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config/types";
import type { Naming } from "../../naming";

/** The Docker daemon's TLS port. */
export const DOCKER_API_PORT = 2376;
/** GitLab's HTTPS port, opened next to its HTTP port when GitLab serves TLS. */
export const HTTPS_PORT = 443;

/** One ingress rule the security group gets: a port, one CIDR, and why. */
export interface IngressRule {
  readonly port: number;
  readonly cidr: string;
  readonly description: string;
  /** The config key that opened it (for names and messages). */
  readonly key: string;
}

/**
 * Every ingress rule, in a stable order. Pure: tests read it, the security group is built from it.
 * Port 22 never appears: the config parser refuses it for GitLab's ports on aws (infra/config).
 * GitLab's HTTP(S) is also open to `network.adminCidrs`: `pulumi up` runs from there and calls
 * GitLab's API (the readiness wait, the runner registration), whatever `webCidrs` says.
 * 443 is open only when GitLab serves TLS (`gitlab.tlsMode` not `off`); port 80 then only redirects
 * to https (and, with Let's Encrypt, answers its HTTP-01 challenge).
 */
export function ingressRules(config: StackConfig): IngressRule[] {
  const webAndOperators = [...new Set([...config.network.webCidrs, ...config.network.adminCidrs])];
  const web: Array<[number, string, string, readonly string[]]> = [
    [
      config.gitlab.httpPort,
      config.gitlab.tlsMode === "off" ? "GitLab HTTP" : "GitLab HTTP (redirect to https)",
      "gitlab-dind:gitlab.httpPort",
      webAndOperators,
    ],
  ];
  if (config.gitlab.tlsMode !== "off") {
    web.push([HTTPS_PORT, "GitLab HTTPS", "gitlab-dind:gitlab.tls", webAndOperators]);
  }
  web.push([config.gitlab.sshPort, "GitLab git over SSH", "gitlab-dind:gitlab.sshPort", config.network.webCidrs]);
  if (config.gitlab.registryPort !== 0) {
    web.push([
      config.gitlab.registryPort,
      "GitLab container registry",
      "gitlab-dind:gitlab.registryPort",
      config.network.webCidrs,
    ]);
  }
  const seen = new Set<number>();
  const rules: IngressRule[] = [];
  for (const [port, description, key, cidrs] of web) {
    if (seen.has(port)) continue;
    seen.add(port);
    for (const cidr of cidrs) rules.push({ port, cidr, description: `${description} from ${cidr}`, key });
  }
  for (const cidr of config.network.adminCidrs) {
    rules.push({
      port: DOCKER_API_PORT,
      cidr,
      description: `Docker API (TLS) from ${cidr}`,
      key: "gitlab-dind:network.adminCidrs",
    });
  }
  return rules;
}

export interface Network {
  readonly vpc: aws.ec2.Vpc;
  readonly subnet: aws.ec2.Subnet;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly internetGateway: aws.ec2.InternetGateway;
  /** The default route to the internet: the instance needs it at boot (packages, SSM). */
  readonly defaultRoute: aws.ec2.Route;
  /** The subnet's availability zone; the data volume is created there. */
  readonly availabilityZone: pulumi.Output<string>;
}

/**
 * The stack's network. `zone`: the availability zone of the public subnet; default the region's
 * first available zone (an adopted data volume decides it instead: a volume attaches only in its zone).
 */
export function createNetwork(
  name: string,
  config: StackConfig,
  names: Naming,
  opts: pulumi.CustomResourceOptions,
  zone?: pulumi.Input<string>,
): Network {
  const rules = ingressRules(config);

  const vpc = new aws.ec2.Vpc(
    `${name}-vpc`,
    {
      cidrBlock: config.network.vpcCidr,
      // The Elastic IP's public DNS name (a SAN of the Docker API certificate) resolves only
      // in a VPC with DNS hostnames on.
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: names.tags("vpc"),
    },
    opts,
  );

  const availabilityZone =
    zone ??
    aws.getAvailabilityZonesOutput({ state: "available" }, { provider: opts.provider, parent: opts.parent }).names[0];
  const subnet = new aws.ec2.Subnet(
    `${name}-public`,
    {
      vpcId: vpc.id,
      // The first /24 of the VPC (the config rule keeps the VPC at /24 or wider).
      cidrBlock: firstSubnet(config.network.vpcCidr),
      availabilityZone,
      // A public address from launch: the host installs Docker before its Elastic IP is attached.
      mapPublicIpOnLaunch: true,
      tags: names.tags("public"),
    },
    {
      ...opts,
      // The data volume lives in this subnet's zone. Should the first available zone ever
      // change (a zone retired or added), a new subnet would mean a new, empty volume in
      // another zone: keep the zone the stack was built in.
      ignoreChanges: ["availabilityZone"],
    },
  );

  const internetGateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: names.tags("igw") }, opts);
  const routeTable = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: vpc.id, tags: names.tags("public") }, opts);
  const defaultRoute = new aws.ec2.Route(
    `${name}-default-route`,
    { routeTableId: routeTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id },
    opts,
  );
  new aws.ec2.RouteTableAssociation(`${name}-public-rta`, { subnetId: subnet.id, routeTableId: routeTable.id }, opts);

  const securityGroup = new aws.ec2.SecurityGroup(
    `${name}-sg`,
    {
      vpcId: vpc.id,
      description: `gitlab-dind host of team ${names.team}: GitLab ports and the TLS Docker API`,
      tags: names.tags("host"),
    },
    opts,
  );
  for (const rule of rules) {
    const ipv6 = rule.cidr.includes(":");
    // Named by port and CIDR, so reordering a CIDR list replaces nothing.
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-in-${rule.port}-${rule.cidr.replace(/[^0-9A-Fa-f]+/g, "-")}`,
      {
        securityGroupId: securityGroup.id,
        ipProtocol: "tcp",
        fromPort: rule.port,
        toPort: rule.port,
        ...(ipv6 ? { cidrIpv6: rule.cidr } : { cidrIpv4: rule.cidr }),
        description: rule.description,
        tags: names.tags(`host-in-${rule.port}`),
      },
      opts,
    );
  }
  // Egress open: the host pulls images and packages, and talks to SSM.
  new aws.vpc.SecurityGroupEgressRule(
    `${name}-out-all`,
    {
      securityGroupId: securityGroup.id,
      ipProtocol: "-1",
      cidrIpv4: "0.0.0.0/0",
      description: "all egress",
      tags: names.tags("host-out"),
    },
    opts,
  );

  return { vpc, subnet, securityGroup, internetGateway, defaultRoute, availabilityZone: subnet.availabilityZone };
}

/** The first /24 of an IPv4 block of /24 or wider: `10.42.0.0/16` → `10.42.0.0/24`. */
export function firstSubnet(vpcCidr: string): string {
  const [address, prefixText] = vpcCidr.split("/");
  const prefix = Number(prefixText);
  const octets = address.split(".").map(Number);
  if (
    octets.length !== 4 ||
    octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) ||
    !(prefix >= 16 && prefix <= 24)
  ) {
    throw new Error(`gitlab-dind:network.vpcCidr: expected an IPv4 block from /16 to /24; got ${vpcCidr}`);
  }
  const value = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const base = (value & mask) >>> 0;
  return `${[base >>> 24, (base >>> 16) & 255, (base >>> 8) & 255, base & 255].join(".")}/24`;
}
