/**
 * GitLab's Redis on ElastiCache (infra/redis): the replication group's inputs as the provider would
 * receive them, gitlab.rb read back by Ruby (no secret in its text), the shared private subnets,
 * the memory alarm, and the config's refusals.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../../infra/config/parse";
import { alarmsOf } from "../../infra/contributions";
import { renderGitLabRb } from "../../infra/gitlab/gitlab-rb";
import { privateSubnetCidrs } from "../../infra/host/aws/private-subnets";
import { firstSubnet } from "../../infra/host/aws/network";
import { secondSubnetCidr } from "../../infra/autoscaler/runner-workers";
import { AUTH_TOKEN_LENGTH, REDIS_PASSWORD_PATH, redisGitLabRb, redisMemoryAlarm } from "../../infra/redis";
import { planStack, stackConfig } from "../support/stack-plans";
import { requireTool } from "../support/tools";

const GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";
const PARAMS = "aws:elasticache/parameterGroup:ParameterGroup";
const SUBNET_GROUP = "aws:elasticache/subnetGroup:SubnetGroup";
const SUBNET = "aws:ec2/subnet:Subnet";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const CONTAINER = "docker:index/container:Container";

const ON = { "gitlab-dind:gitlab.redis": "elasticache" };

describe("the ElastiCache replication group (offline plan of dev with gitlab.redis elasticache)", () => {
  it("is Valkey 7.2, cluster mode off, TLS required with an AUTH token, encrypted at rest, in a valkey7 noeviction parameter group", async () => {
    const plan = await planStack("dev", ON);
    const groups = plan.resources.filter((r) => r.type === GROUP);
    expect(groups).toHaveLength(1);
    const g = groups[0].inputs;
    expect(g).toMatchObject({
      engine: "valkey",
      engineVersion: "7.2",
      nodeType: "cache.m7g.large",
      port: 6379,
      clusterMode: "disabled",
      numCacheClusters: 1,
      automaticFailoverEnabled: false,
      multiAzEnabled: false,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: "required",
      authToken: "[secret]",
    });
    expect(g.numNodeGroups).toBeUndefined();
    const params = plan.resources.filter((r) => r.type === PARAMS);
    expect(params).toHaveLength(1);
    expect(params[0].inputs.family).toBe("valkey7");
    expect(params[0].inputs.parameters).toEqual([
      { name: "maxmemory-policy", value: "noeviction" },
      { name: "cluster-enabled", value: "no" },
    ]);
    expect(g.parameterGroupName).toBe(`${params[0].name}-a1b2c3d`);
  });

  it("turns automatic failover and Multi-AZ on with replicas, the primary in the host's zone and replicas alternating", async () => {
    const plan = await planStack("dev", { ...ON, "gitlab-dind:elasticache.replicas": 2 });
    const g = plan.resources.find((r) => r.type === GROUP)!.inputs;
    expect(g).toMatchObject({ numCacheClusters: 3, automaticFailoverEnabled: true, multiAzEnabled: true });
    expect(g.preferredCacheClusterAzs).toEqual(["eu-central-1a", "eu-central-1b", "eu-central-1a"]);
  });

  it("sits in two private subnets of two zones (no public address) and admits its port from the host's security group only", async () => {
    const plan = await planStack("dev", ON);
    const privates = plan.resources.filter((r) => r.type === SUBNET && r.name.includes("private"));
    expect(privates.map((s) => s.inputs.cidrBlock)).toEqual(["10.42.2.0/24", "10.42.3.0/24"]);
    expect(privates.map((s) => s.inputs.mapPublicIpOnLaunch)).toEqual([false, false]);
    expect(new Set(privates.map((s) => s.inputs.availabilityZone)).size).toBe(2);
    const subnetGroup = plan.resources.find((r) => r.type === SUBNET_GROUP)!;
    expect(subnetGroup.inputs.subnetIds).toHaveLength(2);

    const redisSg = plan.resources.find((r) => r.type === SG && r.name.includes("redis"))!;
    const hostSg = plan.resources.find((r) => r.type === SG && r.name === "dev-host-sg")!;
    expect(hostSg).toBeDefined();
    const rules = plan.resources.filter(
      (r) => (r.type === INGRESS || r.type === EGRESS) && r.options?.dependencies.includes(redisSg.name),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0].type).toBe(INGRESS);
    expect(rules[0].inputs).toMatchObject({ ipProtocol: "tcp", fromPort: 6379, toPort: 6379 });
    expect(rules[0].inputs.cidrIpv4).toBeUndefined();
    expect(rules[0].options?.dependencies).toContain(hostSg.name);
    expect(typeof rules[0].inputs.referencedSecurityGroupId).toBe("string");
  });

  it("gives GitLab's gitlab.rb the endpoint with the bundled Redis off and the token from a root-only file, never in the text; outputs the endpoint", async () => {
    const plan = await planStack("dev", ON);
    const rb = plan.files["gitlab.rb"];
    expect(rb).toContain("redis['enable'] = false");
    expect(rb).toContain("gitlab_rails['redis_host'] = 'master.");
    expect(rb).toContain("gitlab_rails['redis_ssl'] = true");
    expect(rb).toContain(`gitlab_rails['redis_password'] = File.read('${REDIS_PASSWORD_PATH}').chomp`);
    // The mocks' token is "p" × its length: it must not appear in the text.
    expect(rb).not.toContain("p".repeat(AUTH_TOKEN_LENGTH));
    const container = plan.resources.find((r) => r.type === CONTAINER && r.name === "gitlab")!;
    expect(container.inputs.uploads).toBe("[secret]");
    expect(container.options?.dependencies.some((d) => d.includes("redis-group"))).toBe(true);
    expect(String(plan.outputs.redisEndpoint)).toMatch(/^master\..*\.cache\.amazonaws\.com$/);
    expect(JSON.stringify(plan.outputs)).not.toContain("p".repeat(AUTH_TOKEN_LENGTH));
  });

  it("leaves the shipped stacks as they were: no ElastiCache, no private subnet, bundled Redis", async () => {
    for (const stack of ["dev", "local"]) {
      const plan = await planStack(stack);
      expect(plan.resources.filter((r) => r.type.startsWith("aws:elasticache/"))).toEqual([]);
      expect(plan.resources.filter((r) => r.type === SUBNET && r.name.includes("private"))).toEqual([]);
      expect(plan.files["gitlab.rb"]).not.toContain("redis");
      expect(plan.outputs.redisEndpoint).toBeUndefined();
    }
  });
});

describe("the memory alarm", () => {
  it("watches DatabaseMemoryUsagePercentage of the group's first node at 80%", () => {
    const alarm = redisMemoryAlarm("dev-redis-group-a1b2c3d-001");
    expect(alarm).toMatchObject({
      namespace: "AWS/ElastiCache",
      metricName: "DatabaseMemoryUsagePercentage",
      dimensions: { CacheClusterId: "dev-redis-group-a1b2c3d-001" },
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 80,
    });
    expect(alarmsOf([{ name: "redis", alarms: [alarm] }])).toHaveLength(1);
  });
});

describe("the private subnets", () => {
  it("are the VPC's third and fourth /24, clear of the host's and the CI workers' subnets", () => {
    for (const vpc of ["10.42.0.0/16", "172.16.8.0/22", "10.0.0.0/20"]) {
      const [a, b] = privateSubnetCidrs(vpc);
      const taken = [firstSubnet(vpc), secondSubnetCidr(vpc)];
      expect(taken).not.toContain(a);
      expect(taken).not.toContain(b);
      expect(a).not.toBe(b);
    }
    expect(privateSubnetCidrs("172.16.8.0/22")).toEqual(["172.16.10.0/24", "172.16.11.0/24"]);
    expect(() => privateSubnetCidrs("10.42.0.0/23")).toThrow(/gitlab-dind:network.vpcCidr/);
  });
});

describe("the config", () => {
  const base = { "gitlab-dind:team": "dev" };
  it("refuses elasticache on the local target, naming the key", () => {
    const parsed = parseStackConfig({
      values: { ...base, "gitlab-dind:target": "local", "gitlab-dind:gitlab.redis": "elasticache" },
    });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems).toEqual([
      'gitlab-dind:gitlab.redis: expected bundled on the local target (elasticache is an Amazon ElastiCache replication group in the stack\'s AWS VPC); got "elasticache"',
    ]);
  });

  it("reports every bad ElastiCache value at once, each naming its key", () => {
    const parsed = parseStackConfig({
      values: {
        ...base,
        "aws:region": "eu-central-1",
        "gitlab-dind:network": JSON.stringify({ adminCidrs: ["203.0.113.0/24"], vpcCidr: "10.42.0.0/23" }),
        "gitlab-dind:gitlab.redis": "elasticache",
        "gitlab-dind:elasticache.nodeType": "m7g.large",
        "gitlab-dind:elasticache.replicas": 6,
      },
    });
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.problems;
    expect(problems.find((p) => p.startsWith("gitlab-dind:elasticache.nodeType:"))).toContain('got "m7g.large"');
    expect(problems.find((p) => p.startsWith("gitlab-dind:elasticache.replicas:"))).toContain("got 6");
    expect(problems.find((p) => p.startsWith("gitlab-dind:network.vpcCidr:"))).toContain("/22 or wider");
    expect(problems).toHaveLength(3);
  });

  it("takes current node types and defaults to cache.m7g.large with no replicas", () => {
    const config = stackConfig("dev", { ...ON, "gitlab-dind:elasticache.nodeType": "cache.r7g.xlarge" });
    expect(config.elasticache).toEqual({ nodeType: "cache.r7g.xlarge", replicas: 0 });
    expect(stackConfig("dev").elasticache).toEqual({ nodeType: "cache.m7g.large", replicas: 0 });
    expect(stackConfig("dev").gitlab.redis).toBe("bundled");
  });
});

// Ruby (`apt-get install ruby`): the settings parse, and the password reads back from its file.
const hasRuby = requireTool("ruby", "apt-get install ruby");
describe.skipIf(!hasRuby)("with Ruby", () => {
  const STUB = [
    "require 'json'",
    "$set = {}",
    'class Scope; def initialize(n); @n = n; end; def []=(k, v); $set["#{@n}[#{k}]"] = v; end; def [](k); Scope.new("#{@n}[#{k}]"); end; end',
    "%w[gitlab_rails redis].each { |n| Object.send(:define_method, n) { (@scopes ||= {})[n] ||= Scope.new(n) } }",
  ].join("\n");

  it("reads back the host, port, TLS and the token from its file", () => {
    const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-redis-"));
    try {
      const file = join(dir, "redis-password");
      const token = "Ab1".repeat(20) + "Zz9x";
      writeFileSync(file, token);
      const rb = renderGitLabRb(redisGitLabRb("master.dev.abc123.euc1.cache.amazonaws.com", 6379, file));
      expect(rb).not.toContain(token);
      const out = execFileSync("ruby", ["-e", `${STUB}\neval(STDIN.read)\nputs JSON.generate($set)`], { input: rb });
      expect(JSON.parse(out.toString())).toEqual({
        "redis[enable]": false,
        "gitlab_rails[redis_host]": "master.dev.abc123.euc1.cache.amazonaws.com",
        "gitlab_rails[redis_port]": 6379,
        "gitlab_rails[redis_ssl]": true,
        "gitlab_rails[redis_password]": token,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
