/**
 * The offline plan of a stack file of this repository (or of its settings changed), run in-process
 * with tools/plan's `runPlan`, as `npm run plan -- --stack <name>` does.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseStackConfig } from "../../infra/config/parse";
import type { StackConfig } from "../../infra/config/types";
import { runPlan, type Plan } from "../../tools/plan/run-plan";
import { readStackFile } from "../../tools/plan/stack-file";

export const ROOT = join(__dirname, "..", "..");

/** The stack files of the repository: `Pulumi.<stack>.yaml`. */
export const STACKS = ["dev", "local"] as const;

/**
 * The parsed settings of `Pulumi.<stack>.yaml`, with `values` (full keys) laid over the file's;
 * `secretKeys` names those of `values` given as secrets (`pulumi config set --secret`).
 */
export function stackConfig(
  stack: string,
  values: Record<string, unknown> = {},
  secretKeys: readonly string[] = [],
): StackConfig {
  const file = readStackFile(stackFile(stack));
  const parsed = parseStackConfig({
    values: { ...file.values, ...values },
    secretKeys: new Set([...file.secretKeys, ...secretKeys]),
  });
  if (!parsed.ok) throw new Error(`Pulumi.${stack}.yaml: ${parsed.problems.join("; ")}`);
  return parsed.config;
}

const plans = new Map<string, Promise<Plan>>();

/**
 * The plan of `Pulumi.<stack>.yaml` with `values` laid over it, run once per process for the same
 * file content and values: a plan is immutable, so tests that read the same one share it, deeply
 * frozen (a test that changed it would throw instead of changing it for the next).
 */
export function planStack(stack: string, values: Record<string, unknown> = {}): Promise<Plan> {
  const key = JSON.stringify([stack, readFileSync(stackFile(stack), "utf8"), values]);
  let plan = plans.get(key);
  if (plan === undefined) {
    plan = runPlan("gitlab-dind", stack, stackConfig(stack, values)).then(deepFreeze);
    plans.set(key, plan);
    // A failed plan is not kept: the next call runs it again and shows its own error.
    plan.catch(() => plans.delete(key));
  }
  return plan;
}

function stackFile(stack: string): string {
  return join(ROOT, `Pulumi.${stack}.yaml`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
