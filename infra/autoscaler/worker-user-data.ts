/**
 * The CI workers' cloud-init user data: a pure function, built as data with the `yaml` library.
 *
 * A worker is Amazon Linux 2023 with nothing of ours but this: install Docker from the AMI's own
 * repository (and EC2 Instance Connect's agent, should the image lack it), put the SSH user in the `docker` group (the runner
 * reaches the Docker socket over SSH as that user), start Docker, and wait until it answers. The runner's
 * `instance_ready_command` waits for this to finish before the worker takes a job.
 *
 * The files of /etc/docker (infra/job-docker) are written twice: under the worker's own `/etc/docker`
 * (the job and service images the runner pulls through the worker's daemon) and under
 * `WORKER_DIND_CONFIG_DIR`, which config.toml mounts read-only at /etc/docker in every job and service
 * container (the jobs' DinD daemons). They are: with the Docker Hub pull-through cache on
 * (infra/mirror), a daemon.json naming it at the GitLab host's private address; with the stack CA and
 * the registry on, `certs.d/<registry>/ca.crt` (public), so `docker login`/`push` to GitLab's registry
 * verify it. All are written before Docker is installed and started, so its first start reads them.
 *
 * Nothing secret and no credentials: a privileged job is root on its worker, and the worker has no
 * instance profile.
 */
import { posix } from "node:path";
import { Document } from "yaml";
import { checkedJobDockerFiles, DOCKER_CONFIG_DIR, type JobDockerFile } from "../job-docker/files";
import { DAEMON_JSON_PATH, mirrorDaemonJson } from "../mirror/daemon-json";

/** Where the bootstrap script is written. */
export const WORKER_BOOTSTRAP_SCRIPT = "/usr/local/sbin/gitlab-dind-worker-bootstrap";

/**
 * The worker's directory that holds the jobs' /etc/docker files (daemon.json, certs.d): config.toml
 * mounts it read-only at /etc/docker in every job and service container.
 */
export const WORKER_DIND_CONFIG_DIR = "/etc/gitlab-dind/dind";

/** config.toml's `[runners.docker] volumes` entry for the autoscaled runner: the jobs' /etc/docker. */
export const WORKER_DIND_JOB_VOLUME = `${WORKER_DIND_CONFIG_DIR}:${DOCKER_CONFIG_DIR}:ro`;

export interface WorkerUserDataInput {
  /** The user the runner connects as (`ec2-user`). */
  readonly username: string;
  /**
   * The pull-through cache at the GitLab host's private address: the worker's daemon and its jobs'
   * DinD daemons use it as their registry mirror. Default: unset, no daemon.json is written.
   */
  readonly mirror?: { readonly host: string; readonly port: number };
  /**
   * More files of /etc/docker for the worker's daemon and its jobs' DinD daemons (paths relative to
   * /etc/docker), such as the stack CA for GitLab's registry. Public text only. Default: none.
   */
  readonly dockerFiles?: readonly JobDockerFile[];
}

/** The files of /etc/docker the worker gets (the cache's daemon.json first), checked and in order. */
export function workerDockerFiles(input: WorkerUserDataInput): JobDockerFile[] {
  return checkedJobDockerFiles([
    ...(input.mirror === undefined
      ? []
      : [{ path: posix.basename(DAEMON_JSON_PATH), content: mirrorDaemonJson(input.mirror.host, input.mirror.port) }]),
    ...(input.dockerFiles ?? []),
  ]);
}

/** Renders the `#cloud-config` document; throws on a user name a shell or useradd would refuse. */
export function renderWorkerUserData(input: WorkerUserDataInput): string {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(input.username)) {
    throw new Error(`worker user data: username: expected a Linux user name; got ${JSON.stringify(input.username)}`);
  }
  const dockerFiles = workerDockerFiles(input);
  const daemonFiles = [DOCKER_CONFIG_DIR, WORKER_DIND_CONFIG_DIR].flatMap((root) =>
    dockerFiles.map((file) => ({
      path: `${root}/${file.path}`,
      content: file.content,
      owner: "root:root",
      permissions: "0644",
    })),
  );
  const doc = new Document({
    // No package upgrade at boot: every job waits for the boot, and the AMI is the current AL2023.
    package_update: false,
    package_upgrade: false,
    write_files: [
      // Before the script runs (write_files precedes runcmd): Docker's first start reads them.
      ...daemonFiles,
      {
        path: WORKER_BOOTSTRAP_SCRIPT,
        content: bootstrapScript(input.username),
        owner: "root:root",
        permissions: "0755",
      },
    ],
    runcmd: [[WORKER_BOOTSTRAP_SCRIPT]],
  });
  doc.commentBefore = "cloud-config";
  return doc.toString({ lineWidth: 0 });
}

function bootstrapScript(username: string): string {
  return `#!/bin/bash
# A gitlab-dind CI worker: Docker for the runner's docker-autoscaler executor, reached over SSH as
# ${username}. cloud-init runs this once; the runner waits for cloud-init before the first job.
set -euo pipefail

log() { echo "gitlab-dind-worker: $*" >&2; }

installed=false
for attempt in 1 2 3 4 5; do
  if dnf install -y docker; then
    installed=true
    break
  fi
  log "dnf install failed (attempt \${attempt}/5)"
  sleep 10
done
if [ "\${installed}" != true ]; then
  log "cannot install Docker"
  exit 1
fi

# EC2 Instance Connect's agent lets sshd take the key the runner pushes per connection. AL2023 images
# ship it; install it only where it is missing, and carry on without it (the runner's log then says
# why it cannot log in) rather than fail a worker that may not need it.
if ! rpm -q ec2-instance-connect >/dev/null 2>&1; then
  dnf install -y ec2-instance-connect || log "warning: ec2-instance-connect is not installed"
fi

# The runner talks to /var/run/docker.sock through its SSH connection as this user.
usermod -aG docker ${username}

systemctl enable --now docker.socket docker.service

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "Docker is up; ${username} is in the docker group"
    exit 0
  fi
  sleep 2
done
log "Docker did not start: see journalctl -u docker"
exit 1
`;
}
