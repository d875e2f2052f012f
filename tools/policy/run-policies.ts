/**
 * Applies the policy pack's policies (policy/policies.ts) to an offline plan (tools/plan's
 * `resources.json`), through each policy's own `validateResource` / `validateStack` functions,
 * with arguments built as @pulumi/policy's analyzer server builds them for the engine
 * (server.js `makeAnalyzeRpcFun` / `makeAnalyzeStackRpcFun`): type, props, urn, name, opts,
 * stackTags, isType/asType by the class's `__pulumiType`, getConfig from the pack config, and a
 * `notApplicable` that throws. No rule is restated here.
 *
 * What a plan cannot give, and how it is filled:
 * - props are the planned *inputs* (resource policies see inputs in the engine too; stack
 *   policies see outputs there, which the plan does not have), secrets as "[secret]";
 * - the provider resource is not recorded (no policy here reads it);
 * - dependencies come from input values equal to another resource's mock id (`<name>-id`), which
 *   is how a `resource.id` passed to another resource appears in the plan;
 * - resources the program only reads (`Resource.get`) are skipped, as the engine skips reads;
 * - options: those the analyzer passes (protect, ignoreChanges, deleteBeforeReplace, custom
 *   timeouts) from the plan's `options`, and the stack policies' `dependencies` from its list.
 */
import type {
  EnforcementLevel,
  PolicyPackConfig,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { mockId } from "../plan/mocks";
import type { PlannedResource } from "../plan/run-plan";

/** What `npm run plan -- --out <dir>` writes as resources.json. */
export interface PlanDocument {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly PlannedResource[];
}

export interface Violation {
  readonly policy: string;
  /** The resource's logical name; the stack's name for a violation of the stack as a whole. */
  readonly resource: string;
  readonly type: string;
  readonly message: string;
  readonly enforcementLevel: EnforcementLevel;
}

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

const STACK_TYPE = "pulumi:pulumi:Stack";

class NotApplicable extends Error {}

/** Resource classes as @pulumi/policy matches them: by their static `__pulumiType`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const cls = resourceClass as { __pulumiType?: unknown; isInstance?: (o: unknown) => boolean };
  if (typeof cls.__pulumiType === "string") return cls.__pulumiType === type;
  return typeof cls.isInstance === "function" && cls.isInstance({ __pulumiType: type }) === true;
}

const OPTIONS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** Seconds of a Go duration as a custom timeout gives it (`20m`, `1h30m`, `90s`); 0 when unset, as the engine sends it. */
export function durationSeconds(duration: string | undefined): number {
  if (duration === undefined || duration === "") return 0;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001, µs: 0.000001, ns: 1e-9 };
  let seconds = 0;
  const pattern = /(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/gy;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = pattern.exec(duration)) !== null) {
    seconds += Number(match[1]) * units[match[2]];
    end = pattern.lastIndex;
  }
  if (end !== duration.length) throw new Error(`custom timeout ${JSON.stringify(duration)} is not a duration`);
  return seconds;
}

/**
 * A planned resource's options as the analyzer hands them to a policy (@pulumi/policy server.js
 * `getResourceOptions`: protect, ignoreChanges, deleteBeforeReplace, aliases, custom timeouts in
 * seconds, additionalSecretOutputs). The engine does not send retainOnDelete or deletedWith to
 * policies (pulumi's AnalyzerResourceOptions has no such field), so neither does this.
 */
function policyOptions(r: PlannedResource): PolicyResourceOptions {
  const o = r.options;
  if (o === undefined) return OPTIONS;
  return {
    ...OPTIONS,
    protect: o.protect,
    ignoreChanges: [...o.ignoreChanges],
    deleteBeforeReplace: o.deleteBeforeReplace,
    customTimeouts: {
      createSeconds: durationSeconds(o.customTimeouts.create),
      updateSeconds: durationSeconds(o.customTimeouts.update),
      deleteSeconds: durationSeconds(o.customTimeouts.delete),
    },
  };
}

/** Whether the engine analyzes it: what the stack creates (or imports), not what it only reads. */
const isAnalyzed = (r: PlannedResource): boolean =>
  r.type !== STACK_TYPE && (r.existingId === undefined || (r.options?.import ?? null) !== null);

/** The parent of a planned resource: by name and type (a component and its container may share a name). */
function parentOf(plan: PlanDocument, r: PlannedResource): PlannedResource | undefined {
  if (r.parent === undefined) return undefined;
  return plan.resources.find(
    (p) => p.name === r.parent && p !== r && (r.parentType === undefined || p.type === r.parentType),
  );
}

/** The URNs of a plan's resources, with their parents' types as the engine writes them. */
function urns(plan: PlanDocument): Map<PlannedResource, string> {
  const result = new Map<PlannedResource, string>();
  for (const r of plan.resources) {
    const chain: string[] = [r.type];
    const seen = new Set<PlannedResource>([r]);
    for (let p = parentOf(plan, r); p !== undefined && !seen.has(p); p = parentOf(plan, p)) {
      seen.add(p);
      chain.unshift(p.type);
    }
    // Children of the stack have the stack's type first, as in the engine's URNs.
    chain.unshift(STACK_TYPE);
    result.set(r, `urn:pulumi:${plan.stack}::${plan.project}::${chain.join("$")}::${r.name}`);
  }
  return result;
}

function levelOf(policy: AnyPolicy, config: PolicyPackConfig, packLevel: EnforcementLevel): EnforcementLevel {
  const c = config[policy.name];
  const configured = typeof c === "string" ? c : c?.enforcementLevel;
  const level = configured ?? policy.enforcementLevel ?? packLevel;
  // As the analyzer does: a remediation that still finds a violation reports it as mandatory.
  return level === "remediate" ? "mandatory" : level;
}

function configOf(policy: AnyPolicy, config: PolicyPackConfig): object {
  const c = config[policy.name];
  if (c === undefined || typeof c === "string") return {};
  const { enforcementLevel: _level, ...properties } = c;
  return properties;
}

/** Names of the resources whose mock id appears among `value`'s strings. */
function referencedNames(value: unknown, ids: ReadonlyMap<string, string>, into: Set<string>): Set<string> {
  if (typeof value === "string") {
    const name = ids.get(value);
    if (name !== undefined) into.add(name);
  } else if (Array.isArray(value)) {
    for (const v of value) referencedNames(v, ids, into);
  } else if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) referencedNames(v, ids, into);
  }
  return into;
}

/** Every violation of the plan, in policy order, then resource order. */
export async function runPolicies(
  plan: PlanDocument,
  policies: readonly AnyPolicy[],
  config: PolicyPackConfig = {},
  packLevel: EnforcementLevel = "mandatory",
): Promise<Violation[]> {
  const resources = plan.resources.filter(isAnalyzed);
  const urnOf = urns(plan);
  const byUrn = new Map(resources.map((r) => [urnOf.get(r)!, r]));
  const stackTags: ReadonlyMap<string, string> = new Map();
  const violations: Violation[] = [];
  const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason ?? "Policy does not apply");
  };

  for (const policy of policies) {
    const enforcementLevel = levelOf(policy, config, packLevel);
    if (enforcementLevel === "disabled") continue;
    const getConfig = <T extends object>(): T => configOf(policy, config) as T;

    if ("validateResource" in policy && policy.validateResource !== undefined) {
      const validations: ResourceValidation[] = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : [policy.validateResource];
      for (const r of resources) {
        const urn = urnOf.get(r)!;
        const parent = parentOf(plan, r);
        const props = structuredClone<Record<string, unknown>>(r.inputs);
        const args: ResourceValidationArgs = {
          type: r.type,
          props,
          urn,
          name: r.name,
          opts: { ...policyOptions(r), ...(parent === undefined ? {} : { parent: urnOf.get(parent) }) },
          stackTags,
          isType: (cls) => isTypeOf(r.type, cls),
          asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
          getConfig,
          notApplicable,
        };
        for (const validation of validations) {
          try {
            await validation(args, (message) =>
              violations.push({ policy: policy.name, resource: r.name, type: r.type, message, enforcementLevel }),
            );
          } catch (e) {
            if (!(e instanceof NotApplicable)) throw policyError(policy.name, r.name, e);
          }
        }
      }
    }

    if ("validateStack" in policy) {
      const ids = new Map(resources.map((r) => [mockId(r.name), r.name]));
      const policyResources = new Map<PlannedResource, PolicyResource>();
      for (const r of resources) {
        const props = structuredClone<Record<string, unknown>>(r.inputs);
        policyResources.set(r, {
          type: r.type,
          props,
          urn: urnOf.get(r)!,
          name: r.name,
          opts: policyOptions(r),
          dependencies: [],
          propertyDependencies: {},
          isType: (cls) => isTypeOf(r.type, cls),
          asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
        });
      }
      const byName = new Map(resources.map((r) => [r.name, policyResources.get(r)!]));
      const shared = (r: PlannedResource) => plan.resources.filter((o) => o.name === r.name).length > 1;
      const byRef = new Map(
        resources.map((r) => [shared(r) ? `${r.type}::${r.name}` : r.name, policyResources.get(r)!]),
      );
      for (const r of resources) {
        const pr = policyResources.get(r)!;
        const planned = parentOf(plan, r);
        const parent = planned === undefined ? undefined : policyResources.get(planned);
        if (parent !== undefined) pr.parent = parent;
        const all = new Set<string>();
        for (const [key, value] of Object.entries(r.inputs)) {
          const names = [...referencedNames(value, ids, new Set())].filter((n) => n !== r.name);
          names.forEach((n) => all.add(n));
          if (names.length > 0) pr.propertyDependencies[key] = names.map((n) => byName.get(n)!);
        }
        // The engine's own list when the plan has it (resources.json names a resource by name, or
        // `<type>::<name>` when the name is shared); else what the inputs show.
        const engineDependencies = r.options?.dependencies;
        pr.dependencies =
          engineDependencies === undefined
            ? [...all].map((n) => byName.get(n)!)
            : engineDependencies.map((ref) => byRef.get(ref)).filter((d): d is PolicyResource => d !== undefined);
      }
      const args: StackValidationArgs = {
        resources: [...policyResources.values()],
        stackTags,
        getConfig,
        notApplicable,
      };
      try {
        await policy.validateStack(args, (message, urn) => {
          const r = urn === undefined ? undefined : byUrn.get(urn);
          violations.push({
            policy: policy.name,
            resource: r?.name ?? plan.stack,
            type: r?.type ?? STACK_TYPE,
            message,
            enforcementLevel,
          });
        });
      } catch (e) {
        if (!(e instanceof NotApplicable)) throw policyError(policy.name, plan.stack, e);
      }
    }
  }
  return violations;
}

function policyError(policy: string, resource: string, e: unknown): Error {
  return new Error(`${policy}: ${resource}: the policy failed: ${e instanceof Error ? e.message : String(e)}`);
}

/** `<policy>: <resource name>: <message>`, one line (the message's own lines joined). */
export function formatViolation(v: Violation): string {
  const message = v.message.replace(/\s*\n\s*/g, " ");
  return `${v.policy}: ${v.resource}: ${message}${v.enforcementLevel === "advisory" ? " (advisory)" : ""}`;
}
