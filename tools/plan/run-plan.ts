/**
 * Runs the real program (`buildStack`) under Pulumi's mock runtime and collects what
 * `pulumi up` would create: every resource with its inputs and parent, the stack outputs,
 * and every rendered file.
 */
import { format } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../infra/config/types";
import { buildStack } from "../../infra/program";
import { RecordingMocks, redactSecrets, type RecordedResource } from "./mocks";
import type { RequestOptions } from "./request-options";
import { withoutStackTraces } from "./stack-traces";
import { runUnderMocks } from "./under-mocks";

export interface PlannedResource {
  readonly type: string;
  readonly name: string;
  /** The logical name of the parent resource; undefined for children of the stack. */
  readonly parent: string | undefined;
  /** The parent's type (a name alone can be ambiguous); undefined for children of the stack. */
  readonly parentType?: string;
  /** What the provider would receive, every secret value replaced by "[secret]". */
  readonly inputs: Record<string, unknown>;
  /** The id of an existing resource the program reads (`Resource.get`) or imports; absent for what it creates. */
  readonly existingId?: string;
  /** Its resource options as the engine receives them; every plan writes them (hand-made test plans may not). */
  readonly options?: PlannedOptions;
}

/**
 * The options of a planned resource that change what `pulumi up` and `pulumi destroy` do, as the
 * registration request carries them (tools/plan/request-options.ts). Other resources are named by
 * their logical name, or `<type>::<name>` when two planned resources share that name.
 */
export interface PlannedOptions {
  /** `pulumi destroy` refuses to delete it (inherited from the parent when unset, as the SDK does). */
  readonly protect: boolean;
  /** `pulumi destroy` (or a replacement) drops it from the stack and leaves it where it is. */
  readonly retainOnDelete: boolean;
  /** A replacement deletes the old one before it creates the new one. */
  readonly deleteBeforeReplace: boolean;
  /** When this resource is deleted too, no delete of its own is made for this one; null when unset. */
  readonly deletedWith: string | null;
  readonly replaceOnChanges: readonly string[];
  readonly ignoreChanges: readonly string[];
  /** What explicit `dependsOn` adds: dependencies no input accounts for (components expanded to their resources). */
  readonly dependsOn: readonly string[];
  /**
   * Every resource the engine creates before this one and deletes after it: `dependsOn` and the
   * resources its inputs come from.
   */
  readonly dependencies: readonly string[];
  /** The id it is imported with; null when created (or read: see `existingId`). */
  readonly import: string | null;
  /**
   * The provider resource it is created through; null for components and for resources on their
   * package's default provider (random, tls, the dynamic providers), which the engine picks.
   */
  readonly provider: string | null;
  /** The custom timeouts that are set, as given (`20m`). */
  readonly customTimeouts: Readonly<{ create?: string; update?: string; delete?: string }>;
}

export interface Plan {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly PlannedResource[];
  readonly outputs: Record<string, unknown>;
  /** File name to content. Secrets inside are "[secret]": the mocks give no real secret. */
  readonly files: Record<string, string>;
  /** What the program logged with `pulumi.log.warn`, as `pulumi up` would show it. */
  readonly warnings: readonly string[];
}

const STACK_TYPE = "pulumi:pulumi:Stack";

export async function runPlan(project: string, stack: string, config: StackConfig): Promise<Plan> {
  const warnings: string[] = [];
  const stopCapturing = captureProgramWarnings(warnings);
  const failures = catchBuildFailures();
  try {
    // The outputs and files resolve after the build: without stack traces as well.
    return await Promise.race([withoutStackTraces(() => plan(project, stack, config, warnings)), failures.first]);
  } finally {
    stopCapturing();
    await failures.stop();
  }
}

/**
 * An error the program raises in an Output callback (a renderer inside `apply`) does not reject
 * `buildStack`: it rejects the registration of the resource that needed the value, which nothing
 * awaits, and Node would end the process with `triggerUncaughtException` and the error's dump.
 * While the plan builds, such an error fails the plan instead (`first` rejects with it: the CLI
 * prints `plan failed: <message>`). The resources that depended on the failed one reject in the
 * next turns too; `stop` waits until no more arrive before it lets go of them.
 */
function catchBuildFailures(): { first: Promise<never>; stop: () => Promise<void> } {
  let count = 0;
  let fail: (error: unknown) => void = () => undefined;
  const first = new Promise<never>((_, reject) => (fail = reject));
  // Handled here (the race above settles on it); without this, a plan that succeeds would leave it unobserved.
  first.catch(() => undefined);
  const listener = (error: unknown): void => {
    count++;
    fail(error);
  };
  process.on("unhandledRejection", listener);
  process.on("uncaughtException", listener);
  return {
    first,
    stop: async () => {
      if (count > 0) {
        // Until a few turns of the event loop bring no new rejection.
        for (let quiet = 0, seen = count; quiet < 5; seen = count) {
          await new Promise((resolve) => setImmediate(resolve));
          quiet = count === seen ? quiet + 1 : 0;
        }
      }
      process.off("unhandledRejection", listener);
      process.off("uncaughtException", listener);
    },
  };
}

async function plan(project: string, stack: string, config: StackConfig, warnings: string[]): Promise<Plan> {
  const mocks = new RecordingMocks(undefined, undefined, { region: config.awsRegion });
  const run = await runUnderMocks(mocks, project, stack, () => buildStack(config));
  const { outputs, files } = run.result;

  const resolvedOutputs: Record<string, unknown> = {};
  for (const key of Object.keys(outputs).sort()) {
    const out = pulumi.output(outputs[key]);
    resolvedOutputs[key] = (await pulumi.isSecret(out)) ? "[secret]" : redactSecrets(await resolve(out));
  }
  const resolvedFiles: Record<string, string> = {};
  for (const name of Object.keys(files).sort()) {
    resolvedFiles[name] = String(await resolve(files[name]));
  }

  const recorded = run.mocks.resources.filter((r) => r.type !== STACK_TYPE);
  const refer = referenceNamer(recorded);
  const resources = recorded
    .map((r) => ({
      type: r.type,
      name: r.name,
      parent: run.parents.get(`${r.type}::${r.name}`),
      ...optional("parentType", run.parentTypes.get(`${r.type}::${r.name}`)),
      inputs: sortKeys(redactSecrets(r.inputs)) as Record<string, unknown>,
      ...optional("existingId", r.existingId),
      options: sortKeys(plannedOptions(r, refer)) as PlannedOptions,
    }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));

  return {
    project,
    stack,
    resources,
    outputs: sortKeys(resolvedOutputs) as Record<string, unknown>,
    files: resolvedFiles,
    warnings: [...warnings],
  };
}

/**
 * Names other resources as resources.json does: by a URN (or a provider reference, `<urn>::<id>`),
 * the logical name, or `<type>::<name>` when two of the plan's resources share the name.
 */
export function referenceNamer(resources: readonly RecordedResource[]): (urnOrReference: string) => string {
  const count = new Map<string, number>();
  for (const r of resources) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  return (urnOrReference) => {
    // urn:pulumi:<stack>::<project>::<parent types $ type>::<name>[::<provider id>]
    const parts = urnOrReference.split("::");
    if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:")) {
      throw new Error(`the plan cannot name the resource of ${JSON.stringify(urnOrReference)}: not a URN`);
    }
    const type = parts[2].split("$").at(-1)!;
    const name = parts[3];
    return (count.get(name) ?? 0) > 1 ? `${type}::${name}` : name;
  };
}

/** The options of a recorded resource, other resources by name; the defaults when none were recorded. */
export function plannedOptions(r: RecordedResource, refer: (urn: string) => string): PlannedOptions {
  const o: RequestOptions | undefined = r.options;
  if (o === undefined) throw new Error(`the plan has no options for ${r.type} ${r.name}: run it with runUnderMocks`);
  const fromInputs = new Set(Object.values(o.propertyDependencies).flat());
  const names = (urns: readonly string[]) => [...new Set(urns.map(refer))].sort();
  return {
    protect: o.protect,
    retainOnDelete: o.retainOnDelete,
    deleteBeforeReplace: o.deleteBeforeReplace,
    deletedWith: o.deletedWith === undefined ? null : refer(o.deletedWith),
    replaceOnChanges: [...o.replaceOnChanges],
    ignoreChanges: [...o.ignoreChanges],
    dependsOn: names(o.dependencies.filter((urn) => !fromInputs.has(urn))),
    dependencies: names(o.dependencies),
    import: o.import ?? null,
    provider: o.provider === undefined ? null : refer(o.provider),
    customTimeouts: { ...o.customTimeouts },
  };
}

/**
 * With no engine (as under mocks), `pulumi.log.warn` writes `warning: [runtime] <message>` to
 * `console.warn`; the plan collects those messages to show them as `pulumi up` would, and lets
 * anything else through. Returns the function that stops collecting.
 */
function captureProgramWarnings(into: string[]): () => void {
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = format(...args);
    const match = /^warning: \[runtime\] ([\s\S]*)$/.exec(text);
    if (match) into.push(match[1]);
    else original(...args);
  };
  return () => {
    console.warn = original;
  };
}

/** `{ [key]: value }`, or nothing when the value is undefined (resources.json carries no nulls). */
function optional(key: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [key]: value };
}

function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((res) =>
    output.apply((v) => {
      res(v);
      return v;
    }),
  );
}

/** Objects with keys in order, so the same input gives byte-identical output. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
