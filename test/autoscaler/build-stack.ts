/** Runs the real program for a stack file or settings under the recording mocks (test support). */
import { join } from "node:path";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";
import type { StackConfig } from "../../infra/config/types";
import { buildStack, type StackBuild } from "../../infra/program";
import { RecordingMocks, valueOf } from "../../tools/plan/mocks";
import { readStackFile } from "../../tools/plan/stack-file";
import { runUnderMocks, type UnderMocks } from "../../tools/plan/under-mocks";

export interface BuiltStack extends UnderMocks<StackBuild> {
  readonly config: StackConfig;
  /** Every rendered file, resolved. */
  readonly files: Record<string, string>;
}

export function stackFileValues(stack: string): RawConfig {
  return readStackFile(join(__dirname, "..", "..", `Pulumi.${stack}.yaml`)).values;
}

export async function buildUnderMocks(values: RawConfig, stack = "dev-autoscale"): Promise<BuiltStack> {
  const parsed = parseStackConfig({ values });
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  const run = await runUnderMocks(new RecordingMocks(), "gitlab-dind", stack, () => buildStack(parsed.config));
  const files: Record<string, string> = {};
  for (const [name, output] of Object.entries(run.result.files)) files[name] = await valueOf(output);
  return { ...run, config: parsed.config, files };
}
