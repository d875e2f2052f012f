/**
 * The gitlab-dind policies (CrossGuard, `@pulumi/policy`): the security invariants a change to the
 * program must not weaken. `index.ts` serves them as a pack to `pulumi preview --policy-pack policy`;
 * `npm run policy` (tools/policy) applies the same objects, through their own `validateResource` /
 * `validateStack` functions, to an offline plan. Nothing here starts a server: constructing the
 * `PolicyPack` does, and only index.ts does that.
 *
 * Each policy is mandatory unless the pack's config says otherwise
 * (`--policy-pack-config <file>`, `{ "<policy>": { "enforcementLevel": "advisory" } }`).
 */
import { posix } from "node:path";
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import {
  validateResourceOfType,
  type PolicyResource,
  type ReportViolation,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { familyOf, internetAddresses } from "./cidr";
import { recoverActionSupported } from "../infra/config/instance-types";

/** The TLS Docker API port (infra/host/aws). */
export const DOCKER_API_PORT = 2376;
/** The label the GitLab container carries (infra/gitlab/gitlab-server.ts `PLAIN_HTTP_REQUESTED_LABEL`). */
export const PLAIN_HTTP_REQUESTED_LABEL = "gitlab-dind.plain-http-requested";
/** The component whose container alone may mount the Docker socket (infra/runner). */
export const RUNNER_COMPONENT_TYPE = "gitlab-dind:index:GitLabRunner";
const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];
/**
 * The root device names of the AMIs an instance may boot: `/dev/xvda` (Amazon Linux, the CI
 * workers' AL2023) and `/dev/sda1` (Ubuntu, Debian and most others).
 */
export const ROOT_DEVICE_NAMES: readonly string[] = ["/dev/xvda", "/dev/sda1"];

// ---------------------------------------------------------------------------------------------
// Ingress: which rules let a port in from where, counted over the whole stack.

/** One ingress grant: a protocol and port range from one CIDR. */
interface Ingress {
  readonly protocol: string;
  readonly fromPort: number | undefined;
  readonly toPort: number | undefined;
  readonly cidr: string;
}

/** The whole internet: any /0 (0.0.0.0/0, ::/0, or another address with prefix 0). */
export function isWorld(cidr: string): boolean {
  return /\/0+$/.test(cidr.trim());
}

function coversPort(rule: Ingress, port: number): boolean {
  const protocol = rule.protocol.toLowerCase();
  if (protocol === "-1" || protocol === "all") return true;
  if (protocol !== "tcp" && protocol !== "6") return false;
  const from = rule.fromPort ?? 0;
  const to = rule.toPort ?? 65535;
  return from <= port && port <= to;
}

/** A CIDR-bearing grant of a rule with a list of CIDRs (inline rules, aws.ec2.SecurityGroupRule). */
function grants(
  rule: { protocol?: string; fromPort?: number; toPort?: number; cidrBlocks?: string[]; ipv6CidrBlocks?: string[] },
  protocol: string,
): Ingress[] {
  return [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])].map((cidr) => ({
    protocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort,
    cidr,
  }));
}

/**
 * The CIDR grants of a resource that opens ingress: the VPC rule resources, the older
 * SecurityGroupRule, and a security group's inline `ingress` (rules naming another security
 * group or a prefix list grant no CIDR).
 */
export function ingressOf(r: Pick<PolicyResource, "isType" | "asType">): Ingress[] {
  const rule = r.asType(aws.vpc.SecurityGroupIngressRule);
  if (rule !== undefined) {
    return [rule.cidrIpv4, rule.cidrIpv6]
      .filter((c): c is string => typeof c === "string")
      .map((cidr) => ({ protocol: String(rule.ipProtocol), fromPort: rule.fromPort, toPort: rule.toPort, cidr }));
  }
  const old = r.asType(aws.ec2.SecurityGroupRule);
  if (old !== undefined) return old.type === "ingress" ? grants(old, String(old.protocol)) : [];
  const group = r.asType(aws.ec2.SecurityGroup);
  if (group !== undefined) return (group.ingress ?? []).flatMap((rule) => grants(rule, String(rule.protocol)));
  return [];
}

const describeGrant = (g: Ingress) => `${g.protocol} ${g.fromPort ?? "*"}-${g.toPort ?? "*"} from ${g.cidr}`;

/** How many internet addresses, per family, a port may be open to: more is a violation. */
export interface ExposureBound {
  readonly v4: bigint;
  readonly v6: bigint;
  /** How the bound reads in a message ("more than a /8"). */
  readonly words: { readonly v4: string; readonly v6: string };
}

/**
 * An admin port's bound: a /8 of the IPv4 internet (16,777,216 addresses), and a /32 of the IPv6
 * one (one RIR allocation to an ISP: already every customer of that ISP). Office and VPN ranges are
 * far smaller; anything larger is "the internet", however it is split across rules.
 */
export const ADMIN_PORT_BOUND: ExposureBound = {
  v4: 1n << 24n,
  v6: 1n << 96n,
  words: { v4: "more than a /8", v6: "more than a /32" },
};
/** No internet address at all. */
export const NO_INTERNET: ExposureBound = {
  v4: 0n,
  v6: 0n,
  words: { v4: "any internet address", v6: "any internet address" },
};

/**
 * Reports every resource whose ingress lets `port` in from internet addresses, when the union of
 * all the stack's grants for that port (each family on its own) covers more internet addresses
 * than `bound`: two half ranges (0.0.0.0/1 + 128.0.0.0/1) are the whole internet, like 0.0.0.0/0.
 */
function reportExposure(
  resources: readonly PolicyResource[],
  port: number,
  what: string,
  bound: ExposureBound,
  advice: string,
  reportViolation: ReportViolation,
): void {
  const open = resources
    .map((r) => ({ r, grants: ingressOf(r).filter((g) => coversPort(g, port)) }))
    .filter((o) => o.grants.length > 0);
  for (const family of [4, 6] as const) {
    const key = family === 4 ? "v4" : "v6";
    const mine = open
      .map(({ r, grants: gs }) => ({
        r,
        grants: gs.filter((g) => familyOf(g.cidr) === family && internetAddresses([g.cidr], family) > 0n),
      }))
      .filter((o) => o.grants.length > 0);
    const total = internetAddresses(
      mine.flatMap((o) => o.grants.map((g) => g.cidr)),
      family,
    );
    if (total <= bound[key]) continue;
    // Named: the rules that are wide on their own (more than 1/256 of the bound: a /16 of IPv4
    // for an admin port), not the narrow office ranges beside them; all of them when every one is
    // narrow (many small ranges that add up), or when the bound is none.
    const wideOnly = mine.filter(
      (o) =>
        internetAddresses(
          o.grants.map((g) => g.cidr),
          family,
        ) >
        bound[key] / 256n,
    );
    const named = wideOnly.length > 0 ? wideOnly : mine;
    for (const { r, grants: gs } of named) {
      const others = mine.filter((o) => o.r !== r).map((o) => o.r.name);
      reportViolation(
        `ingress ${gs.map(describeGrant).join(", ")} opens ${what} (port ${port}) to the internet: ` +
          `${others.length > 0 ? `with ${others.join(", ")}, ` : ""}${total} IPv${family} internet addresses, ${bound.words[key]}; ${advice}`,
        r.urn,
      );
    }
  }
}

export const dockerApiAdminOnly: StackValidationPolicy = {
  name: "docker-api-admin-only",
  description: `The TLS Docker API (port ${DOCKER_API_PORT}) gives root on the host: all the stack's rules together open it to at most a /8 of the IPv4 internet (a /32 of IPv6): network.adminCidrs-style narrow ranges, never 0.0.0.0/0, ::/0 or the same split in parts.`,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) =>
    reportExposure(
      args.resources,
      DOCKER_API_PORT,
      "the Docker API",
      ADMIN_PORT_BOUND,
      "allow only gitlab-dind:network.adminCidrs",
      reportViolation,
    ),
};

export const noSshFromAnywhere: StackValidationPolicy = {
  name: "no-ssh-from-anywhere",
  description:
    "No ingress on port 22 from the internet: all the stack's rules together open it to at most a /8 of the IPv4 internet (a /32 of IPv6); the host is reached through Session Manager.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) =>
    reportExposure(
      args.resources,
      22,
      "SSH",
      ADMIN_PORT_BOUND,
      "use Session Manager (git over SSH has its own port, gitlab-dind:gitlab.sshPort)",
      reportViolation,
    ),
};

/** The component of the Docker Hub pull-through cache (infra/mirror). */
export const MIRROR_COMPONENT_TYPE = "gitlab-dind:index:DockerHubMirror";

export const cacheNotFromInternet: StackValidationPolicy = {
  name: "cache-not-from-internet",
  description:
    "The Docker Hub pull-through cache's port (the host ports its container publishes) is open to no internet address: it serves the runner and the CI workers only.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const ports = new Set<number>();
    for (const r of args.resources) {
      const container = r.asType(docker.Container);
      if (container === undefined || parentType(r.urn) !== MIRROR_COMPONENT_TYPE) continue;
      for (const p of container.ports ?? []) if (typeof p.external === "number") ports.add(p.external);
    }
    for (const port of [...ports].sort((a, b) => a - b))
      reportExposure(
        args.resources,
        port,
        "the Docker Hub cache",
        NO_INTERNET,
        "let only the runner's host and the CI workers' security group in",
        reportViolation,
      );
  },
};

// ---------------------------------------------------------------------------------------------
// Instances and launch templates: IMDSv2 and encrypted volumes.

function imdsProblem(metadata: { httpTokens?: string; httpEndpoint?: string } | undefined): string | undefined {
  if (metadata?.httpEndpoint === "disabled") return undefined;
  if (metadata?.httpTokens === "required") return undefined;
  return `metadataOptions.httpTokens is ${JSON.stringify(metadata?.httpTokens ?? "unset")}: set "required" (IMDSv2 only; IMDSv1 lets any SSRF read the instance role's credentials)`;
}

export const imdsv2Required: ResourceValidationPolicy = {
  name: "imdsv2-required",
  description: "Every EC2 instance and launch template requires IMDSv2 (metadataOptions.httpTokens = required).",
  enforcementLevel: "mandatory",
  validateResource: [
    validateResourceOfType(aws.ec2.Instance, (instance, _, reportViolation) => {
      const problem = imdsProblem(instance.metadataOptions);
      if (problem !== undefined) reportViolation(problem);
    }),
    validateResourceOfType(aws.ec2.LaunchTemplate, (template, _, reportViolation) => {
      const problem = imdsProblem(template.metadataOptions);
      if (problem !== undefined) reportViolation(problem);
    }),
  ],
};

export const ebsEncrypted: ResourceValidationPolicy = {
  name: "ebs-encrypted",
  description: "Every EBS volume, instance root and EBS block device, and launch-template volume is encrypted.",
  enforcementLevel: "mandatory",
  validateResource: [
    validateResourceOfType(aws.ebs.Volume, (volume, _, reportViolation) => {
      if (volume.encrypted !== true) reportViolation("encrypted is not true: set encrypted: true");
    }),
    validateResourceOfType(aws.ec2.Instance, (instance, _, reportViolation) => {
      if (instance.rootBlockDevice?.encrypted !== true)
        reportViolation("rootBlockDevice.encrypted is not true: the root volume holds Docker's images and job data");
      for (const [i, device] of (instance.ebsBlockDevices ?? []).entries())
        if (device.encrypted !== true)
          reportViolation(`ebsBlockDevices[${i}] (${device.deviceName}) is not encrypted: set encrypted: true`);
    }),
    validateResourceOfType(aws.ec2.LaunchTemplate, (template, _, reportViolation) => {
      const mappings = template.blockDeviceMappings ?? [];
      for (const [i, mapping] of mappings.entries()) {
        // The launch template's flag is a string ("true"/"false") in the AWS provider.
        if (mapping.ebs !== undefined && String(mapping.ebs.encrypted) !== "true")
          reportViolation(
            `blockDeviceMappings[${i}] (${mapping.deviceName}) ebs.encrypted is not "true": set encrypted: "true"`,
          );
      }
      // Without a mapping for the root device, an instance gets the AMI's root volume as it is:
      // unencrypted unless the account encrypts by default, which the stack does not know.
      if (!mappings.some((m) => ROOT_DEVICE_NAMES.includes(String(m.deviceName)) && m.ebs !== undefined))
        reportViolation(
          `no blockDeviceMappings entry with ebs for the root device (${ROOT_DEVICE_NAMES.join(" or ")}): the instances' root volumes would be the AMI's, unencrypted; add one with ebs.encrypted "true"`,
        );
    }),
  ],
};

// ---------------------------------------------------------------------------------------------
// IAM identity policies: no admin in disguise.

interface Statement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Sid?: unknown;
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** IAM's wildcard match (`*` any run of characters, `?` one), case-insensitive as IAM compares actions. */
export function iamGlob(pattern: string, value: string, caseInsensitive = true): boolean {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, caseInsensitive ? "is" : "s").test(value);
}

/**
 * Whether a Resource pattern lets `iam:PassRole` hand over any role: it matches a role name the
 * stack cannot know (in the pattern's own partition and account when it names them).
 */
function anyRole(resource: string): boolean {
  if (resource === "*") return true;
  const [, partition = "aws", , , account = "123456789012"] = resource.split(":");
  const literal = (field: string, fallback: string) => (/[*?]/.test(field) ? fallback : field);
  const probe = `arn:${literal(partition, "aws")}:iam::${literal(account, "123456789012")}:role/gitlab-dind-policy-probe/any-role`;
  return iamGlob(resource, probe, false);
}

/** Problems of one identity-policy document (a JSON string, or an object already). */
export function wildcardStatements(document: unknown): string[] {
  let doc: unknown = document;
  if (typeof document === "string") {
    try {
      doc = JSON.parse(document);
    } catch {
      return ["the policy document is not JSON, so it cannot be checked"];
    }
  }
  const statements = asList((doc as { Statement?: unknown } | null)?.Statement) as Statement[];
  const problems: string[] = [];
  statements.forEach((s, i) => {
    if (s?.Effect !== "Allow") return;
    const which = typeof s.Sid === "string" ? `statement ${s.Sid}` : `statement ${i}`;
    // Allow + NotAction grants every action but those listed (AdministratorAccess minus a few);
    // Allow + NotResource every resource but those listed.
    for (const key of ["NotAction", "NotResource"] as const)
      if (s[key] !== undefined)
        problems.push(
          `${which} allows with ${key}: everything but what it lists is allowed; name the actions and the resource ARNs the job needs (Action, Resource)`,
        );
    const resources = asList(s.Resource).map(String);
    const actions = asList(s.Action).map(String);
    const broad = resources.includes("*")
      ? actions.filter((a) => a === "*" || /^[^:]*\*[^:]*:\*$/.test(a) || /^[a-z0-9-]+:\*$/i.test(a))
      : [];
    if (broad.length > 0) {
      problems.push(
        `${which} allows ${broad.map((a) => JSON.stringify(a)).join(", ")} on Resource "*": name the actions and the resource ARNs the job needs`,
      );
    }
    // iam:PassRole on any role: whoever holds it gives any role (an admin one) to a service it
    // runs. (A statement already reported above allows it among everything else.)
    if (broad.length > 0) return;
    const passRole = actions.filter((a) => iamGlob(a, "iam:PassRole"));
    const anyRoles = resources.filter(anyRole);
    if (passRole.length > 0 && anyRoles.length > 0)
      problems.push(
        `${which} allows iam:PassRole (as ${passRole.map((a) => JSON.stringify(a)).join(", ")}) on any role (${anyRoles.map((r) => JSON.stringify(r)).join(", ")}): name the role ARNs it may pass, and condition on iam:PassedToService`,
      );
  });
  return problems;
}

/** The validation of a resource whose `policy` input is an identity-policy document. */
function identityPolicyProblems(props: { policy?: unknown }, _args: unknown, reportViolation: ReportViolation): void {
  for (const problem of wildcardStatements(props.policy)) reportViolation(problem);
}

export const iamNoWildcardAdmin: ResourceValidationPolicy = {
  name: "iam-no-wildcard-admin",
  description:
    'No IAM identity-policy statement (role, user and group policies, managed policies) allows Action "*" or "service:*" on Resource "*", allows with NotAction or NotResource, or allows iam:PassRole on any role. Key policies are out of scope.',
  enforcementLevel: "mandatory",
  validateResource: [
    validateResourceOfType(aws.iam.RolePolicy, identityPolicyProblems),
    validateResourceOfType(aws.iam.UserPolicy, identityPolicyProblems),
    validateResourceOfType(aws.iam.GroupPolicy, identityPolicyProblems),
    validateResourceOfType(aws.iam.Policy, identityPolicyProblems),
    validateResourceOfType(aws.iam.Role, (role, _, reportViolation) => {
      for (const inline of role.inlinePolicies ?? [])
        for (const problem of wildcardStatements(inline.policy))
          reportViolation(`inline policy ${inline.name ?? "(unnamed)"}: ${problem}`);
    }),
  ],
};

/**
 * AWS-managed policies that are admin, or admin of a service: `AdministratorAccess` (and its
 * `AdministratorAccess-*` variants), `PowerUserAccess` (every action but IAM and Organizations'),
 * every `…FullAccess` (a service's `service:*` on `*`: `IAMFullAccess`, `AmazonEC2FullAccess`, ...),
 * and the job-function administrators (`job-function/SystemAdministrator`, ...).
 */
export function isManagedAdminPolicy(arn: string): boolean {
  const match = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn.trim());
  if (match === null) return false;
  const name = match[1];
  return (
    name === "AdministratorAccess" ||
    name.startsWith("AdministratorAccess-") ||
    name === "PowerUserAccess" ||
    name.endsWith("FullAccess") ||
    (arn.includes(":policy/job-function/") && name.endsWith("Administrator"))
  );
}

function managedAdminProblems(arns: readonly unknown[], reportViolation: ReportViolation): void {
  for (const arn of arns)
    if (typeof arn === "string" && isManagedAdminPolicy(arn))
      reportViolation(
        `attaches the AWS-managed admin policy ${arn}: write a policy with the actions and resource ARNs the job needs`,
      );
}

export const iamNoManagedAdmin: ResourceValidationPolicy = {
  name: "iam-no-managed-admin",
  description:
    "No AWS-managed admin policy (AdministratorAccess, PowerUserAccess, any …FullAccess, the job-function administrators) is attached to a role, user or group.",
  enforcementLevel: "mandatory",
  validateResource: [
    validateResourceOfType(aws.iam.RolePolicyAttachment, (a, _, rv) => managedAdminProblems([a.policyArn], rv)),
    validateResourceOfType(aws.iam.UserPolicyAttachment, (a, _, rv) => managedAdminProblems([a.policyArn], rv)),
    validateResourceOfType(aws.iam.GroupPolicyAttachment, (a, _, rv) => managedAdminProblems([a.policyArn], rv)),
    validateResourceOfType(aws.iam.PolicyAttachment, (a, _, rv) => managedAdminProblems([a.policyArn], rv)),
    validateResourceOfType(aws.iam.RolePolicyAttachmentsExclusive, (a, _, rv) =>
      managedAdminProblems(a.policyArns ?? [], rv),
    ),
    validateResourceOfType(aws.iam.UserPolicyAttachmentsExclusive, (a, _, rv) =>
      managedAdminProblems(a.policyArns ?? [], rv),
    ),
    validateResourceOfType(aws.iam.GroupPolicyAttachmentsExclusive, (a, _, rv) =>
      managedAdminProblems(a.policyArns ?? [], rv),
    ),
    validateResourceOfType(aws.iam.Role, (role, _, rv) => managedAdminProblems(role.managedPolicyArns ?? [], rv)),
  ],
};

// ---------------------------------------------------------------------------------------------
// S3: every bucket has a public access block with all four settings on.

const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const PUBLIC_ACCESS_BLOCK_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

/** Whether `block` (a BucketPublicAccessBlock) is the one of `bucket`. */
function blocks(block: PolicyResource, bucket: PolicyResource): boolean {
  // The engine says which resources the `bucket` property came from, even while values are unknown.
  if ((block.propertyDependencies.bucket ?? []).some((r) => r.urn === bucket.urn)) return true;
  const name: unknown = block.props.bucket;
  return typeof name === "string" && (name === bucket.props.bucket || name === bucket.props.id);
}

export const s3PublicAccessBlocked: StackValidationPolicy = {
  name: "s3-public-access-blocked",
  description:
    "Every S3 bucket has a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const accessBlocks = args.resources.filter((r) => r.type === PUBLIC_ACCESS_BLOCK_TYPE);
    for (const bucket of args.resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
      const mine = accessBlocks.filter((b) => blocks(b, bucket));
      if (mine.length === 0) {
        reportViolation("no BucketPublicAccessBlock for this bucket: add one with all four settings true", bucket.urn);
        continue;
      }
      const off = PUBLIC_ACCESS_FLAGS.filter((flag) => !mine.some((b) => b.props[flag] === true));
      if (off.length > 0)
        reportViolation(`its BucketPublicAccessBlock leaves ${off.join(", ")} off: set all four to true`, bucket.urn);
    }
  },
};

/** The tag that marks a bucket as a disposable cache (value "true"): the one exception to versioning. */
export const DISPOSABLE_CACHE_TAG = "gitlab-dind:disposable-cache";

const ENCRYPTION_TYPES = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
const VERSIONING_TYPES = ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"];
const BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy";
/** Server-side encryption S3 applies by default with these (SSE-S3, SSE-KMS, DSSE-KMS). */
const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

/** The stack's resources of `types` that configure `bucket` (by property dependency or by name). */
function settingsOf(resources: readonly PolicyResource[], types: readonly string[], bucket: PolicyResource) {
  return resources.filter((r) => types.includes(r.type) && blocks(r, bucket));
}

function bucketsOf(resources: readonly PolicyResource[]): PolicyResource[] {
  return resources.filter((r) => BUCKET_TYPES.includes(r.type));
}

const isDisposableCache = (bucket: PolicyResource): boolean =>
  String((bucket.props.tags as Record<string, unknown> | undefined)?.[DISPOSABLE_CACHE_TAG]) === "true";

export const s3Encrypted: StackValidationPolicy = {
  name: "s3-encrypted",
  description: `Every S3 bucket the stack creates has default server-side encryption (${SSE_ALGORITHMS.join(", ")}), set by a BucketServerSideEncryptionConfiguration or the bucket's own serverSideEncryptionConfiguration.`,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    type Rule = { applyServerSideEncryptionByDefault?: { sseAlgorithm?: unknown } } | undefined;
    const encrypts = (rules: unknown) =>
      asList(rules).some((rule) =>
        SSE_ALGORITHMS.includes(String((rule as Rule)?.applyServerSideEncryptionByDefault?.sseAlgorithm)),
      );
    for (const bucket of bucketsOf(args.resources)) {
      const inline = (bucket.props.serverSideEncryptionConfiguration as { rule?: unknown } | undefined)?.rule;
      const ok =
        encrypts(inline) || settingsOf(args.resources, ENCRYPTION_TYPES, bucket).some((c) => encrypts(c.props.rules));
      if (!ok)
        reportViolation(
          `no default encryption: add a BucketServerSideEncryptionConfiguration with sseAlgorithm ${SSE_ALGORITHMS.join(" or ")}`,
          bucket.urn,
        );
    }
  },
};

/** Whether a policy document denies every S3 request without TLS on `bucket` (named by its `bucket` prop). */
export function deniesPlainHttp(document: unknown, bucketName: string): boolean {
  let doc: unknown = document;
  if (typeof document === "string") {
    try {
      doc = JSON.parse(document);
    } catch {
      return false;
    }
  }
  const bucketArn = (partition: string) => `arn:${partition}:s3:::${bucketName}`;
  return (
    asList((doc as { Statement?: unknown } | null)?.Statement) as (Statement & {
      Principal?: unknown;
      Condition?: unknown;
    })[]
  ).some((s) => {
    if (s?.Effect !== "Deny" || s.NotAction !== undefined || s.NotResource !== undefined) return false;
    const principal = s.Principal;
    const everyone =
      principal === "*" ||
      asList((principal as { AWS?: unknown } | undefined)?.AWS)
        .map(String)
        .includes("*");
    const allActions = asList(s.Action)
      .map(String)
      .some((a) => a === "*" || a.toLowerCase() === "s3:*");
    const resources = asList(s.Resource).map(String);
    const covers = (arn: string) => resources.some((r) => iamGlob(r, arn, false));
    const partition = resources.map((r) => r.split(":")[1]).find((p) => p !== undefined && !/[*?]/.test(p)) ?? "aws";
    const whole = covers(bucketArn(partition)) && covers(`${bucketArn(partition)}/any/object`);
    const insecure = (s.Condition as { Bool?: Record<string, unknown> } | undefined)?.Bool?.["aws:SecureTransport"];
    const onPlainHttp = asList(insecure).map(String).includes("false");
    return everyone && allActions && whole && onPlainHttp;
  });
}

export const s3TlsOnly: StackValidationPolicy = {
  name: "s3-tls-only",
  description:
    'Every S3 bucket the stack creates refuses requests without TLS: its bucket policy denies "s3:*" to every principal on the bucket and its objects when aws:SecureTransport is "false".',
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const bucket of bucketsOf(args.resources)) {
      const name = String(bucket.props.bucket ?? "");
      const policies: unknown[] = [
        bucket.props.policy,
        ...settingsOf(args.resources, [BUCKET_POLICY_TYPE], bucket).map((p): unknown => p.props.policy),
      ];
      if (!policies.some((doc) => doc !== undefined && deniesPlainHttp(doc, name)))
        reportViolation(
          'no bucket policy denies plain HTTP: add a BucketPolicy statement Deny "s3:*" to Principal "*" on the bucket and bucket/* with Condition Bool aws:SecureTransport "false"',
          bucket.urn,
        );
    }
  },
};

export const s3Versioned: StackValidationPolicy = {
  name: "s3-versioned",
  description: `Every S3 bucket the stack creates is versioned (a BucketVersioning with status Enabled, or the bucket's versioning.enabled), so an overwrite or a delete keeps the previous version. The one exception: a disposable cache, whose keys every job overwrites, tagged ${DISPOSABLE_CACHE_TAG} = "true".`,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const bucket of bucketsOf(args.resources)) {
      if (isDisposableCache(bucket)) continue;
      const inline = (bucket.props.versioning as { enabled?: unknown } | undefined)?.enabled === true;
      const enabled = settingsOf(args.resources, VERSIONING_TYPES, bucket).some(
        (v) => (v.props.versioningConfiguration as { status?: unknown } | undefined)?.status === "Enabled",
      );
      if (!inline && !enabled)
        reportViolation(
          `not versioned: add a BucketVersioning with status "Enabled" (only a disposable cache, tagged ${DISPOSABLE_CACHE_TAG} = "true", may go without)`,
          bucket.urn,
        );
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Containers: the Docker socket, and plain-HTTP GitLab.

/** The type of a resource's parent, from its URN (`…::<parent type>$<type>::<name>`). */
export function parentType(urn: string): string | undefined {
  const parts = urn.split("::");
  if (parts.length < 4) return undefined;
  const chain = parts[2].split("$");
  return chain.length >= 2 ? chain[chain.length - 2] : undefined;
}

/** A host path as the daemon resolves it: `.`/`..` and repeated or trailing slashes gone. */
function normalizeHostPath(path: string): string {
  const normalized = posix.normalize(path.trim());
  return normalized.length > 1 ? normalized.replace(/\/+$/, "") : normalized;
}

/** The socket itself. */
const isSocket = (path: unknown): boolean =>
  typeof path === "string" && path.trim().startsWith("/") && DOCKER_SOCKETS.includes(normalizeHostPath(path));

/** The socket, or a directory it is in (`/var/run`, `/run`, `/var`, `/`): mounting one mounts the socket. */
const reachesSocket = (path: unknown): boolean => {
  if (typeof path !== "string" || !path.trim().startsWith("/")) return false;
  const host = normalizeHostPath(path);
  return DOCKER_SOCKETS.some((socket) => socket === host || socket.startsWith(host === "/" ? "/" : `${host}/`));
};

export const dockerSocketRunnerOnly: ResourceValidationPolicy = {
  name: "docker-socket-runner-only",
  description:
    "No container but the GitLab Runner's mounts the host's Docker socket (/var/run/docker.sock, /run/docker.sock) or a directory it is in (/var/run, /run, /var, /): whoever has it is root on the host. The runner mounts the socket itself, nothing wider.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(docker.Container, (container, args, rv) => {
    const runner = parentType(args.urn) === RUNNER_COMPONENT_TYPE;
    const check = (path: unknown, where: string) => {
      if (!reachesSocket(path)) return;
      if (isSocket(path)) {
        if (!runner) rv(`mounts the Docker socket ${String(path)} (${where}): only the runner may`);
      } else
        rv(
          `mounts ${String(path)} (${where}), which holds the Docker socket: ${runner ? "the runner mounts the socket itself, nothing wider" : "only the runner may have the socket"}`,
        );
    };
    for (const volume of container.volumes ?? []) {
      check(volume.hostPath, "volumes");
      // Another container's volumes are its mounts: the socket too, if it is the runner's.
      if (volume.fromContainer !== undefined && !runner)
        rv(
          `takes the volumes of container ${volume.fromContainer} (volumes.fromContainer): name the volumes it needs; only the runner may have the Docker socket`,
        );
    }
    for (const mount of container.mounts ?? []) if (mount.type !== "volume") check(mount.source, "mounts");
  }),
};

export const noPrivilegedContainers: ResourceValidationPolicy = {
  name: "no-privileged-containers",
  description:
    "No container the stack runs is privileged (privileged, or the capabilities ALL or SYS_ADMIN): the privileged DinD services are the runner's, started per job, never Pulumi's.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(docker.Container, (container, _, rv) => {
    if (container.privileged === true)
      rv("privileged is true: root on the host; DinD services are started by the runner per job, not by the stack");
    const added = (container.capabilities?.adds ?? []).map((c) => String(c).toUpperCase().replace(/^CAP_/, ""));
    const wide = added.filter((c) => c === "ALL" || c === "SYS_ADMIN");
    if (wide.length > 0)
      rv(`capabilities.adds ${wide.join(", ")}: as good as privileged; add only the capabilities the process needs`);
  }),
};

/** The scheme of `external_url` in a GITLAB_OMNIBUS_CONFIG, or undefined when there is none. */
export function externalUrlOf(omnibusConfig: string): string | undefined {
  return /^\s*external_url\s*\(?\s*["']([^"']+)["']/m.exec(omnibusConfig)?.[1];
}

export const gitlabPlainHttpRequested: ResourceValidationPolicy = {
  name: "gitlab-plain-http-requested",
  description: `No plain-HTTP GitLab unless the stack asked for it (an explicit http:// gitlab.externalUrl, gitlab.tls off, or the local target): the GitLab container's label ${PLAIN_HTTP_REQUESTED_LABEL} says so.`,
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(docker.Container, (container, _, rv) => {
    const prefix = "GITLAB_OMNIBUS_CONFIG=";
    const config = (container.envs ?? []).find((e) => typeof e === "string" && e.startsWith(prefix));
    if (config === undefined) return;
    const url = externalUrlOf(config.slice(prefix.length));
    if (url === undefined || !url.toLowerCase().startsWith("http://")) return;
    const requested = (container.labels ?? []).find((l) => l.label === PLAIN_HTTP_REQUESTED_LABEL)?.value;
    if (requested !== "true")
      rv(
        `GitLab serves plain HTTP (${url}) but the stack did not ask for it (label ${PLAIN_HTTP_REQUESTED_LABEL}=${JSON.stringify(requested ?? "missing")}): passwords and tokens would cross the internet in clear; set an https:// gitlab.externalUrl, or an explicit http:// one to accept that`,
      );
  }),
};

// ---------------------------------------------------------------------------------------------
// EC2 recovery (infra/alarms): the host comes back on other hardware after an AWS failure.

const METRIC_ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm";
const RECOVER_ACTION = /^arn:aws[a-z-]*:automate:[a-z0-9-]+:ec2:recover$/;

/** Whether `alarm` watches `instance` (its InstanceId dimension comes from it). */
function watchesInstance(alarm: PolicyResource, instance: PolicyResource): boolean {
  if ((alarm.propertyDependencies.dimensions ?? []).some((r) => r.urn === instance.urn)) return true;
  const dimensions = alarm.props.dimensions as Record<string, unknown> | undefined;
  const id = dimensions?.InstanceId;
  return typeof id === "string" && id !== "" && id === instance.props.id;
}

export const hostRecoveryAlarm: StackValidationPolicy = {
  name: "host-recovery-alarm",
  description:
    "Every EC2 instance whose type supports the recover action (infra/config/instance-types.ts) has a CloudWatch alarm on its StatusCheckFailed_System (AWS/EC2) whose actions include arn:aws:automate:<region>:ec2:recover.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const alarms = args.resources.filter((r) => r.type === METRIC_ALARM_TYPE);
    for (const instance of args.resources.filter((r) => r.type === "aws:ec2/instance:Instance")) {
      const type: unknown = instance.props.instanceType;
      if (typeof type !== "string" || !recoverActionSupported(type)) continue;
      const recovering = alarms.some(
        (a) =>
          watchesInstance(a, instance) &&
          a.props.namespace === "AWS/EC2" &&
          a.props.metricName === "StatusCheckFailed_System" &&
          asList(a.props.alarmActions).some((x) => typeof x === "string" && RECOVER_ACTION.test(x)),
      );
      if (!recovering)
        reportViolation(
          `${type} supports EC2's recover action but no alarm on this instance's StatusCheckFailed_System (AWS/EC2) recovers it: add one with the action arn:aws:automate:<region>:ec2:recover (infra/alarms)`,
          instance.urn,
        );
    }
  },
};

/** The pack's policies, in the order they are reported. */
export const POLICIES: readonly (ResourceValidationPolicy | StackValidationPolicy)[] = [
  dockerApiAdminOnly,
  noSshFromAnywhere,
  imdsv2Required,
  ebsEncrypted,
  iamNoWildcardAdmin,
  s3PublicAccessBlocked,
  dockerSocketRunnerOnly,
  gitlabPlainHttpRequested,
  cacheNotFromInternet,
  iamNoManagedAdmin,
  noPrivilegedContainers,
  s3Encrypted,
  s3TlsOnly,
  s3Versioned,
  hostRecoveryAlarm,
];

/** The pack's name (`pulumi preview` shows it with each violation). */
export const PACK_NAME = "gitlab-dind";
