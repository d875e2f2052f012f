/**
 * Runs a piece of the program as a Pulumi stack under the recording mocks, and reports what the
 * mocks alone cannot see: each resource's options (`dependsOn`, `deleteBeforeReplace`,
 * `retainOnDelete`, ...) as the program passed them, and its parent. Shared by the tests and the
 * offline plan. The options as the engine receives them (URNs, defaults applied) are on each
 * recorded resource (`RecordedResource.options`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { RecordingMocks } from "./mocks";
import { recordRequestOptions } from "./request-options";
import { withoutStackTraces } from "./stack-traces";

export interface UnderMocks<T> {
  readonly mocks: RecordingMocks;
  /** What the program returned. */
  readonly result: T;
  /** Resource name → the options it was created with. */
  readonly options: ReadonlyMap<string, pulumi.CustomResourceOptions>;
  /** Resource name → the names of the resources in its `dependsOn`. */
  readonly dependsOn: ReadonlyMap<string, readonly string[]>;
  /** `<type>::<name>` → the name of its parent (undefined for children of the stack). */
  readonly parents: ReadonlyMap<string, string | undefined>;
  /** `<type>::<name>` → the type of its parent (names alone can be ambiguous: a component and its container). */
  readonly parentTypes: ReadonlyMap<string, string | undefined>;
}

/** Builds `program` under the mocks, without Pulumi's per-promise stack traces (see ./stack-traces). */
export function runUnderMocks<T>(
  mocks: RecordingMocks,
  project: string,
  stack: string,
  program: () => T,
): Promise<UnderMocks<T>> {
  return withoutStackTraces(() => build(mocks, project, stack, program));
}

async function build<T>(
  mocks: RecordingMocks,
  project: string,
  stack: string,
  program: () => T,
): Promise<UnderMocks<T>> {
  // A clean slate: no engine configuration left by an earlier run in this process (the program
  // takes its settings as an argument; the mocks would read a leftover aws:region).
  pulumi.runtime.setAllConfig({}, []);
  await pulumi.runtime.setMocks(mocks, project, stack, false);
  // The mocks alone get no resource options: each request's reach them too (see ./request-options).
  recordRequestOptions(mocks);
  const names = new WeakMap<pulumi.Resource, string>();
  const types = new WeakMap<pulumi.Resource, string>();
  const seen: pulumi.Resource[] = [];
  const options = new Map<string, pulumi.CustomResourceOptions>();
  const dependsOn = new Map<string, string[]>();
  const parents = new Map<string, string | undefined>();
  const parentTypes = new Map<string, string | undefined>();
  let result: T | undefined;

  await pulumi.runtime.runInPulumiStack(() => {
    // A stack transformation sees every resource with its options and parent object.
    pulumi.runtime.registerStackTransformation((args) => {
      names.set(args.resource, args.name);
      types.set(args.resource, args.type);
      seen.push(args.resource);
      options.set(args.name, args.opts);
      const deps = args.opts.dependsOn;
      const list = (deps === undefined ? [] : Array.isArray(deps) ? deps : [deps]) as pulumi.Resource[];
      dependsOn.set(
        args.name,
        list.map((r) => names.get(r) ?? "?"),
      );
      parents.set(
        `${args.type}::${args.name}`,
        args.opts.parent === undefined ? undefined : names.get(args.opts.parent),
      );
      parentTypes.set(
        `${args.type}::${args.name}`,
        args.opts.parent === undefined ? undefined : types.get(args.opts.parent),
      );
      return undefined;
    });
    result = program();
    return Promise.resolve({});
  });
  await settle(seen);
  return { mocks, result: result as T, options, dependsOn, parents, parentTypes };
}

/**
 * Waits until every resource the program created is registered, including those created
 * after `runInPulumiStack` returned (once an Output they wait on resolved), until no new one appears.
 */
async function settle(seen: pulumi.Resource[]): Promise<void> {
  let done = 0;
  while (done < seen.length) {
    const batch = seen.slice(done);
    done = seen.length;
    await Promise.all(batch.map((r) => new Promise((resolve) => r.urn.apply(resolve))));
    // Let Outputs that resolved with those registrations create what depends on them.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
