/**
 * Every configuration key of the `gitlab-dind` namespace, its type, its default and its rule.
 *
 * This table is the single source of truth: the parser (parse.ts) reads it, Pulumi.yaml's
 * `template.config` block and the README's configuration table are checked against it by tests.
 * To add a key, add a row here and a field in types.ts.
 */
import type { Target } from "./types";
import { checkCidr, checkHttpUrl, checkImageRef, checkPort } from "./rules";
import { parseGitLabVersion } from "../upgrade-guard/upgrade-stops";

export const NAMESPACE = "gitlab-dind";

export type ValueKind = "string" | "integer" | "boolean" | "stringList";

/** What a rule is told about the rest of the stack when it checks one value. */
export interface RuleContext {
  readonly target: Target;
}

export interface KeySpec {
  /** The dotted path inside the namespace, as `pulumi config set --path` takes it. */
  readonly path: string;
  readonly kind: ValueKind;
  /** One sentence for Pulumi.yaml and the README. */
  readonly description: string;
  /**
   * The default, per target. `undefined` means the key is optional and stays unset;
   * `required` lists the targets on which the key must be set.
   */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the function form is the documentation
  readonly default?: unknown | ((ctx: RuleContext) => unknown);
  /** How the default reads in docs, where it is not a plain value. */
  readonly defaultDoc?: string;
  readonly required?: readonly Target[];
  /** Targets that use the key; on the others it is ignored (not refused, not checked). */
  readonly targets?: readonly Target[];
  readonly secret?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Returns what was expected when the value breaks the rule, or undefined when it is fine. */
  readonly check?: (value: never, ctx: RuleContext) => string | undefined;
  /** For lists: a rule for each element. */
  readonly checkEach?: (value: string, ctx: RuleContext) => string | undefined;
}

/** The images are pinned: a stack must be reproducible, and `latest` changes under it. */
export const DEFAULT_GITLAB_IMAGE = "gitlab/gitlab-ce:19.3.0-ce.0";
export const DEFAULT_RUNNER_IMAGE = "gitlab/gitlab-runner:v19.3.0";
export const DEFAULT_JOB_IMAGE = "docker:29.7.2-cli";
export const DEFAULT_DIND_IMAGE = "docker:29.7.2-dind";
/** 4 vCPU, 16 GiB, not burstable: GitLab's documented minimum memory, without CPU credits. */
export const DEFAULT_INSTANCE_TYPE = "m7i.xlarge";

const AWS: readonly Target[] = ["aws"];

export const KEYS: readonly KeySpec[] = [
  {
    path: "team",
    kind: "string",
    required: ["aws", "local"],
    description:
      "The team that owns the stack; prefixes every physical resource name and is the tag `Team` on everything taggable.",
    check: (v: string) =>
      /^[a-z][a-z0-9-]{1,20}$/.test(v)
        ? undefined
        : "2 to 21 characters: a lowercase letter, then lowercase letters, digits or '-' (it becomes part of AWS resource names)",
  },
  {
    path: "target",
    kind: "string",
    default: "aws",
    description: "`aws` (an EC2 host) or `local` (the Docker daemon of this machine).",
    check: (v: string) => (v === "aws" || v === "local" ? undefined : "one of aws, local"),
  },
  {
    path: "network.adminCidrs",
    kind: "stringList",
    required: AWS,
    targets: AWS,
    description: "CIDRs allowed to reach the host's TLS Docker API (port 2376); `0.0.0.0/0` and `::/0` are refused.",
    check: (v: readonly string[]) => (v.length === 0 ? "at least one CIDR" : undefined),
    // The Docker API is root on the host: it must never be open to the internet.
    checkEach: (v: string) =>
      v === "0.0.0.0/0" || v === "::/0"
        ? "a CIDR narrower than the whole internet (the Docker API gives root on the host)"
        : checkCidr(v),
  },
  {
    path: "network.webCidrs",
    kind: "stringList",
    default: ["0.0.0.0/0"],
    targets: AWS,
    description: "CIDRs allowed to reach GitLab's HTTP(S), git-over-SSH and registry ports.",
    check: (v: readonly string[]) => (v.length === 0 ? "at least one CIDR" : undefined),
    checkEach: (v: string) => checkCidr(v),
  },
  {
    path: "network.vpcCidr",
    kind: "string",
    default: "10.42.0.0/16",
    targets: AWS,
    description: "The stack's VPC address range.",
    // AWS accepts VPC blocks from /16 to /28; the public subnet takes the first /24 of it.
    check: (v: string) => checkCidr(v, { ipv4Only: true, minPrefix: 16, maxPrefix: 24 }),
  },
  {
    path: "host.instanceType",
    kind: "string",
    default: DEFAULT_INSTANCE_TYPE,
    targets: AWS,
    description: "EC2 instance type of the GitLab host (x86_64).",
    check: (v: string) =>
      /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(v) ? undefined : "an EC2 instance type such as m7i.xlarge",
  },
  {
    path: "host.rootVolumeGiB",
    kind: "integer",
    default: 30,
    min: 20,
    max: 16384,
    targets: AWS,
    description: "Size of the encrypted gp3 root volume (Docker images live here).",
  },
  {
    path: "host.dataVolumeGiB",
    kind: "integer",
    default: 100,
    min: 20,
    max: 16384,
    targets: AWS,
    description: "Size of the encrypted gp3 data volume mounted at /srv (GitLab's config, data and logs).",
  },
  {
    path: "host.dataVolumeId",
    kind: "string",
    targets: AWS,
    defaultDoc: "unset (a new volume)",
    description:
      "Adopt the data volume an earlier stack kept (`vol-…`, see host.keepDataOnDestroy) instead of creating one; the subnet follows its availability zone and its size stays as it is.",
    check: (v: string) =>
      /^vol-[0-9a-f]{8,17}$/.test(v) ? undefined : "an EBS volume id such as vol-0a1b2c3d4e5f60718",
  },
  {
    path: "host.keepDataOnDestroy",
    kind: "boolean",
    default: true,
    description: "Keep GitLab's data (the EBS volume, or the local Docker volumes) on `pulumi destroy`.",
  },
  {
    path: "host.snapshotRetentionDays",
    kind: "integer",
    default: 7,
    min: 0,
    // Data Lifecycle Manager keeps at most 1000 snapshots per schedule.
    max: 1000,
    targets: AWS,
    description: "Daily snapshots of the data volume to keep; 0 turns snapshots off.",
  },
  {
    path: "host.imdsHopLimit",
    kind: "integer",
    default: 1,
    min: 1,
    max: 3,
    targets: AWS,
    description: "IMDSv2 response hop limit; 1 keeps job containers from reaching the instance's credentials.",
  },
  {
    path: "gitlab.image",
    kind: "string",
    default: DEFAULT_GITLAB_IMAGE,
    description: "GitLab CE image, with a version tag.",
    // The upgrade guard reads GitLab's version from the tag to enforce the upgrade stops.
    check: (v: string) =>
      checkImageRef(v) ??
      (parseGitLabVersion(v) === undefined
        ? "an image tagged with GitLab's version, such as gitlab/gitlab-ce:19.3.0-ce.0 (the upgrade guard reads the version from the tag)"
        : undefined),
  },
  {
    path: "gitlab.externalUrl",
    kind: "string",
    defaultDoc: "`http://<public address>` (aws), `http://localhost:<httpPort>` (local)",
    description:
      "The URL users reach GitLab at. An https:// URL (aws only) needs a DNS name that points at the host's address: GitLab then gets a Let's Encrypt certificate, and the runner and jobs use the encrypted URL too.",
    check: (v: string) => checkHttpUrl(v),
  },
  {
    path: "gitlab.httpPort",
    kind: "integer",
    default: (ctx: RuleContext) => (ctx.target === "local" ? 8080 : 80),
    defaultDoc: "80 (aws), 8080 (local)",
    description: "Host port of GitLab's HTTP.",
    check: (v: number) => checkPort(v),
  },
  {
    path: "gitlab.sshPort",
    kind: "integer",
    default: 10022,
    description: "Host port for git over SSH (the host's own port 22 stays closed).",
    check: (v: number) => checkPort(v),
  },
  {
    path: "gitlab.registryPort",
    kind: "integer",
    default: 4567,
    description: "Host port of GitLab's container registry; 0 disables the registry.",
    check: (v: number) => (v === 0 ? undefined : checkPort(v)),
  },
  {
    path: "gitlab.shmSizeMiB",
    kind: "integer",
    default: 512,
    min: 256,
    max: 65536,
    // GitLab's Prometheus and Puma workers fail with Docker's 64 MiB /dev/shm.
    description: "Size of GitLab's /dev/shm in MiB.",
  },
  {
    path: "gitlab.rootPassword",
    kind: "string",
    secret: true,
    defaultDoc: "generated",
    description: "Password of GitLab's root user, at least 12 characters; set it with `--secret`.",
    check: (v: string) => (v.length >= 12 ? undefined : "at least 12 characters"),
  },
  {
    path: "gitlab.allowSignup",
    kind: "boolean",
    default: false,
    description: "Let anyone who can reach GitLab create an account.",
  },
  {
    path: "runner.image",
    kind: "string",
    default: DEFAULT_RUNNER_IMAGE,
    description: "GitLab Runner image, with a version tag.",
    check: (v: string) => checkImageRef(v),
  },
  {
    path: "runner.concurrent",
    kind: "integer",
    default: 4,
    min: 1,
    max: 64,
    description: "Jobs the runner runs at once.",
  },
  {
    path: "runner.jobImage",
    kind: "string",
    default: DEFAULT_JOB_IMAGE,
    description: "Default job image: the Docker CLI that talks to the DinD service.",
    check: (v: string) => checkImageRef(v),
  },
  {
    path: "runner.dindImage",
    kind: "string",
    default: DEFAULT_DIND_IMAGE,
    description: "The Docker-in-Docker service image; the only image allowed to run privileged.",
    check: (v: string) => checkImageRef(v),
  },
  {
    path: "runner.tags",
    kind: "stringList",
    default: ["docker", "dind"],
    description: "Tags the runner registers with; jobs with these tags run on it.",
    // GitLab's API takes tags as one comma-separated string, so a comma cannot be in a tag.
    checkEach: (v: string) =>
      v.trim() === "" || v.includes(",") || v !== v.trim()
        ? "a non-empty tag without commas or surrounding spaces"
        : undefined,
  },
  {
    path: "runner.runUntagged",
    kind: "boolean",
    default: true,
    description: "Let the runner take jobs that have no tags.",
  },
  {
    path: "runner.checkInterval",
    kind: "integer",
    default: 3,
    min: 1,
    max: 3600,
    description: "Seconds between the runner's polls for new jobs.",
  },
  {
    path: "runner.sessionTimeout",
    kind: "integer",
    default: 1800,
    min: 60,
    max: 86400,
    description: "Seconds an interactive web terminal session may last.",
  },
];

export const KEYS_BY_PATH: ReadonlyMap<string, KeySpec> = new Map(KEYS.map((k) => [k.path, k]));

/** The default of a key for a target, or undefined when the key has none. */
export function defaultFor(spec: KeySpec, ctx: RuleContext): unknown {
  return typeof spec.default === "function" ? (spec.default as (c: RuleContext) => unknown)(ctx) : spec.default;
}

/** How a key's default reads in Pulumi.yaml and the README. */
export function describeDefault(spec: KeySpec): string {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  if (spec.required !== undefined && spec.required.length > 0) {
    return spec.required.length === 2 ? "required" : `required for ${spec.required.join(", ")}`;
  }
  if (spec.default === undefined) return "unset";
  return "`" + JSON.stringify(spec.default) + "`";
}
