/**
 * Every configuration key of the `gitlab-dind` namespace, its type, its default and its rule.
 *
 * This table is the single source of truth: the parser (parse.ts) reads it, Pulumi.yaml's
 * `template.config` block and the README's configuration table are checked against it by tests.
 * To add a key, add a row here and a field in types.ts.
 */
import type { Target } from "./types";
import {
  checkCidr,
  checkDistinctCidrs,
  checkGoDuration,
  checkHostInstanceType,
  checkHttpUrl,
  checkImageRef,
  checkIngressCidr,
  checkPort,
  checkX86InstanceType,
} from "./rules";
import { checkOnCalendar } from "../backup/on-calendar";
import { checkRdsInstanceClass, checkRdsSnapshotIdentifier } from "./rds-rules";
import { checkBucketName, parseRestoreFrom } from "./s3-location";
import { parseGitLabVersion } from "../upgrade-guard/upgrade-stops";
import { OLDEST_SUPPORTED_GITLAB, checkSupportedGitLabImage } from "../gitlab/versions";
import { checkEmailAddress, isDnsName } from "../email/address";
import { checkEmailProvider } from "./email-rules";

export const NAMESPACE = "gitlab-dind";

/**
 * `map`: a structured value (`pulumi config set --path gitlab.omnibus.gitlab_rails.time_zone …`), a
 * map of names to any YAML value; with `secret`, a map of names to secret strings.
 */
export type ValueKind = "string" | "integer" | "boolean" | "stringList" | "map";

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
  /**
   * What the key accepts, in words, where the rule's own messages would read badly in docs (they
   * quote the offending value back). Default: derived by asking the parser (tools/docs).
   */
  readonly acceptsDoc?: string;
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
/**
 * CNCF Distribution 3.x, the `registry` image in proxy mode (the pull-through cache for Docker Hub).
 * 3.1.2: the newest tag of the official image (docker-library/official-images `library/registry`).
 */
export const DEFAULT_MIRROR_IMAGE = "registry:3.1.2";
/** 4 vCPU, 16 GiB, not burstable: GitLab's documented minimum memory, without CPU credits. */
export const DEFAULT_INSTANCE_TYPE = "m7i.xlarge";
/**
 * 2 vCPU, 8 GiB, Graviton, not burstable: GitLab's database on RDS. RDS derives max_connections from
 * memory, and GitLab opens two connection sets (main and ci): 8 GiB is the least that fits.
 */
export const DEFAULT_RDS_INSTANCE_CLASS = "db.m7g.large";
/** 2 vCPU, 8 GiB, x86_64, not burstable: a DinD job's daemon, its image pulls and builds. */
export const DEFAULT_WORKER_INSTANCE_TYPE = "m7i.large";

const AWS: readonly Target[] = ["aws"];

/**
 * GitLab's cache, sessions and Sidekiq's queues in one Redis with `noeviction`, where running out of
 * memory refuses writes rather than dropping a queued job. GitLab's 2,000-user reference
 * architecture (docs.gitlab.com administration/reference_architectures/2k_users) sizes its one Redis
 * at 1 vCPU and 3.75 GB, AWS example m5.large. cache.m7g.large (2 vCPU, 6.38 GiB by AWS's node-type
 * table, not re-checked here; Graviton3, not burstable) covers that with headroom; cache.t4g.medium
 * (3.09 GiB) is below it and burstable, its CPU credits spent by Sidekiq's constant polling.
 */
export const DEFAULT_ELASTICACHE_NODE_TYPE = "cache.m7g.large";

/** The keys that move GitLab's data off the box (the data location guard watches them). */
export const DATA_LOCATION_KEYS = ["gitlab.objectStorage", "gitlab.database", "gitlab.redis"] as const;

/** One of `values`; the off-box value (the second) only on the aws target. */
function checkDataLocation(
  v: string,
  values: readonly [string, string],
  ctx: RuleContext,
  what: string,
): string | undefined {
  if (!values.includes(v)) return `one of ${values.join(", ")}`;
  if (v === values[1] && ctx.target !== "aws") {
    return `${values[0]} on the local target (${values[1]} is ${what} in the stack's AWS VPC)`;
  }
  return undefined;
}

/** An ElastiCache node type, `cache.<family>.<size>` (`cache.m7g.large`, `cache.r7g.xlarge`). */
export function checkElastiCacheNodeType(v: string): string | undefined {
  return /^cache\.[a-z]+[0-9]+[a-z-]*\.(nano|micro|small|medium|large|[0-9]*xlarge|metal)$/.test(v)
    ? undefined
    : "an ElastiCache node type, cache.<family>.<size>, such as cache.m7g.large or cache.r7g.xlarge";
}
const TLS_SETTINGS: readonly string[] = ["auto", "letsencrypt", "selfSigned", "off"];
/** `gitlab.objectStorage`: the data volume, or S3 buckets (aws only). */
const OBJECT_STORAGE_SETTINGS: readonly string[] = ["local", "s3"];

/** The widest range `network.adminCidrs` accepts: a /8 (16.7 million addresses). */
export const ADMIN_CIDR_MIN_PREFIX = 8;

const LOCAL: readonly Target[] = ["local"];

/**
 * The components `gitlab-backup create SKIP=…` takes (GitLab's "Excluding specific data from the
 * backup"; the task list is gitlabhq `lib/backup/options.rb`, `SkippableTasks`).
 */
export const BACKUP_SKIP_COMPONENTS = [
  "db",
  "uploads",
  "builds",
  "artifacts",
  "lfs",
  "terraform_state",
  "registry",
  "pages",
  "repositories",
  "packages",
  "ci_secure_files",
  "external_diffs",
] as const;

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
    description:
      "IPv4 CIDRs allowed to reach the host's TLS Docker API (port 2376), each /8 or narrower: the Docker API gives root on the host.",
    check: (v: readonly string[]) => (v.length === 0 ? "at least one CIDR" : checkDistinctCidrs(v)),
    // The Docker API is root on the host: never open to the internet, nor to a large part of it.
    checkEach: (v: string) => checkIngressCidr(v, { minPrefix: ADMIN_CIDR_MIN_PREFIX }),
  },
  {
    path: "network.webCidrs",
    kind: "stringList",
    default: ["0.0.0.0/0"],
    targets: AWS,
    description:
      "IPv4 CIDRs allowed to reach GitLab's HTTP(S), git-over-SSH and registry ports (the VPC is IPv4-only).",
    check: (v: readonly string[]) => (v.length === 0 ? "at least one CIDR" : checkDistinctCidrs(v)),
    checkEach: (v: string) => checkIngressCidr(v),
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
    description:
      "EC2 instance type of the GitLab host; x86_64 only (the image is Amazon Linux 2023 x86_64), so Graviton types such as m7g are refused. At least 8 GiB of memory (GitLab's least; under its 16 GB baseline, and for burstable t types, a warning). A change stops and starts the same instance.",
    check: (v: string) => checkHostInstanceType(v),
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
    defaultDoc: "`1`; `2` with runner.autoscaler.enabled or gitlab.objectStorage `s3`",
    min: 1,
    max: 3,
    targets: AWS,
    description:
      "IMDSv2 response hop limit. 1 keeps containers on Docker networks (jobs, GitLab, the runner) from the instance's role credentials; it does not stop a privileged DinD job, which is root on the host and reaches the metadata service whatever the limit. That is why the role holds nothing another team could use: Session Manager, this stack's own Docker TLS key and backup bucket (and, with the autoscaler, its own workers). With runner.autoscaler.enabled it is 2: the runner container (the workers' manager) reads the role through IMDS, and no job runs on the host. With gitlab.objectStorage `s3` it is 2 too (GitLab's container reads the role for its buckets). Whenever it is 2 or more and jobs run on the host, a DOCKER-USER rule keeps job containers from the metadata service.",
  },
  {
    path: "gitlab.image",
    kind: "string",
    default: DEFAULT_GITLAB_IMAGE,
    description: `GitLab CE image, with a version tag: GitLab ${OLDEST_SUPPORTED_GITLAB.major}.${OLDEST_SUPPORTED_GITLAB.minor} or later (gitlab.rb is written for the tag's version).`,
    // The upgrade guard reads GitLab's version from the tag to enforce the upgrade stops.
    check: (v: string) =>
      checkImageRef(v) ??
      (parseGitLabVersion(v) === undefined
        ? "an image tagged with GitLab's version, such as gitlab/gitlab-ce:19.3.0-ce.0 (the upgrade guard reads the version from the tag)"
        : undefined) ??
      // gitlab.rb is rendered for the tag's version; older than this, the runner cannot be registered.
      checkSupportedGitLabImage(v),
  },
  {
    path: "gitlab.externalUrl",
    kind: "string",
    defaultDoc: "`https://<Elastic IP>` (aws, a certificate from the stack CA), `http://localhost:<httpPort>` (local)",
    description:
      "The URL users reach GitLab at. An https:// URL (aws only) needs a DNS name that points at the host's address (see dns.zoneId): GitLab then gets a Let's Encrypt certificate. An http:// URL serves plain HTTP, with a warning.",
    check: (v: string) => checkHttpUrl(v),
  },
  {
    path: "gitlab.tls",
    kind: "string",
    default: "auto",
    description:
      "How GitLab serves HTTPS: `auto` (Let's Encrypt for an https:// external URL, a certificate from the stack CA without one, plain HTTP for an http:// URL and on local), `letsencrypt`, `selfSigned` (the stack CA, output `gitlabCaCertificate`) or `off` (plain HTTP).",
    check: (v: string) => (TLS_SETTINGS.includes(v) ? undefined : `one of ${TLS_SETTINGS.join(", ")}`),
  },
  {
    path: "gitlab.letsencryptEmail",
    kind: "string",
    targets: AWS,
    defaultDoc: "unset (no expiry notices)",
    description:
      "Where Let's Encrypt sends certificate expiry notices (`letsencrypt['contact_emails']`); only with Let's Encrypt.",
    check: (v: string) =>
      /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v) ? undefined : "an e-mail address such as ops@example.com",
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
    path: "gitlab.objectStorage",
    kind: "string",
    default: "local",
    description:
      "Where GitLab keeps its objects (artifacts, LFS, uploads, packages, ...) and the registry its images: `local` (the data volume) or `s3` (aws only: a versioned, encrypted bucket per object type and one for the registry, reached with the host's role; host.imdsHopLimit becomes 2 and job containers on the host are kept from the metadata service). gitlab-backup does not copy what is in S3: the buckets' versions protect it.",
    check: (v: string, ctx: RuleContext) => {
      if (!OBJECT_STORAGE_SETTINGS.includes(v)) return `one of ${OBJECT_STORAGE_SETTINGS.join(", ")}`;
      return v === "s3" && ctx.target !== "aws"
        ? "local on the local target (s3 creates S3 buckets in the stack's AWS account, reached with the EC2 host's role)"
        : undefined;
    },
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
  // Where GitLab keeps its data (issue 22): each part opt-in, aws only. gitlab.objectStorage and
  // gitlab.database (the RDS capability's) are above; gitlab.redis and elasticache.* are infra/redis's;
  // gitlab.dataMovedBack is the data location guard's override.
  {
    path: "gitlab.redis",
    kind: "string",
    default: "bundled",
    description:
      "GitLab's Redis: `bundled` (in GitLab's container) or `elasticache` (an Amazon ElastiCache Valkey 7.2 replication group in the stack's VPC, TLS and an AUTH token; aws only).",
    check: (v: string, ctx: RuleContext) =>
      checkDataLocation(v, ["bundled", "elasticache"], ctx, "an Amazon ElastiCache replication group"),
  },
  {
    path: "gitlab.dataMovedBack",
    kind: "stringList",
    default: [],
    description: `Turning ${DATA_LOCATION_KEYS.join(", ")} back to the box is refused (the data location guard) unless the key is listed here: list it only once its data is back on the box (docs/operations.md, "Moving an existing stack off the box"), run \`pulumi up\`, then remove it again.`,
    checkEach: (v: string) =>
      (DATA_LOCATION_KEYS as readonly string[]).includes(v) ? undefined : `one of ${DATA_LOCATION_KEYS.join(", ")}`,
    check: (v: readonly string[]) => {
      const dup = v.find((x, i) => v.indexOf(x) !== i);
      return dup === undefined ? undefined : `each key once (${dup} is listed twice)`;
    },
  },
  {
    path: "elasticache.nodeType",
    kind: "string",
    default: DEFAULT_ELASTICACHE_NODE_TYPE,
    targets: AWS,
    description:
      "ElastiCache node type with gitlab.redis `elasticache`: holds GitLab's cache, sessions and Sidekiq's queues, and with `maxmemory-policy noeviction` a full node refuses writes (an alarm fires at 80% memory).",
    check: (v: string) => checkElastiCacheNodeType(v),
  },
  {
    path: "elasticache.replicas",
    kind: "integer",
    default: 0,
    min: 0,
    max: 5,
    targets: AWS,
    description:
      "Read replicas of the ElastiCache primary, each in the other zone first; with 1 or more, automatic failover and Multi-AZ are on (a replica becomes the primary when the primary's node or zone fails).",
  },
  {
    path: "gitlab.database",
    kind: "string",
    default: "bundled",
    description:
      "Where GitLab's PostgreSQL runs: `bundled` (inside GitLab's container, on the data volume) or `rds` (an Amazon RDS for PostgreSQL 17 instance in private subnets of the stack's VPC, the registry's metadata database on it too; aws only, see the rds.* keys).",
    check: (v: string, ctx: RuleContext) =>
      v === "bundled"
        ? undefined
        : v === "rds"
          ? ctx.target === "aws"
            ? undefined
            : "bundled on the local target (RDS is an AWS service in the stack's VPC)"
          : "one of bundled, rds",
  },
  {
    path: "rds.instanceClass",
    kind: "string",
    default: DEFAULT_RDS_INSTANCE_CLASS,
    targets: AWS,
    description:
      "RDS instance class of GitLab's database (gitlab.database rds), `db.<family>.<size>`, large or bigger (8 GiB of memory or more; the parameter group keeps max_connections at 400 or more). A change is applied in the next maintenance window.",
    check: (v: string) => checkRdsInstanceClass(v),
  },
  {
    path: "rds.allocatedStorageGiB",
    kind: "integer",
    default: 50,
    min: 20,
    max: 65536,
    targets: AWS,
    description:
      "Size of the database's encrypted gp3 storage in GiB (gitlab.database rds); it can grow, never shrink.",
  },
  {
    path: "rds.multiAz",
    kind: "boolean",
    default: false,
    targets: AWS,
    description:
      "A Multi-AZ DB instance (a synchronous standby in the second zone, automatic failover; gitlab.database rds). Not a Multi-AZ DB cluster and not Aurora, which GitLab does not support.",
  },
  {
    path: "rds.backupRetentionDays",
    kind: "integer",
    default: 7,
    min: 1,
    max: 35,
    targets: AWS,
    description:
      "Days of RDS automated backups, the point-in-time recovery window (gitlab.database rds). The registry's metadata database is restored this way, not by gitlab-backup.",
  },
  {
    path: "rds.snapshotIdentifier",
    kind: "string",
    targets: AWS,
    defaultDoc: "unset (an empty database)",
    description:
      "Create the database instance from this RDS snapshot (a final snapshot a destroyed stack kept, or one for a drill): its identifier or ARN (gitlab.database rds). Only read when the instance is created.",
    check: (v: string) => checkRdsSnapshotIdentifier(v),
  },
  {
    path: "gitlab.omnibus",
    kind: "map",
    default: {},
    defaultDoc: "`{}` (none)",
    acceptsDoc:
      "a map from gitlab.rb's top-level names to their settings (`gitlab_rails: { time_zone: Europe/Berlin }`), a secret as `{ secret: <name of gitlab.omnibusSecrets> }`; not the settings the program manages",
    description:
      "Any other gitlab.rb setting, rendered through the typed gitlab.rb renderer: set with `pulumi config set --path 'gitlab.omnibus.gitlab_rails.time_zone' Europe/Berlin` (docs/operations.md: single sign-on, LDAP).",
  },
  {
    path: "gitlab.omnibusSecrets",
    kind: "map",
    secret: true,
    default: {},
    defaultDoc: "`{}` (none)",
    acceptsDoc: "a map of names (letters, digits, `_`, `-`) to strings",
    description:
      "Secrets for gitlab.omnibus (an OIDC client secret, an LDAP bind password), each set with `pulumi config set --secret --path gitlab.omnibusSecrets.<name> …` and used as `{ secret: <name> }`; GitLab reads them from root-only files.",
  },
  {
    path: "dns.zoneId",
    kind: "string",
    targets: AWS,
    defaultDoc: "unset (no record: point the name at the Elastic IP yourself)",
    description:
      "A Route53 hosted zone id (`Z…`): the stack creates the A record of the https:// external URL's host (a name in that zone) to the Elastic IP, and waits until it resolves before GitLab first starts.",
    check: (v: string) =>
      /^Z[A-Z0-9]{1,32}$/.test(v) ? undefined : "a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ",
  },
  // Email (infra/email): GitLab's outgoing mail through SES, any SMTP relay, or (local) Mailpit.
  {
    path: "email.enabled",
    kind: "boolean",
    default: false,
    description:
      "Let GitLab send email (password resets, invitations, pipeline and merge-request notifications) through email.provider.",
  },
  {
    path: "email.provider",
    kind: "string",
    default: (ctx: RuleContext) => (ctx.target === "aws" ? "ses" : "mailpit"),
    defaultDoc: "`ses` on aws, `mailpit` on local",
    acceptsDoc: "`ses` (aws only), `smtp`, `mailpit` (local only)",
    description:
      "How GitLab sends: `ses` (Amazon SES in the stack's region: a domain identity with DKIM, a sending-only IAM user), `smtp` (any relay, email.smtpHost and its credentials), `mailpit` (local: a Mailpit container that catches every mail, its web page on 127.0.0.1).",
    check: (v: string, ctx: RuleContext) => checkEmailProvider(v, ctx.target),
  },
  {
    path: "email.from",
    kind: "string",
    defaultDoc: "`gitlab@<the external URL's host>` when it is a DNS name",
    description:
      "The sender of GitLab's mail. With `ses` its domain is the SES identity (required when the external URL is an IP address, as the default Elastic IP URL is); with `smtp` one the relay may send as.",
    check: (v: string) => checkEmailAddress(v),
  },
  {
    path: "email.sesExistingIdentity",
    kind: "boolean",
    default: false,
    targets: AWS,
    description:
      "With `ses`: email.from's domain is already an SES identity in the account and region (another stack's, or made by hand): the stack uses it and creates no identity, DKIM or DNS records of its own, so it never changes or deletes it.",
  },
  {
    path: "email.smtpHost",
    kind: "string",
    defaultDoc: "unset (required with `smtp`)",
    description: "The relay's host name, with `smtp` only.",
    check: (v: string) => (isDnsName(v) ? undefined : "a DNS name such as smtp.example.com"),
  },
  {
    path: "email.smtpPort",
    kind: "integer",
    default: 587,
    description: "The relay's port, with `smtp` only; GitLab uses STARTTLS (587), or implicit TLS on 465.",
    check: (v: number) => checkPort(v),
  },
  {
    path: "email.smtpUser",
    kind: "string",
    defaultDoc: "unset (required with `smtp`)",
    description: "The user GitLab signs in to the relay as, with `smtp` only.",
    check: (v: string) => (v.trim() === v && v !== "" && !/[\n\r\0]/.test(v) ? undefined : "a user name"),
  },
  {
    path: "email.smtpPassword",
    kind: "string",
    secret: true,
    defaultDoc: "unset (required with `smtp`)",
    description:
      "The relay password for email.smtpUser, with `smtp` only; set it with `--secret`. GitLab reads it from a root-only file in its container.",
    check: (v: string) => (v !== "" && !/[\n\r\0]/.test(v) ? undefined : "a password on one line"),
  },
  {
    path: "runner.image",
    kind: "string",
    default: DEFAULT_RUNNER_IMAGE,
    description: "GitLab Runner image, with a version tag.",
    check: (v: string) => checkImageRef(v, DEFAULT_RUNNER_IMAGE),
  },
  {
    path: "runner.concurrent",
    kind: "integer",
    default: 4,
    min: 1,
    max: 64,
    defaultDoc: "`4`; maxInstances × capacityPerInstance with runner.autoscaler.enabled",
    description: "Jobs the runner runs at once.",
  },
  {
    path: "runner.jobImage",
    kind: "string",
    default: DEFAULT_JOB_IMAGE,
    description: "Default job image: the Docker CLI that talks to the DinD service.",
    check: (v: string) => checkImageRef(v, DEFAULT_JOB_IMAGE),
  },
  {
    path: "runner.dindImage",
    kind: "string",
    default: DEFAULT_DIND_IMAGE,
    description: "The Docker-in-Docker service image; the only image allowed to run privileged.",
    check: (v: string) => checkImageRef(v, DEFAULT_DIND_IMAGE),
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
  {
    path: "runner.autoscaler.enabled",
    kind: "boolean",
    default: false,
    description:
      "Run CI jobs on throw-away EC2 workers (GitLab Runner's docker-autoscaler executor with the fleeting AWS plugin on an Auto Scaling group) instead of on the GitLab host; aws only.",
  },
  {
    path: "runner.autoscaler.maxInstances",
    kind: "integer",
    default: 10,
    min: 1,
    max: 200,
    targets: AWS,
    description: "Most worker VMs at once, in any state (the Auto Scaling group's maximum size).",
  },
  {
    path: "runner.autoscaler.capacityPerInstance",
    kind: "integer",
    default: 1,
    min: 1,
    max: 16,
    targets: AWS,
    description: "Jobs one worker VM runs at once.",
  },
  {
    path: "runner.autoscaler.maxUseCount",
    kind: "integer",
    default: 1,
    min: 0,
    max: 1000,
    targets: AWS,
    description: "Jobs a worker VM runs before it is thrown away; 1 gives every job a fresh VM, 0 means no limit.",
  },
  {
    path: "runner.autoscaler.idleCount",
    kind: "integer",
    default: 0,
    min: 0,
    targets: AWS,
    description:
      "Idle job slots (not VMs) kept ready for the next jobs; at most maxInstances × capacityPerInstance. 0 scales to zero.",
  },
  {
    path: "runner.autoscaler.idleTime",
    kind: "string",
    default: "20m",
    targets: AWS,
    description: "How long an idle worker VM is kept before it is removed, as a Go duration (`15m`, `1h30m`).",
    check: (v: string) => checkGoDuration(v, 1),
  },
  {
    path: "runner.autoscaler.instanceType",
    kind: "string",
    default: DEFAULT_WORKER_INSTANCE_TYPE,
    targets: AWS,
    description: "EC2 instance type of the worker VMs; x86_64 only (the AMI is Amazon Linux 2023 for x86_64).",
    check: (v: string) => checkX86InstanceType(v),
  },
  {
    path: "runner.autoscaler.spot",
    kind: "boolean",
    default: false,
    targets: AWS,
    description:
      "Workers from spot capacity (a mixed-instances Auto Scaling group, price-capacity-optimized); a reclaimed worker fails its job as a runner system failure, which `retry: when: [runner_system_failure]` retries.",
  },
  {
    path: "runner.autoscaler.extraInstanceTypes",
    kind: "stringList",
    default: [],
    targets: AWS,
    description:
      "More x86_64 instance types for spot capacity, each with the vCPUs and memory of instanceType (capacityPerInstance is per worker); only with spot.",
    checkEach: (v: string) => checkX86InstanceType(v),
  },
  {
    path: "runner.autoscaler.onDemandBase",
    kind: "integer",
    default: 0,
    min: 0,
    max: 200,
    targets: AWS,
    description:
      "With spot: this many workers are always on-demand (the first ones launched); the rest are spot. At most maxInstances.",
  },
  {
    path: "runner.cache.type",
    kind: "string",
    default: "local",
    defaultDoc: "`s3` on aws with runner.autoscaler.enabled, else `local`",
    acceptsDoc: "`local` or `s3` (`s3` on aws only)",
    description:
      "Where jobs' `cache:` goes: `local` keeps it on the machine that ran the job; `s3` is one shared cache in a bucket of the stack, which the runner reaches with presigned URLs (no credentials in jobs or on workers).",
    check: (v: string, ctx: RuleContext) =>
      v === "local" || (v === "s3" && ctx.target === "aws")
        ? undefined
        : ctx.target === "aws"
          ? "local or s3"
          : "local on the local target (s3 is a bucket in the stack's AWS account)",
  },
  {
    path: "runner.cache.expireDays",
    kind: "integer",
    default: 14,
    min: 1,
    max: 365,
    description:
      "With the s3 cache: days after which the bucket's lifecycle deletes a cache archive (a job that still uses its key uploads it again).",
  },
  {
    path: "mirror.enabled",
    kind: "boolean",
    default: true,
    description:
      "Run a Docker Hub pull-through cache (a `registry` in proxy mode) that every job's DinD daemon, and on aws the host's daemon, pull through: faster pipelines and no Docker Hub pull-rate limit.",
  },
  {
    path: "mirror.image",
    kind: "string",
    default: DEFAULT_MIRROR_IMAGE,
    description: "The pull-through cache's image (CNCF Distribution 3.x), with a version tag.",
    check: (v: string) => checkImageRef(v, DEFAULT_MIRROR_IMAGE),
  },
  {
    path: "mirror.port",
    kind: "integer",
    default: 5001,
    description:
      "Port of the pull-through cache on the Docker bridge's gateway address (host.docker.internal for jobs) and, with runner.autoscaler.enabled, on the host's private address for the CI workers' security group only; never published to the internet.",
    check: (v: number) => checkPort(v),
  },
  {
    path: "mirror.dockerHubUsername",
    kind: "string",
    defaultDoc: "unset (anonymous pulls)",
    description:
      "Docker Hub account the cache pulls as (authenticated pulls have higher limits); set with mirror.dockerHubToken.",
    // Docker ID rules: 4 to 30 lowercase letters and digits.
    check: (v: string) => (/^[a-z0-9]{4,30}$/.test(v) ? undefined : "a Docker ID: 4 to 30 lowercase letters or digits"),
  },
  {
    path: "mirror.dockerHubToken",
    kind: "string",
    secret: true,
    defaultDoc: "unset",
    description:
      "Docker Hub personal access token for mirror.dockerHubUsername (a public-repositories read-only token: every job on the host can pull what it can read); set it with `--secret`.",
    check: (v: string) => (v.trim() === v && v.length >= 8 ? undefined : "a Docker Hub access token"),
  },
  {
    path: "backup.enabled",
    kind: "boolean",
    default: true,
    description:
      "Back GitLab up with `gitlab-backup` and its secrets: on aws to an S3 bucket on a schedule, on local to backup.localDir with `npm run backup`.",
  },
  {
    path: "backup.schedule",
    kind: "string",
    default: "*-*-* 02:30:00 UTC",
    targets: AWS,
    acceptsDoc:
      "a systemd OnCalendar expression (`man systemd.time`), such as `*-*-* 02:30:00 UTC`, `daily` or `Mon..Fri 03:00`",
    description:
      "When the host backs up: a systemd OnCalendar expression (`daily`, `Mon..Fri *-*-* 03:00:00 UTC`; see `man systemd.time`).",
    check: (v: string) => {
      const why = checkOnCalendar(v);
      return why === undefined ? undefined : `a systemd OnCalendar expression such as "*-*-* 02:30:00 UTC": ${why}`;
    },
  },
  {
    path: "backup.retentionDays",
    kind: "integer",
    default: 14,
    min: 1,
    max: 3650,
    targets: AWS,
    description:
      "Days a backup stays in the bucket (an S3 lifecycle rule); an overwritten or expired backup is kept as a noncurrent version as many days again. The host keeps none.",
  },
  {
    path: "backup.skip",
    kind: "stringList",
    default: [],
    description: `Parts GitLab leaves out of each backup (\`gitlab-backup create SKIP=\`): any of ${BACKUP_SKIP_COMPONENTS.join(", ")}.`,
    checkEach: (v: string) =>
      (BACKUP_SKIP_COMPONENTS as readonly string[]).includes(v)
        ? undefined
        : `one of ${BACKUP_SKIP_COMPONENTS.join(", ")}`,
    check: (v: readonly string[]) => {
      const dup = v.find((x, i) => v.indexOf(x) !== i);
      if (dup !== undefined) return `each component once (${dup} is listed twice)`;
      return v.length === BACKUP_SKIP_COMPONENTS.length ? "a list that leaves something to back up" : undefined;
    },
  },
  {
    path: "backup.bucketName",
    kind: "string",
    targets: AWS,
    defaultDoc: "unset (a new bucket `<team>-gitlab-backups-<random>`)",
    description:
      "Adopt this team's own backup bucket that an earlier stack kept (see host.keepDataOnDestroy) instead of creating one: the stack imports its encryption, versioning, public-access block, policy and lifecycle (backup.retentionDays applies to it) and never deletes them or the bucket. To restore another stack's backups use backup.restoreFrom.",
    check: (v: string) => checkBucketName(v),
  },
  {
    path: "backup.restoreFrom",
    kind: "string",
    defaultDoc: "unset (the stack restores its own backups only)",
    acceptsDoc: "`s3://<bucket>/<team>`, another stack's `backupTarget` output (aws only)",
    description:
      "A restore drill: the backups to restore, `s3://<bucket>/<team>` (the `backupTarget` output of the stack that made them). The host may list and read under that prefix only, never write there, and no resource of this stack touches that bucket; this stack's own backups go to its own bucket.",
    check: (v: string, ctx: RuleContext) => {
      if (ctx.target !== "aws")
        return "no value on the local target (a drill restores from an S3 bucket onto an AWS host; the local target restores from backup.localDir)";
      const source = parseRestoreFrom(v);
      return typeof source === "string" ? source : undefined;
    },
  },
  {
    path: "backup.localDir",
    kind: "string",
    targets: LOCAL,
    defaultDoc: "`./backups/<team>`",
    description:
      "Where `npm run backup` puts the local target's backups, relative to the project directory or absolute.",
    check: (v: string) => (v.trim() === "" || /[\n\r\0]/.test(v) ? "a directory path" : undefined),
  },
  // Alarms (infra/alarms): AWS only; the local target has none of them.
  {
    path: "alerts.email",
    kind: "stringList",
    default: [],
    acceptsDoc: "a list of email addresses (`ops@example.com`), each once; none on the local target",
    description:
      "Addresses that receive every alarm of the stack (an SNS topic with an email subscription each): AWS mails each address a confirmation link, and nothing reaches it until it is followed. Without addresses the alarms still exist (CloudWatch console) and the host's recovery still acts.",
    checkEach: (v: string) => checkEmailAddress(v),
    check: (v: readonly string[], ctx: RuleContext) => {
      if (ctx.target !== "aws" && v.length > 0)
        return "no addresses on the local target (the alarms are CloudWatch alarms of the AWS host)";
      const dup = v.find((x, i) => v.findIndex((y) => y.toLowerCase() === x.toLowerCase()) !== i);
      return dup === undefined ? undefined : `each address once (${dup} is listed twice)`;
    },
  },
  {
    path: "alerts.diskPercent",
    kind: "integer",
    default: 85,
    min: 50,
    max: 99,
    targets: AWS,
    description:
      "Disk use, in percent, of the host's root filesystem or its data volume that raises the disk alarm (the CloudWatch agent's disk used_percent).",
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
