/**
 * The example pipeline that proves the runner runs Docker-in-Docker: the article's job (two alpine
 * containers started with `docker run -d`, then `docker container ls`) plus `docker version`, which
 * prints the Server section only when the job reached the DinD daemon over TLS.
 *
 * It follows GitLab's "Use Docker to build Docker images" page, "Docker-in-Docker with TLS enabled in the
 * Docker executor" (https://docs.gitlab.com/ci/docker/using_docker_build/): the `docker:<v>-dind`
 * service, reachable as `docker`, `DOCKER_TLS_CERTDIR: "/certs"` (the daemon writes its client
 * certificates to `/certs/client`, the volume config.toml gives every job), and the matching
 * `docker:<v>-cli` job image, whose entrypoint then points the CLI at `tcp://docker:2376` with TLS.
 *
 * The runner names a `docker:<v>-dind` service `docker` by itself (service-aliases.ts), so the
 * service gets no `alias` then: a second `docker` would only make every job log "Skipping alias".
 * A DinD image under another name (`runner.dindImage: registry.example.com/tools/dind:1`, named
 * `registry.example.com__tools__dind`) gets `alias: docker`, the host name the CLI and the daemon's
 * TLS certificate use.
 *
 * With GitLab's container registry on (`gitlab.registryPort` not 0), two more jobs prove the registry
 * round trip that DinD pipelines are for: `registry-push` builds a tiny image inside its DinD daemon,
 * logs in with the job's own credentials (`$CI_REGISTRY_USER`/`$CI_REGISTRY_PASSWORD`, the job token)
 * and pushes `$CI_REGISTRY_IMAGE/smoke:$CI_PIPELINE_ID`; `registry-pull`, in the next stage and so in
 * a fresh DinD daemon, pulls it back and runs it. The image prints `PUSHED_IMAGE_GREETING` and the
 * pipeline's id, which only an image this pipeline built can print (tools/smoke checks it).
 */
import { Document, Scalar } from "yaml";
import { RunnerConfigError } from "./errors";
import { imagePairProblems } from "./image-pairing";
import { derivedServiceAliases } from "./service-aliases";

/** The name the offline plan writes the rendered pipeline under. */
export const EXAMPLE_PIPELINE_FILE = "gitlab-ci.example.yml";

/** The job's name in the pipeline. */
export const EXAMPLE_JOB_NAME = "docker-in-docker";

/** The host name the job's Docker CLI reaches the DinD service by (`tcp://docker:2376`). */
export const DIND_SERVICE_ALIAS = "docker";

/** The image the job starts inside DinD, pinned like every other image of the project. */
export const EXAMPLE_INNER_IMAGE = "alpine:3.22";

/** What the pipeline prints before the job daemon's registry mirrors (tools/smoke reads it). */
export const MIRRORS_LINE = "Registry Mirrors:";

/** The job that builds and pushes an image to GitLab's registry (only with the registry on). */
export const REGISTRY_PUSH_JOB = "registry-push";
/** The job, one stage later, that pulls that image back and runs it. */
export const REGISTRY_PULL_JOB = "registry-pull";
/** The repository under the project's registry path the image is pushed to, tagged with the pipeline id. */
export const PUSHED_IMAGE_NAME = "smoke";
/** What the pushed image prints, followed by the id of the pipeline that built it (tools/smoke reads it). */
export const PUSHED_IMAGE_GREETING = "gitlab-dind smoke image built by pipeline";
/** The job that writes a file into a cached path (only with a cache jobs can hit). */
export const CACHE_WRITE_JOB = "cache-write";
/** The job, in the last stage, that finds that file in its restored cache. */
export const CACHE_READ_JOB = "cache-read";
/**
 * cache-write runs alone in GitLab's `.pre` stage, before every other, and cache-read alone in `.post`,
 * after every other. Alone, so that with the docker executor on the host both take the runner's first
 * concurrent slot: its local cache lives in the `/cache` volume, one per project and concurrent slot
 * (gitlab-runner v19.3.0 executors/docker/internal/volumes/manager.go names it after
 * `ProjectRealUniqueName`, which includes the slot), and two slots would not share it.
 */
export const CACHE_WRITE_STAGE = ".pre";
export const CACHE_READ_STAGE = ".post";
/** The cached directory, in the project's checkout. */
export const CACHED_PATH = "smoke-cache/";
/** What cache-read prints, followed by the id of the pipeline whose cache-write cached it (tools/smoke reads it). */
export const CACHE_HIT_LINE = "gitlab-dind cache hit: smoke-cache/pipeline-id written by pipeline";
/** The variable the registry jobs name the image by. */
const PUSHED_IMAGE_VARIABLE = "PUSHED_IMAGE";

/** The settings the pipeline is rendered from: the stack's `runner.jobImage`, `runner.dindImage`, `runner.tags`. */
export interface ExamplePipelineSettings {
  readonly jobImage: string;
  readonly dindImage: string;
  /** Tags the runner registers with; the job asks for all of them. Empty: the job is untagged. */
  readonly tags: readonly string[];
  /** GitLab's container registry is on (`gitlab.registryPort` not 0): add the push and pull jobs. */
  readonly registry: boolean;
  /**
   * A later job can hit an earlier job's cache (the shared S3 cache, or the host's local cache with
   * the docker executor; not a fresh autoscaled worker's local one): add the cache-write and
   * cache-read jobs. Default: false.
   */
  readonly cache?: boolean;
}

const HEADER = [
  " Rendered by runner-config/example-pipeline.ts from runner.jobImage, runner.dindImage, runner.tags and gitlab.registryPort.",
  " Proves the runner runs Docker-in-Docker: `docker version` shows a Server only when the job",
  " reached the docker:dind service over TLS; then two containers run inside that daemon.",
  " `docker info` names the registry mirror (the stack's Docker Hub pull-through cache) the daemon uses.",
].join("\n");

const CACHE_HEADER = [
  " cache-write (first, in .pre) caches a file under a key of this pipeline; cache-read (last, in .post;",
  " on another worker when jobs run on autoscaled workers) restores that cache and prints the file.",
].join("\n");

const REGISTRY_HEADER = [
  " registry-push builds a tiny image in its DinD daemon and pushes it to GitLab's registry with the",
  " job's own credentials; registry-pull, a stage later in a fresh daemon, pulls it back and runs it.",
].join("\n");

/**
 * The example `.gitlab-ci.yml` text. Throws RunnerConfigError when the images do not pair
 * (image-pairing.ts) or a tag is empty.
 */
export function renderExamplePipeline(settings: ExamplePipelineSettings): string {
  const problems = imagePairProblems(settings, { jobImage: "jobImage", dindImage: "dindImage" });
  settings.tags.forEach((tag, i) => {
    if (tag.trim() === "") problems.push(`tags[${i}]: expected a non-empty tag; given ${JSON.stringify(tag)}`);
  });
  if (problems.length > 0) throw new RunnerConfigError(EXAMPLE_PIPELINE_FILE, problems);

  const dindJob = (variables: Record<string, unknown> = {}): Record<string, unknown> => {
    const certDir = new Scalar("/certs");
    certDir.type = Scalar.QUOTE_DOUBLE;
    const job: Record<string, unknown> = {
      image: settings.jobImage,
      services: [
        derivedServiceAliases(settings.dindImage).includes(DIND_SERVICE_ALIAS)
          ? { name: settings.dindImage }
          : { name: settings.dindImage, alias: DIND_SERVICE_ALIAS },
      ],
      variables: { DOCKER_TLS_CERTDIR: certDir, ...variables },
    };
    if (settings.tags.length > 0) job.tags = [...settings.tags];
    return job;
  };

  const dind = dindJob();
  dind.script = [
    "docker version",
    // Which registry mirrors the job's daemon pulls through (the stack's pull-through cache).
    `docker info --format '${MIRRORS_LINE} {{join .RegistryConfig.Mirrors ", "}}'`,
    `docker run -d --name alpine-1 ${EXAMPLE_INNER_IMAGE} sleep 600`,
    `docker run -d --name alpine-2 ${EXAMPLE_INNER_IMAGE} sleep 600`,
    "docker container ls",
  ];
  const jobs: Record<string, unknown> = { [EXAMPLE_JOB_NAME]: dind };
  const stages = ["test"];
  const header = [HEADER];

  if (settings.registry) {
    const image = `$${PUSHED_IMAGE_VARIABLE}`;
    const pushedImage = { [PUSHED_IMAGE_VARIABLE]: `$CI_REGISTRY_IMAGE/${PUSHED_IMAGE_NAME}:$CI_PIPELINE_ID` };
    // The job token's credentials, on stdin: never on a command line the log echoes.
    const login =
      'echo "$CI_REGISTRY_PASSWORD" | docker login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"';
    const push: Record<string, unknown> = { stage: "push", ...dindJob(pushedImage) };
    push.script = [
      login,
      // A Dockerfile on stdin and no build context: nothing of the repository is sent to the daemon.
      `printf 'FROM %s\\nCMD ["echo", "%s %s"]\\n' ${EXAMPLE_INNER_IMAGE} "${PUSHED_IMAGE_GREETING}" "$CI_PIPELINE_ID" | docker build --tag "${image}" -`,
      `docker push "${image}"`,
    ];
    const pull: Record<string, unknown> = { stage: "pull", ...dindJob(pushedImage) };
    pull.script = [login, `docker pull "${image}"`, `docker run --rm "${image}"`];
    jobs[REGISTRY_PUSH_JOB] = push;
    jobs[REGISTRY_PULL_JOB] = pull;
    stages.push("push", "pull");
    header.push(REGISTRY_HEADER);
  }

  if (settings.cache === true) {
    // Plain jobs on the job image: the cache needs no DinD service. A key of this pipeline, so that
    // the hit can only be this pipeline's own upload (and so always a fresh key, never an old one).
    const cacheOf = (policy: "push" | "pull") => ({ key: "smoke-$CI_PIPELINE_ID", paths: [CACHED_PATH], policy });
    const plainJob = (): Record<string, unknown> => ({
      image: settings.jobImage,
      ...(settings.tags.length > 0 ? { tags: [...settings.tags] } : {}),
    });
    jobs[CACHE_WRITE_JOB] = {
      stage: CACHE_WRITE_STAGE,
      ...plainJob(),
      cache: cacheOf("push"),
      script: [`mkdir -p ${CACHED_PATH}`, `echo "$CI_PIPELINE_ID" > ${CACHED_PATH}pipeline-id`],
    };
    jobs[CACHE_READ_JOB] = {
      stage: CACHE_READ_STAGE,
      ...plainJob(),
      cache: cacheOf("pull"),
      script: [
        // A miss fails the job, with why: the runner restores the cache before the script runs.
        `test -f ${CACHED_PATH}pipeline-id || { echo "cache miss: ${CACHED_PATH}pipeline-id was not restored"; exit 1; }`,
        `echo "${CACHE_HIT_LINE} $(cat ${CACHED_PATH}pipeline-id)"`,
      ],
    };
    header.push(CACHE_HEADER);
  }

  // Without the extra stages, the DinD job alone in the default stages (as before).
  const doc = new Document(stages.length > 1 ? { stages, ...jobs } : jobs);
  doc.commentBefore = header.join("\n");
  return doc.toString({ lineWidth: 0 });
}
