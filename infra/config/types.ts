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
}

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
  readonly alerts: AlertsConfig;
}
