/**
 * The host names GitLab Runner gives a CI service on its own, from the service's image name.
 *
 * gitlab-runner v19.3.0, helpers/container/services/services.go `SplitNameAndVersion`: the tag or
 * digest is dropped, then a registry port (`:5000` before the first `/`), and what is left is the
 * service name; its aliases are that name with `/` replaced by `__`, and, when different, with `/`
 * replaced by `-` (upstream's table, helpers/container/services/test/test.go:
 * `namespace/service:version` → `namespace__service`, `namespace-service`;
 * `domain.tld:8080/service` → `domain.tld__service`, `domain.tld-service`). So `docker:29.7.2-dind` is
 * reachable as `docker` without an `alias`; an explicit `alias: docker` on it makes the runner log
 * `WARNING: Skipping alias "docker" for service "docker:29.7.2-dind" (services[0]): alias is already in
 * use by another service.` (executors/docker/services.go `createFromServiceDefinition`) in every job.
 */
import { parseImageRef } from "./image-ref";

/** A path component of an image name (distribution/reference grammar): lowercase, `.`, `_`, `__`, `-` inside. */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A registry host, optionally with a port. */
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;
/** What the runner strips from the name: a port between the registry host and the first `/`. */
const NO_PORT = /^(.*?)(|:[0-9]+)(|\/.*)$/;

/**
 * The aliases the runner derives for a service image, in its order; [] when the reference is not a
 * valid image name (the runner derives none then).
 */
export function derivedServiceAliases(image: string): readonly string[] {
  const ref = parseImageRef(image);
  if (ref === undefined) return [];
  const parts = ref.name.split("/");
  const [first, ...rest] = parts;
  const firstOk = PATH_COMPONENT.test(first) || (rest.length > 0 && DOMAIN.test(first));
  if (!firstOk || !rest.every((p) => PATH_COMPONENT.test(p))) return [];
  const m = NO_PORT.exec(ref.name);
  const service = m === null ? ref.name : `${m[1]}${m[3]}`;
  const primary = service.replaceAll("/", "__");
  const alternative = service.replaceAll("/", "-");
  return primary === alternative ? [primary] : [primary, alternative];
}
