/**
 * GitLab's Redis on Amazon ElastiCache (`gitlab.redis` `elasticache`): a Valkey 7.2 replication
 * group with cluster mode disabled ("Redis 7.2 or Valkey 7.2 is required… Redis Cluster is not
 * supported", GitLab's install/requirements.md), in the host's two private subnets, reachable on its
 * port from the host's security group only, TLS required and an AUTH token, encrypted at rest.
 *
 * GitLab keeps its cache, sessions and Sidekiq's job queues in this one Redis: its parameter group
 * sets `maxmemory-policy noeviction` (GitLab's redis/replication_and_failover_external.md), so a full
 * node refuses writes instead of dropping queued jobs; the memory alarm (80%) says so first.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ElastiCacheConfig } from "../config/types";
import type { AwsHostNetwork } from "../host/aws/aws-host";
import { privateSubnets } from "../host/aws/private-subnets";
import type { Naming } from "../naming";

/** Valkey's (and Redis's) port; ElastiCache's default. */
export const REDIS_PORT = 6379;
/** The engine GitLab 19 supports, as ElastiCache names it, and its parameter group family. */
export const VALKEY_ENGINE = "valkey";
export const VALKEY_VERSION = "7.2";
export const VALKEY_FAMILY = "valkey7";
/**
 * The AUTH token's length and alphabet. ElastiCache takes 16–128 printable characters whose
 * non-alphanumeric ones are only `!&#$^<>-` (ElastiCache's "Authenticating with the Valkey and
 * Redis OSS AUTH command"; the provider refuses `@`, `"` and `/`, terraform-provider-aws
 * `validReplicationGroupAuthToken`). Letters and digits only: omnibus writes the password into
 * Redis URLs (resque.yml, Workhorse's config) where a `#` or `&` would need escaping.
 */
export const AUTH_TOKEN_LENGTH = 64;

export interface ElastiCacheRedisArgs {
  /** The AWS host: its provider, VPC, security group and zone (required). */
  readonly host: AwsHostNetwork;
  /** `elasticache.*`: node type and replicas (required). */
  readonly settings: ElastiCacheConfig;
  /** Physical names and tags (required). */
  readonly names: Naming;
}

export class ElastiCacheRedis extends pulumi.ComponentResource {
  /** The primary endpoint's DNS name (it follows a failover). */
  declare readonly primaryEndpoint: pulumi.Output<string>;
  declare readonly port: pulumi.Output<number>;
  /** The AUTH token; a secret. */
  declare readonly authToken: pulumi.Output<string>;
  /** The cache cluster id of the group's first node (`<group>-001`), for CloudWatch's per-node metrics. */
  declare readonly firstNodeId: pulumi.Output<string>;
  declare readonly replicationGroup: aws.elasticache.ReplicationGroup;
  declare readonly securityGroup: aws.ec2.SecurityGroup;
  declare readonly parameterGroup: aws.elasticache.ParameterGroup;
  declare readonly subnetGroup: aws.elasticache.SubnetGroup;

  constructor(name: string, args: ElastiCacheRedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:ElastiCacheRedis", name, {}, opts);
    const { host, settings, names } = args;
    const child: pulumi.CustomResourceOptions = { parent: this, provider: host.provider };

    // random marks `result` secret in the engine; wrapping says so in the program too (and under mocks).
    const authToken = pulumi.secret(
      new random.RandomPassword(
        `${name}-auth-token`,
        { length: AUTH_TOKEN_LENGTH, special: false, minLower: 1, minUpper: 1, minNumeric: 1 },
        { parent: this },
      ).result,
    );

    const subnets = privateSubnets(host, names);
    const subnetGroup = new aws.elasticache.SubnetGroup(
      `${name}-subnets`,
      {
        description: `gitlab-dind team ${names.team}: GitLab's Redis, private subnets in two zones`,
        subnetIds: subnets.subnetIds,
        tags: names.tags("redis"),
      },
      child,
    );

    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: host.vpcId,
        description: `gitlab-dind team ${names.team}: GitLab's Redis, from the GitLab host only`,
        tags: names.tags("redis"),
      },
      child,
    );
    // Only the host's security group reaches the port; no egress rule: the cache opens no connection.
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-in-${REDIS_PORT}-host`,
      {
        securityGroupId: securityGroup.id,
        referencedSecurityGroupId: host.securityGroupId,
        ipProtocol: "tcp",
        fromPort: REDIS_PORT,
        toPort: REDIS_PORT,
        description: "Valkey (TLS) from the GitLab host",
        tags: names.tags(`redis-in-${REDIS_PORT}`),
      },
      child,
    );

    const parameterGroup = new aws.elasticache.ParameterGroup(
      `${name}-params`,
      {
        family: VALKEY_FAMILY,
        description: `gitlab-dind team ${names.team}: GitLab's Redis (noeviction, cluster mode off)`,
        parameters: [
          // GitLab keeps Sidekiq's queues here: a full node must refuse writes, never evict a job.
          { name: "maxmemory-policy", value: "noeviction" },
          // Cluster mode disabled: GitLab does not support Redis Cluster.
          { name: "cluster-enabled", value: "no" },
        ],
        tags: names.tags("redis"),
      },
      child,
    );

    const replicas = settings.replicas;
    const failover = replicas >= 1;
    // The primary in the host's zone, replicas alternating into the other zone first.
    const zones = Array.from({ length: 1 + replicas }, (_, i) => subnets.availabilityZones[i % 2 === 0 ? 0 : 1]);
    const replicationGroup = new aws.elasticache.ReplicationGroup(
      `${name}-group`,
      {
        description: `gitlab-dind team ${names.team}: GitLab's Redis (cache, sessions, Sidekiq queues)`,
        engine: VALKEY_ENGINE,
        engineVersion: VALKEY_VERSION,
        nodeType: settings.nodeType,
        port: REDIS_PORT,
        parameterGroupName: parameterGroup.name,
        // Cluster mode disabled: one node group, a primary and `replicas` read replicas.
        clusterMode: "disabled",
        numCacheClusters: 1 + replicas,
        automaticFailoverEnabled: failover,
        multiAzEnabled: failover,
        preferredCacheClusterAzs: zones,
        subnetGroupName: subnetGroup.name,
        securityGroupIds: [securityGroup.id],
        atRestEncryptionEnabled: true,
        transitEncryptionEnabled: true,
        // Clients must speak TLS: no plain-text connection is accepted.
        transitEncryptionMode: "required",
        authToken,
        // Node type and replica changes take effect at `pulumi up`, not in a later maintenance window
        // (the stack's config would otherwise say one thing while the group runs another for days).
        applyImmediately: true,
        tags: names.tags("redis"),
      },
      {
        ...child,
        // preferredCacheClusterAzs is read only at creation (the provider ignores it on update): a
        // change of elasticache.replicas changes the list, which must not show as a pending diff.
        ignoreChanges: ["preferredCacheClusterAzs"],
      },
    );

    this.replicationGroup = replicationGroup;
    this.securityGroup = securityGroup;
    this.parameterGroup = parameterGroup;
    this.subnetGroup = subnetGroup;
    this.primaryEndpoint = replicationGroup.primaryEndpointAddress;
    this.port = pulumi.output(REDIS_PORT);
    this.authToken = authToken;
    // CloudWatch publishes ElastiCache's memory per node (dimension CacheClusterId); the members of a
    // cluster-mode-disabled group are `<group>-001`, `-002`…, the lowest one first.
    this.firstNodeId = replicationGroup.memberClusters.apply((members) => {
      const first = [...(members ?? [])].sort()[0];
      if (first === undefined) throw new Error(`ElastiCache replication group ${name} has no member cluster`);
      return first;
    });
    this.registerOutputs({ primaryEndpoint: this.primaryEndpoint, port: this.port, firstNodeId: this.firstNodeId });
  }
}
