/**
 * GitLabServer under Pulumi's mocks: what the Docker provider would receive (ports, storage,
 * shm, restart, the settings and the bootstrap files placed, secrets marked secret), the
 * options that order creation and destruction, and the readiness provider as Pulumi ships it.
 */
import { createRequire } from "node:module";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { describe, expect, it } from "vitest";
import { ConfigSecret, type GitLabConfig, type Target } from "../../infra/config/types";
import { DEFAULT_GITLAB_IMAGE } from "../../infra/config/schema";
import { resolveTlsMode } from "../../infra/config/parse";
import { GitLabServer } from "../../infra/gitlab";
import {
  PLAIN_HTTP_LABEL,
  REGISTRY_DATABASE_BACKUP_FILES,
  TLS_CERTIFICATE_PATH,
  TLS_KEY_PATH,
} from "../../infra/gitlab/gitlab-server";
import {
  ADMIN_TOKEN_PATH,
  BOOTSTRAP_SCRIPT_PATH,
  POST_RECONFIGURE_PATH,
  ROOT_PASSWORD_PATH,
} from "../../infra/gitlab/bootstrap-token";
import type { DockerHost } from "../../infra/host/docker-host";
import { LocalHost } from "../../infra/host/local-host";
import { naming } from "../../infra/naming";
import {
  COMPUTED,
  RecordingMocks,
  isSecretValue,
  revealSecrets,
  valueOf,
  type RecordedResource,
} from "../../tools/plan/mocks";
import { startFakeGitLab } from "../support/fake-gitlab";
import { runUnderMocks } from "../../tools/plan/under-mocks";
import { planStack } from "../support/stack-plans";

const CONTAINER = "docker:index/container:Container";
const READINESS = "pulumi-nodejs:dynamic/gitlab-dind:GitLabReadiness";

const GITLAB: GitLabConfig = {
  image: DEFAULT_GITLAB_IMAGE,
  tls: "auto",
  tlsMode: "off",
  letsencryptEmail: undefined,
  externalUrl: undefined,
  httpPort: 8080,
  sshPort: 10022,
  registryPort: 4567,
  shmSizeMiB: 512,
  rootPassword: undefined,
  allowSignup: false,
  objectStorage: "local",
  database: "bundled",
  redis: "bundled",
  dataMovedBack: [],
  omnibus: {},
  omnibusSecrets: {},
};

const CERTIFICATE = {
  caCertPem: "-----BEGIN CERTIFICATE-----\nstack CA\n-----END CERTIFICATE-----\n",
  certPem: "-----BEGIN CERTIFICATE-----\ngitlab\n-----END CERTIFICATE-----\n",
  keyPem: pulumi.secret("-----BEGIN EC PRIVATE KEY-----\nkey\n-----END EC PRIVATE KEY-----\n"),
};

interface Built {
  readonly mocks: RecordingMocks;
  readonly server: GitLabServer;
  readonly dependsOn: ReadonlyMap<string, readonly string[]>;
  readonly options: ReadonlyMap<string, pulumi.CustomResourceOptions>;
}

const defaultBuilds = new Map<Target, Promise<Built>>();

/**
 * GitLabServer for `target` under the mocks, with `gitlab` laid over the defaults. The build with
 * the defaults is made once per target and shared by the tests that read it (read-only).
 */
function build(target: Target, gitlab: Partial<GitLabConfig> = {}, keepDataOnDestroy = true): Promise<Built> {
  if (Object.keys(gitlab).length > 0 || !keepDataOnDestroy) return buildOnce(target, gitlab, keepDataOnDestroy);
  let built = defaultBuilds.get(target);
  if (built === undefined) {
    built = buildOnce(target, gitlab, keepDataOnDestroy);
    defaultBuilds.set(target, built);
  }
  return built;
}

async function buildOnce(target: Target, gitlab: Partial<GitLabConfig>, keepDataOnDestroy: boolean): Promise<Built> {
  // Distinct generated values, so a test can tell the token from the password.
  const mocks = new RecordingMocks({
    ...COMPUTED,
    "random:index/randomPassword:RandomPassword": (i, name) => ({
      result: (name.includes("admin")
        ? "Tok3n"
        : name.includes("registry-backup")
          ? "B4ckup"
          : name.includes("registry-restore")
            ? "R3store"
            : "Passw0rd"
      )
        .repeat(10)
        .slice(0, i.length),
    }),
  });
  const team = target === "aws" ? "dev" : "local";
  const merged = { ...GITLAB, httpPort: target === "aws" ? 80 : 8080, ...gitlab };
  // As the config parser resolves it (auto: the stack CA on AWS without a URL).
  const tlsMode = gitlab.tlsMode ?? resolveTlsMode(target, merged.tls, merged.externalUrl);
  const run = await runUnderMocks(mocks, "gitlab-dind", team, () => {
    const host: DockerHost =
      target === "aws" ? awsLikeHost() : new LocalHost("local-host", { names: naming(team, "s") });
    return new GitLabServer("gitlab", {
      names: naming(team, "s"),
      target,
      gitlab: { ...merged, tlsMode },
      host,
      keepDataOnDestroy,
      operatorCidrs: ["203.0.113.0/24"],
      ...(tlsMode === "selfSigned" ? { certificate: CERTIFICATE } : {}),
    });
  });
  return { mocks, server: run.result, dependsOn: run.dependsOn, options: run.options };
}

/** What the AWS host gives: a TLS Docker endpoint, a wait, /srv, an Elastic IP. */
function awsLikeHost(): DockerHost {
  // Stands for the AWS host's "Docker API answers over TLS" wait.
  const ready = new random.RandomId("host-docker-api-ready", { byteLength: 4 });
  // Stands for the EC2 instance.
  const machine = new random.RandomId("host-instance", { byteLength: 4 });
  return {
    machine,
    provider: new docker.Provider("aws-docker", { host: "tcp://3.120.0.10:2376" }),
    ready: [ready],
    dataPath: "/srv",
    publicAddress: pulumi.output("3.120.0.10"),
    publicDns: pulumi.output("ec2-3-120-0-10.eu-central-1.compute.amazonaws.com"),
    generation: pulumi.output("i-0123456789abcdef0"),
  };
}

function container(b: Built): RecordedResource {
  return b.mocks.get(CONTAINER, "gitlab");
}

function env(b: Built, key: string): string | undefined {
  const envs = revealSecrets(container(b).inputs.envs) as string[];
  return envs.find((e) => e.startsWith(`${key}=`))?.slice(key.length + 1);
}

function upload(b: Built, file: string): Record<string, unknown> {
  const uploads = revealSecrets(container(b).inputs.uploads) as Record<string, unknown>[];
  const found = uploads.find((u) => u.file === file);
  if (found === undefined) throw new Error(`no upload ${file}`);
  return found;
}

describe("GitLabServer, local target", () => {
  it("runs the pinned image through the host's provider, always restarted, with 512 MiB of /dev/shm", async () => {
    const b = await build("local");
    const c = container(b);
    expect(c.provider).toMatch(/local-host-docker/);
    expect(c.inputs.restart).toBe("always");
    expect(c.inputs.shmSize).toBe(512);
    expect(c.inputs.name).toBe("local-gitlab");
    const image = b.mocks.get("docker:index/remoteImage:RemoteImage", "gitlab-image");
    expect(image.inputs).toMatchObject({ name: DEFAULT_GITLAB_IMAGE, keepLocally: true });
    expect(image.provider).toMatch(/local-host-docker/);
    expect(c.inputs.image).toMatch(/^sha256:/);
  });

  it("publishes SSH and the registry on 127.0.0.1 only, HTTP where the runner's containers reach it (the host gateway), and no 443", async () => {
    const b = await build("local");
    expect(container(b).inputs.ports).toEqual([
      { internal: 80, external: 8080 },
      { internal: 22, external: 10022, ip: "127.0.0.1" },
      { internal: 4567, external: 4567, ip: "127.0.0.1" },
    ]);
  });

  it("keeps config, logs and data in named volumes that survive destroy when asked", async () => {
    const b = await build("local");
    expect(container(b).inputs.volumes).toEqual([
      { volumeName: "local-gitlab-config", containerPath: "/etc/gitlab" },
      { volumeName: "local-gitlab-logs", containerPath: "/var/log/gitlab" },
      { volumeName: "local-gitlab-data", containerPath: "/var/opt/gitlab" },
    ]);
    for (const what of ["config", "logs", "data"]) {
      expect(b.mocks.get("docker:index/volume:Volume", `gitlab-${what}`).provider).toMatch(/local-host-docker/);
      expect(b.options.get(`gitlab-${what}`)?.retainOnDelete).toBe(true);
    }
    const dropped = await build("local", {}, false);
    expect(dropped.options.get("gitlab-data")?.retainOnDelete).toBe(false);
  });

  it("tells the runner where containers reach it: the host gateway and the published HTTP port; no shared network", async () => {
    const b = await build("local");
    expect(b.mocks.ofType("docker:index/network:Network")).toEqual([]);
    expect(container(b).inputs.networksAdvanced).toBeUndefined();
    expect(await valueOf(b.server.containerUrl)).toBe("http://host.docker.internal:8080");
    expect(await valueOf(b.server.externalUrl)).toBe("http://localhost:8080");
    expect(await valueOf(b.server.apiUrl)).toBe("http://localhost:8080");
  });

  it("uses the container name as host name instead of localhost", async () => {
    const b = await build("local");
    expect(container(b).inputs.hostname).toBe("local-gitlab");
  });

  it("passes gitlab.rb as GITLAB_OMNIBUS_CONFIG; the generated root password is a root-only file it reads, never in the environment", async () => {
    const b = await build("local");
    // No secret in the environment: it stays plain, and shows in `docker inspect` without harm.
    expect(isSecretValue(container(b).inputs.envs)).toBe(false);
    const rb = env(b, "GITLAB_OMNIBUS_CONFIG")!;
    const password = await valueOf(b.server.rootPassword);
    expect(password).toHaveLength(32);
    expect(JSON.stringify(revealSecrets(container(b).inputs.envs))).not.toContain(password);
    expect(rb).toContain(`gitlab_rails['initial_root_password'] = File.read('${ROOT_PASSWORD_PATH}').chomp`);
    expect(upload(b, ROOT_PASSWORD_PATH)).toMatchObject({
      content: password,
      permissions: "0600",
      owner: "0",
      group: "0",
    });
    expect(rb).toContain("external_url 'http://localhost:8080'");
    expect(rb).toContain("gitlab_rails['gitlab_shell_ssh_port'] = 10022");
    expect(rb).toContain("registry_external_url 'http://localhost:4567'");
    expect(rb).toMatch(/monitoring_whitelist'\] = \['127\.0\.0\.0\/8'.*'172\.16\.0\.0\/12'/);
    expect(await pulumi.isSecret(b.server.rootPassword)).toBe(true);
  });

  it("takes the root password from the stack when it sets one", async () => {
    const b = await build("local", { rootPassword: new ConfigSecret("from-the-stack-123") });
    expect(upload(b, ROOT_PASSWORD_PATH).content).toBe("from-the-stack-123");
    expect(await valueOf(b.server.rootPassword)).toBe("from-the-stack-123");
    expect(b.mocks.ofType("random:index/randomPassword:RandomPassword").map((r) => r.name)).toEqual([
      "gitlab-admin-token",
      "gitlab-registry-backup-password",
      "gitlab-registry-restore-password",
    ]);
  });

  it("places the bootstrap: the token in a root-only file (secret), never in the environment", async () => {
    const b = await build("local");
    const token = await valueOf(b.server.adminToken);
    expect(token).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(await pulumi.isSecret(b.server.adminToken)).toBe(true);

    expect(isSecretValue(container(b).inputs.uploads)).toBe(true);
    expect(upload(b, ADMIN_TOKEN_PATH)).toMatchObject({ content: token, permissions: "0600", owner: "0", group: "0" });
    expect(upload(b, POST_RECONFIGURE_PATH)).toMatchObject({ permissions: "0755" });
    expect(String(upload(b, BOOTSTRAP_SCRIPT_PATH).content)).toContain("SIGNUP_ENABLED = false");

    expect(env(b, "GITLAB_POST_RECONFIGURE_SCRIPT")).toBe(POST_RECONFIGURE_PATH);
    const envText = JSON.stringify(revealSecrets(container(b).inputs.envs));
    expect(envText).not.toContain(token);
  });

  it("turns sign-up on only when gitlab.allowSignup says so", async () => {
    const b = await build("local", { allowSignup: true });
    expect(String(upload(b, BOOTSTRAP_SCRIPT_PATH).content)).toContain("SIGNUP_ENABLED = true");
  });

  it("turns the registry off with registryPort 0: no port, registry disabled", async () => {
    const b = await build("local", { registryPort: 0 });
    expect((container(b).inputs.ports as { internal: number }[]).map((p) => p.internal)).toEqual([80, 22]);
    const rb = env(b, "GITLAB_OMNIBUS_CONFIG")!;
    expect(rb).toContain("registry['enable'] = false");
    expect(rb).not.toContain("registry_external_url");
  });

  it("waits for readiness after the container, with the token secret, and replaces the container by removing it first", async () => {
    const b = await build("local");
    const ready = b.mocks.get(READINESS, "gitlab-ready");
    expect(b.dependsOn.get("gitlab-ready")).toEqual(["gitlab"]);
    expect(ready.inputs.containerId).toBe("gitlab-id");
    expect(ready.inputs.apiUrl).toBe("http://localhost:8080");
    expect(ready.inputs.timeoutSeconds).toBe(900);
    expect(isSecretValue(ready.inputs.adminToken)).toBe(true);
    expect(b.options.get("gitlab-ready")?.additionalSecretOutputs).toEqual(["adminToken"]);
    expect(b.options.get("gitlab")?.deleteBeforeReplace).toBe(true);
  });

  it("ships a readiness provider that works on its own once Pulumi has serialized it", async () => {
    const b = await build("local");
    const source = String(revealSecrets(b.mocks.get(READINESS, "gitlab-ready").inputs.__provider));
    // The same loader Pulumi's dynamic provider host uses.
    const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi"));
    const requireFromString = pulumiRequire("require-from-string") as (code: string) => {
      handler: () => pulumi.dynamic.ResourceProvider;
    };
    const provider = requireFromString(source).handler();

    const fake = await startFakeGitLab({
      token: "AbCdEfGhIj0123456789",
      faults: [{ path: "/-/health", status: 502, times: 1 }],
    });
    try {
      const props = { apiUrl: fake.url, adminToken: fake.token, containerId: "c0ffee1234567890", timeoutSeconds: 30 };
      // A short poll interval, so the retry after the 502 does not sleep the production 5 s.
      const created = await provider.create({ ...props, pollMs: 20 });
      expect(created.id).toBe("gitlab-ready-c0ffee123456");
      expect(fake.requestsTo("GET", "/-/health")).toHaveLength(2);
      expect(fake.requestsTo("GET", "/api/v4/user")).toHaveLength(1);
      const same = await provider.diff!(created.id, props, { ...props });
      expect(same.changes).toBe(false);
      const replaced = await provider.diff!(created.id, props, { ...props, containerId: "another" });
      expect(replaced.changes).toBe(true);
      expect(replaced.replaces).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});

describe("GitLabServer, aws target", () => {
  it("publishes 443 too when GitLab serves TLS, on every address (the security group filters)", async () => {
    for (const gitlab of [{}, { externalUrl: "https://gitlab.example.com" }]) {
      const b = await build("aws", gitlab);
      expect(container(b).inputs.ports).toEqual([
        { internal: 80, external: 80 },
        { internal: 443, external: 443 },
        { internal: 22, external: 10022 },
        { internal: 4567, external: 4567 },
      ]);
    }
  });

  it("publishes no 443 when GitLab serves plain HTTP (nothing listens there)", async () => {
    for (const gitlab of [{ externalUrl: "http://3.120.0.10" }, { tls: "off" as const }]) {
      const b = await build("aws", gitlab);
      expect((container(b).inputs.ports as { internal: number }[]).map((p) => p.internal)).toEqual([80, 22, 4567]);
    }
  });

  it("bind-mounts GitLab's directories under the host's data path and creates no Docker volume", async () => {
    const b = await build("aws");
    expect(container(b).inputs.volumes).toEqual([
      { hostPath: "/srv/gitlab/config", containerPath: "/etc/gitlab" },
      { hostPath: "/srv/gitlab/logs", containerPath: "/var/log/gitlab" },
      { hostPath: "/srv/gitlab/data", containerPath: "/var/opt/gitlab" },
    ]);
    expect(b.mocks.ofType("docker:index/volume:Volume")).toEqual([]);
  });

  it("waits for the host's Docker API before any Docker resource, and uses its provider", async () => {
    const b = await build("aws");
    for (const name of ["gitlab", "gitlab-image"]) {
      expect(b.dependsOn.get(name)).toContain("host-docker-api-ready");
    }
    expect(container(b).provider).toMatch(/aws-docker/);
  });

  it("derives the external URL from the Elastic IP, calls the API there, lets the operators' CIDRs probe health", async () => {
    const b = await build("aws");
    expect(await valueOf(b.server.externalUrl)).toBe("https://3.120.0.10");
    expect(await valueOf(b.server.apiUrl)).toBe("https://3.120.0.10");
    expect(await valueOf(b.server.containerUrl)).toBe("https://host.docker.internal");
    const rb = env(b, "GITLAB_OMNIBUS_CONFIG")!;
    expect(rb).toContain("external_url 'https://3.120.0.10'");
    expect(rb).toContain("registry_external_url 'https://3.120.0.10:4567'");
    expect(rb).toContain("gitlab_rails['monitoring_whitelist'] = ['127.0.0.0/8', '::1/128', '203.0.113.0/24']");
    // An IP is no host name: the container is named instead.
    expect(container(b).inputs.hostname).toBe("dev-gitlab");
  });

  it("takes its host name from a configured external URL", async () => {
    const b = await build("aws", { externalUrl: "https://gitlab.example.com" });
    expect(container(b).inputs.hostname).toBe("gitlab.example.com");
    expect(await valueOf(b.server.apiUrl)).toBe("https://gitlab.example.com");
    expect(env(b, "GITLAB_OMNIBUS_CONFIG")).toContain("registry_external_url 'https://gitlab.example.com:4567'");
  });
});

describe("an https external URL", () => {
  it("is what containers use too, its host name mapped to the host's gateway, so GitLab's certificate matches", async () => {
    const b = await build("aws", { externalUrl: "https://gitlab.example.com" });
    expect(await valueOf(b.server.containerUrl)).toBe("https://gitlab.example.com");
    expect(await valueOf(b.server.containerHostName)).toBe("gitlab.example.com");
    expect(await valueOf(b.server.apiUrl)).toBe("https://gitlab.example.com");
  });

  it("plain http goes through host.docker.internal and GitLab's published HTTP port", async () => {
    const b = await build("aws", { httpPort: 8081, tls: "off" });
    expect(await valueOf(b.server.containerUrl)).toBe("http://host.docker.internal:8081");
    expect(await valueOf(b.server.containerHostName)).toBe("host.docker.internal");
  });
});

describe("a rebuilt host", () => {
  it("takes the container with its machine: the new daemon is never asked to stop it", async () => {
    const aws = await build("aws");
    expect(aws.options.get("gitlab")?.deletedWith).toBeDefined();
    expect((await build("local")).options.get("gitlab")?.deletedWith).toBeUndefined();
  });

  it("re-creates the image and the container on it: both carry the host's generation", async () => {
    const b = await build("aws");
    expect(container(b).inputs.labels).toEqual([
      { label: "gitlab-dind.host-generation", value: "i-0123456789abcdef0" },
      { label: "gitlab-dind.plain-http-requested", value: "false" },
    ]);
    expect(b.mocks.get("docker:index/remoteImage:RemoteImage", "gitlab-image").inputs.triggers).toEqual({
      hostGeneration: "i-0123456789abcdef0",
    });
  });
});

describe("HTTPS with the stack CA (gitlab.tls selfSigned, the AWS default)", () => {
  it("uploads the certificate and a root-only, secret key; gitlab.rb points at them", async () => {
    const b = await build("aws");
    expect(upload(b, TLS_CERTIFICATE_PATH)).toMatchObject({ content: CERTIFICATE.certPem, permissions: "0644" });
    expect(upload(b, TLS_KEY_PATH)).toMatchObject({
      content: await valueOf(CERTIFICATE.keyPem),
      permissions: "0600",
      owner: "0",
      group: "0",
    });
    expect(isSecretValue(container(b).inputs.uploads)).toBe(true);
    const rb = env(b, "GITLAB_OMNIBUS_CONFIG")!;
    expect(rb).toContain(`gitlab_rails['nginx']['ssl_certificate'] = '${TLS_CERTIFICATE_PATH}'`);
    expect(rb).toContain(`gitlab_rails['nginx']['ssl_certificate_key'] = '${TLS_KEY_PATH}'`);
    expect(rb).toContain("letsencrypt['enable'] = false");
    expect(rb).not.toContain("PRIVATE KEY");
  });

  it("gives the readiness wait the stack CA, and exposes it for the runner and the outputs", async () => {
    const b = await build("aws");
    expect(b.mocks.get(READINESS, "gitlab-ready").inputs.caPem).toBe(CERTIFICATE.caCertPem);
    expect(await valueOf(b.server.caCertPem!)).toBe(CERTIFICATE.caCertPem);
  });

  it("refuses to build without the certificate, before registering anything", () => {
    expect(
      () =>
        new GitLabServer("gitlab", {
          names: naming("dev", "s"),
          target: "aws",
          gitlab: { ...GITLAB, httpPort: 80, tlsMode: "selfSigned" },
          host: {} as DockerHost,
          keepDataOnDestroy: true,
        }),
    ).toThrow(/needs the stack CA/);
  });
});

describe("the plain-HTTP label for policy packs", () => {
  it.each([
    ["aws, no URL (stack CA)", "aws", {}, "false"],
    ["aws, https URL (Let's Encrypt)", "aws", { externalUrl: "https://gitlab.example.com" }, "false"],
    ["aws, explicit http:// URL", "aws", { externalUrl: "http://3.120.0.10" }, "true"],
    ["aws, gitlab.tls off", "aws", { tls: "off" }, "true"],
    ["local", "local", {}, "true"],
  ] as const)("%s → %s", async (_what, target, gitlab, value) => {
    const b = await build(target, gitlab);
    const labels = container(b).inputs.labels as { label: string; value: string }[];
    expect(labels.find((l) => l.label === PLAIN_HTTP_LABEL)?.value).toBe(value);
  });
});

describe("Let's Encrypt", () => {
  it("no CA for the readiness wait (the system's CAs), the contact address in gitlab.rb, started after startAfter", async () => {
    const mocks = new RecordingMocks();
    const run = await runUnderMocks(mocks, "gitlab-dind", "dev", () => {
      const dnsReady = new random.RandomId("gitlab-dns-resolves", { byteLength: 4 });
      return new GitLabServer("gitlab", {
        names: naming("dev", "s"),
        target: "aws",
        gitlab: {
          ...GITLAB,
          httpPort: 80,
          externalUrl: "https://gitlab.example.com",
          tlsMode: "letsencrypt",
          letsencryptEmail: "ops@example.com",
        },
        host: awsLikeHost(),
        keepDataOnDestroy: true,
        startAfter: [dnsReady],
      });
    });
    expect(run.dependsOn.get("gitlab")).toContain("gitlab-dns-resolves");
    expect(mocks.get(READINESS, "gitlab-ready").inputs.caPem).toBe("");
    const envs = revealSecrets(mocks.get(CONTAINER, "gitlab").inputs.envs) as string[];
    const rb = envs.find((e) => e.startsWith("GITLAB_OMNIBUS_CONFIG="))!;
    expect(rb).toContain("letsencrypt['enable'] = true");
    expect(rb).toContain("letsencrypt['contact_emails'] = ['ops@example.com']");
    expect(run.result.caCertPem).toBeUndefined();
  });
});

describe("the registry's metadata database in backups", () => {
  const ROLE_KEYS = ["backup_role", "backup_registry_password", "restore_registry_password"];

  it("AWS, registry on (19.3): the backup role, its two generated passwords in root-only secret files gitlab.rb reads, none in its text", async () => {
    const b = await build("aws");
    expect(b.server.registryDatabaseBackup).toBe(true);
    const rb = env(b, "GITLAB_OMNIBUS_CONFIG")!;
    expect(rb).toContain("gitlab_rails['backup_role'] = true");
    expect(rb).toContain(
      `gitlab_rails['backup_registry_password'] = File.read('${REGISTRY_DATABASE_BACKUP_FILES.backupPasswordFile}').chomp`,
    );
    expect(rb).toContain(
      `gitlab_rails['restore_registry_password'] = File.read('${REGISTRY_DATABASE_BACKUP_FILES.restorePasswordFile}').chomp`,
    );
    const generated = b.mocks.ofType("random:index/randomPassword:RandomPassword");
    const backup = generated.find((r) => r.name === "gitlab-registry-backup-password")!;
    const restore = generated.find((r) => r.name === "gitlab-registry-restore-password")!;
    // Letters and digits only: omnibus writes them unquoted into a file bash sources.
    for (const r of [backup, restore]) expect(r.inputs).toMatchObject({ length: 32, special: false });
    const backupPassword = "B4ckup".repeat(10).slice(0, 32);
    const restorePassword = "R3store".repeat(10).slice(0, 32);
    expect(upload(b, REGISTRY_DATABASE_BACKUP_FILES.backupPasswordFile)).toMatchObject({
      content: backupPassword,
      permissions: "0600",
      owner: "0",
      group: "0",
    });
    expect(upload(b, REGISTRY_DATABASE_BACKUP_FILES.restorePasswordFile)).toMatchObject({
      content: restorePassword,
      permissions: "0600",
      owner: "0",
      group: "0",
    });
    // Neither password anywhere in the environment (gitlab.rb's text) or the component's gitlab.rb output.
    const envText = JSON.stringify(revealSecrets(container(b).inputs.envs));
    const rbOutput = await valueOf(b.server.gitlabRb);
    for (const password of [backupPassword, restorePassword]) {
      expect(envText).not.toContain(password);
      expect(rbOutput).not.toContain(password);
    }
    expect(isSecretValue(container(b).inputs.envs)).toBe(false);
    expect(isSecretValue(container(b).inputs.uploads)).toBe(true);
  });

  it("none with the registry off (registryPort 0): no role, no passwords, no files", async () => {
    const b = await build("aws", { registryPort: 0 });
    expect(b.server.registryDatabaseBackup).toBe(false);
    const rb = env(b, "GITLAB_OMNIBUS_CONFIG")!;
    for (const key of ROLE_KEYS) expect(rb).not.toContain(key);
    expect(b.mocks.ofType("random:index/randomPassword:RandomPassword").map((r) => r.name)).toEqual([
      "gitlab-root-password",
      "gitlab-admin-token",
    ]);
    const files = (revealSecrets(container(b).inputs.uploads) as { file: string }[]).map((u) => u.file);
    expect(files).not.toContain(REGISTRY_DATABASE_BACKUP_FILES.backupPasswordFile);
    expect(files).not.toContain(REGISTRY_DATABASE_BACKUP_FILES.restorePasswordFile);
  });

  it("none on an image whose registry keeps its metadata on the filesystem (18.11), with the old NGINX keys", async () => {
    const b = await build("aws", { image: "gitlab/gitlab-ce:18.11.11-ce.0" });
    expect(b.server.registryDatabaseBackup).toBe(false);
    const rb = env(b, "GITLAB_OMNIBUS_CONFIG")!;
    for (const key of ROLE_KEYS) expect(rb).not.toContain(key);
    expect(rb).toContain(`nginx['ssl_certificate'] = '${TLS_CERTIFICATE_PATH}'`);
    expect(rb).toContain(`registry_nginx['ssl_certificate'] = '${TLS_CERTIFICATE_PATH}'`);
    expect(rb).not.toContain("['nginx']");
  });

  it("none with an external PostgreSQL (the hook for RDS)", async () => {
    const mocks = new RecordingMocks();
    const run = await runUnderMocks(
      mocks,
      "gitlab-dind",
      "dev",
      () =>
        new GitLabServer("gitlab", {
          names: naming("dev", "s"),
          target: "aws",
          gitlab: { ...GITLAB, httpPort: 80, tlsMode: "off", externalUrl: "http://3.120.0.10" },
          host: awsLikeHost(),
          keepDataOnDestroy: true,
          database: "external",
        }),
    );
    expect(run.result.registryDatabaseBackup).toBe(false);
    const envs = revealSecrets(mocks.get(CONTAINER, "gitlab").inputs.envs) as string[];
    expect(envs.find((e) => e.startsWith("GITLAB_OMNIBUS_CONFIG="))).not.toContain("backup_role");
  });

  it("refuses an image older than the oldest supported GitLab before registering anything", () => {
    expect(
      () =>
        new GitLabServer("gitlab", {
          names: naming("dev", "s"),
          target: "aws",
          gitlab: { ...GITLAB, image: "gitlab/gitlab-ce:15.11.13-ce.0", tlsMode: "off" },
          host: {} as DockerHost,
          keepDataOnDestroy: true,
        }),
    ).toThrow(/GitLab 16\.0\.0 or later/);
  });
});

describe("the dev stack's plan (aws, registry on)", async () => {
  // The offline plan of Pulumi.dev.yaml, as `npm run plan -- --stack dev` writes it (mocked passwords: "p" × length).
  const plan = await planStack("dev");
  const off = await planStack("dev", { "gitlab-dind:gitlab": { registryPort: 0 } });

  it("gitlab.rb shows the registry database's backup role, its passwords read from files and never in its text", () => {
    const rb = plan.files["gitlab.rb"];
    expect(rb).toContain("gitlab_rails['backup_role'] = true");
    expect(rb).toContain(
      `gitlab_rails['backup_registry_password'] = File.read('${REGISTRY_DATABASE_BACKUP_FILES.backupPasswordFile}').chomp`,
    );
    expect(rb).toContain(
      `gitlab_rails['restore_registry_password'] = File.read('${REGISTRY_DATABASE_BACKUP_FILES.restorePasswordFile}').chomp`,
    );
    const generated = plan.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
    expect(generated.map((r) => r.name)).toEqual(
      expect.arrayContaining(["gitlab-registry-backup-password", "gitlab-registry-restore-password"]),
    );
    for (const r of generated) expect(rb).not.toContain("p".repeat(Number(r.inputs.length)));
    expect(rb).not.toContain("[secret]");
  });

  it("with gitlab.registryPort 0, no backup role and no registry passwords", () => {
    const rb = off.files["gitlab.rb"];
    expect(rb).not.toContain("backup_role");
    expect(rb).not.toContain("registry_password");
    expect(off.resources.map((r) => r.name)).not.toContain("gitlab-registry-backup-password");
  });
});
