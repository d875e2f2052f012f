/**
 * What every job's and every DinD service's `/etc/docker` holds: a list of files, each contributed by
 * the concern that needs it (the pull-through cache its daemon.json, the stack CA GitLab's registry's
 * `certs.d/<host:port>/ca.crt`). Pure functions of plain values.
 *
 * The same list lands in two places: on the host a named volume (JobDockerConfig), on an autoscaled
 * worker a directory its user data writes (infra/autoscaler/worker-user-data.ts); config.toml mounts
 * either read-only at /etc/docker in every job and service container (gitlab-runner v19.3.0 gives
 * services the same `[runners.docker] volumes` binds as the job: executors/docker/docker.go
 * `createHostConfigForService`, `Binds: e.volumesManager.Binds()`). The `docker:<v>-dind` and
 * `docker:<v>-cli` images have no /etc/docker of their own to hide (docker-library/docker 29/dind,
 * 29/cli Dockerfiles).
 *
 * dockerd reads a registry's CA from `/etc/docker/certs.d/<host:port>/*.crt` (moby v29
 * `daemon/pkg/registry/config.go` `CertsDir`, `registry.go` `loadTLSConfig`; with the containerd
 * image store the same directory through `daemon/hosts.go` `HostDirFromRoot(registry.CertsDir())`).
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { DAEMON_JSON_PATH } from "../mirror/daemon-json";

/** Where dockerd reads its settings and registry certificates, in the DinD image as on a host. */
export const DOCKER_CONFIG_DIR = posix.dirname(DAEMON_JSON_PATH);

/**
 * One file of /etc/docker: its path relative to /etc/docker, and its text (public: no secret ever).
 * `T` is `string`, or `pulumi.Input<string>` where an address or a certificate is not known yet.
 */
export interface JobDockerFile<T = string> {
  readonly path: T;
  readonly content: T;
}

/** `certs.d/<host:port>/ca.crt`: where dockerd looks for the CA of the registry at `address`. */
export function registryCaPath(address: string): string {
  return `certs.d/${address}/ca.crt`;
}

/**
 * The registry's address as jobs name it (`$CI_REGISTRY`, from `registry_external_url`): `host:port`,
 * the directory name under certs.d. Docker leaves the port out only for 443, which the registry never
 * uses here (GitLab's own HTTPS port).
 */
export function registryAddress(registryUrl: string): string {
  const url = new URL(registryUrl);
  const port = url.port === "" ? (url.protocol === "https:" ? "443" : "80") : url.port;
  return port === "443" ? url.hostname : `${url.hostname}:${port}`;
}

/** Problems with a file list, each naming the file: relative paths of safe segments, no duplicates. */
export function jobDockerFileProblems(files: readonly JobDockerFile[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const segments = file.path.split("/");
    if (
      file.path.startsWith("/") ||
      segments.some((s) => s === "" || s === "." || s === ".." || !/^[A-Za-z0-9._:-]+$/.test(s))
    ) {
      problems.push(
        `${DOCKER_CONFIG_DIR} file ${JSON.stringify(file.path)}: expected a relative path of names (letters, digits, . _ : -)`,
      );
    }
    if (seen.has(file.path)) problems.push(`${DOCKER_CONFIG_DIR} file ${JSON.stringify(file.path)}: given twice`);
    seen.add(file.path);
  }
  return problems;
}

/** Throws with every problem at once; returns the files sorted by path (a stable order for hashing). */
export function checkedJobDockerFiles(files: readonly JobDockerFile[]): JobDockerFile[] {
  const problems = jobDockerFileProblems(files);
  if (problems.length > 0) throw new Error(`the jobs' ${DOCKER_CONFIG_DIR}:\n  - ${problems.join("\n  - ")}`);
  return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * A short digest of the files (paths and contents): names the host's volume, so a changed list is a
 * new volume and no file a contribution dropped lingers in the old one.
 */
export function jobDockerFilesDigest(files: readonly JobDockerFile[]): string {
  const hash = createHash("sha256");
  for (const file of checkedJobDockerFiles(files)) hash.update(`${file.path}\0${file.content}\0`);
  return hash.digest("hex").slice(0, 12);
}
