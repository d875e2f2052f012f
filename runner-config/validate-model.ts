/**
 * The rules a `config.toml` model must keep before it is rendered. Each problem names the TOML key
 * (`runners[0].docker.volumes`), what was expected and what was given. The token's value is never
 * quoted. The model is checked as untyped data too, since JavaScript callers and casts get past the types.
 */
import type { RunnerConfigModel } from "./model";
import { LOG_FORMATS, PULL_POLICIES } from "./model";
import { admitsImage, unsupportedPatternReason } from "./privileged-images";
import { parseGoDuration } from "../infra/config/rules";

/** The per-job volume through which `docker:dind` gives the job its TLS client certificates. */
export const CERTS_CLIENT_VOLUME = "/certs/client";

/**
 * Ordinary job images a privileged allow-list must refuse; a pattern admitting any of them is too broad
 * (it would make arbitrary job images privileged, not only the DinD daemon).
 */
export const ORDINARY_IMAGES: readonly string[] = [
  "alpine:3.22",
  "ubuntu:24.04",
  "docker:29.7.2-cli",
  "docker.io/library/docker:29.7.2-cli",
  "library/node:22",
  "bitnami/kubectl:1.33",
  "registry.example.com/group/project:1.0",
  "registry.example.com:5000/group/sub/project:1.0",
];

type Problems = string[];

/** How a given value reads in a message. Tables are not printed: a runner table holds the token. */
function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number") return String(value);
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return JSON.stringify(value);
  if (Array.isArray(value)) {
    return value.every((v) => v === null || ["string", "number", "boolean"].includes(typeof v))
      ? JSON.stringify(value)
      : `a list of ${value.length} non-scalar entries`;
  }
  return typeof value === "object" ? "a table" : typeof value;
}

/**
 * Why a string cannot be written to config.toml, or undefined when it can:
 * - a lone UTF-16 surrogate has no UTF-8 form, so no TOML file can hold it;
 * - control characters other than tab and newline: @iarna/toml 3.0.0's stringify writes a string that
 *   holds a `"` but no newline as a literal ('…') string, raw, and TOML forbids control characters there,
 *   so the file would not parse (test/runner-config/round-trip.property.test.ts found it).
 */
export function unwritableReason(s: string): string | undefined {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
    return "it holds a lone UTF-16 surrogate";
  }
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s)) {
    return "control characters other than tab and newline cannot be written to config.toml";
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkInteger(p: Problems, key: string, value: unknown, min: number, what: string): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    p.push(`${key}: expected ${what} (an integer ≥ ${min}); given ${show(value)}`);
  }
}

function checkText(p: Problems, key: string, value: unknown, what: string): value is string {
  if (typeof value !== "string" || value === "") {
    p.push(`${key}: expected ${what} (a non-empty string); given ${show(value)}`);
    return false;
  }
  const reason = unwritableReason(value);
  if (reason !== undefined) {
    p.push(`${key}: expected ${what}; given ${show(value)}, and ${reason}`);
    return false;
  }
  return true;
}

function checkUrl(p: Problems, key: string, value: unknown): void {
  const what = "an http:// or https:// URL with a host, without spaces or credentials";
  if (!checkText(p, key, value, what)) return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // new URL() silently drops tabs and newlines, so a URL holding them is refused before it is parsed.
  const ok =
    url !== undefined &&
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    !/[\s\u0000-\u001f\u007f]/.test(value) &&
    (url.protocol === "http:" || url.protocol === "https:") &&
    url.hostname !== "" &&
    url.username === "" &&
    url.password === "";
  if (!ok) p.push(`${key}: expected ${what}; given ${show(value)}`);
}

function checkStringList(p: Problems, key: string, value: unknown, nonEmpty: boolean): value is readonly string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    p.push(`${key}: expected a list of strings; given ${show(value)}`);
    return false;
  }
  let writable = true;
  for (const [i, v] of value.entries()) {
    const reason = unwritableReason(v);
    if (reason !== undefined) {
      p.push(`${key}[${i}]: given ${show(v)}, and ${reason}`);
      writable = false;
    }
  }
  if (!writable) return false;
  if (nonEmpty && value.length === 0) {
    p.push(`${key}: expected at least one entry; given an empty list`);
    return false;
  }
  return true;
}

function checkToken(p: Problems, key: string, value: unknown): void {
  // The value is a secret: the message says what is wrong with it, never what it is.
  if (typeof value !== "string" || value === "") {
    p.push(`${key}: expected the runner authentication token (glrt-…) from registration; given no token`);
  } else if (!/^glrt-[\x21-\x7e]+$/.test(value)) {
    p.push(
      `${key}: expected a runner authentication token, "glrt-" then printable characters without spaces ` +
        `(a registration token or a personal access token does not work here); given a value of another form (not shown: it is a secret)`,
    );
  }
}

function checkVolumes(p: Problems, key: string, value: unknown): void {
  if (!checkStringList(p, key, value, true)) return;
  if (!value.includes(CERTS_CLIENT_VOLUME)) {
    p.push(
      `${key}: expected "${CERTS_CLIENT_VOLUME}" (the per-job volume docker:dind hands its TLS client certificates through); given ${show(value)}`,
    );
  }
  for (const [i, volume] of value.entries()) {
    if (volume === "" || /\s/.test(volume)) {
      p.push(`${key}[${i}]: expected a container path or src:dst[:mode] without spaces; given ${show(volume)}`);
    }
    if (volume.includes("docker.sock")) {
      p.push(
        `${key}[${i}]: expected no Docker socket in job containers (it turns DinD into sharing the host's daemon and gives jobs root on the host); given ${show(volume)}`,
      );
    }
  }
}

function checkPrivilegedList(p: Problems, key: string, value: unknown, jobImage: unknown): void {
  if (!checkStringList(p, key, value, true)) {
    if (Array.isArray(value) && value.length === 0) {
      p.push(
        `${key}: an empty list lets every image run privileged (GitLab: "If not present, all images are allowed")`,
      );
    }
    return;
  }
  for (const [i, pattern] of value.entries()) {
    const reason = unsupportedPatternReason(pattern);
    if (reason !== undefined) {
      p.push(
        `${key}[${i}]: expected a doublestar pattern of image-name characters and "*"; given ${show(pattern)} (${reason})`,
      );
      continue;
    }
    const ordinary = [...ORDINARY_IMAGES, ...(typeof jobImage === "string" ? [jobImage] : [])];
    const admitted = ordinary.filter((image) => admitsImage([pattern], image));
    if (admitted.length > 0) {
      p.push(
        `${key}[${i}]: expected a pattern admitting the DinD image only; given ${show(pattern)}, which also admits ${admitted.join(", ")}`,
      );
    }
  }
}

function checkDocker(p: Problems, key: string, docker: unknown): void {
  if (!isRecord(docker)) {
    p.push(`${key}: expected the [runners.docker] table; given ${show(docker)}`);
    return;
  }
  const image = docker.image;
  if (checkText(p, `${key}.image`, image, "the default job image") && /\s/.test(image)) {
    p.push(`${key}.image: expected an image reference without spaces; given ${show(image)}`);
  }
  if (docker.privileged !== true)
    p.push(`${key}.privileged: expected true (docker:dind needs it); given ${show(docker.privileged)}`);
  if (docker.tls_verify !== false) p.push(`${key}.tls_verify: expected false; given ${show(docker.tls_verify)}`);
  if (docker.disable_cache !== false) {
    p.push(
      `${key}.disable_cache: expected false (with true GitLab Runner makes each container-path volume, ${CERTS_CLIENT_VOLUME} among them, a throwaway volume per job: DinD still works, but the /cache job cache is lost after every job); given ${show(docker.disable_cache)}`,
    );
  }
  checkVolumes(p, `${key}.volumes`, docker.volumes);
  checkInteger(p, `${key}.shm_size`, docker.shm_size, 0, "a size in bytes, 0 for Docker's default");
  const pull = docker.pull_policy;
  if (checkStringList(p, `${key}.pull_policy`, pull, true)) {
    const bad = pull.filter((v) => !(PULL_POLICIES as readonly string[]).includes(v));
    if (bad.length > 0 || new Set(pull).size !== pull.length) {
      p.push(`${key}.pull_policy: expected distinct values among ${PULL_POLICIES.join(", ")}; given ${show(pull)}`);
    }
  }
  if (docker.network_mode !== undefined) {
    const mode = docker.network_mode;
    if (checkText(p, `${key}.network_mode`, mode, "the name of an existing Docker network")) {
      if (/\s/.test(mode) || mode === "host" || mode === "none") {
        p.push(
          `${key}.network_mode: expected the name of an existing Docker network (not "host", which would put a privileged daemon on the host's network, nor "none"); given ${show(mode)}`,
        );
      }
    }
  }
  if (docker.extra_hosts !== undefined && checkStringList(p, `${key}.extra_hosts`, docker.extra_hosts, false)) {
    for (const [i, entry] of docker.extra_hosts.entries()) {
      if (!/^[^\s:]+:\S+$/.test(entry)) {
        p.push(
          `${key}.extra_hosts[${i}]: expected host:address (such as gitlab.local:host-gateway); given ${show(entry)}`,
        );
      }
    }
  }
  checkPrivilegedList(p, `${key}.allowed_privileged_images`, docker.allowed_privileged_images, image);
  checkPrivilegedList(p, `${key}.allowed_privileged_services`, docker.allowed_privileged_services, image);
  const known = new Set([
    "image",
    "privileged",
    "tls_verify",
    "volumes",
    "disable_cache",
    "shm_size",
    "pull_policy",
    "network_mode",
    "extra_hosts",
    "allowed_privileged_images",
    "allowed_privileged_services",
  ]);
  for (const extra of Object.keys(docker).filter((k) => !known.has(k)))
    p.push(`${key}.${extra}: not a key this renderer emits`);
}

/** `<registry>/<repository>/<name>:<MAJOR.MINOR.PATCH>` or `<name>:<MAJOR.MINOR.PATCH>`: one exact release. */
const PINNED_PLUGIN = /^([a-z0-9.-]+(:\d+)?\/)?([a-z0-9._-]+\/)*[a-z0-9._-]+:\d+\.\d+\.\d+$/;

function checkAutoscaler(p: Problems, key: string, a: unknown): void {
  if (!isRecord(a)) {
    p.push(`${key}: expected the [runners.autoscaler] table of the docker-autoscaler executor; given ${show(a)}`);
    return;
  }
  if (typeof a.plugin !== "string" || !PINNED_PLUGIN.test(a.plugin)) {
    p.push(
      `${key}.plugin: expected a fleeting plugin pinned to one release, such as registry.gitlab.com/gitlab-org/fleeting/plugins/aws:1.1.0 (not latest, a bare name or a major version: the install would change under the stack); given ${show(a.plugin)}`,
    );
  }
  checkInteger(p, `${key}.capacity_per_instance`, a.capacity_per_instance, 1, "jobs per instance");
  checkInteger(p, `${key}.max_use_count`, a.max_use_count, 0, "jobs per instance before it is removed, 0 for no limit");
  checkInteger(p, `${key}.max_instances`, a.max_instances, 1, "the most instances (0 would mean unlimited)");
  checkText(
    p,
    `${key}.instance_ready_command`,
    a.instance_ready_command,
    "a command that waits for the worker's set-up",
  );
  if (!isRecord(a.plugin_config)) p.push(`${key}.plugin_config: expected a table; given ${show(a.plugin_config)}`);
  else {
    checkText(p, `${key}.plugin_config.name`, a.plugin_config.name, "the Auto Scaling group's name");
    for (const extra of Object.keys(a.plugin_config).filter((k) => k !== "name"))
      p.push(`${key}.plugin_config.${extra}: not a key this renderer emits`);
  }
  const c = a.connector_config;
  if (!isRecord(c)) p.push(`${key}.connector_config: expected a table; given ${show(c)}`);
  else {
    checkText(p, `${key}.connector_config.username`, c.username, "the worker AMI's user, in its docker group");
    if (c.use_external_addr !== false) {
      p.push(
        `${key}.connector_config.use_external_addr: expected false (the manager reaches workers at their private addresses, inside the VPC); given ${show(c.use_external_addr)}`,
      );
    }
    if (c.use_static_credentials !== false) {
      p.push(
        `${key}.connector_config.use_static_credentials: expected false (a key pushed per connection through EC2 Instance Connect); given ${show(c.use_static_credentials)}`,
      );
    }
  }
  if (a.delete_instances_on_shutdown !== true) {
    p.push(
      `${key}.delete_instances_on_shutdown: expected true (a stopping manager removes its workers, so a destroy leaves none running); given ${show(a.delete_instances_on_shutdown)}`,
    );
  }
  if (!Array.isArray(a.policy) || a.policy.length === 0) {
    p.push(`${key}.policy: expected at least one [[runners.autoscaler.policy]]; given ${show(a.policy)}`);
  } else {
    a.policy.forEach((policy: unknown, i) => {
      const at = `${key}.policy[${i}]`;
      if (!isRecord(policy)) {
        p.push(`${at}: expected a table; given ${show(policy)}`);
        return;
      }
      checkInteger(p, `${at}.idle_count`, policy.idle_count, 0, "idle job slots");
      const ns = typeof policy.idle_time === "string" ? parseGoDuration(policy.idle_time) : undefined;
      if (ns === undefined || ns < 1e9) {
        p.push(`${at}.idle_time: expected a Go duration of at least 1s, such as 20m; given ${show(policy.idle_time)}`);
      }
    });
  }
}

/**
 * Keys of `[runners.cache.s3]` that put credentials where a job can reach them: an access key in the
 * file, or a role the runner assumes and whose temporary credentials it hands to the job's helper
 * (gitlab-runner v19.3.0 cache/s3v2/adapter.go `GetGoCloudURL`). The manager signs URLs instead.
 */
export const CACHE_CREDENTIAL_KEYS: readonly string[] = [
  "AccessKey",
  "SecretKey",
  "SessionToken",
  "RoleARN",
  "UploadRoleARN",
];

/** S3's bucket naming rules (3–63 lower-case letters, digits, dots and hyphens, a letter or digit at each end). */
const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** An AWS region name such as eu-west-1 or us-gov-west-1. */
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function checkCache(p: Problems, key: string, c: unknown): void {
  if (!isRecord(c)) {
    p.push(`${key}: expected the [runners.cache] table of the shared S3 cache; given ${show(c)}`);
    return;
  }
  if (c.Type !== "s3") p.push(`${key}.Type: expected "s3"; given ${show(c.Type)}`);
  if (c.Shared !== true) {
    p.push(
      `${key}.Shared: expected true (without it every key starts with runner/<token>/, and a new token starts from an empty cache); given ${show(c.Shared)}`,
    );
  }
  for (const extra of Object.keys(c).filter((k) => !["Type", "Shared", "s3"].includes(k)))
    p.push(`${key}.${extra}: not a key this renderer emits`);
  const s3 = c.s3;
  if (!isRecord(s3)) {
    p.push(`${key}.s3: expected the [runners.cache.s3] table; given ${show(s3)}`);
    return;
  }
  if (
    checkText(p, `${key}.s3.BucketName`, s3.BucketName, "the cache bucket's name") &&
    !S3_BUCKET_NAME.test(s3.BucketName)
  ) {
    p.push(
      `${key}.s3.BucketName: expected an S3 bucket name (3–63 lower-case letters, digits, dots, hyphens); given ${show(s3.BucketName)}`,
    );
  }
  if (
    checkText(p, `${key}.s3.BucketLocation`, s3.BucketLocation, "the bucket's region") &&
    !AWS_REGION.test(s3.BucketLocation)
  ) {
    p.push(`${key}.s3.BucketLocation: expected an AWS region such as eu-west-1; given ${show(s3.BucketLocation)}`);
  }
  if (s3.AuthenticationType !== "iam") {
    p.push(
      `${key}.s3.AuthenticationType: expected "iam" (the runner manager's own role signs the URLs; no key in the file); given ${show(s3.AuthenticationType)}`,
    );
  }
  if (s3.ServerSideEncryption !== "S3" && s3.ServerSideEncryption !== "KMS") {
    p.push(`${key}.s3.ServerSideEncryption: expected "S3" or "KMS"; given ${show(s3.ServerSideEncryption)}`);
  }
  for (const extra of Object.keys(s3).filter(
    (k) => !["BucketName", "BucketLocation", "AuthenticationType", "ServerSideEncryption"].includes(k),
  )) {
    p.push(
      CACHE_CREDENTIAL_KEYS.includes(extra)
        ? `${key}.s3.${extra}: expected no credentials in config.toml (the manager presigns each archive's URLs with its role; ${extra} would put credentials in the file or in the job); given a value`
        : `${key}.s3.${extra}: not a key this renderer emits`,
    );
  }
}

/**
 * On a worker, `host.docker.internal` and Docker's `host-gateway` are the worker itself: jobs there must
 * reach GitLab at the GitLab host's private address (or a name mapped to it), never through them.
 */
function checkWorkerAddresses(p: Problems, key: string, runner: Record<string, unknown>): void {
  for (const field of ["url", "clone_url"] as const) {
    const value = runner[field];
    if (typeof value === "string" && /^[a-z]+:\/\/host\.docker\.internal[:/]?/i.test(value)) {
      p.push(
        `${key}.${field}: expected the GitLab host's private address (on a worker, host.docker.internal is the worker itself); given ${show(value)}`,
      );
    }
  }
  const docker = isRecord(runner.docker) ? runner.docker : {};
  if (Array.isArray(docker.extra_hosts)) {
    docker.extra_hosts.forEach((entry: unknown, i) => {
      if (typeof entry === "string" && (/:host-gateway$/.test(entry) || /^host\.docker\.internal:/.test(entry))) {
        p.push(
          `${key}.docker.extra_hosts[${i}]: expected a name mapped to the GitLab host's private address (on a worker, host-gateway and host.docker.internal are the worker itself); given ${show(entry)}`,
        );
      }
    });
  }
}

function checkRunner(p: Problems, key: string, runner: unknown): void {
  if (!isRecord(runner)) {
    p.push(`${key}: expected a [[runners]] table; given ${show(runner)}`);
    return;
  }
  checkText(p, `${key}.name`, runner.name, "the runner's name");
  checkUrl(p, `${key}.url`, runner.url);
  if (runner.clone_url !== undefined) checkUrl(p, `${key}.clone_url`, runner.clone_url);
  const caFile = runner["tls-ca-file"];
  if (caFile !== undefined && (typeof caFile !== "string" || !caFile.startsWith("/"))) {
    p.push(`${key}.tls-ca-file: expected an absolute path in the runner container; given ${show(caFile)}`);
  }
  checkToken(p, `${key}.token`, runner.token);
  if (runner.executor !== "docker" && runner.executor !== "docker-autoscaler") {
    p.push(`${key}.executor: expected "docker" or "docker-autoscaler"; given ${show(runner.executor)}`);
  }
  if (runner.environment !== undefined && checkStringList(p, `${key}.environment`, runner.environment, false)) {
    for (const [i, entry] of runner.environment.entries()) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(entry)) {
        p.push(`${key}.environment[${i}]: expected KEY=value with KEY a variable name; given ${show(entry)}`);
      }
    }
  }
  if (runner.feature_flags !== undefined) {
    if (!isRecord(runner.feature_flags)) {
      p.push(`${key}.feature_flags: expected a table of FF_… = true/false; given ${show(runner.feature_flags)}`);
    } else {
      for (const [flag, on] of Object.entries(runner.feature_flags)) {
        if (!/^FF_[A-Z0-9_]+$/.test(flag) || typeof on !== "boolean") {
          p.push(
            `${key}.feature_flags.${flag}: expected a runner feature flag FF_… set to true or false; given ${show(on)}`,
          );
        }
      }
      const docker = isRecord(runner.docker) ? runner.docker : {};
      // network_mode takes precedence over a per-job network: asking for both is a mistake.
      if (runner.feature_flags.FF_NETWORK_PER_BUILD === true && docker.network_mode !== undefined) {
        p.push(
          `${key}.feature_flags.FF_NETWORK_PER_BUILD: expected no docker.network_mode with a network per job; given network_mode ${show(docker.network_mode)}`,
        );
      }
    }
  }
  if (runner.cache !== undefined) checkCache(p, `${key}.cache`, runner.cache);
  checkDocker(p, `${key}.docker`, runner.docker);
  if (runner.executor === "docker-autoscaler") {
    checkAutoscaler(p, `${key}.autoscaler`, runner.autoscaler);
    checkWorkerAddresses(p, key, runner);
  } else if (runner.autoscaler !== undefined) {
    p.push(`${key}.autoscaler: expected no [runners.autoscaler] with the docker executor; given a table`);
  }
  const known = new Set([
    "name",
    "url",
    "clone_url",
    "tls-ca-file",
    "token",
    "executor",
    "environment",
    "feature_flags",
    "cache",
    "docker",
    "autoscaler",
  ]);
  for (const extra of Object.keys(runner).filter((k) => !known.has(k)))
    p.push(`${key}.${extra}: not a key this renderer emits`);
}

/** Every problem of the model, in key order; [] when it can be rendered. */
export function configModelProblems(model: RunnerConfigModel): string[] {
  const p: Problems = [];
  const m: unknown = model;
  if (!isRecord(m)) return [`config.toml: expected a model object; given ${show(m)}`];
  checkInteger(p, "concurrent", m.concurrent, 1, "how many jobs run at once");
  checkInteger(p, "check_interval", m.check_interval, 1, "seconds between job polls");
  checkInteger(p, "shutdown_timeout", m.shutdown_timeout, 1, "seconds a forceful shutdown waits");
  if (!(LOG_FORMATS as readonly unknown[]).includes(m.log_format)) {
    p.push(`log_format: expected one of ${LOG_FORMATS.join(", ")}; given ${show(m.log_format)}`);
  }
  if (!isRecord(m.session_server)) p.push(`session_server: expected a table; given ${show(m.session_server)}`);
  else
    checkInteger(
      p,
      "session_server.session_timeout",
      m.session_server.session_timeout,
      1,
      "seconds a terminal session may last",
    );
  if (!Array.isArray(m.runners) || m.runners.length === 0) {
    p.push(`runners: expected at least one [[runners]] entry; given ${show(m.runners)}`);
  } else {
    m.runners.forEach((r, i) => checkRunner(p, `runners[${i}]`, r));
    // GitLab's docker-autoscaler docs: concurrent = max_instances × capacity_per_instance.
    const scaled = (m.runners as unknown[])
      .filter(isRecord)
      .filter((r) => r.executor === "docker-autoscaler")
      .map((r) => r.autoscaler)
      .filter(isRecord);
    const slots = scaled.reduce<number>(
      (sum, a) =>
        sum +
        (typeof a.max_instances === "number" && typeof a.capacity_per_instance === "number"
          ? a.max_instances * a.capacity_per_instance
          : 0),
      0,
    );
    if (scaled.length > 0 && scaled.length === m.runners.length && slots > 0 && m.concurrent !== slots) {
      p.push(
        `concurrent: expected ${slots} (max_instances × capacity_per_instance of the autoscaled runners); given ${show(m.concurrent)}`,
      );
    }
    if (typeof m.concurrent === "number" && m.concurrent >= 1 && m.concurrent < m.runners.length) {
      p.push(
        `concurrent: expected at least the number of [[runners]] (${m.runners.length}), or some never get a worker; given ${m.concurrent}`,
      );
    }
  }
  return p;
}
