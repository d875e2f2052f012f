/**
 * Image references as they are written in `.gitlab-ci.yml` and `config.toml`
 * (`docker:29.7.2-dind`, `registry.example.com:5000/team/dind:1.0@sha256:…`).
 *
 * GitLab Runner matches its allow-lists against the name exactly as written, without normalising it
 * (see privileged-images.ts), so this module keeps the written form and only adds the Docker Hub
 * long form next to it where one exists.
 */

/** An image reference split into its parts; `name` is everything before the tag. */
export interface ImageRef {
  /** The reference as written. */
  readonly written: string;
  /** Registry and repository path as written, e.g. `docker` or `registry.example.com:5000/team/dind`. */
  readonly name: string;
  /** The tag, or undefined when the reference has none. */
  readonly tag: string | undefined;
  /** `sha256:…` when the reference is pinned by digest, else undefined. */
  readonly digest: string | undefined;
}

/** Splits an image reference; undefined when it is empty or has whitespace. */
export function parseImageRef(written: string): ImageRef | undefined {
  if (written === "" || /\s/.test(written)) return undefined;
  const at = written.indexOf("@");
  const beforeDigest = at === -1 ? written : written.slice(0, at);
  const digest = at === -1 ? undefined : written.slice(at + 1);
  const lastSlash = beforeDigest.lastIndexOf("/");
  const colon = beforeDigest.indexOf(":", lastSlash + 1);
  const name = colon === -1 ? beforeDigest : beforeDigest.slice(0, colon);
  const tag = colon === -1 ? undefined : beforeDigest.slice(colon + 1);
  if (name === "" || tag === "" || digest === "") return undefined;
  return { written, name, tag, digest };
}

/** Names under which Docker Hub serves the same repository. */
const DOCKER_HUB_HOSTS = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/**
 * The Docker Hub repository a name denotes (`docker` → `library/docker`), or undefined when the
 * name is in another registry. A first path component with a `.` or `:`, or `localhost`, is a registry host.
 */
export function dockerHubRepository(name: string): string | undefined {
  const parts = name.split("/");
  const first = parts[0];
  const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasRegistry && !DOCKER_HUB_HOSTS.includes(first)) return undefined;
  const path = hasRegistry ? parts.slice(1) : parts;
  return path.length === 1 ? `library/${path[0]}` : path.join("/");
}

/**
 * The written name and the other ways a job can write the same Docker Hub repository, without duplicates:
 * `docker` → [`docker`, `library/docker`, `docker.io/library/docker`]; `user/repo` → [`user/repo`,
 * `docker.io/user/repo`]; a name in another registry → [that name]. GitLab documents the short and the
 * `docker.io/library/` forms side by side in its own privileged allow-list example; `library/docker`
 * is the third spelling Docker accepts.
 */
export function equivalentNames(name: string): readonly string[] {
  const hub = dockerHubRepository(name);
  if (hub === undefined) return [name];
  if (!hub.startsWith("library/")) return [...new Set([name, hub, `docker.io/${hub}`])];
  const short = hub.slice("library/".length);
  return [...new Set([name, short, hub, `docker.io/${hub}`])];
}

/** Whether the reference is the Docker Official Image `docker` (Docker Hub's `library/docker`). */
export function isDockerLibraryImage(ref: ImageRef): boolean {
  return dockerHubRepository(ref.name) === "library/docker";
}
