/**
 * A recording Pulumi mock shared by the tests and the offline plan.
 *
 * - Records every resource registration (type token, name, inputs as the provider would
 *   receive them, parent) and every invoke.
 * - Fills the fields a real provider computes (ids, ARNs, addresses, generated secrets) from a
 *   per-type table, so that the program's `apply`s see realistic values.
 * - Throws on an invoke it does not know: a new data source must be mocked on purpose, not
 *   answered with an empty object that hides a bug.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment --
   the mock stands in for every provider: its tables read each type's inputs as a provider gets
   them, untyped values off the wire. */
import * as pulumi from "@pulumi/pulumi";
import type { RequestOptions } from "./request-options";

/** The day the mocked stack CA signs its certificates (tls:index/locallySignedCert). */
const MOCK_CERT_START = new Date("2026-12-01T00:00:00Z");

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** The inputs as the provider receives them; secret values are wrapped (see `isSecretValue`). */
  readonly inputs: Record<string, unknown>;
  /** The provider reference, when the resource names one explicitly. */
  readonly provider: string | undefined;
  /** The id of an existing resource the program reads (`Resource.get`) or imports; undefined when created. */
  readonly existingId: string | undefined;
  /**
   * The resource options as the registration request carries them (tools/plan/request-options.ts);
   * undefined when the mocks were installed with `setMocks` alone, which does not pass them on.
   */
  readonly options?: RequestOptions;
}

export interface RecordedInvoke {
  readonly token: string;
  readonly inputs: Record<string, unknown>;
  /** The provider reference, when the invoke names one explicitly. */
  readonly provider: string | undefined;
}

/** What a computed-fields row or an invoke handler may know besides the inputs. */
export interface MockContext {
  /** Where an AWS resource or invoke lives (its provider's region); throws on use when unknown. */
  readonly aws: AwsPlace;
  /** The state (inputs and computed fields) of a resource created earlier, by its id. */
  readonly stateOf: (id: unknown) => Record<string, any> | undefined;
  /** The id of an existing resource the program reads (`Resource.get`); undefined when it creates one. */
  readonly id?: string;
}

/** Fields a provider computes for a resource of one type, from its inputs and name. */
export type ComputedFields = (inputs: Record<string, any>, name: string, ctx: MockContext) => Record<string, unknown>;
export type InvokeHandler = (inputs: Record<string, any>, ctx: MockContext) => Record<string, unknown>;

export interface RecordingMocksOptions {
  /**
   * The region for AWS resources and invokes that do not name an AWS provider with a region
   * (the program always does: default providers are off). Default: `aws:region` from the
   * configuration the program sees, when set.
   */
  readonly region?: string;
}

/** The wire form of a secret inside mock inputs: `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Inputs with every secret replaced by the string "[secret]". */
export function redactSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

/** Inputs with every secret unwrapped to its value (for assertions on what the provider gets). */
export function revealSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return revealSecrets(value.value);
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

/**
 * Where an AWS resource or data source lives, as AWS would report it: the region of the provider
 * it was created through (the stack's `aws:region`), and what follows from it (partition, DNS
 * suffix, availability zones, ARNs). Nothing here is fixed to one region.
 */
export interface AwsPlace {
  readonly region: string;
  /** `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
  /** `amazonaws.com`, or `amazonaws.com.cn` in China. */
  readonly dnsSuffix: string;
  /** The region's zone with this letter: `zone("a")` is `eu-west-1a` in eu-west-1. */
  readonly zone: (letter: string) => string;
  /** A zone id as AWS writes it (`euw1-az1`): the region's short code and a number. */
  readonly zoneId: (n: number) => string;
  /** A regional ARN of the mock account: `arn:aws:ec2:eu-west-1:123456789012:vpc/…`. */
  readonly arn: (service: string, resource: string) => string;
  /** A global ARN (IAM has no region): `arn:aws:iam::123456789012:role/…`. */
  readonly globalArn: (service: string, resource: string) => string;
  /** The public DNS name EC2 gives an address: `ec2-198-51-100-7.eu-west-1.compute.amazonaws.com`. */
  readonly publicDns: (ip: string) => string;
}

const ACCOUNT = "123456789012";

/** A place in `region`; without a region, a place whose every use fails, saying how to give one. */
export function awsPlace(region: string | undefined, what: string): AwsPlace {
  if (region === undefined || region === "") {
    const fail = (): never => {
      throw new Error(
        `RecordingMocks: no AWS region for ${what}: create it through an aws.Provider with a region (as the program does), or pass { region } to RecordingMocks`,
      );
    };
    return {
      get region() {
        return fail();
      },
      get partition() {
        return fail();
      },
      get dnsSuffix() {
        return fail();
      },
      zone: fail,
      zoneId: fail,
      arn: fail,
      globalArn: fail,
      publicDns: fail,
    };
  }
  const partition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  const dnsSuffix = partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  return {
    region,
    partition,
    dnsSuffix,
    zone: (letter) => `${region}${letter}`,
    zoneId: (n) => `${regionCode(region)}-az${n}`,
    arn: (service, resource) => `arn:${partition}:${service}:${region}:${ACCOUNT}:${resource}`,
    globalArn: (service, resource) => `arn:${partition}:${service}::${ACCOUNT}:${resource}`,
    // us-east-1 is the one region whose EC2 names read `compute-1` instead of the region.
    publicDns: (ip) =>
      `ec2-${ip.replace(/\./g, "-")}.${region === "us-east-1" ? "compute-1" : `${region}.compute`}.${dnsSuffix}`,
  };
}

/** AWS's short region code in zone ids: eu-central-1 → euc1, ap-northeast-2 → apne2, us-gov-west-1 → usgw1. */
function regionCode(region: string): string {
  const parts = region.split("-");
  const number = parts.pop() ?? "";
  const [area, ...words] = parts;
  const compass: Record<string, string> = { northeast: "ne", northwest: "nw", southeast: "se", southwest: "sw" };
  return `${area}${words.map((w) => compass[w] ?? w[0]).join("")}${number}`;
}

/**
 * Computed fields per type token. Add a row when the program starts using a type whose
 * computed outputs it reads.
 */
export const COMPUTED: Record<string, ComputedFields> = {
  "random:index/randomPassword:RandomPassword": (i) => ({ result: "p".repeat(i.length ?? 16) }),
  "docker:index/remoteImage:RemoteImage": (i) => ({
    imageId: `sha256:${"0".repeat(56)}aa${String(i.name).length.toString(16).padStart(6, "0")}`,
    repoDigest: `${String(i.name).split(":")[0]}@sha256:${"1".repeat(64)}`,
  }),
  "docker:index/network:Network": (i, name) => ({ name: i.name ?? name, driver: i.driver ?? "bridge", scope: "local" }),
  "docker:index/volume:Volume": (i, name) => ({
    name: i.name ?? name,
    driver: "local",
    mountpoint: `/var/lib/docker/volumes/${i.name ?? name}/_data`,
  }),
  // A one-shot container the provider waits for (`attach`, the RDS setup step) ran to its end: exit code 0, an empty log.
  "docker:index/container:Container": (i, name) => ({
    name: i.name ?? name,
    exitCode: i.attach === true ? 0 : undefined,
    ...(i.attach === true && i.logs === true ? { containerLogs: "" } : {}),
    networkDatas: [],
  }),
  "random:index/randomId:RandomId": (i) => ({
    hex: "5eed".padEnd(2 * (i.byteLength ?? 4), "0"),
    b64Url: "Xu0AAA",
    b64Std: "Xu0AAA==",
    dec: "1592590336",
  }),
  // The runner registration (infra/runner): GitLab's runner id and a `glrt-` token that reads as a
  // placeholder in rendered files (config.toml checks the `glrt-` form).
  "pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration": () => ({ runnerId: 1, token: "glrt-[secret]" }),
  // The AWS host (infra/host/aws): what AWS and the TLS provider compute for its resources.
  "aws:ec2/eip:Eip": (_i, _name, { aws }) => ({
    allocationId: "eipalloc-0a1b2c3d4e5f60718",
    publicIp: "198.51.100.7",
    publicDns: aws.publicDns("198.51.100.7"),
    arn: aws.arn("ec2", "elastic-ip/eipalloc-0a1b2c3d4e5f60718"),
  }),
  // In the availability zone of its subnet, as AWS places it.
  "aws:ec2/instance:Instance": (i, _name, { aws, stateOf }) => ({
    arn: aws.arn("ec2", "instance/i-0a1b2c3d4e5f60718"),
    availabilityZone: stateOf(i.subnetId)?.availabilityZone ?? aws.zone("a"),
    privateIp: "10.42.0.10",
    publicIp: "198.51.100.99",
    instanceState: "running",
  }),
  "aws:ec2/vpc:Vpc": (_i, _name, { aws }) => ({
    arn: aws.arn("ec2", "vpc/vpc-0a1b2c3d4e5f60718"),
    defaultSecurityGroupId: "sg-0f0e0d0c0b0a09080",
    mainRouteTableId: "rtb-0f0e0d0c0b0a09080",
  }),
  "aws:ec2/subnet:Subnet": (i, _name, { aws }) => ({
    arn: aws.arn("ec2", "subnet/subnet-0a1b2c3d4e5f60718"),
    availabilityZone: i.availabilityZone ?? aws.zone("a"),
  }),
  "aws:ec2/securityGroup:SecurityGroup": (i, name, { aws }) => ({
    arn: aws.arn("ec2", "security-group/sg-0a1b2c3d4e5f60718"),
    name: i.name ?? `${name}-a1b2c3d`,
  }),
  // A read volume (`Volume.get`, host.dataVolumeId) has no inputs: it answers with where it lives.
  "aws:ebs/volume:Volume": (i, _name, { aws }) => ({
    arn: aws.arn("ec2", "volume/vol-0a1b2c3d4e5f60718"),
    iops: 3000,
    throughput: 125,
    availabilityZone: i.availabilityZone ?? aws.zone("b"),
  }),
  "aws:iam/role:Role": (i, name, { aws }) => ({
    arn: aws.globalArn("iam", `role/${i.name ?? `${name}-a1b2c3d`}`),
    name: i.name ?? `${name}-a1b2c3d`,
    uniqueId: "AROAEXAMPLEROLEID",
  }),
  "aws:iam/instanceProfile:InstanceProfile": (i, name, { aws }) => ({
    arn: aws.globalArn("iam", `instance-profile/${i.name ?? `${name}-a1b2c3d`}`),
    name: i.name ?? `${name}-a1b2c3d`,
  }),
  "aws:ssm/parameter:Parameter": (i, _name, { aws }) => ({
    arn: aws.arn("ssm", `parameter${i.name}`),
    version: 1,
    tier: "Standard",
  }),
  // The per-stack key of the Docker daemon's TLS key parameter (infra/host/aws/server-key-parameter.ts).
  "aws:kms/key:Key": (_i, _name, { aws }) => ({
    arn: aws.arn("kms", "key/0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"),
    keyId: "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
    rotationPeriodInDays: 365,
  }),
  "aws:dlm/lifecyclePolicy:LifecyclePolicy": (_i, _name, { aws }) => ({
    arn: aws.arn("dlm", "policy/policy-0a1b2c3d4e5f60718"),
  }),
  "tls:index/privateKey:PrivateKey": (i, name) => ({
    privateKeyPem: `-----BEGIN ${i.algorithm === "ECDSA" ? "EC" : "RSA"} PRIVATE KEY-----\nMOCK-${name}\n-----END ${i.algorithm === "ECDSA" ? "EC" : "RSA"} PRIVATE KEY-----\n`,
    publicKeyPem: `-----BEGIN PUBLIC KEY-----\nMOCK-${name}\n-----END PUBLIC KEY-----\n`,
  }),
  "tls:index/certRequest:CertRequest": (_i, name) => ({
    certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nMOCK-${name}\n-----END CERTIFICATE REQUEST-----\n`,
  }),
  "tls:index/selfSignedCert:SelfSignedCert": (_i, name) => ({
    certPem: `-----BEGIN CERTIFICATE-----\nMOCK-${name}\n-----END CERTIFICATE-----\n`,
    readyForRenewal: false,
  }),
  // Valid from a fixed day (the plan stays byte-stable from one day to the next) for the requested
  // hours, in the provider's RFC 3339 form: the gitlabCertificateExpiry output and the expiry warning
  // read validityEndTime. The warning (under 30 days left) would start showing in 2029.
  "tls:index/locallySignedCert:LocallySignedCert": (i, name) => ({
    certPem: `-----BEGIN CERTIFICATE-----\nMOCK-${name}\n-----END CERTIFICATE-----\n`,
    readyForRenewal: false,
    validityStartTime: MOCK_CERT_START.toISOString().replace(".000Z", "Z"),
    validityEndTime: new Date(MOCK_CERT_START.getTime() + Number(i.validityPeriodHours ?? 0) * 3_600_000)
      .toISOString()
      .replace(".000Z", "Z"),
  }),
  // The CI workers (infra/autoscaler): the group's ARN (the manager's IAM policy names it) and the
  // launch template's version (the group launches its latest).
  "aws:autoscaling/group:Group": (i, name, { aws }) => ({
    arn: aws.arn(
      "autoscaling",
      `autoScalingGroup:0a1b2c3d-1111-2222-3333-444455556666:autoScalingGroupName/${i.name ?? name}`,
    ),
    name: i.name ?? `${name}-a1b2c3d`,
    availabilityZones: [aws.zone("a"), aws.zone("b")],
    defaultCooldown: 300,
    healthCheckType: "EC2",
  }),
  "aws:ec2/launchTemplate:LaunchTemplate": (i, name, { aws }) => ({
    arn: aws.arn("ec2", "launch-template/lt-0a1b2c3d4e5f60718"),
    name: i.name ?? `${name}-a1b2c3d`,
    latestVersion: 1,
    defaultVersion: 1,
  }),
  "aws:ec2/routeTable:RouteTable": (_i, _name, { aws }) => ({
    arn: aws.arn("ec2", "route-table/rtb-0a1b2c3d4e5f60718"),
  }),
  // The external URL's A record (infra/dns, with gitlab-dind:dns.zoneId).
  "aws:route53/record:Record": (i) => ({ fqdn: i.name }),
  // The backups (infra/backup): a created bucket is named by its input, a read one
  // (`Bucket.get`, backup.bucketName) by its id.
  "aws:s3/bucket:Bucket": (i, _name, { aws, id }) => {
    const bucket = String(i.bucket ?? id);
    return {
      bucket,
      arn: `arn:${aws.partition}:s3:::${bucket}`,
      region: aws.region,
      bucketDomainName: `${bucket}.s3.${aws.dnsSuffix}`,
    };
  },
  "aws:ssm/document:Document": (i, _name, { aws }) => ({
    arn: aws.arn("ssm", `document/${i.name}`),
    latestVersion: "1",
    defaultVersion: "1",
    documentVersion: "1",
    status: "Active",
  }),
  "aws:ssm/association:Association": (_i, _name, { aws }) => ({
    associationId: "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
    arn: aws.arn("ssm", "association/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"),
  }),
  // Email through SES (infra/email): the domain identity, its three Easy DKIM tokens, the SMTP user
  // and its access key (the SMTP password is the provider's SigV4 conversion: a placeholder here).
  "aws:ses/domainIdentity:DomainIdentity": (i, _name, { aws }) => ({
    arn: aws.arn("ses", `identity/${i.domain}`),
    verificationToken: "c2VzLXZlcmlmaWNhdGlvbi10b2tlbi1tb2Nr",
  }),
  "aws:ses/domainDkim:DomainDkim": () => ({
    dkimTokens: [
      "dkimtokena1b2c3d4e5f6a7b8c9d0e1f2a3",
      "dkimtokenb1b2c3d4e5f6a7b8c9d0e1f2a3",
      "dkimtokenc1b2c3d4e5f6a7b8c9d0e1f2a3",
    ],
  }),
  "aws:iam/user:User": (i, name, { aws }) => ({
    arn: aws.globalArn("iam", `user${i.path ?? "/"}${i.name ?? `${name}-a1b2c3d`}`),
    name: i.name ?? `${name}-a1b2c3d`,
    uniqueId: "AIDAEXAMPLEUSERID",
  }),
  "aws:iam/accessKey:AccessKey": () => ({
    secret: "[secret access key]",
    sesSmtpPasswordV4: "[ses smtp password]",
    status: "Active",
    createDate: "2026-01-01T00:00:00Z",
  }),
  // GitLab's database on RDS (infra/database): the endpoint AWS gives the instance (`<id>.<random>.<region>.rds.amazonaws.com`),
  // its master user (a restored snapshot's own: this program's `gitlab`) and the minor version RDS picked.
  "aws:rds/instance:Instance": (i, name, { aws }) => {
    const identifier = String(i.identifier ?? `${name}-a1b2c3d`);
    const address = `${identifier}.c0a1b2c3d4e5.${aws.region}.rds.${aws.dnsSuffix}`;
    const port = Number(i.port ?? 5432);
    return {
      identifier,
      address,
      port,
      endpoint: `${address}:${port}`,
      username: i.username ?? "gitlab",
      arn: aws.arn("rds", `db:${identifier}`),
      resourceId: "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
      engineVersionActual: `${String(i.engineVersion ?? "17")}.6`,
      hostedZoneId: "Z1RLNUO7B9Q6NB",
      status: "available",
    };
  },
  "aws:rds/subnetGroup:SubnetGroup": (i, name, { aws }) => ({
    name: i.name ?? `${name}-a1b2c3d`,
    arn: aws.arn("rds", `subgrp:${i.name ?? name}`),
  }),
  "aws:rds/parameterGroup:ParameterGroup": (i, name, { aws }) => ({
    name: i.name ?? `${name}-a1b2c3d`,
    arn: aws.arn("rds", `pg:${i.name ?? name}`),
  }),
  // The alarms (infra/alarms): each alarm's ARN by its name, the topic's by its name, an email
  // subscription pending until its address confirms.
  "aws:cloudwatch/metricAlarm:MetricAlarm": (i, name, { aws }) => ({
    arn: aws.arn("cloudwatch", `alarm:${String(i.name ?? name)}`),
  }),
  "aws:sns/topic:Topic": (i, name, { aws }) => ({
    arn: aws.arn("sns", String(i.name ?? name)),
    name: i.name ?? name,
  }),
  "aws:sns/topicSubscription:TopicSubscription": (i, _name, { aws }) => ({
    arn: "pending confirmation",
    ownerId: aws.arn("sns", "").split(":")[4],
    pendingConfirmation: true,
    confirmationWasAuthenticated: false,
    topic: i.topic,
  }),
  // The upgrade guard (infra/upgrade-guard): the version it read from the image tag.
  "pulumi-nodejs:dynamic/gitlab-dind:GitLabVersion": (i) => {
    const match = /:v?(\d+\.\d+\.\d+)/.exec(String(i.image));
    return { version: match === null ? "unknown" : match[1] };
  },
  // The wait for the backup timer's association run (infra/backup/association-wait.ts).
  "pulumi-nodejs:dynamic/gitlab-dind:AssociationRunWait": () => ({
    associationVersion: "1",
    detailedStatus: "Success",
  }),
  // GitLab's Redis on ElastiCache (infra/redis): a cluster-mode-disabled group's members are
  // `<group id>-001`, `-002`…, one per cache cluster; the primary endpoint is `master.<id>.<hash>.<region code>.cache.amazonaws.com`.
  "aws:elasticache/replicationGroup:ReplicationGroup": (i, name, { aws }) => {
    const id = String(i.replicationGroupId ?? `${name}-a1b2c3d`).toLowerCase();
    const nodes = Number(i.numCacheClusters ?? 1);
    return {
      replicationGroupId: id,
      arn: aws.arn("elasticache", `replicationgroup:${id}`),
      primaryEndpointAddress: `master.${id}.abc123.${regionCode(aws.region)}.cache.${aws.dnsSuffix}`,
      readerEndpointAddress: `replica.${id}.abc123.${regionCode(aws.region)}.cache.${aws.dnsSuffix}`,
      memberClusters: Array.from({ length: nodes }, (_, n) => `${id}-${String(n + 1).padStart(3, "0")}`),
      engineVersionActual: `${String(i.engineVersion ?? "7.2")}.0`,
      clusterEnabled: false,
    };
  },
  "aws:elasticache/parameterGroup:ParameterGroup": (i, name, { aws }) => {
    const pgName = String(i.name ?? `${name}-a1b2c3d`);
    return { name: pgName, arn: aws.arn("elasticache", `parametergroup:${pgName}`) };
  },
  "aws:elasticache/subnetGroup:SubnetGroup": (i, name, { aws }) => {
    const sgName = String(i.name ?? `${name}-a1b2c3d`);
    return { name: sgName, arn: aws.arn("elasticache", `subnetgroup:${sgName}`), vpcId: "vpc-0a1b2c3d4e5f60718" };
  },
  // The AWS host's wait for its Docker API (infra/host/aws/docker-api-wait.ts).
  "pulumi-nodejs:dynamic/gitlab-dind:DockerApiWait": (i) => ({ endpoint: `tcp://${i.host}:${i.port}`, attempts: 1 }),
};

/** Invokes the program may make, with realistic answers for the region of their provider. */
export const INVOKES: Record<string, InvokeHandler> = {
  "aws:index/getRegion:getRegion": (_i, { aws }) => ({ name: aws.region, region: aws.region, id: aws.region }),
  "aws:index/getAvailabilityZones:getAvailabilityZones": (_i, { aws }) => ({
    names: [aws.zone("a"), aws.zone("b")],
    zoneIds: [aws.zoneId(1), aws.zoneId(2)],
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": (_i, { aws }) => ({
    accountId: ACCOUNT,
    arn: aws.globalArn("iam", "user/ci"),
    userId: "AIDA",
  }),
  "aws:index/getPartition:getPartition": (_i, { aws }) => ({ partition: aws.partition, dnsSuffix: aws.dnsSuffix }),
  // AWS's public parameter for the latest Amazon Linux 2023 AMI (infra/host/aws/instance.ts), in
  // the region asked (the id is a placeholder: real ones differ by region).
  "aws:ssm/getParameter:getParameter": (i, { aws }) => {
    if (i.name !== "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
      throw new Error(`RecordingMocks: no SSM parameter ${i.name}`);
    const ami = "ami-0a1b2c3d4e5f60718";
    return {
      id: i.name,
      name: i.name,
      arn: `arn:${aws.partition}:ssm:${aws.region}::parameter${i.name}`,
      type: "String",
      value: ami,
      insecureValue: ami,
      version: 112,
      withDecryption: true,
    };
  },
  // An SES domain identity another stack (or a person) made (infra/email, email.sesExistingIdentity).
  "aws:ses/getDomainIdentity:getDomainIdentity": (i, { aws }) => ({
    id: i.domain,
    domain: i.domain,
    arn: aws.arn("ses", `identity/${i.domain}`),
    region: aws.region,
    verificationToken: "c2VzLXZlcmlmaWNhdGlvbi10b2tlbi1tb2Nr",
  }),
  // The Docker daemon's default bridge, as `docker network inspect bridge` shows it (infra/mirror).
  "docker:index/getNetwork:getNetwork": (i) => {
    if (i.name !== "bridge") throw new Error(`RecordingMocks: no Docker network ${i.name}`);
    return {
      id: "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c",
      name: "bridge",
      driver: "bridge",
      scope: "local",
      internal: false,
      options: { "com.docker.network.bridge.default_bridge": "true" },
      ipamConfigs: [{ subnet: "172.17.0.0/16", gateway: "172.17.0.1", ipRange: "", auxAddress: {} }],
      containers: [],
    };
  },
};

/**
 * The id the mock gives a created resource. Other resources' inputs carry it where the program
 * passes `resource.id` (the offline policy run reads property dependencies from it).
 */
export function mockId(name: string): string {
  return `${name}-id`;
}

export class RecordingMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly invokes: RecordedInvoke[] = [];
  /** The state of every resource created so far, by id. */
  private readonly states = new Map<string, Record<string, any>>();
  /** The region of every AWS provider created so far, by its id. */
  private readonly providerRegions = new Map<string, string>();

  constructor(
    private readonly computed: Record<string, ComputedFields> = COMPUTED,
    private readonly invokeHandlers: Record<string, InvokeHandler> = INVOKES,
    private readonly options: RecordingMocksOptions = {},
  ) {}

  newResource(
    args: pulumi.runtime.MockResourceArgs,
    options?: RequestOptions,
  ): { id: string | undefined; state: Record<string, unknown> } {
    const inputs = (args.inputs ?? {}) as Record<string, unknown>;
    this.resources.push({
      type: args.type,
      name: args.name,
      custom: args.custom ?? true,
      inputs,
      provider: args.provider || undefined,
      existingId: args.id || undefined,
      ...(options === undefined ? {} : { options }),
    });
    const id = args.custom === false ? undefined : args.id || mockId(args.name);
    const revealed = revealSecrets(inputs) as Record<string, any>;
    if (args.type === "pulumi:providers:aws" && id !== undefined && typeof revealed.region === "string") {
      this.providerRegions.set(id, revealed.region);
    }
    const fill = this.computed[args.type];
    const state = {
      ...revealed,
      ...(fill
        ? fill(revealed, args.name, {
            ...this.context(args.provider, `${args.type} ${args.name}`),
            id: args.id || undefined,
          })
        : {}),
    };
    if (id !== undefined) this.states.set(id, state);
    return { id, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const handler = this.invokeHandlers[args.token];
    // The runtime passes an invoke's failure on as `details` (the gRPC field), not `message`.
    const fail = (message: string): never => {
      throw Object.assign(new Error(message), { details: message });
    };
    if (handler === undefined) {
      return fail(`RecordingMocks: no mock for invoke ${args.token}; add one to INVOKES in tools/plan/mocks.ts`);
    }
    this.invokes.push({ token: args.token, inputs: args.inputs, provider: args.provider || undefined });
    try {
      return handler(args.inputs, this.context(args.provider, `invoke ${args.token}`));
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * The region of a resource or invoke: its AWS provider's (a provider reference is
   * `<urn>::<id>`), else the mocks' own, else `aws:region` from the program's configuration.
   */
  private context(provider: string | undefined, what: string): MockContext {
    const providerId = provider ? provider.slice(provider.lastIndexOf("::") + 2) : undefined;
    const region =
      (providerId !== undefined ? this.providerRegions.get(providerId) : undefined) ??
      this.options.region ??
      pulumi.runtime.getConfig("aws:region");
    return {
      aws: awsPlace(region, what),
      stateOf: (id: unknown) => (typeof id === "string" ? this.states.get(id) : undefined),
    };
  }

  /** Resources of one type token, in registration order. */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource with this type and name; throws when there is none. */
  get(type: string, name: string): RecordedResource {
    const found = this.resources.find((r) => r.type === type && r.name === name);
    if (found === undefined) {
      const names = this.ofType(type).map((r) => r.name);
      throw new Error(`no ${type} named ${name}; have ${names.length ? names.join(", ") : "none of that type"}`);
    }
    return found;
  }
}

/** Resolves an Output's value in a test (under mocks every value is known). */
export function valueOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) =>
    pulumi.output(output).apply((v) => {
      resolve(v as T);
      return v;
    }),
  );
}
