/** The Docker Hub pull-through cache jobs' DinD daemons use as their registry mirror. */
export { DockerHubMirror, DOCKER_HUB_REGISTRY, PROXY_TTL, REGISTRY_STORAGE_PATH } from "./docker-hub-mirror";
export type { DockerHubMirrorArgs } from "./docker-hub-mirror";
export {
  DAEMON_JSON_PATH,
  dindDaemonJson,
  hostDaemonJson,
  mirrorDaemonJson,
  mirrorDaemonSettings,
} from "./daemon-json";
