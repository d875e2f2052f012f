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
  /** IMDSv2 hop limit: 1 keeps job containers away from the instance's credentials. */
  readonly imdsHopLimit: number;
}

export interface GitLabConfig {
  readonly image: string;
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
  /** The local target's backup directory; `./backups/<team>` unless set. */
  readonly localDir: string;
}

export interface StackConfig {
  readonly team: string;
  readonly target: Target;
  /** `aws:region`, the AWS provider's own key; undefined for `local`. */
  readonly awsRegion: string | undefined;
  readonly network: NetworkConfig;
  readonly host: HostConfig;
  readonly gitlab: GitLabConfig;
  readonly runner: RunnerConfig;
  readonly backup: BackupConfig;
}
