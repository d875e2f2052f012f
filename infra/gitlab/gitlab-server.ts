/**
 * `GitLabServer`: GitLab CE in a container on the stack's Docker host, its storage,
 * its settings (gitlab.rb), the admin API token bootstrap, and the wait until it works.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { GitLabConfig, Target } from "../config/types";
import {
  gitlabDatabaseOf,
  gitlabHostGatewayNamesOf,
  gitlabRbOutputOf,
  gitlabSecretFilesOf,
  gitlabStartAfterOf,
  type Contribution,
} from "../contributions";
import { HOST_GATEWAY, HOST_GENERATION_LABEL, type DockerHost } from "../host/docker-host";
import type { Naming } from "../naming";
import {
  ADMIN_TOKEN_LENGTH,
  ADMIN_TOKEN_PATH,
  BOOTSTRAP_DIR,
  BOOTSTRAP_SCRIPT_PATH,
  ROOT_PASSWORD_PATH,
  POST_RECONFIGURE_COMMAND,
  POST_RECONFIGURE_PATH,
  renderBootstrapScript,
  renderPostReconfigureScript,
} from "./bootstrap-token";
import {
  gitLabSettings,
  registryDatabaseInUse,
  renderGitLabRb,
  type GitLabDatabase,
  type GitLabRbSetting,
  type GitLabRbTls,
  type RegistryDatabaseBackupFiles,
} from "./gitlab-rb";
import { DEFAULT_READY_TIMEOUT_SECONDS, GitLabReadiness } from "./readiness";
import { containerAccess, containerHostname, defaultExternalUrl, monitoringAllowlist, registryUrl } from "./urls";
import { gitLabImageVersion } from "./versions";

/** GitLab's certificate from the stack CA, in the container (not under a mounted path: Pulumi owns it). */
export const TLS_CERTIFICATE_PATH = "/opt/gitlab-dind/tls/gitlab.crt";
/** Its private key, root-only (NGINX's master process reads it as root). */
export const TLS_KEY_PATH = "/opt/gitlab-dind/tls/gitlab.key";

/**
 * The registry metadata database's backup credentials (gitlab.rb reads them, root-only; not under a
 * mounted path: Pulumi owns them). Letters and digits only: omnibus writes them unquoted into the
 * env files `gitlab-backup` sources with bash (gitlab/templates/default/registry-env-db_user.erb).
 */
export const REGISTRY_DATABASE_BACKUP_FILES: RegistryDatabaseBackupFiles = {
  backupPasswordFile: `${BOOTSTRAP_DIR}/registry-backup-password`,
  restorePasswordFile: `${BOOTSTRAP_DIR}/registry-restore-password`,
};

/**
 * A label for policy packs: `"true"` when the stack serves plain HTTP because it asked to (an
 * explicit http:// `gitlab.externalUrl` or `gitlab.tls: off`) or runs on the local target, else `"false"`.
 */
export const PLAIN_HTTP_LABEL = "gitlab-dind.plain-http-requested";

/** The stack CA's certificates GitLab serves (gitlab.tls `selfSigned`; see infra/tls). */
export interface GitLabCertificate {
  /** The stack CA's certificate (PEM): what Pulumi, the runner, browsers and git trust. */
  readonly caCertPem: pulumi.Input<string>;
  /** GitLab's server certificate (PEM). */
  readonly certPem: pulumi.Input<string>;
  /** Its private key (PEM); a secret. */
  readonly keyPem: pulumi.Input<string>;
}

export interface GitLabServerArgs {
  /** Physical names (`<team>-gitlab`, …). */
  readonly names: Naming;
  /** `aws` (bind mounts under the host's data path) or `local`. 443 is published when `gitlab.tlsMode` is not `off`. */
  readonly target: Target;
  /** The `gitlab.*` settings of the stack, defaults applied. */
  readonly gitlab: GitLabConfig;
  /** The Docker endpoint, its readiness, the data path and the public address. */
  readonly host: DockerHost;
  /**
   * Keep the named Docker volumes on `pulumi destroy` (`host.keepDataOnDestroy`; only used when
   * the host has no data path: on AWS the data lives on the EBS volume, which the host keeps).
   */
  readonly keepDataOnDestroy: boolean;
  /**
   * Where `pulumi up` runs from on AWS (`network.adminCidrs`): let into GitLab's monitoring
   * endpoints so the readiness wait can use them. Ignored locally. Default none.
   */
  readonly operatorCidrs?: readonly string[];
  /** Bound on the readiness wait, in seconds. Default 900. */
  readonly readyTimeoutSeconds?: number;
  /** The certificate GitLab serves when `gitlab.tlsMode` is `selfSigned` (required then, unused otherwise). */
  readonly certificate?: GitLabCertificate;
  /**
   * What must exist before the container first starts. Default none. With Let's Encrypt: the wait
   * until the external URL's name resolves to the host (a failed ACME challenge stops the container).
   */
  readonly startAfter?: readonly pulumi.Resource[];
  /**
   * The upgrade guard (infra/upgrade-guard) of `gitlab.image`: the image pull and the container
   * wait for it, so a refused version change leaves GitLab untouched. Default none.
   */
  readonly upgradeGuard?: pulumi.Resource;
  /**
   * Where GitLab's PostgreSQL runs. Default: `external` when a contribution brings the database
   * (`Contribution.externalDatabase`, RDS), else `bundled` (the image's own). An external one turns
   * off what only the bundled database has, such as the registry database's backup roles.
   */
  readonly database?: GitLabDatabase;
  /**
   * What other capabilities add to GitLab (infra/contributions.ts): gitlab.rb settings appended
   * after the program's own, root-only files in the container, what the container starts after.
   * Default none.
   */
  readonly contributions?: readonly Contribution[];
}

/**
 * Where one of GitLab's directories lives on a host with a data path (AWS: the EBS volume at /srv):
 * `config` is mounted at /etc/gitlab, `logs` at /var/log/gitlab, `data` at /var/opt/gitlab.
 * Other capabilities write files GitLab reads there (the RDS CA bundle, infra/database).
 */
export function gitlabHostPath(dataPath: string, what: "config" | "logs" | "data"): string {
  return `${dataPath.replace(/\/+$/, "")}/gitlab/${what}`;
}

export class GitLabServer extends pulumi.ComponentResource {
  /** What users open: `gitlab.externalUrl`, or derived from the host. */
  declare readonly externalUrl: pulumi.Output<string>;
  /** What Pulumi's own process calls the API at: the external URL on AWS, `http://localhost:<httpPort>` locally. */
  declare readonly apiUrl: pulumi.Output<string>;
  /**
   * What containers on the host (the runner, its job and helper containers, each job on a
   * network of its own) reach GitLab at, through the host's gateway: `http://host.docker.internal:<httpPort>`,
   * or the external URL when it is https (see urls.ts `containerAccess`).
   */
  declare readonly containerUrl: pulumi.Output<string>;
  /** The host name in `containerUrl`; containers map it to the Docker host's gateway. */
  declare readonly containerHostName: pulumi.Output<string>;
  /** root's personal access token (api, admin_mode), created by the bootstrap; a secret. */
  declare readonly adminToken: pulumi.Output<string>;
  /** root's password (only applied on GitLab's first boot); a secret. */
  declare readonly rootPassword: pulumi.Output<string>;
  /** Exists once GitLab is healthy, ready and accepts the admin token: depend on it. */
  declare readonly ready: GitLabReadiness;
  declare readonly container: docker.Container;
  /** The rendered gitlab.rb, as GITLAB_OMNIBUS_CONFIG gets it. It holds no secret (the password is read from a file). */
  declare readonly gitlabRb: pulumi.Output<string>;
  /** The host name in clone URLs (the external URL's). */
  declare readonly sshHost: pulumi.Output<string>;
  /** The stack CA's certificate when GitLab serves one of its certificates (selfSigned); else undefined. */
  readonly caCertPem: pulumi.Output<string> | undefined;
  /**
   * Whether the registry keeps its metadata in GitLab's PostgreSQL, so backups include that
   * database with the generated backup and restore roles' passwords (see gitlab-rb.ts `registryDatabaseInUse`).
   */
  readonly registryDatabaseBackup: boolean;

  constructor(name: string, args: GitLabServerArgs, opts?: pulumi.ComponentResourceOptions) {
    // Refused before anything is registered.
    if (args.gitlab.tlsMode === "selfSigned" && args.certificate === undefined) {
      throw new Error("GitLabServer: gitlab.tls selfSigned needs the stack CA's certificate (args.certificate)");
    }
    // gitlab.rb is written for this version; the config validation refused unsupported ones already.
    const version = gitLabImageVersion(args.gitlab.image);
    super("gitlab-dind:index:GitLabServer", name, {}, opts);
    const { names, gitlab, host, target } = args;
    const tlsMode = gitlab.tlsMode;
    const certificate = args.certificate;
    // dependsOn the upgrade guard: its check must pass before the image or the container changes.
    const dockerOpts = {
      parent: this,
      provider: host.provider,
      dependsOn: [...host.ready, ...(args.upgradeGuard === undefined ? [] : [args.upgradeGuard])],
    };
    const containerName = names.name("gitlab");

    const externalUrl =
      gitlab.externalUrl !== undefined
        ? pulumi.output(gitlab.externalUrl)
        : defaultExternalUrl(target, host.publicAddress, gitlab.httpPort, tlsMode);
    const apiUrl = target === "local" ? pulumi.output(`http://localhost:${gitlab.httpPort}`) : externalUrl;

    const rootPassword =
      gitlab.rootPassword !== undefined
        ? pulumi.secret(gitlab.rootPassword.reveal())
        : // random marks `result` secret in the engine; wrapping says so in the program too (and under mocks).
          pulumi.secret(
            new random.RandomPassword(
              `${name}-root-password`,
              { length: 32, special: false, minLower: 1, minUpper: 1, minNumeric: 1 },
              { parent: this },
            ).result,
          );
    // GitLab takes a predetermined token of exactly 20 characters; letters and digits only.
    const adminTokenResource = new random.RandomPassword(
      `${name}-admin-token`,
      { length: ADMIN_TOKEN_LENGTH, special: false, minLower: 1, minUpper: 1, minNumeric: 1 },
      { parent: this },
    );
    const adminToken = pulumi.secret(adminTokenResource.result);

    // The registry database's backup and restore roles: reconfigure creates them with these passwords
    // (omnibus registry/resources/database_objects.rb), gitlab-backup uses them. Only where that
    // database is in use: with the roles on and no such database, gitlab-backup would dump one the registry does not use.
    const registryDatabaseBackup = registryDatabaseInUse({
      version,
      registryEnabled: gitlab.registryPort !== 0,
      database: args.database ?? gitlabDatabaseOf(args.contributions ?? []),
    });
    const registryRolePassword = (role: string): pulumi.Output<string> =>
      // random marks `result` secret in the engine; wrapping says so in the program too (and under mocks).
      pulumi.secret(
        new random.RandomPassword(
          `${name}-registry-${role}-password`,
          // Letters and digits: omnibus writes it unquoted into a file bash sources.
          { length: 32, special: false, minLower: 1, minUpper: 1, minNumeric: 1 },
          { parent: this },
        ).result,
      );
    const registryBackupPasswords = registryDatabaseBackup
      ? { backup: registryRolePassword("backup"), restore: registryRolePassword("restore") }
      : undefined;

    const rbTls: GitLabRbTls =
      tlsMode === "selfSigned"
        ? { mode: "selfSigned", certificateFile: TLS_CERTIFICATE_PATH, keyFile: TLS_KEY_PATH }
        : tlsMode === "letsencrypt"
          ? {
              mode: "letsencrypt",
              ...(gitlab.letsencryptEmail === undefined ? {} : { contactEmails: [gitlab.letsencryptEmail] }),
            }
          : { mode: "off" };
    const contributions = args.contributions ?? [];
    const contributedRb = gitlabRbOutputOf(contributions);
    const contributedFiles = gitlabSecretFilesOf(contributions);
    const gatewayNames = gitlabHostGatewayNamesOf(contributions);
    // `contributedRb` through `unknown`: the settings' recursive value type is too deep for Output's unwrapping types.
    const gitlabRb = pulumi.all([externalUrl, contributedRb as pulumi.Output<unknown>]).apply(([url, late]) => {
      const contributed = late as GitLabRbSetting[];
      return renderGitLabRb([
        ...gitLabSettings({
          version,
          externalUrl: url,
          sshPort: gitlab.sshPort,
          registryUrl: registryUrl(url, gitlab.registryPort),
          rootPasswordFile: ROOT_PASSWORD_PATH,
          monitoringAllowlist: monitoringAllowlist(target, args.operatorCidrs ?? []),
          tls: rbTls,
          ...(registryDatabaseBackup ? { registryDatabaseBackup: REGISTRY_DATABASE_BACKUP_FILES } : {}),
        }),
        ...contributed,
      ]);
    });

    const image = new docker.RemoteImage(
      `${name}-image`,
      // triggers: a rebuilt host has no image yet; pull it there again.
      { name: gitlab.image, keepLocally: true, triggers: { hostGeneration: host.generation } },
      // keepLocally: removing a multi-GB image on destroy is slow and saves nothing worth it.
      dockerOpts,
    );

    const volumes = this.storage(name, names, host, args.keepDataOnDestroy, dockerOpts);

    const ports: docker.types.input.ContainerPort[] = [];
    // On AWS the security group decides who gets in. Locally SSH and the registry answer on this
    // machine only; HTTP is published on every address, as Docker does by default, because the
    // runner and its jobs reach it through the Docker host's gateway address, not through loopback.
    const bindIp = target === "local" ? "127.0.0.1" : undefined;
    // 80 serves plain HTTP, or with TLS only redirects to https (and answers Let's Encrypt's challenge).
    ports.push({ internal: 80, external: gitlab.httpPort });
    // 443 only when GitLab serves TLS: nothing listens there otherwise.
    if (tlsMode !== "off") ports.push({ internal: 443, external: 443 });
    ports.push({ internal: 22, external: gitlab.sshPort, ip: bindIp });
    // The registry's NGINX listens on the port of registry_external_url, which is this one.
    if (gitlab.registryPort !== 0)
      ports.push({ internal: gitlab.registryPort, external: gitlab.registryPort, ip: bindIp });

    const container = new docker.Container(
      name,
      {
        name: containerName,
        image: image.imageId,
        hostname: externalUrl.apply((url) => containerHostname(url, containerName)),
        restart: "always",
        // MiB: the provider's shmSize is in megabytes.
        shmSize: gitlab.shmSizeMiB,
        ports,
        volumes,
        // Names of services other capabilities publish on the bridge gateway (the local Mailpit's
        // SMTP), resolved by the daemon; none unless a capability asks, so no stack's container changes.
        ...(gatewayNames.length === 0 ? {} : { hosts: gatewayNames.map((h) => ({ host: h, ip: HOST_GATEWAY })) }),
        // A rebuilt host (a new EC2 instance) has an empty daemon: the new generation re-creates the container there.
        labels: [
          { label: HOST_GENERATION_LABEL, value: host.generation },
          // Plain HTTP is only ever what the stack asked for (or local): tlsMode is "off" exactly then.
          { label: PLAIN_HTTP_LABEL, value: tlsMode === "off" ? "true" : "false" },
        ],
        envs: [
          pulumi.interpolate`GITLAB_OMNIBUS_CONFIG=${gitlabRb}`,
          `GITLAB_POST_RECONFIGURE_SCRIPT=${POST_RECONFIGURE_COMMAND}`,
        ],
        uploads: [
          { file: POST_RECONFIGURE_PATH, content: renderPostReconfigureScript(), permissions: "0755" },
          {
            file: BOOTSTRAP_SCRIPT_PATH,
            content: renderBootstrapScript({ allowSignup: gitlab.allowSignup }),
            permissions: "0644",
          },
          // Root-only: the post-reconfigure script (run as root) reads it and pipes it to Rails.
          { file: ADMIN_TOKEN_PATH, content: adminToken, permissions: "0600", owner: "0", group: "0" },
          // Root-only: gitlab.rb reads it on GitLab's first boot (reconfigure runs as root).
          { file: ROOT_PASSWORD_PATH, content: rootPassword, permissions: "0600", owner: "0", group: "0" },
          // Root-only: gitlab.rb reads them when reconfigure (root) runs.
          ...(registryBackupPasswords === undefined
            ? []
            : [
                {
                  file: REGISTRY_DATABASE_BACKUP_FILES.backupPasswordFile,
                  content: registryBackupPasswords.backup,
                  permissions: "0600",
                  owner: "0",
                  group: "0",
                },
                {
                  file: REGISTRY_DATABASE_BACKUP_FILES.restorePasswordFile,
                  content: registryBackupPasswords.restore,
                  permissions: "0600",
                  owner: "0",
                  group: "0",
                },
              ]),
          // Root-only: the secrets of other capabilities (a database password, an SMTP password), read by gitlab.rb.
          ...contributedFiles.map((f) => ({
            file: f.path,
            content: pulumi.secret(f.content),
            permissions: "0600",
            owner: "0",
            group: "0",
          })),
          ...(certificate === undefined || tlsMode !== "selfSigned"
            ? []
            : [
                {
                  file: TLS_CERTIFICATE_PATH,
                  content: certificate.certPem,
                  permissions: "0644",
                  owner: "0",
                  group: "0",
                },
                // Root-only: NGINX's master process reads it as root.
                {
                  file: TLS_KEY_PATH,
                  content: pulumi.secret(certificate.keyPem),
                  permissions: "0600",
                  owner: "0",
                  group: "0",
                },
              ]),
        ],
        // GitLab stops its services on SIGTERM (`gitlab-ctl stop`), which takes longer than Docker's 10 s.
        stopTimeout: 120,
        destroyGraceSeconds: 120,
      },
      // The name and host ports are fixed, and two GitLabs must not share the data: a replacement
      // removes the old container first. deletedWith: a container on a host being rebuilt goes with
      // its machine (the instance stops cleanly); the new daemon is never asked to stop it.
      // dependsOn: startAfter (with Let's Encrypt, the name resolves to the host) before the first start.
      {
        ...dockerOpts,
        dependsOn: [...dockerOpts.dependsOn, ...(args.startAfter ?? []), ...gitlabStartAfterOf(contributions)],
        deleteBeforeReplace: true,
        deletedWith: host.machine,
      },
    );

    const ready = new GitLabReadiness(
      `${name}-ready`,
      {
        apiUrl,
        adminToken,
        containerId: container.id,
        ...(tlsMode === "selfSigned" && certificate !== undefined ? { caPem: certificate.caCertPem } : {}),
        timeoutSeconds: args.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS,
      },
      // Waits on this container (the id input says so too): on destroy, what depends on `ready`
      // (the runner registration) goes while GitLab still runs.
      { parent: this, dependsOn: [container] },
    );

    this.externalUrl = externalUrl;
    this.apiUrl = apiUrl;
    const access = externalUrl.apply((url) => containerAccess(url, gitlab.httpPort, tlsMode));
    this.containerUrl = access.url;
    this.containerHostName = access.hostName;
    this.adminToken = pulumi.secret(adminToken);
    this.rootPassword = pulumi.secret(rootPassword);
    this.ready = ready;
    this.container = container;
    this.gitlabRb = gitlabRb;
    this.sshHost = externalUrl.apply((url) => new URL(url).hostname);
    this.caCertPem =
      tlsMode === "selfSigned" && certificate !== undefined ? pulumi.output(certificate.caCertPem) : undefined;
    this.registryDatabaseBackup = registryDatabaseBackup;

    this.registerOutputs({
      externalUrl: this.externalUrl,
      apiUrl: this.apiUrl,
      containerUrl: this.containerUrl,
      adminToken: this.adminToken,
      rootPassword: this.rootPassword,
    });
  }

  /**
   * Bind mounts under the host's data path (AWS: the EBS volume at /srv), or named Docker volumes
   * when the host has none (local).
   */
  private storage(
    name: string,
    names: Naming,
    host: DockerHost,
    keepDataOnDestroy: boolean,
    dockerOpts: pulumi.CustomResourceOptions,
  ): docker.types.input.ContainerVolume[] {
    const mounts: readonly (readonly [what: "config" | "logs" | "data", containerPath: string])[] = [
      ["config", "/etc/gitlab"],
      ["logs", "/var/log/gitlab"],
      ["data", "/var/opt/gitlab"],
    ];
    if (host.dataPath !== undefined) {
      const dataPath = host.dataPath;
      return mounts.map(([what, containerPath]) => ({ hostPath: gitlabHostPath(dataPath, what), containerPath }));
    }
    return mounts.map(([what, containerPath]) => {
      const volume = new docker.Volume(
        `${name}-${what}`,
        { name: names.name(`gitlab-${what}`), labels: [{ label: "managed-by", value: names.commonTags.ManagedBy }] },
        // retainOnDelete follows host.keepDataOnDestroy: `pulumi destroy` then leaves the volume
        // (GitLab's repositories and database) in Docker, and the next `pulumi up` of the same
        // team mounts it again by name.
        { ...dockerOpts, retainOnDelete: keepDataOnDestroy },
      );
      return { volumeName: volume.name, containerPath };
    });
  }
}
