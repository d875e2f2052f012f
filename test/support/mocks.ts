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
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** The inputs as the provider receives them; secret values are wrapped (see `isSecretValue`). */
  readonly inputs: Record<string, unknown>;
  /** The provider reference, when the resource names one explicitly. */
  readonly provider: string | undefined;
}

export interface RecordedInvoke {
  readonly token: string;
  readonly inputs: Record<string, unknown>;
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
  "docker:index/volume:Volume": (i, name) => ({ name: i.name ?? name, driver: "local", mountpoint: `/var/lib/docker/volumes/${i.name ?? name}/_data` }),
  "docker:index/container:Container": (i, name) => ({ name: i.name ?? name, exitCode: undefined, networkDatas: [] }),
};

/** Invokes the program may make, with realistic answers. */
export const INVOKES: Record<string, InvokeHandler> = {
  "aws:index/getRegion:getRegion": () => ({ name: region, region, id: region }),
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({ names: [az, `${region}b`], zoneIds: ["euc1-az2", "euc1-az3"] }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: "123456789012", arn: arn("iam", "user/ci"), userId: "AIDA" }),
  "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
};

export class RecordingMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly invokes: RecordedInvoke[] = [];

  constructor(
    private readonly computed: Record<string, ComputedFields> = COMPUTED,
    private readonly invokeHandlers: Record<string, InvokeHandler> = INVOKES,
  ) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const inputs = (args.inputs ?? {}) as Record<string, unknown>;
    this.resources.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs, provider: args.provider || undefined });
    const fill = this.computed[args.type];
    const state = { ...revealSecrets(inputs) as Record<string, unknown>, ...(fill ? fill(revealSecrets(inputs) as Record<string, any>, args.name) : {}) };
    return { id: args.custom === false ? undefined : `${args.name}-id`, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const handler = this.invokeHandlers[args.token];
    if (handler === undefined) {
      throw new Error(`RecordingMocks: no mock for invoke ${args.token}; add one to INVOKES in test/support/mocks.ts`);
    }
    this.invokes.push({ token: args.token, inputs: args.inputs });
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
  return new Promise((resolve) => pulumi.output(output).apply((v) => { resolve(v as T); return v; }));
}
