/**
 * The one place that reads the Pulumi stack configuration.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./parse";
import type { StackConfig } from "./types";

/**
 * Bad configuration. A RunError, so that `pulumi up` and `pulumi preview` print the message
 * alone, without a stack trace, and exit non-zero before any resource is registered.
 */
export class StackConfigError extends pulumi.RunError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(formatProblems(problems));
    this.name = "StackConfigError";
    this.problems = problems;
  }
}

export function formatProblems(problems: readonly string[]): string {
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return `The stack configuration has ${count}:\n${problems.map((p) => `  - ${p}`).join("\n")}`;
}

/** Reads, validates and defaults the stack's configuration; throws StackConfigError listing every problem. */
export function loadStackConfig(): StackConfig {
  const values = pulumi.runtime.allConfig();
  const secretKeys = new Set(Object.keys(values).filter(isSecretKey));
  const result = parseStackConfig({ values, secretKeys });
  if (!result.ok) throw new StackConfigError(result.problems);
  return result.config;
}

/**
 * Whether the engine marked a key secret. The SDK's `isConfigSecret` is not in its typings,
 * so it is read from the runtime module, falling back to the environment variable it reads.
 */
function isSecretKey(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtime.isConfigSecret === "function") return runtime.isConfigSecret(key);
  const listed: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]");
  return Array.isArray(listed) && listed.includes(key);
}
