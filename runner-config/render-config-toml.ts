/**
 * Renders the runner's `config.toml` from its model with `@iarna/toml`. Keys come out in one fixed
 * order (the order below), optional keys only when set, so the same model always gives the same text.
 */
import * as TOML from "@iarna/toml";
import { RunnerConfigError } from "./errors";
import type { AutoscalerSection, CacheSection, DockerSection, RunnerConfigModel, RunnerSection } from "./model";
import { configModelProblems } from "./validate-model";

type TomlTable = Parameters<typeof TOML.stringify>[0];

function dockerTable(d: DockerSection): TomlTable {
  const table: TomlTable = {
    image: d.image,
    privileged: d.privileged,
    tls_verify: d.tls_verify,
    volumes: [...d.volumes],
    disable_cache: d.disable_cache,
    shm_size: d.shm_size,
    pull_policy: [...d.pull_policy],
  };
  if (d.network_mode !== undefined) table.network_mode = d.network_mode;
  if (d.extra_hosts !== undefined && d.extra_hosts.length > 0) table.extra_hosts = [...d.extra_hosts];
  table.allowed_privileged_images = [...d.allowed_privileged_images];
  table.allowed_privileged_services = [...d.allowed_privileged_services];
  return table;
}

function autoscalerTable(a: AutoscalerSection): TomlTable {
  return {
    plugin: a.plugin,
    capacity_per_instance: a.capacity_per_instance,
    max_use_count: a.max_use_count,
    max_instances: a.max_instances,
    instance_ready_command: a.instance_ready_command,
    plugin_config: { name: a.plugin_config.name },
    connector_config: {
      username: a.connector_config.username,
      use_external_addr: a.connector_config.use_external_addr,
      use_static_credentials: a.connector_config.use_static_credentials,
    },
    policy: a.policy.map((p) => ({ idle_count: p.idle_count, idle_time: p.idle_time })),
    delete_instances_on_shutdown: a.delete_instances_on_shutdown,
  };
}

function cacheTable(c: CacheSection): TomlTable {
  return {
    Type: c.Type,
    Shared: c.Shared,
    s3: {
      BucketName: c.s3.BucketName,
      BucketLocation: c.s3.BucketLocation,
      AuthenticationType: c.s3.AuthenticationType,
      ServerSideEncryption: c.s3.ServerSideEncryption,
    },
  };
}

function runnerTable(r: RunnerSection): TomlTable {
  const table: TomlTable = { name: r.name, url: r.url };
  if (r.clone_url !== undefined) table.clone_url = r.clone_url;
  if (r["tls-ca-file"] !== undefined) table["tls-ca-file"] = r["tls-ca-file"];
  table.token = r.token;
  table.executor = r.executor;
  if (r.environment !== undefined && r.environment.length > 0) table.environment = [...r.environment];
  if (r.feature_flags !== undefined) {
    table.feature_flags = Object.fromEntries(
      Object.keys(r.feature_flags)
        .sort()
        .map((k) => [k, r.feature_flags![k]]),
    );
  }
  if (r.cache !== undefined) table.cache = cacheTable(r.cache);
  table.docker = dockerTable(r.docker);
  if (r.autoscaler !== undefined) table.autoscaler = autoscalerTable(r.autoscaler);
  return table;
}

/**
 * The `config.toml` text for the model. Throws RunnerConfigError listing every problem when the model
 * breaks a rule (validate-model.ts); the token is never part of a message. Pure: no I/O, no logging.
 */
export function renderRunnerConfigToml(model: RunnerConfigModel): string {
  const problems = configModelProblems(model);
  if (problems.length > 0) throw new RunnerConfigError("config.toml", problems);
  const document: TomlTable = {
    concurrent: model.concurrent,
    check_interval: model.check_interval,
    shutdown_timeout: model.shutdown_timeout,
    log_format: model.log_format,
    session_server: { session_timeout: model.session_server.session_timeout },
    runners: model.runners.map(runnerTable),
  };
  return TOML.stringify(document);
}
