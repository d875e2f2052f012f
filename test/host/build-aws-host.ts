/**
 * Builds the AwsHost under the recording mocks, inside a stack, with a config parsed by the real
 * parser (so tests use the real defaults), and records each resource's options and dependencies.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../infra/config/parse";
import type { StackConfig } from "../../infra/config/types";
import { AwsHost } from "../../infra/host/aws/aws-host";
import { naming } from "../../infra/naming";
import { RecordingMocks, valueOf } from "../../tools/plan/mocks";
import { runUnderMocks } from "../../tools/plan/under-mocks";

export interface BuiltHost {
  readonly mocks: RecordingMocks;
  readonly host: AwsHost;
  readonly config: StackConfig;
  /** Resource options by logical name, as the program passed them. */
  readonly options: ReadonlyMap<string, pulumi.CustomResourceOptions>;
  /** Explicit `dependsOn` by logical name, as logical names. */
  readonly dependsOn: ReadonlyMap<string, readonly string[]>;
  readonly userData: string;
}

/** Stack settings for a team: `aws:region`, the team, and admin CIDRs, plus whatever is given. */
export function settings(team: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "aws:region": "eu-central-1",
    "gitlab-dind:team": team,
    "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
    ...extra,
  };
}

export function parse(values: Record<string, unknown>, secretKeys: readonly string[] = []): StackConfig {
  const parsed = parseStackConfig({ values, secretKeys: new Set(secretKeys) });
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  return parsed.config;
}

export async function buildAwsHost(
  values: Record<string, unknown>,
  stack = "dev",
  secretKeys: readonly string[] = [],
): Promise<BuiltHost> {
  const config = parse(values, secretKeys);
  const names = naming(config.team, stack);
  const run = await runUnderMocks(
    new RecordingMocks(),
    "gitlab-dind",
    stack,
    () => new AwsHost(names.name("host"), { config, names }),
  );
  const userData = await valueOf(run.result.build.files["user-data.yaml"]);
  return { mocks: run.mocks, host: run.result, config, options: run.options, dependsOn: run.dependsOn, userData };
}

const built = new Map<string, Promise<BuiltHost>>();

/**
 * `buildAwsHost`, run once per process for the same settings, stack and secret keys: tests that
 * read the same host share one build (a build under the mocks costs ~0.2 s). The result is
 * shared: read it, never change it.
 */
export function sharedAwsHost(
  values: Record<string, unknown>,
  stack = "dev",
  secretKeys: readonly string[] = [],
): Promise<BuiltHost> {
  const key = JSON.stringify([values, stack, secretKeys]);
  let build = built.get(key);
  if (build === undefined) {
    build = buildAwsHost(values, stack, secretKeys);
    built.set(key, build);
  }
  return build;
}
