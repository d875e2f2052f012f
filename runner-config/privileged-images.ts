/**
 * Which images may run privileged: the `allowed_privileged_images` and `allowed_privileged_services`
 * lists of `[runners.docker]`.
 *
 * What GitLab documents, and what this module relies on:
 * - "Advanced configuration" (https://docs.gitlab.com/runner/configuration/advanced-configuration/,
 *   section "The [runners.docker] section"): `allowed_privileged_images` is a "Wildcard subset of
 *   `allowed_images` that runs in privileged mode when `privileged` is enabled. If not present, all
 *   images are allowed (equivalent to ["*\/*:*"])"; `allowed_privileged_services` is the same for
 *   services, "when `privileged` or `services_privileged` is enabled". An empty list therefore makes
 *   every image privileged: the lists must never be empty here.
 * - "Docker executor" (https://docs.gitlab.com/runner/executors/docker/, "Restrict Docker images and
 *   services"): the wildcards are doublestar patterns (github.com/bmatcuk/doublestar).
 * - The same page, "Use rootless Docker-in-Docker with restricted privileged mode", lists
 *   `["docker.io/library/docker:*-dind-rootless", "docker.io/library/docker:dind-rootless",
 *   "docker:*-dind-rootless", "docker:dind-rootless"]`: the pattern is matched against the image name
 *   as the job writes it (short and long Docker Hub forms are listed separately, tag included).
 * - gitlab-runner's executors/docker (`isInAllowedPrivilegedImages`) calls `doublestar.Match(pattern,
 *   image.Name)` on the name from `.gitlab-ci.yml` (or `[runners.docker] image`), so `*` matches any run
 *   of characters except `/`, and the whole name must match.
 *
 * The patterns emitted here use `*` only; `matchesImagePattern` implements exactly that subset of
 * doublestar, and `unsupportedPatternReason` refuses any pattern outside it, so the tests' verdicts
 * are the runner's verdicts.
 */
import { equivalentNames, parseImageRef } from "./image-ref";

/** A leading version (`29`, `29.7`, `29.7.2`) and the `-` after it, stripped to find a tag's variant. */
const VERSION_PREFIX = /^\d+(?:\.\d+)*-/;

/**
 * The variant part of a tag: `29.7.2-dind` → `dind`, `dind-rootless` → `dind-rootless`,
 * `29.7.2` → `` (no variant).
 */
export function tagVariant(tag: string): string {
  if (/^\d+(?:\.\d+)*$/.test(tag)) return "";
  return tag.replace(VERSION_PREFIX, "");
}

/**
 * The allow-list that admits the DinD image's repository in the DinD variant only, in the shape of
 * GitLab's documented example: for `docker:29.7.2-dind` it is `docker:*-dind` and `docker:dind` in each
 * spelling of the repository (`docker`, `library/docker`, `docker.io/library/docker`).
 * Any version of that variant runs privileged (a pipeline pinning another DinD version still works);
 * other tags of the repository (`docker:29.7.2-cli`) and every other image run unprivileged.
 * A tag without a variant (`registry.example.com/dind:1.0`) admits every tag of that repository.
 * A digest-pinned reference is admitted as written as well, since the patterns end at the tag.
 */
export function privilegedImagePatterns(dindImage: string): readonly string[] {
  const ref = parseImageRef(dindImage);
  if (ref === undefined || ref.tag === undefined) {
    throw new Error(`privilegedImagePatterns: ${JSON.stringify(dindImage)} is not an image reference with a tag`);
  }
  const variant = tagVariant(ref.tag);
  const patterns: string[] = [];
  for (const name of equivalentNames(ref.name)) {
    if (variant === "") patterns.push(`${name}:*`);
    else patterns.push(`${name}:*-${variant}`, `${name}:${variant}`);
  }
  if (ref.digest !== undefined) patterns.push(dindImage);
  const unsupported = patterns.map(unsupportedPatternReason).find((r) => r !== undefined);
  if (unsupported !== undefined) throw new Error(`privilegedImagePatterns: ${dindImage}: ${unsupported}`);
  return [...new Set(patterns)];
}

/**
 * Why a pattern is outside the doublestar subset this project emits and checks, or undefined when it is
 * inside: characters that are not image-name characters, `**`, `?`, classes, braces, escapes, a leading `!`.
 */
export function unsupportedPatternReason(pattern: string): string | undefined {
  if (pattern === "") return "an empty pattern";
  if (pattern.includes("**")) return "`**` is not used here (it crosses `/`)";
  if (!/^[A-Za-z0-9._\-/:@*]+$/.test(pattern)) {
    return "only image-name characters and `*` (doublestar's other syntax is not used here)";
  }
  return undefined;
}

/**
 * doublestar.Match for the supported subset: `*` matches any run of characters other than `/`;
 * everything else matches itself; the whole image name must match.
 */
export function matchesImagePattern(pattern: string, image: string): boolean {
  const reason = unsupportedPatternReason(pattern);
  if (reason !== undefined) throw new Error(`matchesImagePattern: ${JSON.stringify(pattern)}: ${reason}`);
  const body = pattern
    .split("*")
    .map((part) => part.replace(/[.\-/:@]/g, (c) => `\\${c}`))
    .join("[^/]*");
  return new RegExp(`^${body}$`).test(image);
}

/** Whether any pattern of the list admits the image (an empty list admits nothing here, unlike the runner). */
export function admitsImage(patterns: readonly string[], image: string): boolean {
  return patterns.some((p) => matchesImagePattern(p, image));
}
