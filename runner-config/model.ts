/**
 * The typed model of the runner's `config.toml`. Every field name is the TOML key gitlab-runner reads
 * (https://docs.gitlab.com/runner/configuration/advanced-configuration/), so the model, the rendered
 * file and GitLab's page read the same. Plain values only: the caller resolves Outputs first.
 */

/** The file name the runner reads in its config directory (`/etc/gitlab-runner/config.toml`). */
export const CONFIG_TOML_FILE = "config.toml";

/** `pull_policy` values gitlab-runner accepts (common/config.go `GetPullPolicies`). */
export type PullPolicy = "always" | "if-not-present" | "never";
export const PULL_POLICIES: readonly PullPolicy[] = ["always", "if-not-present", "never"];

/** `log_format` values the global section accepts. */
export type LogFormat = "runner" | "text" | "json";
export const LOG_FORMATS: readonly LogFormat[] = ["runner", "text", "json"];

/** `[runners.docker]`: how job and service containers are created. */
export interface DockerSection {
  /** Default job image, used when a job names none: `runner.jobImage` (the DinD-matching `-cli` image). */
  readonly image: string;
  /** Always true: the DinD daemon needs it. Which images it applies to is narrowed by the two allow-lists. */
  readonly privileged: true;
  /** Always false: TLS of the runner's own connection to the host daemon's Unix socket, not of DinD. */
  readonly tls_verify: false;
  /**
   * Container paths (or `src:dst[:mode]` binds). Must hold `/certs/client` (the per-job volume through
   * which `docker:dind` hands its client certificates to the job) and must never mount `docker.sock`.
   */
  readonly volumes: readonly string[];
  /**
   * Always false: every container-path volume (`/certs/client`, `/cache`) is then a cache volume the
   * runner reuses between the jobs of a project. True does not drop `/certs/client`: GitLab Runner 19
   * gives each such path a throwaway volume per job instead (executors/docker/internal/volumes/manager.go
   * `addCacheVolume`), so DinD still works but the `/cache` job cache is lost after every job.
   */
  readonly disable_cache: false;
  /** `/dev/shm` size of job and service containers in bytes; 0 keeps Docker's default (64 MiB). */
  readonly shm_size: number;
  /** Tried in order: a later policy is used when an earlier one fails. */
  readonly pull_policy: readonly PullPolicy[];
  /**
   * An existing Docker network for job containers; unset uses the runner's default. Caution: on a shared
   * user-defined network the service alias `docker` is network-wide, so with `concurrent` > 1 one job's
   * CLI can resolve another job's DinD daemon (and fail its TLS check). The default, a network per job
   * (`feature_flags.FF_NETWORK_PER_BUILD`), with `extra_hosts` for what jobs must reach, avoids that.
   */
  readonly network_mode?: string;
  /** `host:address` entries added to job and service containers' /etc/hosts (`host-gateway` allowed). */
  readonly extra_hosts?: readonly string[];
  /** doublestar patterns of job images that get `privileged`; never empty (empty means every image). */
  readonly allowed_privileged_images: readonly string[];
  /** doublestar patterns of service images that get `privileged`; never empty (empty means every image). */
  readonly allowed_privileged_services: readonly string[];
}

/** One `[[runners.autoscaler.policy]]`: how much idle capacity to keep, and for how long. */
export interface AutoscalerPolicySection {
  /** Idle job slots (not instances) kept ready. */
  readonly idle_count: number;
  /** A Go duration (`20m`): how long an idle instance is kept. */
  readonly idle_time: string;
}

/**
 * `[runners.autoscaler]` of the docker-autoscaler executor (GitLab Runner docs, "The [runners.autoscaler]
 * section"; `common/config.go` `AutoscalerConfig` at v19.3.0).
 */
export interface AutoscalerSection {
  /** The fleeting plugin as an OCI reference pinned to one version (`…/plugins/aws:1.1.0`). */
  readonly plugin: string;
  /** Jobs one instance runs at once. */
  readonly capacity_per_instance: number;
  /** Jobs an instance runs before it is removed; 0 = no limit. */
  readonly max_use_count: number;
  /** Most instances in any state. */
  readonly max_instances: number;
  /** Runs on each new instance before it takes a job; a failure removes the instance. */
  readonly instance_ready_command: string;
  /** `[runners.autoscaler.plugin_config]`, passed to the AWS plugin as JSON: the Auto Scaling group's name. */
  readonly plugin_config: { readonly name: string };
  /** `[runners.autoscaler.connector_config]`: how the runner reaches an instance over SSH. */
  readonly connector_config: {
    /** The AMI's user, in its `docker` group. */
    readonly username: string;
    /** Always false: the instances' private addresses, inside the VPC. */
    readonly use_external_addr: false;
    /** Always false: a key pushed per connection through EC2 Instance Connect, none stored. */
    readonly use_static_credentials: false;
  };
  /** `[[runners.autoscaler.policy]]`: one policy, all week. */
  readonly policy: readonly AutoscalerPolicySection[];
  /**
   * Always true: a stopping manager removes its workers (after its running jobs, within
   * `shutdown_timeout`), so `pulumi destroy` does not rely on the group's delete alone.
   */
  readonly delete_instances_on_shutdown: true;
}

/**
 * `[runners.cache.s3]`: the keys this project sets of gitlab-runner's `CacheS3Config`
 * (cache/cacheconfig/cacheconfig.go at v19.3.0). Never `AccessKey`/`SecretKey`/`SessionToken` (keys in a
 * file) nor `RoleARN`/`UploadRoleARN` (the runner would then assume the role and hand its temporary
 * credentials to the job's helper: the GoCloud URL path of cache/s3v2/adapter.go).
 */
export interface CacheS3Section {
  /** The stack's cache bucket. */
  readonly BucketName: string;
  /** Its region: set, so the runner never calls GetBucketLocation (s3v2 `newRawS3Client`). */
  readonly BucketLocation: string;
  /** Always `iam`: the manager's own credentials (the host role, through IMDS), no keys. */
  readonly AuthenticationType: "iam";
  /**
   * `S3` (SSE-S3, AES256) or `KMS`: the manager signs the presigned PUT with the matching
   * `x-amz-server-side-encryption` header, which the job's helper then sends (`--header`).
   */
  readonly ServerSideEncryption: "S3" | "KMS";
}

/** `[runners.cache]` (`cacheconfig.Config`): the shared S3 cache. Unset: the local cache. */
export interface CacheSection {
  /** `s3`: gitlab-runner 19.3 runs it with the s3v2 adapter (common/build.go, unless FF_USE_LEGACY_S3_CACHE_ADAPTER). */
  readonly Type: "s3";
  /**
   * Always true: one cache for every runner; without it every key starts with `runner/<token>/`
   * (cache/cache.go), so a new token (a re-registration) would start from an empty cache.
   */
  readonly Shared: true;
  readonly s3: CacheS3Section;
}

/** One `[[runners]]` entry. */
export interface RunnerSection {
  /** The runner's description in GitLab; informational. */
  readonly name: string;
  /** GitLab's URL as the runner process reaches it. */
  readonly url: string;
  /** The URL jobs clone through, where it differs from `url` (the `local` target). */
  readonly clone_url?: string;
  /**
   * A PEM file in the runner container with the CA that signed GitLab's https certificate (the stack
   * CA). The runner verifies GitLab against it and hands it to jobs (`CI_SERVER_TLS_CA_FILE`) for cloning.
   */
  readonly "tls-ca-file"?: string;
  /** The runner authentication token (`glrt-…`) from registration. A secret: never logged. */
  readonly token: string;
  /** `docker` (jobs on the host's daemon) or `docker-autoscaler` (jobs on autoscaled EC2 workers). */
  readonly executor: "docker" | "docker-autoscaler";
  /** `KEY=value` entries added to every job's environment. */
  readonly environment?: readonly string[];
  /**
   * `[runners.feature_flags]`: runner feature flags (`FF_…`) turned on or off for every job.
   * `FF_NETWORK_PER_BUILD` gives each job its own Docker network, so each job's `docker` service
   * alias resolves to its own DinD daemon only, however many jobs run at once.
   */
  readonly feature_flags?: Readonly<Record<string, boolean>>;
  /** `[runners.cache]`: the shared S3 cache. Unset: each machine's local cache (the `/cache` volume). */
  readonly cache?: CacheSection;
  readonly docker: DockerSection;
  /** Only with `executor = "docker-autoscaler"`. */
  readonly autoscaler?: AutoscalerSection;
}

/** `[session_server]`. */
export interface SessionServerSection {
  /** Seconds an interactive web terminal session may stay open after its job ends. */
  readonly session_timeout: number;
}

/** The whole `config.toml`. */
export interface RunnerConfigModel {
  /** Jobs run at once across all runners; at least 1 (0 makes the runner exit). */
  readonly concurrent: number;
  /** Seconds between polls for jobs. */
  readonly check_interval: number;
  /** Seconds a forceful shutdown waits for jobs to clean up before the process exits. */
  readonly shutdown_timeout: number;
  readonly log_format: LogFormat;
  readonly session_server: SessionServerSection;
  readonly runners: readonly RunnerSection[];
}
