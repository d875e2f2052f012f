/**
 * GitLab's Redis on Amazon ElastiCache (`gitlab.redis` `elasticache`, aws only) as a contribution:
 * the replication group (elasticache-redis.ts), gitlab.rb pointing GitLab at it with the bundled
 * Redis off, the AUTH token as a root-only file, a memory alarm and the endpoint as an output.
 */
import type { AlarmSpec, Contribution } from "../contributions";
import { BOOTSTRAP_DIR } from "../gitlab/bootstrap-token";
import type { GitLabRbSetting } from "../gitlab/gitlab-rb";
import type { StackConfig } from "../config/types";
import type { AwsHostNetwork } from "../host/aws/aws-host";
import type { Naming } from "../naming";
import { ElastiCacheRedis, REDIS_PORT } from "./elasticache-redis";

export {
  ElastiCacheRedis,
  REDIS_PORT,
  VALKEY_ENGINE,
  VALKEY_FAMILY,
  VALKEY_VERSION,
  AUTH_TOKEN_LENGTH,
} from "./elasticache-redis";
export type { ElastiCacheRedisArgs } from "./elasticache-redis";

/** Where GitLab's container holds the AUTH token (root-only; gitlab.rb reads it). */
export const REDIS_PASSWORD_PATH = `${BOOTSTRAP_DIR}/redis-password`;
/** The memory alarm's threshold: `noeviction` refuses writes at 100%. */
export const REDIS_MEMORY_ALARM_PERCENT = 80;

/**
 * gitlab.rb for an external Redis over TLS (omnibus doc/settings/redis.md, "Using an alternate local
 * Redis instance" and "Make GitLab client connect to Redis server over SSL"). Workhorse, Sidekiq
 * (through Rails' resque.yml), KAS and gitlab-exporter take these same settings: omnibus copies
 * `gitlab_rails['redis_*']` to `gitlab_workhorse` (gitlab/libraries/gitlab_workhorse.rb
 * `parse_global_rails_redis_settings`) and `gitlab_kas` (gitlab-kas/libraries/gitlab_kas.rb
 * `parse_redis_settings`) when they have none of their own. No `redis_tls_ca_cert_file`: we expect
 * ElastiCache's server certificate to chain to a public root in omnibus's bundled CA list (not
 * verified at a source; omnibus doc/settings/redis.md "SSL certificates" says how to add a CA).
 */
export function redisGitLabRb(host: string, port: number, passwordFile: string): GitLabRbSetting[] {
  return [
    {
      kind: "assign",
      scope: "redis",
      key: "enable",
      value: false,
      comment: "GitLab's Redis is Amazon ElastiCache (gitlab.redis).",
    },
    { kind: "assign", scope: "gitlab_rails", key: "redis_host", value: host },
    { kind: "assign", scope: "gitlab_rails", key: "redis_port", value: port },
    { kind: "assign", scope: "gitlab_rails", key: "redis_ssl", value: true },
    { kind: "assign", scope: "gitlab_rails", key: "redis_password", value: { fileContents: passwordFile } },
  ];
}

/** The alarm on the group's memory (CloudWatch's `DatabaseMemoryUsagePercentage`, per node). */
export function redisMemoryAlarm(nodeId: AlarmSpec["dimensions"][string]): AlarmSpec {
  return {
    name: "redis-memory",
    description: `GitLab's Redis (ElastiCache) uses ${REDIS_MEMORY_ALARM_PERCENT}% or more of its memory: with noeviction it refuses writes when full (Sidekiq cannot queue jobs, sign-ins fail). Look for a growing Sidekiq queue (Admin > Monitoring > Background jobs) or raise elasticache.nodeType.`,
    namespace: "AWS/ElastiCache",
    metricName: "DatabaseMemoryUsagePercentage",
    dimensions: { CacheClusterId: nodeId },
    statistic: "Maximum",
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    threshold: REDIS_MEMORY_ALARM_PERCENT,
    periodSeconds: 300,
    evaluationPeriods: 2,
    treatMissingData: "missing",
  };
}

/**
 * The ElastiCache contribution: `{ name }` alone with gitlab.redis `bundled`. The config refuses
 * `elasticache` on the local target, so `host` is the AWS host whenever it is on.
 */
export function elastiCacheRedis(config: StackConfig, names: Naming, host: AwsHostNetwork | undefined): Contribution {
  const name = "redis";
  if (config.gitlab.redis !== "elasticache") return { name };
  if (host === undefined) throw new Error("gitlab-dind:gitlab.redis: elasticache needs the aws target");
  const redis = new ElastiCacheRedis(names.name("redis"), { host, settings: config.elasticache, names });
  return {
    name,
    // The endpoint is known once the group exists.
    gitlabRbOutput: redis.primaryEndpoint.apply((endpoint) => redisGitLabRb(endpoint, REDIS_PORT, REDIS_PASSWORD_PATH)),
    gitlabSecretFiles: [{ path: REDIS_PASSWORD_PATH, content: redis.authToken }],
    gitlabStartAfter: [redis.replicationGroup],
    alarms: [redisMemoryAlarm(redis.firstNodeId)],
    outputs: { redisEndpoint: redis.primaryEndpoint },
  };
}
