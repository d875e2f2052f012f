/**
 * Issue 12 end to end, the whole program under the recording mocks: the dev stack (AWS, no URL)
 * is https with the stack CA from the readiness wait to the runner's config.toml; the
 * dev-letsencrypt stack gets its A record, a DNS wait before GitLab starts and Let's Encrypt; an
 * explicit http:// URL plans with a warning and without 443.
 */
import * as TOML from "@iarna/toml";
import * as pulumi from "@pulumi/pulumi";
import * as smol from "smol-toml";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StackConfig } from "../../infra/config/types";
import { buildStack, type StackBuild } from "../../infra/program";
import { RUNNER_CA_FILE } from "../../infra/runner";
import { RecordingMocks, isSecretValue, revealSecrets, valueOf } from "../../tools/plan/mocks";
import { runUnderMocks, type UnderMocks } from "../../tools/plan/under-mocks";
import { keyProblems, parse as parseToml } from "../runner-config/key-walk";
import { stackConfig } from "../support/stack-plans";

const CONTAINER = "docker:index/container:Container";
const READINESS = "pulumi-nodejs:dynamic/gitlab-dind:GitLabReadiness";
const REGISTRATION = "pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration";
const STACK_CA = "-----BEGIN CERTIFICATE-----\nMOCK-gitlab-tls-ca\n-----END CERTIFICATE-----\n";

/** An explicit http:// URL on the dev stack. */
const httpConfig = (): StackConfig =>
  stackConfig("dev", { "gitlab-dind:gitlab": { externalUrl: "http://gitlab.dev.example.com" } });

interface Built {
  readonly run: UnderMocks<StackBuild>;
  /** What the program passed to `pulumi.log.warn` while it ran. */
  readonly warnings: readonly unknown[][];
}

const builds = new Map<string, Promise<Built>>();

/** The stack file's program (or the dev stack with an http:// URL), built once in this file and shared (read-only). */
function build(stack: "dev" | "dev-letsencrypt", variant: "as-is" | "http" = "as-is"): Promise<Built> {
  const key = `${stack} ${variant}`;
  let built = builds.get(key);
  if (built === undefined) {
    const config = variant === "http" ? httpConfig() : stackConfig(stack);
    built = (async () => {
      const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue(undefined);
      try {
        const run = await runUnderMocks(new RecordingMocks(), "gitlab-dind", stack, () => buildStack(config));
        return { run, warnings: [...warn.mock.calls] };
      } finally {
        warn.mockRestore();
      }
    })();
    builds.set(key, built);
  }
  return built;
}

function uploads(run: UnderMocks<StackBuild>, name: string): Record<string, unknown>[] {
  return revealSecrets(run.mocks.get(CONTAINER, name).inputs.uploads) as Record<string, unknown>[];
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the dev stack (AWS, no external URL): https end to end with the stack CA", () => {
  it("GitLab's URL is https on the Elastic IP and the CA certificate is a plain (not secret) output", async () => {
    const { run } = await build("dev");
    expect(await valueOf(pulumi.output(run.result.outputs.gitlabUrl))).toBe("https://198.51.100.7");
    const ca = pulumi.output(run.result.outputs.gitlabCaCertificate as pulumi.Input<string>);
    expect(await valueOf(ca)).toBe(STACK_CA);
    expect(await pulumi.isSecret(ca)).toBe(false);
  });

  it("the server certificate names the Elastic IP, its DNS name and host.docker.internal, signed by the stack CA (not the Docker one)", async () => {
    const { run } = await build("dev");
    const csr = run.mocks.get("tls:index/certRequest:CertRequest", "gitlab-tls-server-csr").inputs;
    expect(csr.ipAddresses).toEqual(["198.51.100.7"]);
    expect(csr.dnsNames).toEqual(["ec2-198-51-100-7.eu-central-1.compute.amazonaws.com", "host.docker.internal"]);
    const cert = run.mocks.get("tls:index/locallySignedCert:LocallySignedCert", "gitlab-tls-server-cert").inputs;
    expect(cert.caCertPem).toBe(STACK_CA);
    expect(cert.allowedUses).toEqual(["digital_signature", "key_agreement", "server_auth"]);
    expect(isSecretValue(cert.caPrivateKeyPem)).toBe(true);
  });

  it("the readiness wait and the registration (dynamic resources) carry the stack CA and call https", async () => {
    const { run } = await build("dev");
    for (const type of [READINESS, REGISTRATION]) {
      const [resource] = run.mocks.ofType(type);
      expect(resource.inputs.caPem).toBe(STACK_CA);
      expect(resource.inputs.apiUrl).toBe("https://198.51.100.7");
    }
  });

  it("the runner trusts the stack CA: tls-ca-file in config.toml (parsed twice, key-walked), the CA file uploaded", async () => {
    const { run } = await build("dev");
    const text = await valueOf(run.result.files["config.toml"]);
    expect(keyProblems(parseToml(text))).toEqual([]);
    expect(JSON.parse(JSON.stringify(smol.parse(text)))).toEqual(JSON.parse(JSON.stringify(TOML.parse(text))));
    const runner = (TOML.parse(text) as { runners: Record<string, unknown>[] }).runners[0];
    expect(runner).toMatchObject({
      url: "https://host.docker.internal",
      clone_url: "https://host.docker.internal",
      "tls-ca-file": RUNNER_CA_FILE,
    });
    expect(uploads(run, "runner").find((u) => u.file === RUNNER_CA_FILE)).toMatchObject({
      content: STACK_CA,
      permissions: "0644",
    });
  });

  it("GitLab publishes 80 and 443, with gitlab.rb serving the uploaded certificate and the plain-HTTP label false", async () => {
    const { run } = await build("dev");
    const gitlab = run.mocks.get(CONTAINER, "gitlab").inputs;
    expect((gitlab.ports as { internal: number }[]).map((p) => p.internal)).toEqual([80, 443, 22, 4567]);
    expect(gitlab.labels).toContainEqual({ label: "gitlab-dind.plain-http-requested", value: "false" });
    const rb = await valueOf(run.result.files["gitlab.rb"]);
    expect(rb).toContain("external_url 'https://198.51.100.7'");
    expect(rb).toContain("gitlab_rails['nginx']['ssl_certificate'] = '/opt/gitlab-dind/tls/gitlab.crt'");
    const key = uploads(run, "gitlab").find((u) => u.file === "/opt/gitlab-dind/tls/gitlab.key");
    expect(key).toMatchObject({ permissions: "0600", owner: "0", group: "0" });
    expect(String(key?.content)).toContain("MOCK-gitlab-tls-server-key");
  });

  it("prints no warning", async () => {
    const { warnings } = await build("dev");
    expect(warnings).toEqual([]);
  });
});

describe("the dev-letsencrypt stack: Route53 record, the wait for it, Let's Encrypt", () => {
  it("creates the A record to the Elastic IP with a short TTL in dns.zoneId, and waits until it resolves", async () => {
    const { run } = await build("dev-letsencrypt");
    const record = run.mocks.get("aws:route53/record:Record", "gitlab-dns-a");
    expect(record.inputs).toMatchObject({
      zoneId: "Z0123456789ABCDEFGHIJ",
      name: "gitlab.dev.example.com",
      type: "A",
      ttl: 60,
      records: ["198.51.100.7"],
    });
    expect(record.provider).toMatch(/gitlab-dns-aws/);
    const wait = run.mocks.get("pulumi-nodejs:dynamic/gitlab-dind:DnsWait", "gitlab-dns-resolves");
    expect(wait.inputs).toMatchObject({ hostname: "gitlab.dev.example.com", address: "198.51.100.7" });
    expect(run.dependsOn.get("gitlab-dns-resolves")).toEqual(["gitlab-dns-a"]);
    // GitLab first starts once the name resolves: a failed ACME challenge would crash-loop it.
    expect(run.dependsOn.get("gitlab")).toContain("gitlab-dns-resolves");
  });

  it("uses the public URL with the system's CAs everywhere, and outputs no CA", async () => {
    const { run } = await build("dev-letsencrypt");
    expect(run.mocks.ofType("tls:index/selfSignedCert:SelfSignedCert").map((r) => r.name)).toEqual([
      "dev-letsencrypt-host-docker-ca",
    ]);
    for (const type of [READINESS, REGISTRATION]) {
      expect(run.mocks.ofType(type)[0].inputs).toMatchObject({ apiUrl: "https://gitlab.dev.example.com", caPem: "" });
    }
    expect(run.result.outputs.gitlabCaCertificate).toBeUndefined();
    const runner = (TOML.parse(await valueOf(run.result.files["config.toml"])) as { runners: any[] }).runners[0];
    expect(runner.url).toBe("https://gitlab.dev.example.com");
    expect(runner["tls-ca-file"]).toBeUndefined();
    // The name and host.docker.internal, where the DinD daemons reach the pull-through cache.
    expect(runner.docker.extra_hosts).toEqual([
      "gitlab.dev.example.com:host-gateway",
      "host.docker.internal:host-gateway",
    ]);
    const rb = await valueOf(run.result.files["gitlab.rb"]);
    expect(rb).toContain("letsencrypt['enable'] = true");
    expect(rb).toContain("letsencrypt['contact_emails'] = ['ops@example.com']");
    expect(rb).toContain("registry_external_url 'https://gitlab.dev.example.com:4567'");
  });
});

describe("an explicit http:// URL", () => {
  it("plans with a warning line naming gitlab.externalUrl and saying the traffic is plain HTTP", async () => {
    const { warnings } = await build("dev", "http");
    expect(warnings).toHaveLength(1);
    const line = String(warnings[0][0]);
    expect(line).toMatch(/gitlab-dind:gitlab\.externalUrl .*plain HTTP/);
    expect(line).not.toContain("\n");
  });

  it("publishes no 443, makes no certificate, labels the container plain-HTTP-requested", async () => {
    const { run } = await build("dev", "http");
    const gitlab = run.mocks.get(CONTAINER, "gitlab").inputs;
    expect((gitlab.ports as { internal: number }[]).map((p) => p.internal)).toEqual([80, 22, 4567]);
    expect(gitlab.labels).toContainEqual({ label: "gitlab-dind.plain-http-requested", value: "true" });
    expect(run.mocks.ofType("tls:index/certRequest:CertRequest").map((r) => r.name)).not.toContain(
      "gitlab-tls-server-csr",
    );
    const ingress = run.mocks.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    expect(ingress.some((r) => r.inputs.fromPort === 443)).toBe(false);
  });
});
