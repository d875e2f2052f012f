/**
 * The stack configuration after parsing: every key present, every default applied.
 * Produced once by `loadStackConfig` (config/load.ts); nothing else reads `pulumi.Config`.
 */

/** Where the stack runs: an EC2 host in AWS, or the Docker daemon of this machine. */
export type Target = "aws" | "local";

/**
 * A secret read from stack configuration. It never prints itself: `String(secret)`,
 * `JSON.stringify(secret)` and `console.log(secret)` all show `[secret]`; only `reveal()`
 * gives the value, and the caller wraps it in `pulumi.secret` at once.
 */
export class ConfigSecret {
  readonly #value: string;
  /** False when the value could not be read (the offline plan cannot decrypt `secure:` values). */
  readonly known: boolean;
  constructor(value: string, known = true) {
    this.#value = value;
    this.known = known;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[secret]";
  }
  toJSON(): string {
    return "[secret]";
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "[secret]";
  }
}

/** A value of `gitlab.omnibus`, as YAML (and Pulumi's structured config) gives it: no null. */
export type OmnibusValue =
  string | number | boolean | readonly OmnibusValue[] | { readonly [key: string]: OmnibusValue };

export interface NetworkConfig {
  /** CIDRs allowed to reach the host's Docker API (TCP 2376). Empty for `local`. */
  readonly adminCidrs: readonly string[];
  /** CIDRs allowed to reach GitLab's HTTP(S), git-over-SSH and registry ports. */
  readonly webCidrs: readonly string[];
  /** The stack's VPC address range. */
  readonly vpcCidr: string;
}

export interface HostConfig {
  readonly instanceType: string;
  readonly rootVolumeGiB: number;
  readonly dataVolumeGiB: number;
  /** An existing data volume to adopt (one a destroyed stack kept); undefined creates a new one. */
  readonly dataVolumeId: string | undefined;
  /** Keep GitLab's data (the EBS volume, or the local Docker volumes) on `pulumi destroy`. */
  readonly keepDataOnDestroy: boolean;
  /** Days of daily data-volume snapshots to keep; 0 turns snapshots off. */
  readonly snapshotRetentionDays: number;
  /**
   * IMDSv2 hop limit: 1 keeps containers on Docker networks away from the instance's credentials.
   * A privileged DinD job is root on the host and reaches IMDS whatever the limit; the role it
   * could take holds only Session Manager and this stack's own Docker TLS key.
   */
  readonly imdsHopLimit: number;
}

/** `gitlab.tls` as set: `auto` picks the mode from the target and `gitlab.externalUrl`. */
export type TlsSetting = "auto" | "letsencrypt" | "selfSigned" | "off";
/** How GitLab serves: a Let's Encrypt certificate, the stack CA's certificate, or plain HTTP. */
export type TlsMode = "letsencrypt" | "selfSigned" | "off";

export interface DnsConfig {
  /** A Route53 hosted zone id (`Z…`) in which the stack creates the A record of the external URL's host. */
  readonly zoneId: string | undefined;
}

export interface GitLabConfig {
  readonly image: string;
  /** `gitlab.tls` as set (default `auto`). */
  readonly tls: TlsSetting;
  /** What `gitlab.tls` resolves to for this target and external URL (see parse.ts `resolveTlsMode`). */
  readonly tlsMode: TlsMode;
  /** Contact address Let's Encrypt sends expiry notices to; undefined means none. */
  readonly letsencryptEmail: string | undefined;
  /** The URL users and the runner reach GitLab at; undefined means "derive from the host". */
  readonly externalUrl: string | undefined;
  readonly httpPort: number;
  readonly sshPort: number;
  /** Host port of the container registry; 0 when the registry is off. */
  readonly registryPort: number;
  readonly shmSizeMiB: number;
  /** The root password when the stack sets one; undefined means "generate one". */
  readonly rootPassword: ConfigSecret | undefined;
  readonly allowSignup: boolean;
  /** `gitlab.objectStorage`: objects on the data volume (`local`) or in S3 buckets (`s3`, aws only). */
  readonly objectStorage: ObjectStorageSetting;
  /** `gitlab.database`: `bundled` (in GitLab's container) or `rds` (aws only). */
  readonly database: GitLabDatabaseSetting;
  /** `gitlab.redis`: `bundled` (in GitLab's container) or `elasticache` (aws only). */
  readonly redis: "bundled" | "elasticache";
  /** `gitlab.dataMovedBack`: data location keys the guard lets go back to the box in this update. Default none. */
  readonly dataMovedBack: readonly string[];
  /**
   * `gitlab.omnibus`: more gitlab.rb settings, by top-level name (`gitlab_rails`), as given (checked by
   * infra/omnibus/omnibus-settings.ts). Secrets in it are references `{ secret: <name> }` to omnibusSecrets.
   */
  readonly omnibus: Readonly<Record<string, OmnibusValue>>;
  /** `gitlab.omnibusSecrets`: the secrets gitlab.omnibus references, by name. */
  readonly omnibusSecrets: Readonly<Record<string, ConfigSecret>>;
}

/** `gitlab.database`: the image's own PostgreSQL, or an Amazon RDS instance (aws only). */
export type GitLabDatabaseSetting = "bundled" | "rds";

/** `rds.*`: GitLab's database on Amazon RDS for PostgreSQL 17, used with `gitlab.database` rds. */
export interface RdsConfig {
  /** `db.<family>.<size>`, large or bigger. */
  readonly instanceClass: string;
  /** gp3 storage in GiB (20–65536). */
  readonly allocatedStorageGiB: number;
  /** A Multi-AZ DB instance (a standby in the second zone). */
  readonly multiAz: boolean;
  /** Days of automated backups: the point-in-time recovery window (1–35). */
  readonly backupRetentionDays: number;
  /** Create the instance from this DB snapshot (identifier or ARN); undefined for an empty database. */
  readonly snapshotIdentifier: string | undefined;
}

/** `elasticache.*`: GitLab's Redis on Amazon ElastiCache (with `gitlab.redis` `elasticache`). */
export interface ElastiCacheConfig {
  /** Node type (`cache.m7g.large` unless set). */
  readonly nodeType: string;
  /** Read replicas, 0–5; with 1 or more, automatic failover and Multi-AZ. */
  readonly replicas: number;
}

/** Where GitLab keeps its objects and the registry its images. */
export type ObjectStorageSetting = "local" | "s3";

/**
 * `runner.autoscaler.*`: CI jobs on throw-away EC2 workers (docker-autoscaler executor, fleeting AWS
 * plugin, an Auto Scaling group) instead of on the GitLab host. AWS only.
 */
export interface AutoscalerConfig {
  readonly enabled: boolean;
  /** Most worker VMs at once; the Auto Scaling group's maximum size. */
  readonly maxInstances: number;
  /** Jobs one VM runs at once. */
  readonly capacityPerInstance: number;
  /** Jobs a VM runs before it is removed; 0 = no limit, 1 = a fresh VM per job. */
  readonly maxUseCount: number;
  /** Idle job slots (not VMs) kept ready. */
  readonly idleCount: number;
  /** Go duration an idle VM is kept (`20m`). */
  readonly idleTime: string;
  /** x86_64 EC2 instance type of the workers. */
  readonly instanceType: string;
  /** Workers from spot capacity (a mixed-instances group); false keeps every worker on demand. */
  readonly spot: boolean;
  /** More x86_64 types for spot capacity, each with instanceType's vCPUs and memory; [] without spot. */
  readonly extraInstanceTypes: readonly string[];
  /** With spot: workers always on demand (0…maxInstances); 0 without spot. */
  readonly onDemandBase: number;
}

/** `runner.cache.*`: where jobs' `cache:` archives go. */
export interface RunnerCacheConfig {
  /** `local` (on the machine that ran the job) or `s3` (a shared bucket of the stack; aws only). */
  readonly type: "local" | "s3";
  /** Days the bucket's lifecycle keeps a cache archive (s3). */
  readonly expireDays: number;
}

export interface RunnerConfig {
  readonly image: string;
  readonly concurrent: number;
  readonly jobImage: string;
  readonly dindImage: string;
  readonly tags: readonly string[];
  readonly runUntagged: boolean;
  /** Seconds between the runner's job polls. */
  readonly checkInterval: number;
  /** Seconds an interactive web terminal session may last. */
  readonly sessionTimeout: number;
  /** Jobs on autoscaled EC2 workers; `enabled: false` keeps the docker executor on the host. */
  readonly autoscaler: AutoscalerConfig;
  /** Jobs' shared cache: local, or the stack's S3 bucket. */
  readonly cache: RunnerCacheConfig;
}

/** The Docker Hub pull-through cache (`mirror.*`). */
export interface MirrorConfig {
  readonly enabled: boolean;
  readonly image: string;
  /** Port on the Docker bridge's gateway address (and, on aws, the host's loopback). */
  readonly port: number;
  /** Docker Hub account for authenticated pulls; undefined pulls anonymously. */
  readonly dockerHubUsername: string | undefined;
  /** Its access token, always with the username; undefined pulls anonymously. */
  readonly dockerHubToken: ConfigSecret | undefined;
}

export interface BackupConfig {
  /** Whether the stack backs GitLab up at all. */
  readonly enabled: boolean;
  /** systemd OnCalendar expression of the host's backup timer (aws). */
  readonly schedule: string;
  /** Days a backup stays in the bucket (aws). */
  readonly retentionDays: number;
  /** `gitlab-backup create SKIP=` components. */
  readonly skip: readonly string[];
  /** An existing bucket to adopt (aws); undefined creates one. */
  readonly bucketName: string | undefined;
  /**
   * A drill's restore source, `s3://<bucket>/<team>` (aws; checked by parseRestoreFrom): read only,
   * never touched by a resource of the stack. Undefined: the stack restores its own backups.
   */
  readonly restoreFrom: string | undefined;
  /** The local target's backup directory; `./backups/<team>` unless set. */
  readonly localDir: string;
}

/** `email.provider`: Amazon SES (aws), any SMTP relay, or a Mailpit container that catches mail (local). */
export type EmailProviderName = "ses" | "smtp" | "mailpit";

/** `email.*`: GitLab's outgoing mail (infra/email). */
export interface EmailConfig {
  readonly enabled: boolean;
  readonly provider: EmailProviderName;
  /** The sender: as given, or `gitlab@<external URL's host>`; undefined only when email is off. */
  readonly from: string | undefined;
  /** With `ses`: the sending domain is already an SES identity the stack uses and never changes. */
  readonly sesExistingIdentity: boolean;
  /** With `smtp`: the relay. */
  readonly smtpHost: string | undefined;
  readonly smtpPort: number;
  readonly smtpUser: string | undefined;
  readonly smtpPassword: ConfigSecret | undefined;
}

/** Alarms (AWS): who hears of them, and the disk threshold (infra/alarms). */
export interface AlertsConfig {
  /** Addresses subscribed to the stack's alarm topic; empty: no topic, the alarms still exist. */
  readonly email: readonly string[];
  /** Disk used percent (root and data volume) that raises the disk alarms. */
  readonly diskPercent: number;
}

export interface StackConfig {
  readonly team: string;
  readonly target: Target;
  /** `aws:region`, the AWS provider's own key; undefined for `local`. */
  readonly awsRegion: string | undefined;
  readonly network: NetworkConfig;
  readonly host: HostConfig;
  readonly gitlab: GitLabConfig;
  readonly dns: DnsConfig;
  readonly runner: RunnerConfig;
  readonly mirror: MirrorConfig;
  readonly backup: BackupConfig;
  readonly email: EmailConfig;
  readonly elasticache: ElastiCacheConfig;
  /** GitLab's database on RDS (read only with `gitlab.database` rds). */
  readonly rds: RdsConfig;
  readonly alerts: AlertsConfig;
}
