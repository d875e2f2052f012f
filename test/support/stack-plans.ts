/**
 * The offline plan of a stack file of this repository (or of its settings changed), run in-process
 * with tools/plan's `runPlan`, as `npm run plan -- --stack <name>` does.
 */
import { join } from "node:path";
import { parseStackConfig } from "../../infra/config/parse";
import type { StackConfig } from "../../infra/config/types";
import { runPlan, type Plan } from "../../tools/plan/run-plan";
import { readStackFile } from "../../tools/plan/stack-file";

export const ROOT = join(__dirname, "..", "..");

/** The stack files of the repository: `Pulumi.<stack>.yaml`. */
export const STACKS = ["dev", "local"] as const;

/** The parsed settings of `Pulumi.<stack>.yaml`, with `values` (full keys) laid over the file's. */
export function stackConfig(stack: string, values: Record<string, unknown> = {}): StackConfig {
  const file = readStackFile(join(ROOT, `Pulumi.${stack}.yaml`));
  const parsed = parseStackConfig({ values: { ...file.values, ...values }, secretKeys: file.secretKeys });
  if (!parsed.ok) throw new Error(`Pulumi.${stack}.yaml: ${parsed.problems.join("; ")}`);
  return parsed.config;
}

export function planStack(stack: string, values: Record<string, unknown> = {}): Promise<Plan> {
  return runPlan("gitlab-dind", stack, stackConfig(stack, values));
}
