/**
 * The Docker Hub pull-through cache (infra/mirror), as the offline plan runs the real program:
 * reachable from jobs on the bridge gateway only, used by every job's DinD daemon through
 * config.toml, by the aws host's daemon through cloud-init, and nothing of it when turned off.
 */
import * as TOML from "@iarna/toml";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../../infra/config/parse";
import { ConfigSecret } from "../../infra/config/types";
import { dindDaemonJson, hostDaemonJson, mirrorDaemonSettings } from "../../infra/mirror";
import { buildStack } from "../../infra/program";
import { isSecretValue, RecordingMocks, revealSecrets } from "../../tools/plan/mocks";
import { runPlan, type Plan } from "../../tools/plan/run-plan";
import { runUnderMocks } from "../../tools/plan/under-mocks";
import { planStack, stackConfig } from "../support/stack-plans";

const find = (plan: Plan, type: string, name: string) => plan.resources.find((r) => r.type === type && r.name === name);
const CONTAINER = "docker:index/container:Container";

describe("the dev stack (aws)", async () => {
  const plan = await planStack("dev");
  const mirror = find(plan, CONTAINER, "mirror");

  it("runs a pinned registry in proxy mode for Docker Hub, with expiring blobs on the data volume", () => {
    expect(mirror?.parent).toBe("mirror");
    expect(find(plan, "docker:index/remoteImage:RemoteImage", "mirror-image")?.inputs.name).toBe("registry:3.1.2");
    expect(mirror?.inputs.restart).toBe("always");
    expect(mirror?.inputs.envs).toEqual(
      expect.arrayContaining([
        "REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io",
        "REGISTRY_PROXY_TTL=168h",
        "REGISTRY_STORAGE_DELETE_ENABLED=true",
      ]),
    );
    expect(mirror?.inputs.volumes).toContainEqual({ hostPath: "/srv/mirror", containerPath: "/var/lib/registry" });
  });

  it("is published on the bridge gateway and the host's loopback only, with no security-group rule", () => {
    expect(mirror?.inputs.ports).toEqual([
      { internal: 5000, external: 5001, ip: "172.17.0.1" },
      { internal: 5000, external: 5001, ip: "127.0.0.1" },
    ]);
    const rules = plan.resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      const from = r.inputs.fromPort as number;
      const to = r.inputs.toPort as number;
      expect(5001 >= from && 5001 <= to, `${r.name} opens ${from}-${to}`).toBe(false);
    }
  });

  it("gives every job's DinD daemon the cache as its mirror through a read-only volume at /etc/docker", () => {
    const toml = TOML.parse(plan.files["config.toml"]) as any;
    const docker = toml.runners[0].docker;
    const volume = find(plan, "docker:index/volume:Volume", "job-docker-volume")?.inputs.name as string;
    expect(volume).toMatch(/^dev-job-docker-[0-9a-f]{12}$/);
    expect(docker.volumes).toContain(`${volume}:/etc/docker:ro`);
    expect(docker.extra_hosts).toContain("host.docker.internal:host-gateway");
    // No config-level service: a job declaring docker:dind would start a second daemon.
    expect(docker.services).toBeUndefined();
    // The cache's container no longer carries the jobs' files: the holder of the job volume does.
    expect(mirror?.inputs.uploads).toBeUndefined();
    const holder = find(plan, CONTAINER, "job-docker-holder");
    expect(holder?.inputs.volumes).toEqual([{ volumeName: volume, containerPath: "/srv/job-docker" }]);
    const upload = (holder?.inputs.uploads as { file: string; content: string }[]).find((u) =>
      u.file.endsWith("/daemon.json"),
    );
    expect(upload?.file).toBe("/srv/job-docker/daemon.json");
    expect(JSON.parse(upload?.content ?? "")).toEqual({
      "registry-mirrors": ["http://host.docker.internal:5001"],
      "insecure-registries": ["host.docker.internal:5001"],
    });
    expect(plan.files["dind-daemon.json"]).toBe(upload?.content);
  });

  it("puts the stack CA for GitLab's registry where the jobs' DinD daemons look for it (certs.d)", () => {
    const uploads = find(plan, CONTAINER, "job-docker-holder")?.inputs.uploads as { file: string; content: string }[];
    const ca = uploads.find((u) => u.file.endsWith("/ca.crt"));
    expect(ca?.file).toBe("/srv/job-docker/certs.d/198.51.100.7:4567/ca.crt");
    expect(ca?.content).toBe(plan.outputs.gitlabCaCertificate);
    expect(ca?.content).not.toMatch(/PRIVATE KEY/);
  });

  it("points the host daemon at the cache on loopback through cloud-init's /etc/docker/daemon.json", () => {
    const doc = parseYaml(plan.files["user-data.yaml"]) as { write_files: { path: string; content: string }[] };
    const file = doc.write_files.find((f) => f.path === "/etc/docker/daemon.json");
    expect(JSON.parse(file?.content ?? "")).toEqual({
      "registry-mirrors": ["http://127.0.0.1:5001"],
      "insecure-registries": ["127.0.0.1:5001"],
    });
    expect(plan.outputs.dockerHubMirror).toBe("http://host.docker.internal:5001");
  });
});

describe("the local stack", async () => {
  const plan = await planStack("local");

  it("keeps the cache in a named volume, published on the bridge gateway only; the user's daemon is not touched", () => {
    const mirror = find(plan, CONTAINER, "mirror");
    expect(mirror?.inputs.ports).toEqual([{ internal: 5000, external: 5001, ip: "172.17.0.1" }]);
    expect(find(plan, "docker:index/volume:Volume", "mirror-cache")?.inputs.name).toBe("local-mirror-cache");
    expect(mirror?.inputs.volumes).toContainEqual({
      volumeName: "local-mirror-cache",
      containerPath: "/var/lib/registry",
    });
    expect(plan.files["user-data.yaml"]).toBeUndefined();
    // Plain HTTP locally: no registry CA to trust, only the cache's daemon.json in the jobs' volume.
    const holder = find(plan, CONTAINER, "job-docker-holder");
    expect((holder?.inputs.uploads as { file: string }[]).map((u) => u.file)).toEqual(["/srv/job-docker/daemon.json"]);
  });
});

describe("mirror.enabled: false", async () => {
  const off = { "gitlab-dind:mirror": { enabled: false } };
  const aws = await planStack("dev", off);
  const local = await planStack("local", off);

  it("plans none of it: no container, volume, daemon.json or output; a job volume only for the registry's CA", () => {
    for (const plan of [aws, local]) {
      expect(plan.resources.filter((r) => r.name.startsWith("mirror"))).toEqual([]);
      expect(plan.files["dind-daemon.json"]).toBeUndefined();
      expect(plan.outputs.dockerHubMirror).toBeUndefined();
    }
    // Locally (plain HTTP) jobs need nothing in /etc/docker: no volume at all.
    expect((TOML.parse(local.files["config.toml"]) as any).runners[0].docker.volumes).toEqual([
      "/certs/client",
      "/cache",
    ]);
    expect(local.resources.filter((r) => r.name.startsWith("job-docker"))).toEqual([]);
    // On aws with the stack CA the jobs' /etc/docker still holds the registry's CA, and only that.
    const uploads = find(aws, CONTAINER, "job-docker-holder")?.inputs.uploads as { file: string }[];
    expect(uploads.map((u) => u.file)).toEqual(["/srv/job-docker/certs.d/198.51.100.7:4567/ca.crt"]);
    expect(aws.files["user-data.yaml"]).not.toContain("/etc/docker/daemon.json");
  });
});

describe("Docker Hub credentials", () => {
  const token = "dckr_pat_0123456789abcdefghij";

  it("reach the cache as a secret environment entry, never in plain outputs or files", async () => {
    const config = stackConfig(
      "dev",
      { "gitlab-dind:mirror": { dockerHubUsername: "ciuser", dockerHubToken: new ConfigSecret(token) } },
      ["gitlab-dind:mirror"],
    );
    const run = await runUnderMocks(new RecordingMocks(), "gitlab-dind", "dev", () => buildStack(config));
    const mirror = run.mocks.resources.find((r) => r.type === CONTAINER && r.name === "mirror");
    // The provider gets the environment as a secret (one secret entry makes the whole list one).
    const envs = mirror?.inputs.envs;
    expect(isSecretValue(envs), "the environment is a secret").toBe(true);
    expect(revealSecrets(envs)).toEqual(
      expect.arrayContaining(["REGISTRY_PROXY_USERNAME=ciuser", `REGISTRY_PROXY_PASSWORD=${token}`]),
    );

    const plan = await runPlan("gitlab-dind", "dev", config);
    expect(JSON.stringify(plan)).not.toContain(token);
  });

  it("are refused in plain text, or one without the other, naming the key", () => {
    const problems = (mirror: Record<string, unknown>, secret = false) => {
      const parsed = parseStackConfig({
        values: { "gitlab-dind:team": "dev", "gitlab-dind:target": "local", "gitlab-dind:mirror": mirror },
        secretKeys: new Set(secret ? ["gitlab-dind:mirror"] : []),
      });
      return parsed.ok ? [] : parsed.problems;
    };
    expect(problems({ dockerHubUsername: "ciuser", dockerHubToken: token })).toContainEqual(
      expect.stringMatching(/^gitlab-dind:mirror\.dockerHubToken: expected a secret/),
    );
    expect(problems({ dockerHubUsername: "ciuser" })).toContainEqual(
      expect.stringMatching(
        /^gitlab-dind:mirror\.dockerHubToken: expected a secret access token with mirror\.dockerHubUsername/,
      ),
    );
    expect(problems({ dockerHubToken: token }, true)).toEqual([
      "gitlab-dind:mirror.dockerHubUsername: expected the Docker ID the token mirror.dockerHubToken belongs to; it is not set",
    ]);
    expect(problems({ port: 8080 })).toEqual([
      "gitlab-dind:mirror.port: expected a port not used by gitlab.httpPort; got 8080",
    ]);
    expect(problems({ enabled: false, port: 8080 })).toEqual([]);
  });
});

describe("daemon.json", () => {
  it("names the cache as a plain-HTTP mirror at the root of its address", () => {
    expect(mirrorDaemonSettings("host.docker.internal", 5001)).toEqual({
      "registry-mirrors": ["http://host.docker.internal:5001"],
      "insecure-registries": ["host.docker.internal:5001"],
    });
    expect(JSON.parse(dindDaemonJson(5002))["registry-mirrors"]).toEqual(["http://host.docker.internal:5002"]);
    expect(JSON.parse(hostDaemonJson(5002))["registry-mirrors"]).toEqual(["http://127.0.0.1:5002"]);
    expect(() => mirrorDaemonSettings("a b", 5001)).toThrow(/mirror host/);
    expect(() => mirrorDaemonSettings("x", 0)).toThrow(/mirror port/);
  });
});
