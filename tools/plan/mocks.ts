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
}

export interface RecordedInvoke {
  readonly token: string;
  readonly inputs: Record<string, unknown>;
  /** The provider reference, when the invoke names one explicitly. */
  readonly provider: string | undefined;
}

/** Fields a provider computes for a resource of one type, from its inputs and name. */
export type ComputedFields = (inputs: Record<string, any>, name: string) => Record<string, unknown>;
export type InvokeHandler = (inputs: Record<string, any>) => Record<string, unknown>;

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

const region = "eu-central-1";
const az = `${region}a`;
const arn = (service: string, what: string) => `arn:aws:${service}:${region}:123456789012:${what}`;

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
  "docker:index/container:Container": (i, name) => ({ name: i.name ?? name, exitCode: undefined, networkDatas: [] }),
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
  "aws:ec2/eip:Eip": () => ({
    allocationId: "eipalloc-0a1b2c3d4e5f60718",
    publicIp: "198.51.100.7",
    publicDns: "ec2-198-51-100-7.eu-central-1.compute.amazonaws.com",
    arn: arn("ec2", "elastic-ip/eipalloc-0a1b2c3d4e5f60718"),
  }),
  "aws:ec2/instance:Instance": () => ({
    arn: arn("ec2", "instance/i-0a1b2c3d4e5f60718"),
    availabilityZone: az,
    privateIp: "10.42.0.10",
    publicIp: "198.51.100.99",
    instanceState: "running",
  }),
  "aws:ec2/vpc:Vpc": () => ({
    arn: arn("ec2", "vpc/vpc-0a1b2c3d4e5f60718"),
    defaultSecurityGroupId: "sg-0f0e0d0c0b0a09080",
    mainRouteTableId: "rtb-0f0e0d0c0b0a09080",
  }),
  "aws:ec2/subnet:Subnet": (i) => ({
    arn: arn("ec2", "subnet/subnet-0a1b2c3d4e5f60718"),
    availabilityZone: i.availabilityZone ?? az,
  }),
  "aws:ec2/securityGroup:SecurityGroup": (i, name) => ({
    arn: arn("ec2", "security-group/sg-0a1b2c3d4e5f60718"),
    name: i.name ?? `${name}-a1b2c3d`,
  }),
  // A read volume (`Volume.get`, host.dataVolumeId) has no inputs: it answers with where it lives.
  "aws:ebs/volume:Volume": (i) => ({
    arn: arn("ec2", "volume/vol-0a1b2c3d4e5f60718"),
    iops: 3000,
    throughput: 125,
    availabilityZone: i.availabilityZone ?? `${region}b`,
  }),
  "aws:iam/role:Role": (i, name) => ({
    arn: `arn:aws:iam::123456789012:role/${i.name ?? `${name}-a1b2c3d`}`,
    name: i.name ?? `${name}-a1b2c3d`,
    uniqueId: "AROAEXAMPLEROLEID",
  }),
  "aws:iam/instanceProfile:InstanceProfile": (i, name) => ({
    arn: `arn:aws:iam::123456789012:instance-profile/${i.name ?? `${name}-a1b2c3d`}`,
    name: i.name ?? `${name}-a1b2c3d`,
  }),
  "aws:ssm/parameter:Parameter": (i) => ({ arn: arn("ssm", `parameter${i.name}`), version: 1, tier: "Standard" }),
  "aws:dlm/lifecyclePolicy:LifecyclePolicy": () => ({ arn: arn("dlm", "policy/policy-0a1b2c3d4e5f60718") }),
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
  "tls:index/locallySignedCert:LocallySignedCert": (_i, name) => ({
    certPem: `-----BEGIN CERTIFICATE-----\nMOCK-${name}\n-----END CERTIFICATE-----\n`,
    readyForRenewal: false,
  }),
  // The upgrade guard (infra/upgrade-guard): the version it read from the image tag.
  "pulumi-nodejs:dynamic/gitlab-dind:GitLabVersion": (i) => {
    const match = /:v?(\d+\.\d+\.\d+)/.exec(String(i.image));
    return { version: match === null ? "unknown" : match[1] };
  },
  // The AWS host's wait for its Docker API (infra/host/aws/docker-api-wait.ts).
  "pulumi-nodejs:dynamic/gitlab-dind:DockerApiWait": (i) => ({ endpoint: `tcp://${i.host}:${i.port}`, attempts: 1 }),
};

/** Invokes the program may make, with realistic answers. */
export const INVOKES: Record<string, InvokeHandler> = {
  "aws:index/getRegion:getRegion": () => ({ name: region, region, id: region }),
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
    names: [az, `${region}b`],
    zoneIds: ["euc1-az2", "euc1-az3"],
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: "123456789012",
    arn: arn("iam", "user/ci"),
    userId: "AIDA",
  }),
  "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
  // AWS's public parameter for the latest Amazon Linux 2023 AMI (infra/host/aws/instance.ts).
  "aws:ssm/getParameter:getParameter": (i) => {
    if (i.name !== "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
      throw new Error(`RecordingMocks: no SSM parameter ${i.name}`);
    return {
      id: i.name,
      name: i.name,
      arn: `arn:aws:ssm:${region}::parameter${i.name}`,
      type: "String",
      value: "ami-0a1b2c3d4e5f60718",
      insecureValue: "ami-0a1b2c3d4e5f60718",
      version: 112,
      withDecryption: true,
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

  constructor(
    private readonly computed: Record<string, ComputedFields> = COMPUTED,
    private readonly invokeHandlers: Record<string, InvokeHandler> = INVOKES,
  ) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const inputs = (args.inputs ?? {}) as Record<string, unknown>;
    this.resources.push({
      type: args.type,
      name: args.name,
      custom: args.custom ?? true,
      inputs,
      provider: args.provider || undefined,
      existingId: args.id || undefined,
    });
    const fill = this.computed[args.type];
    const state = {
      ...(revealSecrets(inputs) as Record<string, unknown>),
      ...(fill ? fill(revealSecrets(inputs) as Record<string, any>, args.name) : {}),
    };
    return { id: args.custom === false ? undefined : args.id || mockId(args.name), state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const handler = this.invokeHandlers[args.token];
    if (handler === undefined) {
      const message = `RecordingMocks: no mock for invoke ${args.token}; add one to INVOKES in tools/plan/mocks.ts`;
      // The runtime passes an invoke's failure on as `details` (the gRPC field), not `message`.
      throw Object.assign(new Error(message), { details: message });
    }
    this.invokes.push({ token: args.token, inputs: args.inputs, provider: args.provider || undefined });
    return handler(args.inputs);
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
