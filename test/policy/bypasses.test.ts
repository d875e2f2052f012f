/**
 * The known ways around the policy pack (review-turn3 "Policy pack bypasses"), and what it did not
 * cover: each is a shipped stack's plan mutated as a careless or hostile change would, and each must
 * fail `npm run policy` naming the resource. The unmutated plans pass (policies.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { internetAddresses, parseCidr } from "../../policy/cidr";
import { POLICIES } from "../../policy/policies";
import type { Plan, PlannedResource } from "../../tools/plan/run-plan";
import { cli } from "../../tools/policy/main";
import { runPolicies } from "../../tools/policy/run-policies";
import { inProcess } from "../support/command";
import { planStack } from "../support/stack-plans";

const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const CONTAINER = "docker:index/container:Container";

const plans: Record<string, Plan> = {};
const dirs: string[] = [];

beforeAll(async () => {
  for (const stack of ["dev", "dev-autoscale", "local"]) plans[stack] = await planStack(stack);
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A mutable copy of a stack's plan. */
function copy(stack: string): Plan & { resources: PlannedResource[] } {
  return structuredClone(plans[stack]) as Plan & { resources: PlannedResource[] };
}

function inputsOf(plan: Plan, name: string, type?: string): Record<string, any> {
  const r = plan.resources.find((x) => x.name === name && (type === undefined || x.type === type));
  if (r === undefined) throw new Error(`no ${name} in the plan`);
  return r.inputs;
}

/** An ingress rule on the host's security group, like the program's own. */
function rule(name: string, port: number | [number, number], cidr: string, family: 4 | 6 = 4): PlannedResource {
  const [fromPort, toPort] = Array.isArray(port) ? port : [port, port];
  return {
    type: INGRESS,
    name,
    parent: undefined,
    inputs: { ipProtocol: "tcp", fromPort, toPort, [family === 4 ? "cidrIpv4" : "cidrIpv6"]: cidr },
  };
}

interface Mutation {
  readonly what: string;
  readonly stack: string;
  readonly mutate: (plan: Plan & { resources: PlannedResource[] }) => void;
  /** `<policy>: <resource>` of every violation, in the runner's order. */
  readonly expected: readonly string[];
}

const wide = (statement: object) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

const MUTATIONS: readonly Mutation[] = [
  {
    what: "the Docker API opened in two halves, 0.0.0.0/1 + 128.0.0.0/1",
    stack: "dev",
    mutate: (p) => {
      inputsOf(p, "dev-host-in-2376-203-0-113-0-24").cidrIpv4 = "0.0.0.0/1";
      p.resources.push(rule("docker-api-upper-half", 2376, "128.0.0.0/1"));
    },
    expected: [
      "docker-api-admin-only: dev-host-in-2376-203-0-113-0-24",
      "docker-api-admin-only: docker-api-upper-half",
    ],
  },
  {
    what: "the Docker API opened to the IPv6 internet in two halves, and to three /9s of IPv4 (more than a /8 together)",
    stack: "dev",
    mutate: (p) => {
      // 2000::/3 is the IPv6 internet: its two halves.
      p.resources.push(rule("v6-low", 2376, "2000::/4", 6), rule("v6-high", 2376, "3000::/4", 6));
      p.resources.push(rule("a", 2376, "11.0.0.0/9"), rule("b", 2376, "11.128.0.0/9"), rule("c", 2376, "12.0.0.0/9"));
    },
    expected: [
      "docker-api-admin-only: a",
      "docker-api-admin-only: b",
      "docker-api-admin-only: c",
      "docker-api-admin-only: v6-low",
      "docker-api-admin-only: v6-high",
    ],
  },
  {
    what: "SSH in by a port range from two halves",
    stack: "dev",
    mutate: (p) => {
      p.resources.push(
        rule("low-ports-lower", [0, 1024], "0.0.0.0/1"),
        rule("low-ports-upper", [0, 1024], "128.0.0.0/1"),
      );
    },
    expected: ["no-ssh-from-anywhere: low-ports-lower", "no-ssh-from-anywhere: low-ports-upper"],
  },
  {
    what: "the cache's port opened to an office range, and all traffic from the world on an inline rule",
    stack: "dev-autoscale",
    mutate: (p) => {
      p.resources.push(rule("mirror-office", 5001, "203.0.113.0/24"), {
        type: "aws:ec2/securityGroup:SecurityGroup",
        name: "open-sg",
        parent: undefined,
        inputs: { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] },
      });
    },
    expected: [
      // All traffic from the world opens SSH and the Docker API too.
      "docker-api-admin-only: open-sg",
      "no-ssh-from-anywhere: open-sg",
      "cache-not-from-internet: mirror-office",
      "cache-not-from-internet: open-sg",
    ],
  },
  {
    what: "GitLab given /var/run, the cache /run (a bind mount), and the runner / instead of the socket",
    stack: "local",
    mutate: (p) => {
      inputsOf(p, "gitlab", CONTAINER).volumes.push({ hostPath: "/var/run/", containerPath: "/host-run" });
      inputsOf(p, "mirror", CONTAINER).mounts = [{ type: "bind", source: "/var/../run", target: "/r" }];
      inputsOf(p, "runner", CONTAINER).volumes = [{ hostPath: "/", containerPath: "/host" }];
    },
    expected: [
      "docker-socket-runner-only: gitlab",
      "docker-socket-runner-only: mirror",
      "docker-socket-runner-only: runner",
    ],
  },
  {
    what: "the socket by another container's volumes",
    stack: "local",
    mutate: (p) => {
      inputsOf(p, "mirror", CONTAINER).volumes.push({ fromContainer: "local-runner" });
    },
    expected: ["docker-socket-runner-only: mirror"],
  },
  {
    what: "NotAction, NotResource, iam:PassRole on any role (three spellings)",
    stack: "dev",
    mutate: (p) => {
      inputsOf(p, "dev-host-read-params").policy = wide({ Effect: "Allow", NotAction: "iam:*", Resource: "*" });
      inputsOf(p, "dev-host-ssm-agent").policy = wide({
        Effect: "Allow",
        Action: "ssm:GetParameter",
        NotResource: "arn:aws:ssm:eu-central-1:123456789012:parameter/none",
      });
      p.resources.push(
        {
          type: "aws:iam/rolePolicy:RolePolicy",
          name: "pass-any",
          parent: undefined,
          inputs: { policy: wide({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }) },
        },
        {
          type: "aws:iam/rolePolicy:RolePolicy",
          name: "pass-any-in-account",
          parent: undefined,
          inputs: {
            policy: wide({ Effect: "Allow", Action: ["iam:Pass*"], Resource: "arn:aws:iam::123456789012:role/*" }),
          },
        },
        {
          type: "aws:iam/policy:Policy",
          name: "pass-all-iam",
          parent: undefined,
          inputs: { policy: wide({ Effect: "Allow", Action: "iam:*", Resource: "arn:aws:iam::*:role/*" }) },
        },
        {
          // Passing one named role is the job of PassRole: allowed.
          type: "aws:iam/rolePolicy:RolePolicy",
          name: "pass-one",
          parent: undefined,
          inputs: {
            policy: wide({
              Effect: "Allow",
              Action: "iam:PassRole",
              Resource: "arn:aws:iam::123456789012:role/dev-worker",
            }),
          },
        },
      );
    },
    expected: [
      "iam-no-wildcard-admin: dev-host-read-params",
      "iam-no-wildcard-admin: dev-host-ssm-agent",
      "iam-no-wildcard-admin: pass-any",
      "iam-no-wildcard-admin: pass-any-in-account",
      "iam-no-wildcard-admin: pass-all-iam",
    ],
  },
  {
    what: "AWS-managed admin policies attached: AdministratorAccess, PowerUserAccess, IAMFullAccess, a job-function administrator",
    stack: "dev",
    mutate: (p) => {
      inputsOf(p, "dev-host-dlm-policy").policyArn = "arn:aws:iam::aws:policy/AdministratorAccess";
      inputsOf(p, "dev-host-role").managedPolicyArns = ["arn:aws:iam::aws:policy/PowerUserAccess"];
      p.resources.push(
        {
          type: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
          name: "exclusive",
          parent: undefined,
          inputs: { roleName: "r", policyArns: ["arn:aws-cn:iam::aws:policy/IAMFullAccess"] },
        },
        {
          type: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
          name: "ops-user",
          parent: undefined,
          inputs: { user: "u", policyArn: "arn:aws:iam::aws:policy/job-function/SystemAdministrator" },
        },
      );
    },
    expected: [
      "iam-no-managed-admin: dev-host-dlm-policy",
      "iam-no-managed-admin: dev-host-role",
      "iam-no-managed-admin: exclusive",
      "iam-no-managed-admin: ops-user",
    ],
  },
  {
    what: "the workers' launch template without block device settings",
    stack: "dev-autoscale",
    mutate: (p) => {
      delete inputsOf(p, "ci-workers-lt").blockDeviceMappings;
    },
    expected: ["ebs-encrypted: ci-workers-lt"],
  },
  {
    what: "a privileged container, and one with SYS_ADMIN",
    stack: "local",
    mutate: (p) => {
      inputsOf(p, "mirror", CONTAINER).privileged = true;
      inputsOf(p, "gitlab", CONTAINER).capabilities = { adds: ["CAP_SYS_ADMIN"] };
    },
    expected: ["no-privileged-containers: gitlab", "no-privileged-containers: mirror"],
  },
  {
    what: "the backup bucket without encryption, with a policy that no longer denies plain HTTP, and versioning suspended",
    stack: "dev",
    mutate: (p) => {
      p.resources.splice(
        p.resources.findIndex((r) => r.name === "dev-backups-encryption"),
        1,
      );
      const policy = inputsOf(p, "dev-backups-policy");
      policy.policy = String(policy.policy).replace('"aws:SecureTransport":"false"', '"aws:SecureTransport":"true"');
      inputsOf(p, "dev-backups-versioning").versioningConfiguration.status = "Suspended";
    },
    expected: [
      "s3-encrypted: dev-backups-bucket",
      "s3-tls-only: dev-backups-bucket",
      "s3-versioned: dev-backups-bucket",
    ],
  },
  {
    what: "a new bucket with nothing, and a cache bucket (tagged disposable) with everything but versioning",
    stack: "dev",
    mutate: (p) => {
      const bucketName = (name: string) => `dev-${name}-0a1b2c3d`;
      const bucket = (name: string, tags: Record<string, string>): PlannedResource => ({
        type: "aws:s3/bucket:Bucket",
        name,
        parent: undefined,
        inputs: { bucket: bucketName(name), tags },
      });
      const setting = (type: string, name: string, inputs: Record<string, unknown>): PlannedResource => ({
        type,
        name,
        parent: undefined,
        inputs: { bucket: bucketName("cache"), ...inputs },
      });
      p.resources.push(
        bucket("bare", {}),
        bucket("cache", { "gitlab-dind:disposable-cache": "true" }),
        setting("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "cache-sse", {
          rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
        }),
        setting("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "cache-pab", {
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        }),
        setting("aws:s3/bucketPolicy:BucketPolicy", "cache-tls", {
          policy: wide({
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: "s3:*",
            Resource: [`arn:aws:s3:::${bucketName("cache")}`, `arn:aws:s3:::${bucketName("cache")}/*`],
            Condition: { Bool: { "aws:SecureTransport": false } },
          }),
        }),
      );
    },
    expected: ["s3-public-access-blocked: bare", "s3-encrypted: bare", "s3-tls-only: bare", "s3-versioned: bare"],
  },
];

describe("each bypass fails the pack, naming the resource", () => {
  for (const m of MUTATIONS) {
    it(`${m.stack}: ${m.what}`, async () => {
      const plan = copy(m.stack);
      m.mutate(plan);
      const violations = await runPolicies(plan, POLICIES);
      expect(violations.map((v) => `${v.policy}: ${v.resource}`)).toEqual(m.expected);
      expect(violations.every((v) => v.enforcementLevel === "mandatory")).toBe(true);
    });
  }

  it("npm run policy exits 1 on each mutated plan, with a line <policy>: <resource>: … per violation", async () => {
    for (const m of MUTATIONS) {
      const plan = copy(m.stack);
      m.mutate(plan);
      const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-bypass-"));
      dirs.push(dir);
      const doc = { project: plan.project, stack: plan.stack, resources: plan.resources, outputs: plan.outputs };
      writeFileSync(join(dir, "resources.json"), `${JSON.stringify(doc, null, 2)}\n`);
      const r = await inProcess(cli, [dir]);
      expect(r.code, m.what).toBe(1);
      for (const line of m.expected) expect(r.stdout, m.what).toContain(`\n${line}: `.slice(1));
    }
  });
});

describe("the address arithmetic", () => {
  it("counts the union of blocks, without private ranges: two halves are the world, overlaps count once", () => {
    expect(internetAddresses(["0.0.0.0/1", "128.0.0.0/1"], 4)).toBe(internetAddresses(["0.0.0.0/0"], 4));
    // The IPv4 internet: all but 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16.
    expect(internetAddresses(["0.0.0.0/0"], 4)).toBe(
      2n ** 32n - 2n ** 24n * 2n - 2n ** 22n - 2n ** 16n - 2n ** 20n - 2n ** 16n,
    );
    expect(internetAddresses(["203.0.113.0/24", "203.0.113.0/25"], 4)).toBe(256n);
    expect(internetAddresses(["10.0.0.0/8", "192.168.0.0/16"], 4)).toBe(0n);
    expect(internetAddresses(["11.0.0.0/8"], 4)).toBe(2n ** 24n);
    // A /7 holding 10/8 has one /8 of internet in it: not more than a /8.
    expect(internetAddresses(["10.0.0.0/7"], 4)).toBe(2n ** 24n);
    expect(internetAddresses(["::/0"], 6)).toBe(2n ** 125n);
    expect(internetAddresses(["fd00::/8"], 6)).toBe(0n);
    expect(internetAddresses(["2001:db8::/32", "2001:db8:1::/48"], 6)).toBe(2n ** 96n);
  });

  it("parses the forms AWS takes, host bits ignored, and refuses the malformed", () => {
    expect(parseCidr("203.0.113.7/24")).toEqual({ family: 4, start: 0xcb007100n, end: 0xcb0071ffn });
    expect(parseCidr("2001:db8::/32")).toEqual({
      family: 6,
      start: 0x20010db8n << 96n,
      end: ((0x20010db8n + 1n) << 96n) - 1n,
    });
    expect(parseCidr("::ffff:192.0.2.1/128")?.start).toBe(0xffffc0000201n);
    for (const bad of ["256.0.0.0/8", "1.2.3/8", "1.2.3.4/33", "1::2::3/64", "::/129", "1.2.3.4/x"])
      expect(parseCidr(bad), bad).toBeUndefined();
  });
});
