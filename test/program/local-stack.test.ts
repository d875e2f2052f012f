/**
 * The `local` stack end to end under mocks, as the offline plan runs it: the real program with
 * the settings of Pulumi.local.yaml.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { planStack } from "../support/stack-plans";

/** Pulumi.local.yaml's plan, made once per process (test/support/stack-plans). */
const planLocal = () => planStack("local");

describe("the local stack", () => {
  it("exports GitLab's URL, an SSH clone example, and the secrets as secrets", async () => {
    const plan = await planLocal();
    expect(plan.outputs).toMatchObject({
      team: "local",
      target: "local",
      dockerHost: "unix:///var/run/docker.sock",
      gitlabUrl: "http://localhost:8080",
      rootPassword: "[secret]",
      adminToken: "[secret]",
      sshCloneExample: "git clone ssh://git@localhost:10022/<group>/<project>.git",
    });
  });

  it("runs GitLab on the local daemon through the explicit provider", async () => {
    const plan = await planLocal();
    const byName = (type: string, name: string) => plan.resources.find((r) => r.type === type && r.name === name);
    const provider = byName("pulumi:providers:docker", "local-host-docker");
    expect(provider?.inputs.host).toBe("unix:///var/run/docker.sock");
    const container = byName("docker:index/container:Container", "gitlab");
    expect(container).toBeDefined();
    expect(container?.parent).toBe("gitlab");
    // The environment holds no secret (the password and the token are root-only files): plain.
    expect(JSON.stringify(container?.inputs.envs)).toContain("GITLAB_OMNIBUS_CONFIG=");
    expect(container?.inputs.uploads).toBe("[secret]");
    expect(byName("pulumi-nodejs:dynamic/gitlab-dind:GitLabReadiness", "gitlab-ready")?.inputs.adminToken).toBe(
      "[secret]",
    );
    // GitLab's image, three volumes and container (test/gitlab checks their provider).
    const gitlabDocker = plan.resources.filter((r) => r.type.startsWith("docker:") && r.parent === "gitlab");
    expect(gitlabDocker.map((r) => r.name).sort()).toEqual([
      "gitlab",
      "gitlab-config",
      "gitlab-data",
      "gitlab-image",
      "gitlab-logs",
    ]);
  });

  it("registers the runner and runs it with its config.toml; the token never shows", async () => {
    const plan = await planLocal();
    const byName = (type: string, name: string) => plan.resources.find((r) => r.type === type && r.name === name);
    expect(byName("pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration", "runner-registration")?.parent).toBe(
      "runner",
    );
    const runner = byName("docker:index/container:Container", "runner");
    expect(runner?.inputs).toMatchObject({ name: "local-runner", restart: "always", uploads: "[secret]" });
    expect(runner?.inputs.volumes).toEqual([
      { containerPath: "/var/run/docker.sock", hostPath: "/var/run/docker.sock" },
    ]);
    expect(plan.outputs).toMatchObject({ runnerId: 1, runnerTags: ["docker", "dind"] });
    const toml = plan.files["config.toml"];
    expect(toml).toContain('token = "glrt-[secret]"');
    expect(toml).toContain('url = "http://host.docker.internal:8080"');
    expect(toml).toContain("privileged = true");
    expect(toml).not.toContain("docker.sock");
    // The stack's example pipeline is the one shipped in examples/ (default runner settings), without
    // its registry jobs: locally $CI_REGISTRY is localhost, the job's dind service itself. Its cache
    // jobs stay: the host's local cache hits.
    const shipped = parseYaml(
      readFileSync(join(__dirname, "..", "..", "examples", "dind", ".gitlab-ci.yml"), "utf8"),
    ) as Record<string, { stage?: string }>;
    const local = parseYaml(plan.files["gitlab-ci.example.yml"]) as Record<string, unknown>;
    expect(Object.keys(local)).toEqual(["docker-in-docker", "cache-write", "cache-read"]);
    expect(local["cache-read"]).toEqual(shipped["cache-read"]);
    const { stage: _stage, ...shippedJob } = shipped["docker-in-docker"];
    expect(local["docker-in-docker"]).toEqual(shippedJob);
  });

  it("writes gitlab.rb, which reads the root password from a file instead of holding it", async () => {
    const plan = await planLocal();
    const rb = plan.files["gitlab.rb"];
    expect(rb).toContain("external_url 'http://localhost:8080'");
    expect(rb).toContain("gitlab_rails['initial_root_password'] = File.read('/opt/gitlab-dind/root-password').chomp");
    expect(rb).not.toMatch(/p{16,}/);
  });
});
