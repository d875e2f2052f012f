/**
 * `Mailpit`: a pinned Mailpit container on the local stack's Docker daemon that catches every mail
 * GitLab sends, so that a developer reads them without any mail account.
 *
 *   GitLab ──smtp://host.docker.internal:1025──▶ Mailpit ◀──http://127.0.0.1:8025── the developer
 *
 * - Its web page and API (container port 8025) on this machine's loopback only.
 * - Its SMTP port (1025) on the Docker bridge's gateway address only, which GitLab's container
 *   reaches as `host.docker.internal` (mapped to `host-gateway`, as the runner reaches GitLab):
 *   never on the machine's other addresses. No authentication and no TLS: the mail never leaves
 *   this machine, and Mailpit delivers nothing onwards (it only keeps what it receives).
 * - Mailpit keeps messages in a temporary database inside the container: gone when it is replaced.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { HOST_GATEWAY_NAME, HOST_GENERATION_LABEL, type DockerHost } from "../host/docker-host";
import type { Naming } from "../naming";

/**
 * Mailpit v1.30.5: the newest release tag in axllent/mailpit's repository as read (tagged
 * 2026-07-20); its Dockerfile exposes 1025 (SMTP), 1110 (POP3) and 8025 (web UI and API).
 */
export const MAILPIT_IMAGE = "axllent/mailpit:v1.30.5";
/** Mailpit's own ports in its container (its defaults, `MP_SMTP_BIND_ADDR` and `MP_UI_BIND_ADDR`). */
export const MAILPIT_SMTP_PORT = 1025;
export const MAILPIT_UI_PORT = 8025;
/** The host ports they are published on (the same numbers). */
export const MAILPIT_HOST_SMTP_PORT = 1025;
export const MAILPIT_HOST_UI_PORT = 8025;
/** Where GitLab's container reaches Mailpit's SMTP: the Docker host's gateway. */
export const MAILPIT_SMTP_HOST = HOST_GATEWAY_NAME;

export interface MailpitArgs {
  /** The local Docker host (its provider). */
  readonly host: DockerHost;
  /** Physical names: the container is `<team>-mailpit`. */
  readonly names: Naming;
  /** The image. Default `MAILPIT_IMAGE`. */
  readonly image?: string;
}

export class Mailpit extends pulumi.ComponentResource {
  /** Mailpit's web page and API on this machine: `http://127.0.0.1:8025`. */
  declare readonly url: pulumi.Output<string>;
  readonly container: docker.Container;

  constructor(name: string, args: MailpitArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:Mailpit", name, {}, opts);
    const { host, names } = args;
    const dockerOpts = { parent: this, provider: host.provider, dependsOn: [...host.ready] };

    // The address `host-gateway` resolves to in GitLab's container (the default bridge's gateway),
    // read from the daemon rather than assumed to be 172.17.0.1 (as the pull-through cache does).
    const bridge = docker.getNetworkOutput({ name: "bridge" }, dockerOpts);
    const bridgeGateway = bridge.ipamConfigs.apply((configs) => {
      const gateway = configs.map((c) => c.gateway).find((g) => g !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(g));
      if (gateway === undefined) {
        throw new Error(
          "the Docker daemon's bridge network has no IPv4 gateway address to publish Mailpit's SMTP port on (gitlab-dind:email.enabled false turns email off)",
        );
      }
      return gateway;
    });

    const image = new docker.RemoteImage(
      `${name}-image`,
      { name: args.image ?? MAILPIT_IMAGE, keepLocally: true, triggers: { hostGeneration: host.generation } },
      dockerOpts,
    );
    this.container = new docker.Container(
      name,
      {
        name: names.name("mailpit"),
        image: image.imageId,
        restart: "always",
        ports: bridgeGateway.apply((gateway) => [
          { internal: MAILPIT_UI_PORT, external: MAILPIT_HOST_UI_PORT, ip: "127.0.0.1" },
          { internal: MAILPIT_SMTP_PORT, external: MAILPIT_HOST_SMTP_PORT, ip: gateway },
        ]),
        labels: [
          { label: "managed-by", value: names.commonTags.ManagedBy },
          { label: HOST_GENERATION_LABEL, value: host.generation },
        ],
        logDriver: "json-file",
        logOpts: { "max-size": "10m", "max-file": "3" },
      },
      // Fixed name and host ports: the old container goes before its replacement. deletedWith:
      // none locally (the local daemon outlives the stack); kept for the host's contract.
      { ...dockerOpts, deleteBeforeReplace: true, deletedWith: host.machine },
    );
    this.url = pulumi.output(`http://127.0.0.1:${MAILPIT_HOST_UI_PORT}`);
    this.registerOutputs({ url: this.url });
  }
}
