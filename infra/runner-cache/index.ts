/**
 * The runner's shared S3 cache (`runner.cache.type` s3, AWS only): `runnerCache` returns the host role's
 * statement as a Contribution and the bucket the runner's config.toml names; an empty contribution and
 * no bucket with the local cache.
 */
import type { Contribution } from "../contributions";
import type { StackConfig } from "../config/types";
import type { AwsHostNetwork } from "../host/aws/aws-host";
import type { Naming } from "../naming";
import { RunnerCache } from "./runner-cache";

export {
  ABORT_MULTIPART_DAYS,
  CACHE_OBJECT_PREFIX,
  DISPOSABLE_CACHE_TAG,
  RunnerCache,
  runnerCacheStatements,
} from "./runner-cache";

/** What the program takes from the cache capability. */
export interface RunnerCacheBuild {
  /** The host role's Get/Put on the cache and the `runnerCacheBucket` output; empty with the local cache. */
  readonly contribution: Contribution;
  /** The bucket for config.toml's `[runners.cache]`; undefined with the local cache. */
  readonly cache: RunnerCache | undefined;
}

export function runnerCache(config: StackConfig, names: Naming, host: AwsHostNetwork | undefined): RunnerCacheBuild {
  if (config.runner.cache.type !== "s3") return { contribution: { name: "runner-cache" }, cache: undefined };
  // The config refuses s3 on the local target (runner.cache.type), before anything is created.
  if (host === undefined) throw new Error("runner.cache.type s3 needs the aws target");
  const cache = new RunnerCache("runner-cache", {
    names,
    expireDays: config.runner.cache.expireDays,
    provider: host.provider,
    region: host.region,
  });
  return { contribution: cache.contribution, cache };
}
