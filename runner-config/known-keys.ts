/**
 * The keys gitlab-runner reads, per table, with the TOML type it decodes each into. The renderer may
 * only emit keys listed here, at these types; test/runner-config/known-keys.test.ts walks every
 * rendered table against this list.
 *
 * Sources (GitLab Runner 18.7+, the line the pinned v19.3.0 belongs to):
 * - "Advanced configuration", https://docs.gitlab.com/runner/configuration/advanced-configuration/
 *   — sections "The global section", "The [session_server] section", "The [[runners]] section",
 *   "The [runners.docker] section" (the tables list each key and its meaning).
 * - gitlab-runner's `common/config.go` (structs `Config`, `SessionServer`, `RunnerConfig`,
 *   `RunnerCredentials`, `RunnerSettings`, `DockerConfig`) and `helpers/docker` (`Credentials`:
 *   `host`, `tls_cert_path`, `tls_verify`), whose `toml:"…"` tags are the keys and whose Go field
 *   types give the TOML types below. `tls-ca-file` is `RunnerCredentials.TLSCAFile`
 *   (`toml:"tls-ca-file,omitempty"`, env `CI_SERVER_TLS_CA_FILE`: "File containing the certificates to
 *   verify the peer when using HTTPS"), common/config.go at v19.3.0.
 *
 * Type notes from those sources: `check_interval`, `shutdown_timeout` and `session_timeout` are Go
 * `int` seconds, so TOML integers; `shm_size` is an `int64` of bytes; the Go `time.Duration` keys
 * (`connection_max_age`, `unhealthy_interval`) are strings such as "15m"; `pull_policy` is a
 * `StringOrArray`, a string or an array of strings; `environment` is an array of "KEY=value" strings.
 */

/** A TOML type as gitlab-runner decodes it. */
export type TomlType =
  | "integer"
  | "string"
  | "boolean"
  | "string[]"
  /** A string or an array of strings (`StringOrArray`). */
  | "string|string[]"
  /** A string Go's time.ParseDuration reads, such as "15m" or "1h30m". */
  | "duration"
  /** A TOML float (Go float64), such as 0.5. */
  | "float"
  | "float[]"
  | "datetime"
  | "table"
  | "table[]";

/** The tables the renderer can emit: `""` is the top level. */
export type KnownTable =
  | ""
  | "session_server"
  | "runners"
  | "runners.feature_flags"
  | "runners.docker"
  | "runners.autoscaler"
  | "runners.autoscaler.plugin_config"
  | "runners.autoscaler.connector_config"
  | "runners.autoscaler.policy"
  | "runners.autoscaler.scale_throttle"
  | "runners.autoscaler.state_storage"
  | "runners.cache"
  | "runners.cache.s3";

/** The global section (`Config`). */
const GLOBAL: Readonly<Record<string, TomlType>> = {
  listen_address: "string",
  session_server: "table",
  labels: "table",
  concurrent: "integer",
  check_interval: "integer",
  log_level: "string",
  log_format: "string",
  user: "string",
  runners: "table[]",
  sentry_dsn: "string",
  connection_max_age: "duration",
  experimental: "table",
  shutdown_timeout: "integer",
};

/** `[session_server]` (`SessionServer`). */
const SESSION_SERVER: Readonly<Record<string, TomlType>> = {
  listen_address: "string",
  advertise_address: "string",
  session_timeout: "integer",
};

/** `[[runners]]` (`RunnerConfig` with `RunnerCredentials` and `RunnerSettings`). */
const RUNNERS: Readonly<Record<string, TomlType>> = {
  name: "string",
  limit: "integer",
  output_limit: "integer",
  request_concurrency: "integer",
  strict_check_interval: "boolean",
  unhealthy_requests_limit: "integer",
  unhealthy_interval: "duration",
  job_status_final_update_retry_limit: "integer",
  url: "string",
  id: "integer",
  token: "string",
  token_obtained_at: "datetime",
  token_expires_at: "datetime",
  "tls-ca-file": "string",
  "tls-cert-file": "string",
  "tls-key-file": "string",
  labels: "table",
  executor: "string",
  builds_dir: "string",
  cache_dir: "string",
  clone_url: "string",
  environment: "string[]",
  proxy_exec: "boolean",
  pre_get_sources_script: "string",
  post_get_sources_script: "string",
  pre_build_script: "string",
  post_build_script: "string",
  debug_trace_disabled: "boolean",
  safe_directory_checkout: "boolean",
  clean_git_config: "boolean",
  shell: "string",
  custom_build_dir: "table",
  referees: "table",
  cache: "table",
  feature_flags: "table",
  monitoring: "table",
  use_slot_cgroups: "boolean",
  slot_cgroup_template: "string",
  instance: "table",
  ssh: "table",
  docker: "table",
  parallels: "table",
  virtualbox: "table",
  machine: "table",
  kubernetes: "table",
  custom: "table",
  autoscaler: "table",
  step_runner_image: "string",
};

/** `[runners.docker]` (`DockerConfig` with `helpers/docker.Credentials`). */
const RUNNERS_DOCKER: Readonly<Record<string, TomlType>> = {
  host: "string",
  tls_cert_path: "string",
  tls_verify: "boolean",
  hostname: "string",
  image: "string",
  runtime: "string",
  memory: "string",
  memory_swap: "string",
  memory_reservation: "string",
  cgroup_parent: "string",
  cpuset_cpus: "string",
  cpuset_mems: "string",
  cpus: "string",
  cpu_shares: "integer",
  dns: "string[]",
  dns_search: "string[]",
  privileged: "boolean",
  services_privileged: "boolean",
  disable_entrypoint_overwrite: "boolean",
  user: "string",
  allowed_users: "string[]",
  group_add: "string[]",
  userns_mode: "string",
  cap_add: "string[]",
  cap_drop: "string[]",
  oom_kill_disable: "boolean",
  oom_score_adjust: "integer",
  security_opt: "string[]",
  services_security_opt: "string[]",
  devices: "string[]",
  device_cgroup_rules: "string[]",
  gpus: "string",
  services_devices: "table",
  disable_cache: "boolean",
  volumes: "string[]",
  volume_driver: "string",
  volume_driver_ops: "table",
  cache_dir: "string",
  extra_hosts: "string[]",
  volumes_from: "string[]",
  network_mode: "string",
  ipcmode: "string",
  mac_address: "string",
  links: "string[]",
  services: "table[]",
  services_limit: "integer",
  service_memory: "string",
  service_memory_swap: "string",
  service_memory_reservation: "string",
  service_cgroup_parent: "string",
  service_slot_cgroup_template: "string",
  service_cpuset_cpus: "string",
  service_cpus: "string",
  service_cpu_shares: "integer",
  service_gpus: "string",
  wait_for_services_timeout: "integer",
  allowed_images: "string[]",
  allowed_privileged_images: "string[]",
  allowed_privileged_services: "string[]",
  allowed_pull_policies: "string[]",
  allowed_services: "string[]",
  pull_policy: "string|string[]",
  isolation: "string",
  shm_size: "integer",
  tmpfs: "table",
  services_tmpfs: "table",
  sysctls: "table",
  helper_image: "string",
  helper_image_flavor: "string",
  container_labels: "table",
  enable_ipv6: "boolean",
  ulimit: "table",
  network_mtu: "integer",
  log_options: "table",
};

/**
 * `[runners.feature_flags]`: only the flags this project sets. Source: "GitLab Runner feature flags",
 * https://docs.gitlab.com/runner/configuration/feature-flags/ (flags are booleans in this table;
 * `FF_NETWORK_PER_BUILD` creates a network per job for the docker executor).
 */
const RUNNERS_FEATURE_FLAGS: Readonly<Record<string, TomlType>> = {
  FF_NETWORK_PER_BUILD: "boolean",
};

/**
 * `[runners.autoscaler]` (`AutoscalerConfig`) and its sub-tables, for the docker-autoscaler executor.
 * Sources: "The [runners.autoscaler] section" and the sections after it in "Advanced configuration" of
 * GitLab Runner v19.3.0 (`docs/configuration/advanced-configuration.md`), and the `toml:"…"` tags and Go
 * types of `AutoscalerConfig`, `ConnectorConfig`, `AutoscalerPolicyConfig`, `AutoscalerScaleThrottle` and
 * `AutoscalerStateStorage` in `common/config.go` at tag v19.3.0. `vm_isolation` (macOS nesting only) is
 * listed as a table and not walked.
 */
const RUNNERS_AUTOSCALER: Readonly<Record<string, TomlType>> = {
  capacity_per_instance: "integer",
  max_use_count: "integer",
  max_instances: "integer",
  plugin: "string",
  plugin_config: "table",
  connector_config: "table",
  policy: "table[]",
  instance_ready_command: "string",
  instance_acquire_timeout: "duration",
  update_interval: "duration",
  update_interval_when_expecting: "duration",
  deletion_retry_interval: "duration",
  shutdown_deletion_interval: "duration",
  shutdown_deletion_retries: "integer",
  failure_threshold: "integer",
  scale_throttle: "table",
  reservation_throttling: "boolean",
  log_internal_ip: "boolean",
  log_external_ip: "boolean",
  delete_instances_on_shutdown: "boolean",
  vm_isolation: "table",
  state_storage: "table",
  instance_operation_time_buckets: "float[]",
  instance_creation_time_buckets: "float[]",
  instance_is_running_time_buckets: "float[]",
  instance_deletion_time_buckets: "float[]",
  instance_readiness_time_buckets: "float[]",
  instance_life_duration_buckets: "float[]",
};

/**
 * `[runners.autoscaler.plugin_config]`: re-encoded to JSON for the plugin, so its keys are the plugin's.
 * The fleeting AWS plugin's README ("Plugin Configuration"): `name` (the Auto Scaling group), and the
 * optional `profile`, `config_file`, `credentials_file`.
 */
const RUNNERS_AUTOSCALER_PLUGIN_CONFIG: Readonly<Record<string, TomlType>> = {
  name: "string",
  profile: "string",
  config_file: "string",
  credentials_file: "string",
};

/** `[runners.autoscaler.connector_config]` (`ConnectorConfig`). */
const RUNNERS_AUTOSCALER_CONNECTOR_CONFIG: Readonly<Record<string, TomlType>> = {
  os: "string",
  arch: "string",
  protocol: "string",
  protocol_port: "integer",
  username: "string",
  password: "string",
  key_path: "string",
  use_static_credentials: "boolean",
  keepalive: "duration",
  timeout: "duration",
  use_external_addr: "boolean",
};

/** `[[runners.autoscaler.policy]]` (`AutoscalerPolicyConfig`). */
const RUNNERS_AUTOSCALER_POLICY: Readonly<Record<string, TomlType>> = {
  periods: "string[]",
  timezone: "string",
  idle_count: "integer",
  idle_time: "duration",
  scale_factor: "float",
  scale_factor_limit: "integer",
  preemptive_mode: "boolean",
};

/**
 * `[runners.cache]` and `[runners.cache.s3]`: the `toml:"…"` tags and Go types of `Config` and
 * `CacheS3Config` in `cache/cacheconfig/cacheconfig.go` at tag v19.3.0 (`MaxUploadedArchiveSize` is an
 * int64, `DualStack` and `PathStyle` are *bool, `AssumeRoleMaxConcurrency` an int). `gcs` and `azure`
 * are listed as tables and not walked (the renderer never emits them).
 */
const RUNNERS_CACHE: Readonly<Record<string, TomlType>> = {
  Type: "string",
  Path: "string",
  Shared: "boolean",
  MaxUploadedArchiveSize: "integer",
  s3: "table",
  gcs: "table",
  azure: "table",
};

const RUNNERS_CACHE_S3: Readonly<Record<string, TomlType>> = {
  ServerAddress: "string",
  AccessKey: "string",
  SecretKey: "string",
  SessionToken: "string",
  BucketName: "string",
  BucketLocation: "string",
  Insecure: "boolean",
  AuthenticationType: "string",
  ServerSideEncryption: "string",
  ServerSideEncryptionKeyID: "string",
  DualStack: "boolean",
  PathStyle: "boolean",
  Accelerate: "boolean",
  RoleARN: "string",
  UploadRoleARN: "string",
  AssumeRoleMaxConcurrency: "integer",
  DisableAssumeRoleCredentialsCaching: "boolean",
};

/** Table path → key → TOML type. */
export const KNOWN_KEYS: Readonly<Record<KnownTable, Readonly<Record<string, TomlType>>>> = {
  "": GLOBAL,
  session_server: SESSION_SERVER,
  runners: RUNNERS,
  "runners.feature_flags": RUNNERS_FEATURE_FLAGS,
  "runners.docker": RUNNERS_DOCKER,
  "runners.autoscaler": RUNNERS_AUTOSCALER,
  "runners.autoscaler.plugin_config": RUNNERS_AUTOSCALER_PLUGIN_CONFIG,
  "runners.autoscaler.connector_config": RUNNERS_AUTOSCALER_CONNECTOR_CONFIG,
  "runners.autoscaler.policy": RUNNERS_AUTOSCALER_POLICY,
  /** `AutoscalerScaleThrottle` (17.0+). */
  "runners.autoscaler.scale_throttle": { limit: "integer", burst: "integer" },
  /** `AutoscalerStateStorage` (17.5+, beta). */
  "runners.autoscaler.state_storage": { enabled: "boolean", dir: "string", keep_instance_with_acquisitions: "boolean" },
  "runners.cache": RUNNERS_CACHE,
  "runners.cache.s3": RUNNERS_CACHE_S3,
};
