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
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import {
  validateResourceOfType,
  type PolicyResource,
  type ReportViolation,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";

/** The TLS Docker API port (infra/host/aws). */
export const DOCKER_API_PORT = 2376;
/** The label the GitLab container carries (infra/gitlab/gitlab-server.ts `PLAIN_HTTP_REQUESTED_LABEL`). */
export const PLAIN_HTTP_REQUESTED_LABEL = "gitlab-dind.plain-http-requested";
/** The component whose container alone may mount the Docker socket (infra/runner). */
export const RUNNER_COMPONENT_TYPE = "gitlab-dind:index:GitLabRunner";
const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];

// ---------------------------------------------------------------------------------------------
// Ingress: which rules let a port in from where.

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
 * Validations for every AWS resource that opens ingress (the VPC rule resources, the older
 * SecurityGroupRule, and a security group's inline `ingress`), reporting grants that let `port`
 * in from a CIDR `refuse` picks.
 */
function ingressValidations(
  port: number,
  refuse: (cidr: string) => boolean,
  message: (grant: Ingress) => string,
): ResourceValidationPolicy["validateResource"] {
  const report = (grantsOf: Ingress[], reportViolation: ReportViolation) => {
    for (const grant of grantsOf) if (coversPort(grant, port) && refuse(grant.cidr)) reportViolation(message(grant));
  };
  return [
    validateResourceOfType(aws.vpc.SecurityGroupIngressRule, (rule, _, rv) => {
      const cidrs = [rule.cidrIpv4, rule.cidrIpv6].filter((c): c is string => typeof c === "string");
      report(
        cidrs.map((cidr) => ({
          protocol: String(rule.ipProtocol),
          fromPort: rule.fromPort,
          toPort: rule.toPort,
          cidr,
        })),
        rv,
      );
    }),
    validateResourceOfType(aws.ec2.SecurityGroupRule, (rule, _, rv) => {
      if (rule.type !== "ingress") return;
      report(grants(rule, String(rule.protocol)), rv);
    }),
    validateResourceOfType(aws.ec2.SecurityGroup, (group, _, rv) => {
      for (const rule of group.ingress ?? []) report(grants(rule, String(rule.protocol)), rv);
    }),
  ];
}

export const dockerApiAdminOnly: ResourceValidationPolicy = {
  name: "docker-api-admin-only",
  description: `The TLS Docker API (port ${DOCKER_API_PORT}) gives root on the host: reachable from network.adminCidrs-style narrow ranges only, never 0.0.0.0/0 or ::/0.`,
  enforcementLevel: "mandatory",
  validateResource: ingressValidations(
    DOCKER_API_PORT,
    isWorld,
    (g) =>
      `ingress ${g.protocol} ${g.fromPort ?? "*"}-${g.toPort ?? "*"} from ${g.cidr} opens the Docker API (port ${DOCKER_API_PORT}) to the internet; allow only gitlab-dind:network.adminCidrs`,
  ),
};

export const noSshFromAnywhere: ResourceValidationPolicy = {
  name: "no-ssh-from-anywhere",
  description: "No ingress on port 22 from anywhere (0.0.0.0/0, ::/0): the host is reached through Session Manager.",
  enforcementLevel: "mandatory",
  validateResource: ingressValidations(
    22,
    isWorld,
    (g) =>
      `ingress ${g.protocol} ${g.fromPort ?? "*"}-${g.toPort ?? "*"} from ${g.cidr} opens SSH (port 22) to the internet; use Session Manager (git over SSH has its own port, gitlab-dind:gitlab.sshPort)`,
  ),
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
      for (const [i, mapping] of (template.blockDeviceMappings ?? []).entries()) {
        // The launch template's flag is a string ("true"/"false") in the AWS provider.
        if (mapping.ebs !== undefined && String(mapping.ebs.encrypted) !== "true")
          reportViolation(
            `blockDeviceMappings[${i}] (${mapping.deviceName}) ebs.encrypted is not "true": set encrypted: "true"`,
          );
      }
    }),
  ],
};

// ---------------------------------------------------------------------------------------------
// IAM identity policies: no Action "*" or "service:*" on Resource "*".

interface Statement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
  readonly Sid?: unknown;
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Problems of one policy document (a JSON string, or an object already). */
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
    const resources = asList(s.Resource).map(String);
    if (!resources.includes("*")) return;
    const broad = asList(s.Action)
      .map(String)
      .filter((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(a));
    if (broad.length > 0) {
      const which = typeof s.Sid === "string" ? `statement ${s.Sid}` : `statement ${i}`;
      problems.push(
        `${which} allows ${broad.map((a) => JSON.stringify(a)).join(", ")} on Resource "*": name the actions and the resource ARNs the job needs`,
      );
    }
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
    'No IAM identity-policy statement (role, user and group policies, managed policies) allows Action "*" or "service:*" on Resource "*". Key policies are out of scope.',
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

// ---------------------------------------------------------------------------------------------
// Containers: the Docker socket, and plain-HTTP GitLab.

/** The type of a resource's parent, from its URN (`…::<parent type>$<type>::<name>`). */
export function parentType(urn: string): string | undefined {
  const parts = urn.split("::");
  if (parts.length < 4) return undefined;
  const chain = parts[2].split("$");
  return chain.length >= 2 ? chain[chain.length - 2] : undefined;
}

const isSocket = (path: unknown): boolean =>
  typeof path === "string" && DOCKER_SOCKETS.includes(path.trim().replace(/\/+$/, ""));

export const dockerSocketRunnerOnly: ResourceValidationPolicy = {
  name: "docker-socket-runner-only",
  description:
    "No container but the GitLab Runner's mounts the host's /var/run/docker.sock: whoever has it is root on the host.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(docker.Container, (container, args, rv) => {
    if (parentType(args.urn) === RUNNER_COMPONENT_TYPE) return;
    for (const volume of container.volumes ?? [])
      if (isSocket(volume.hostPath)) rv(`mounts the Docker socket ${volume.hostPath} (volumes): only the runner may`);
    for (const mount of container.mounts ?? [])
      if (isSocket(mount.source)) rv(`mounts the Docker socket ${mount.source} (mounts): only the runner may`);
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
];

/** The pack's name (`pulumi preview` shows it with each violation). */
export const PACK_NAME = "gitlab-dind";
