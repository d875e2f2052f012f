/**
 * Runs the real program (`buildStack`) under Pulumi's mock runtime and collects what
 * `pulumi up` would create: every resource with its inputs and parent, the stack outputs,
 * and every rendered file.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../infra/config/types";
import { buildStack } from "../../infra/program";
import { RecordingMocks, redactSecrets } from "../../test/support/mocks";

export interface PlannedResource {
  readonly type: string;
  readonly name: string;
  /** The logical name of the parent resource; undefined for children of the stack. */
  readonly parent: string | undefined;
  /** What the provider would receive, every secret value replaced by "[secret]". */
  readonly inputs: Record<string, unknown>;
}

export interface Plan {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly PlannedResource[];
  readonly outputs: Record<string, unknown>;
  /** File name to content. Secrets inside are "[secret]": the mocks give no real secret. */
  readonly files: Record<string, string>;
}

const STACK_TYPE = "pulumi:pulumi:Stack";

export async function runPlan(project: string, stack: string, config: StackConfig): Promise<Plan> {
  const mocks = new RecordingMocks();
  await pulumi.runtime.setMocks(mocks, project, stack, false);

  const parents = new Map<string, string | undefined>();
  const names = new WeakMap<pulumi.Resource, string>();
  const seen: pulumi.Resource[] = [];
  let outputs: Record<string, pulumi.Input<unknown>> = {};
  let files: Record<string, pulumi.Output<string>> = {};

  await pulumi.runtime.runInPulumiStack(async () => {
    // A stack transformation sees every resource with its parent object: the mocks alone do not.
    pulumi.runtime.registerStackTransformation((args) => {
      names.set(args.resource, args.name);
      seen.push(args.resource);
      const parent = args.opts.parent;
      const parentName = parent === undefined ? undefined : names.get(parent);
      parents.set(`${args.type}::${args.name}`, parentName);
      return undefined;
    });
    const build = buildStack(config);
    outputs = { ...build.outputs };
    files = { ...build.files };
    return {};
  });
  await settle(seen);

  const resolvedOutputs: Record<string, unknown> = {};
  for (const key of Object.keys(outputs).sort()) {
    const out = pulumi.output(outputs[key]);
    resolvedOutputs[key] = (await pulumi.isSecret(out)) ? "[secret]" : redactSecrets(await resolve(out));
  }
  const resolvedFiles: Record<string, string> = {};
  for (const name of Object.keys(files).sort()) {
    resolvedFiles[name] = String(await resolve(files[name]));
  }

  const resources = mocks.resources
    .filter((r) => r.type !== STACK_TYPE)
    .map((r) => ({
      type: r.type,
      name: r.name,
      parent: parents.get(`${r.type}::${r.name}`),
      inputs: sortKeys(redactSecrets(r.inputs)) as Record<string, unknown>,
    }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));

  return { project, stack, resources, outputs: sortKeys(resolvedOutputs) as Record<string, unknown>, files: resolvedFiles };
}

/**
 * Waits until every resource the program created is registered, including those created
 * later than `runInPulumiStack` returns (after an Output they depend on resolved), and until
 * no new one appears.
 */
async function settle(seen: pulumi.Resource[]): Promise<void> {
  let done = 0;
  while (done < seen.length) {
    const batch = seen.slice(done);
    done = seen.length;
    await Promise.all(batch.map((r) => resolve(r.urn)));
    // Let Outputs that resolved with those registrations create what depends on them.
    await new Promise((r) => setImmediate(r));
  }
}

function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((res) => output.apply((v) => { res(v); return v; }));
}

/** Objects with keys in order, so the same input gives byte-identical output. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}
