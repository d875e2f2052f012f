/**
 * The job image and the DinD service image must be a pair: the Docker CLI in the job talks to the
 * daemon in the service, and the docker library publishes them as `docker:<version>-cli` and
 * `docker:<version>-dind`.
 *
 * The rule, decided here:
 * - When the DinD image is the Docker Official Image `docker`, its tag must be a DinD variant
 *   (`<version>-dind`, `<version>-dind-rootless`, `dind`, `dind-rootless`). A bare `docker:<version>` is
 *   the same daemon, but it would make the privileged allow-list admit `docker:*`, the CLI job images too.
 * - When both images are the `docker` Official Image, the job image must be `docker:<same version>-cli`:
 *   a mismatch is refused, with the matching tag in the message.
 * - When either image is from another repository (a team's own CLI or daemon image), nothing is
 *   checked: the pairing is theirs, and nothing here can know it.
 */
import { isDockerLibraryImage, parseImageRef } from "./image-ref";

const DIND_TAG = /^(?:(\d+(?:\.\d+)*)-)?dind(?:-rootless)?$/;
const CLI_TAG = /^(\d+(?:\.\d+)*)-cli$/;

/** The keys the images come from, for the messages. */
export interface ImageKeys {
  readonly jobImage: string;
  readonly dindImage: string;
}

const DEFAULT_KEYS: ImageKeys = { jobImage: "gitlab-dind:runner.jobImage", dindImage: "gitlab-dind:runner.dindImage" };

/** Every problem with the pair, each naming its key, what was expected and what was given; [] when fine. */
export function imagePairProblems(
  images: { readonly jobImage: string; readonly dindImage: string },
  keys: ImageKeys = DEFAULT_KEYS,
): string[] {
  const problems: string[] = [];
  const job = parseImageRef(images.jobImage);
  const dind = parseImageRef(images.dindImage);
  if (job === undefined || job.tag === undefined) {
    problems.push(
      `${keys.jobImage}: expected an image with a tag, such as docker:29.7.2-cli; given ${JSON.stringify(images.jobImage)}`,
    );
  }
  if (dind === undefined || dind.tag === undefined) {
    problems.push(
      `${keys.dindImage}: expected an image with a tag, such as docker:29.7.2-dind; given ${JSON.stringify(images.dindImage)}`,
    );
  }
  if (problems.length > 0 || job?.tag === undefined || dind?.tag === undefined) return problems;
  if (!isDockerLibraryImage(dind)) return problems;

  const dindMatch = DIND_TAG.exec(dind.tag);
  if (dindMatch === null) {
    problems.push(
      `${keys.dindImage}: expected a DinD tag of the docker image (<version>-dind or <version>-dind-rootless), ` +
        `so that only the daemon runs privileged; given ${JSON.stringify(images.dindImage)}`,
    );
    return problems;
  }
  if (!isDockerLibraryImage(job)) return problems;

  const dindVersion = dindMatch[1];
  const cliMatch = CLI_TAG.exec(job.tag);
  const wanted = dindVersion === undefined ? "docker:<version>-cli" : `${job.name}:${dindVersion}-cli`;
  if (cliMatch === null || (dindVersion !== undefined && cliMatch[1] !== dindVersion)) {
    problems.push(
      `${keys.jobImage}: expected the CLI image matching ${keys.dindImage} (${images.dindImage}), ${wanted}; ` +
        `given ${JSON.stringify(images.jobImage)}`,
    );
  }
  return problems;
}

/**
 * The job image that pairs with a DinD image of the `docker` Official Image (`docker:28.5.1-dind`,
 * `docker:28.5.1-dind-rootless` → `docker:28.5.1-cli`, in the repository as written); undefined when
 * the DinD image is another repository's or names no version (`docker:dind`).
 */
export function cliImageFor(dindImage: string): string | undefined {
  const dind = parseImageRef(dindImage);
  if (dind?.tag === undefined || !isDockerLibraryImage(dind)) return undefined;
  const version = DIND_TAG.exec(dind.tag)?.[1];
  return version === undefined ? undefined : `${dind.name}:${version}-cli`;
}
