/**
 * Builds the AwsHost under the recording mocks, inside a stack, with a config parsed by the real
 * parser (so tests use the real defaults), and records each resource's options and dependencies.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../infra/config/parse";
import type { StackConfig } from "../../infra/config/types";
import { AwsHost } from "../../infra/host/aws/aws-host";
import { naming } from "../../infra/naming";
import { RecordingMocks, valueOf } from "../support/mocks";

export interface BuiltHost {
  readonly mocks: RecordingMocks;
  readonly host: AwsHost;
  readonly config: StackConfig;
  /** Resource options by logical name, as the program passed them. */
  readonly options: Map<string, pulumi.CustomResourceOptions>;
  /** Explicit `dependsOn` by logical name, as logical names. */
  readonly dependsOn: Map<string, string[]>;
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

export async function buildAwsHost(values: Record<string, unknown>, stack = "dev", secretKeys: readonly string[] = []): Promise<BuiltHost> {
  const config = parse(values, secretKeys);
  const mocks = new RecordingMocks();
  await pulumi.runtime.setMocks(mocks, "gitlab-dind", stack, false);
  const names = new WeakMap<pulumi.Resource, string>();
  const options = new Map<string, pulumi.CustomResourceOptions>();
  const dependsOn = new Map<string, string[]>();
  let host: AwsHost | undefined;
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      names.set(args.resource, args.name);
      options.set(args.name, args.opts as pulumi.CustomResourceOptions);
      const deps = args.opts.dependsOn;
      const list = (deps === undefined ? [] : Array.isArray(deps) ? deps : [deps]) as pulumi.Resource[];
      dependsOn.set(args.name, list.map((r) => names.get(r) ?? "?"));
      return undefined;
    });
    host = new AwsHost(naming(config.team, stack).name("host"), { config, names: naming(config.team, stack) });
    return {};
  });
  // Resources whose inputs wait on other outputs register later: let every registration land.
  await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const built = host as AwsHost;
  const userData = await valueOf(built.build.files["user-data.yaml"]);
  return { mocks, host: built, config, options, dependsOn, userData };
}
