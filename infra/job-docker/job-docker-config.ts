/**
 * `JobDockerConfig`: the jobs' /etc/docker on the stack's host, for the docker executor there.
 *
 *   files (daemon.json, certs.d/<registry>/ca.crt) ──upload──▶ holder container ──▶ volume
 *   config.toml `[runners.docker] volumes`: "<volume>:/etc/docker:ro" in every job and service container
 *
 * - The volume is named after a digest of its files: a changed list (the cache turned off, another
 *   registry port) is a new, fully written volume; nothing a contribution dropped stays behind.
 * - The files are written by the Docker provider's uploads into a container that mounts the volume and
 *   is created but never started (`start: false`): no process, no port, nothing to keep running. Its
 *   image is one the stack pulls anyway (the runner's), so no extra image reaches the host.
 * - `jobVolume` resolves only once the holder exists, so config.toml (and so the runner) never names
 *   a volume whose files are not written yet.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { registryUrl } from "../gitlab/urls";
import { HOST_GENERATION_LABEL, type DockerHost } from "../host/docker-host";
import type { Naming } from "../naming";
import {
  checkedJobDockerFiles,
  DOCKER_CONFIG_DIR,
  jobDockerFilesDigest,
  registryAddress,
  registryCaPath,
  type JobDockerFile,
} from "./files";

/** A file whose path or text is not known yet (the Elastic IP, the stack CA). */
export type PendingJobDockerFile = JobDockerFile<pulumi.Input<string>>;

/**
 * The stack CA of GitLab's registry (on `registryPort` of GitLab's external URL, as gitlab.rb's
 * `registry_external_url` says) at `certs.d/<host:port>/ca.crt`: the name `$CI_REGISTRY` gives jobs,
 * so `docker login`/`push` in a job verify it.
 */
export function registryCaFile(
  externalUrl: pulumi.Input<string>,
  registryPort: number,
  caPem: pulumi.Input<string>,
): PendingJobDockerFile {
  const path = pulumi.output(externalUrl).apply((url) => {
    const registry = registryUrl(url, registryPort);
    if (registry === undefined) throw new Error("registryCaFile: the registry is off (gitlab.registryPort 0)");
    return registryCaPath(registryAddress(registry));
  });
  return { path, content: caPem };
}

/** The files with their paths and texts known, checked (throws with every problem) and sorted by path. */
export function resolvedJobDockerFiles(files: readonly PendingJobDockerFile[]): pulumi.Output<JobDockerFile[]> {
  return pulumi
    .all(files.map((f) => pulumi.all([f.path, f.content])))
    .apply((pairs) => checkedJobDockerFiles(pairs.map(([path, content]) => ({ path, content }))));
}

/** Where the holder container mounts the volume (it never runs; the path only places the uploads). */
export const HOLDER_MOUNT = "/srv/job-docker";

export interface JobDockerConfigArgs {
  /** The Docker host the volume is on (its provider, readiness, generation and machine). */
  readonly host: DockerHost;
  /** Physical names: the volume is `<team>-job-docker-<digest>`, the holder `<team>-job-docker`. */
  readonly names: Naming;
  /** The files, paths relative to /etc/docker; public text only (they are readable by every job). */
  readonly files: readonly PendingJobDockerFile[];
  /** An image the stack pulls anyway, for the holder container (never started): the runner's image. */
  readonly image: string;
}

export class JobDockerConfig extends pulumi.ComponentResource {
  /** `<volume>:/etc/docker:ro`, for config.toml's `[runners.docker] volumes`. */
  declare readonly jobVolume: pulumi.Output<string>;
  /** The volume's name on the host. */
  declare readonly volumeName: pulumi.Output<string>;

  constructor(name: string, args: JobDockerConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:JobDockerConfig", name, {}, opts);
    const { host, names } = args;
    const dockerOpts = { parent: this, provider: host.provider, dependsOn: [...host.ready] };
    const resolved = resolvedJobDockerFiles(args.files);
    const labels = [
      { label: "managed-by", value: names.commonTags.ManagedBy },
      // A rebuilt host has an empty daemon: the new generation re-creates the volume there.
      { label: HOST_GENERATION_LABEL, value: host.generation },
    ];
    const volume = new docker.Volume(
      `${name}-volume`,
      { name: resolved.apply((list) => names.name(`job-docker-${jobDockerFilesDigest(list)}`)), labels },
      // Goes with the machine on aws (deletedWith): its daemon is gone with it.
      { ...dockerOpts, deletedWith: host.machine },
    );
    const image = new docker.RemoteImage(
      `${name}-image`,
      // keepLocally: the runner uses the same image. triggers: a rebuilt host has no image yet.
      { name: args.image, keepLocally: true, triggers: { hostGeneration: host.generation } },
      dockerOpts,
    );
    const holder = new docker.Container(
      `${name}-holder`,
      {
        name: names.name("job-docker"),
        image: image.imageId,
        // Created, never started: the uploads land in the mounted volume before any start would.
        start: false,
        mustRun: false,
        restart: "no",
        volumes: [{ volumeName: volume.name, containerPath: HOLDER_MOUNT }],
        uploads: resolved.apply((list) =>
          list.map((f) => ({ file: `${HOLDER_MOUNT}/${f.path}`, content: f.content, permissions: "0644" })),
        ),
        labels,
      },
      // Fixed name: the old holder goes before its replacement. deletedWith: a container on a host
      // being rebuilt goes with its machine (the new daemon never had it).
      { ...dockerOpts, deleteBeforeReplace: true, deletedWith: host.machine },
    );

    this.volumeName = volume.name;
    // Read-only: a job must not rewrite what the next job's daemon reads.
    this.jobVolume = pulumi
      .all([volume.name, holder.id])
      .apply(([volumeName]) => `${volumeName}:${DOCKER_CONFIG_DIR}:ro`);
    this.registerOutputs({ jobVolume: this.jobVolume, volumeName: this.volumeName });
  }
}
