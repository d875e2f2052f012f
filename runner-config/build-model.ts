/**
 * From the project's settings (team, GitLab's URL, the token, `runner.*` stack configuration) to the
 * `config.toml` model. Everything the stack does not configure is decided here, once, with its reason.
 */
import type { AutoscalerConfig, RunnerConfig } from "../infra/config/types";
import { autoscalerSection } from "./autoscaler";
import { RunnerConfigError } from "./errors";
import { imagePairProblems } from "./image-pairing";
import type { CacheSection, LogFormat, PullPolicy, RunnerConfigModel } from "./model";
import { privilegedImagePatterns } from "./privileged-images";
import { CERTS_CLIENT_VOLUME } from "./validate-model";

/**
 * `/dev/shm` of job and service containers, in bytes. 0 keeps Docker's default (64 MiB), which is what
 * `gitlab-runner register` writes: the job container only runs the Docker CLI, and the containers a job
 * starts inside DinD get their `/dev/shm` from the inner daemon, not from this setting.
 */
export const JOB_SHM_SIZE_BYTES = 0;

/**
 * Pull with `always` (the runner's default: fresh images, and private images re-checked against the
 * registry's credentials, as GitLab's security page advises), and fall back to the local copy
 * (`if-not-present`) when the registry cannot be reached or refuses the pull (Docker Hub's rate limits),
 * so an outage of Docker Hub does not stop pipelines whose images are already on the host.
 */
export const PULL_POLICY: readonly PullPolicy[] = ["always", "if-not-present"];

/** `text`: readable in `docker logs` and CloudWatch, without the ANSI colour codes of `runner`. */
export const LOG_FORMAT: LogFormat = "text";

/** Seconds a forceful shutdown waits for jobs to clean up: gitlab-runner's documented default. */
export const SHUTDOWN_TIMEOUT_SECONDS = 30;

/** `/certs/client` for DinD's TLS client certificates, `/cache` for the job cache (the article's volume). */
export const JOB_VOLUMES: readonly string[] = [CERTS_CLIENT_VOLUME, "/cache"];

/** The project's settings the model is built from: plain values, the token already revealed. */
export interface RunnerConfigSettings {
  /** The stack's team; names the runner. */
  readonly team: string;
  /** GitLab's URL as the runner process reaches it (`gitlab.externalUrl`). */
  readonly url: string;
  /** The URL jobs clone through when it differs from `url` (the `local` target); default: unset. */
  readonly cloneUrl?: string;
  /** The CA file (in the runner container) GitLab's certificate is verified against; default: the system's CAs. */
  readonly tlsCaFile?: string;
  /**
   * An existing Docker network for job containers; default: unset, and then every job gets a
   * network of its own (`FF_NETWORK_PER_BUILD`). A shared network makes the `docker` service alias
   * network-wide, so with `concurrent` > 1 prefer the default (see `DockerSection.network_mode`).
   */
  readonly networkMode?: string;
  /** `host:address` entries for job containers' /etc/hosts, e.g. `gitlab.local:host-gateway`; default: none. */
  readonly extraHosts?: readonly string[];
  /**
   * More `src:dst[:mode]` volumes for job and service containers, after `/certs/client` and `/cache`
   * (e.g. the pull-through cache's daemon.json volume at `/etc/docker`); default: none.
   */
  readonly extraVolumes?: readonly string[];
  /** The runner authentication token (`glrt-…`) from registration. */
  readonly token: string;
  /** `KEY=value` entries for every job's environment; default: none. */
  readonly environment?: readonly string[];
  /** The stack's `runner.*` configuration. */
  readonly runner: Pick<RunnerConfig, "concurrent" | "jobImage" | "dindImage" | "checkInterval" | "sessionTimeout">;
  /**
   * Jobs on autoscaled EC2 workers instead of the host: the `runner.autoscaler.*` settings and the Auto
   * Scaling group's name. Default: unset, the docker executor on the host.
   */
  readonly autoscaler?: { readonly settings: AutoscalerConfig; readonly autoScalingGroupName: string };
  /** The shared S3 cache (`runner.cache.type` s3): the stack's bucket and its region. Default: unset, the local cache. */
  readonly cache?: SharedCacheBucket;
}

/** The stack's cache bucket, as config.toml names it. */
export interface SharedCacheBucket {
  readonly bucketName: string;
  /** The bucket's region (`BucketLocation`). */
  readonly region: string;
}

/**
 * SSE-S3 (AES256), matching the bucket's default encryption: no KMS grant for the manager's role (with a
 * customer key, whoever signs the URL needs kms:GenerateDataKey for the PUT and kms:Decrypt for the GET),
 * no KMS request (and its cost and rate limit) per archive, and a cache is disposable. The manager signs the presigned PUT with `x-amz-server-side-encryption: AES256`
 * (gitlab-runner v19.3.0 cache/s3v2/s3.go `PresignURL`), and the runner passes that signed header to the
 * job's helper (`--header`, shells/abstract.go `getCacheUploadURLAndEnv`), which sends it with the upload.
 */
export const CACHE_SERVER_SIDE_ENCRYPTION = "S3" as const;

/** `[runners.cache]` for the stack's bucket: shared, IAM (the manager's role), SSE-S3; never a key or a role ARN. */
export function sharedCacheSection(bucket: SharedCacheBucket): CacheSection {
  return {
    Type: "s3",
    Shared: true,
    s3: {
      BucketName: bucket.bucketName,
      BucketLocation: bucket.region,
      AuthenticationType: "iam",
      ServerSideEncryption: CACHE_SERVER_SIDE_ENCRYPTION,
    },
  };
}

/** The runner's name in config.toml (and, for the registration, its description): `<team>-dind`. */
export function runnerName(team: string): string {
  return `${team}-dind`;
}

/**
 * Problems of the `runner.*` settings that only this module knows (the job/DinD image pair), each
 * naming its stack key. Call it where the stack configuration is checked, before any resource exists;
 * `runnerConfigModel` calls it too.
 */
export function runnerSettingsProblems(runner: Pick<RunnerConfig, "jobImage" | "dindImage">): string[] {
  return imagePairProblems(runner);
}

/**
 * The config.toml model for the settings. Throws RunnerConfigError when the job and DinD images do not
 * pair; the other rules are checked by `renderRunnerConfigToml`.
 */
export function runnerConfigModel(settings: RunnerConfigSettings): RunnerConfigModel {
  const problems = runnerSettingsProblems(settings.runner);
  if (problems.length > 0) throw new RunnerConfigError("config.toml", problems);
  const privileged = privilegedImagePatterns(settings.runner.dindImage);
  return {
    concurrent: settings.runner.concurrent,
    check_interval: settings.runner.checkInterval,
    shutdown_timeout: SHUTDOWN_TIMEOUT_SECONDS,
    log_format: LOG_FORMAT,
    session_server: { session_timeout: settings.runner.sessionTimeout },
    runners: [
      {
        name: runnerName(settings.team),
        url: settings.url,
        ...(settings.cloneUrl !== undefined ? { clone_url: settings.cloneUrl } : {}),
        ...(settings.tlsCaFile !== undefined ? { "tls-ca-file": settings.tlsCaFile } : {}),
        token: settings.token,
        executor: settings.autoscaler === undefined ? "docker" : "docker-autoscaler",
        ...(settings.environment !== undefined && settings.environment.length > 0
          ? { environment: [...settings.environment] }
          : {}),
        // Without a shared network_mode, every job gets its own network: each job's `docker` service
        // alias then resolves to that job's DinD daemon alone, with any number of concurrent jobs.
        ...(settings.networkMode === undefined ? { feature_flags: { FF_NETWORK_PER_BUILD: true } } : {}),
        ...(settings.cache !== undefined ? { cache: sharedCacheSection(settings.cache) } : {}),
        docker: {
          image: settings.runner.jobImage,
          privileged: true,
          tls_verify: false,
          volumes: [...JOB_VOLUMES, ...(settings.extraVolumes ?? [])],
          disable_cache: false,
          shm_size: JOB_SHM_SIZE_BYTES,
          pull_policy: [...PULL_POLICY],
          ...(settings.networkMode !== undefined ? { network_mode: settings.networkMode } : {}),
          ...(settings.extraHosts !== undefined && settings.extraHosts.length > 0
            ? { extra_hosts: [...settings.extraHosts] }
            : {}),
          allowed_privileged_images: [...privileged],
          allowed_privileged_services: [...privileged],
        },
        ...(settings.autoscaler !== undefined
          ? { autoscaler: autoscalerSection(settings.autoscaler.settings, settings.autoscaler.autoScalingGroupName) }
          : {}),
      },
    ],
  };
}
