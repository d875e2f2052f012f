/**
 * Issue 20 section 5: every DinD daemon a job can start trusts GitLab's registry. For the four ways
 * jobs run (on the host or on autoscaled workers, with the pull-through cache on or off), the offline
 * plan of the shipped stack files is read the way the runner and dockerd would: config.toml (with two
 * TOML parsers) says what is mounted at /etc/docker in job and service containers, the host's holder
 * container or the workers' user data says what that mount holds, and the CA must land at
 * `/etc/docker/certs.d/<host:port>/ca.crt` for the `<host:port>` gitlab.rb's `registry_external_url`
 * gives jobs as `$CI_REGISTRY`.
 */
import * as TOML from "@iarna/toml";
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import * as smol from "smol-toml";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { checkedJobDockerFiles, jobDockerFilesDigest, registryAddress, registryCaPath } from "../../infra/job-docker";
import type { Plan } from "../../tools/plan/run-plan";
import { planStack } from "../support/stack-plans";

/** Where dockerd reads registry CAs (moby v29 daemon/pkg/registry/config.go `CertsDir`). */
const CERTS_DIR = "/etc/docker/certs.d";
const CONTAINER = "docker:index/container:Container";

/** config.toml's `[runners.docker] volumes`, the same from both parsers. */
function jobMounts(plan: Plan): string[] {
  const text = plan.files["config.toml"];
  const iarna = JSON.parse(JSON.stringify(TOML.parse(text)));
  expect(JSON.parse(JSON.stringify(smol.parse(text)))).toEqual(iarna);
  return iarna.runners[0].docker.volumes as string[];
}

/** `$CI_REGISTRY` as GitLab gives it to jobs: host:port of gitlab.rb's registry_external_url; or none. */
function ciRegistry(plan: Plan): string | undefined {
  const url = /^registry_external_url '([^']+)'$/m.exec(plan.files["gitlab.rb"])?.[1];
  return url === undefined ? undefined : registryAddress(url);
}

/**
 * Every file a job or service container sees under /etc/docker, with its text: through a named volume
 * (filled by the host's holder container's uploads) or through a worker directory (written by the
 * workers' cloud-init).
 */
function filesInJobs(plan: Plan): Map<string, string> {
  const seen = new Map<string, string>();
  for (const mount of jobMounts(plan)) {
    const [source, target] = mount.split(":");
    if (target !== "/etc/docker") continue;
    expect(mount.endsWith(":ro"), mount).toBe(true);
    if (source?.startsWith("/")) {
      const doc = parseYaml(plan.files["worker-user-data.yaml"]) as {
        write_files: { path: string; content: string }[];
      };
      for (const f of doc.write_files) {
        if (f.path.startsWith(`${source}/`)) seen.set(posix.join(target, f.path.slice(source.length + 1)), f.content);
      }
    } else {
      const holders = plan.resources.filter(
        (r) =>
          r.type === CONTAINER &&
          ((r.inputs.volumes as { volumeName?: string }[] | undefined) ?? []).some((v) => v.volumeName === source),
      );
      expect(holders.map((h) => h.name)).toEqual(["job-docker-holder"]);
      const holder = holders[0];
      // Created, never started: it only holds the files.
      expect(holder.inputs.start).toBe(false);
      const at = (holder.inputs.volumes as { volumeName: string; containerPath: string }[]).find(
        (v) => v.volumeName === source,
      )!.containerPath;
      for (const u of holder.inputs.uploads as { file: string; content: string }[]) {
        expect(u.file.startsWith(`${at}/`), u.file).toBe(true);
        seen.set(posix.join(target, u.file.slice(at.length + 1)), u.content);
      }
    }
  }
  return seen;
}

const MODES = [
  { mode: "on the host, with the cache", stack: "dev", values: {}, cache: true },
  {
    mode: "on the host, without the cache",
    stack: "dev",
    values: { "gitlab-dind:mirror": { enabled: false } },
    cache: false,
  },
  { mode: "on workers, with the cache", stack: "dev-autoscale", values: {}, cache: true },
  {
    mode: "on workers, without the cache",
    stack: "dev-autoscale",
    values: { "gitlab-dind:mirror": { enabled: false } },
    cache: false,
  },
] as const;

describe.each(MODES)("jobs $mode", ({ stack, values, cache }) => {
  it("find the stack CA where dockerd reads the CA of $CI_REGISTRY, and the cache's daemon.json only with the cache", async () => {
    const plan = await planStack(stack, values);
    const registry = ciRegistry(plan);
    expect(registry).toBe("198.51.100.7:4567");
    const files = filesInJobs(plan);
    const ca = files.get(`${CERTS_DIR}/${registry}/ca.crt`);
    expect(ca).toBe(plan.outputs.gitlabCaCertificate);
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(files.has("/etc/docker/daemon.json")).toBe(cache);
    expect([...files.keys()].sort()).toEqual(
      [`${CERTS_DIR}/${registry}/ca.crt`, ...(cache ? ["/etc/docker/daemon.json"] : [])].sort(),
    );
    for (const text of files.values()) expect(text).not.toMatch(/PRIVATE KEY/);
  });
});

describe("the autoscaled workers' own daemon", () => {
  it("trusts the registry too (job images from GitLab's registry are pulled by it)", async () => {
    const plan = await planStack("dev-autoscale");
    const doc = parseYaml(plan.files["worker-user-data.yaml"]) as { write_files: { path: string; content: string }[] };
    const ca = doc.write_files.find((f) => f.path === `${CERTS_DIR}/198.51.100.7:4567/ca.crt`);
    expect(ca?.content).toBe(plan.outputs.gitlabCaCertificate);
  });
});

describe("no CA to hand out", () => {
  it("with Let's Encrypt (public roots): jobs get the cache's daemon.json only", async () => {
    const plan = await planStack("dev-letsencrypt");
    expect(ciRegistry(plan)).toBe("gitlab.dev.example.com:4567");
    expect([...filesInJobs(plan).keys()]).toEqual(["/etc/docker/daemon.json"]);
  });

  it("with gitlab.registryPort 0 (no registry): nothing under certs.d, and no volume without the cache", async () => {
    const off = { "gitlab-dind:gitlab": { registryPort: 0 } };
    for (const stack of ["dev", "dev-autoscale"]) {
      const plan = await planStack(stack, off);
      expect(ciRegistry(plan)).toBeUndefined();
      expect([...filesInJobs(plan).keys()]).toEqual(["/etc/docker/daemon.json"]);
      const bare = await planStack(stack, { ...off, "gitlab-dind:mirror": { enabled: false } });
      expect(jobMounts(bare)).toEqual(["/certs/client", "/cache"]);
      expect(bare.resources.filter((r) => r.name.startsWith("job-docker"))).toEqual([]);
    }
  });
});

describe("the jobs' /etc/docker files", () => {
  it("are named by host:port under certs.d, as $CI_REGISTRY names the registry", () => {
    expect(registryAddress("https://198.51.100.7:4567")).toBe("198.51.100.7:4567");
    expect(registryAddress("https://gitlab.example.com:5050/")).toBe("gitlab.example.com:5050");
    expect(registryCaPath("198.51.100.7:4567")).toBe("certs.d/198.51.100.7:4567/ca.crt");
  });

  it("refuse paths outside /etc/docker and duplicates, all at once", () => {
    expect(() =>
      checkedJobDockerFiles([
        { path: "../passwd", content: "" },
        { path: "/etc/shadow", content: "" },
        { path: "daemon.json", content: "{}" },
        { path: "daemon.json", content: "{}" },
      ]),
    ).toThrow(
      /"\.\.\/passwd": expected a relative path[\s\S]*"\/etc\/shadow": expected a relative path[\s\S]*"daemon\.json": given twice/,
    );
  });

  it("name the host's volume by their content: another CA or another port is another volume", () => {
    const a = [{ path: "certs.d/198.51.100.7:4567/ca.crt", content: "CA 1" }];
    expect(jobDockerFilesDigest(a)).toMatch(/^[0-9a-f]{12}$/);
    expect(jobDockerFilesDigest([{ ...a[0], content: "CA 2" }])).not.toBe(jobDockerFilesDigest(a));
    expect(jobDockerFilesDigest([{ ...a[0], path: "certs.d/198.51.100.7:5050/ca.crt" }])).not.toBe(
      jobDockerFilesDigest(a),
    );
    // Order does not matter: contributions may come in any order.
    const b = [...a, { path: "daemon.json", content: "{}" }];
    expect(jobDockerFilesDigest([...b].reverse())).toBe(jobDockerFilesDigest(b));
  });
});

describe("the example pipeline's registry round trip, only where jobs can reach the registry", () => {
  const jobs = (plan: Awaited<ReturnType<typeof planStack>>) =>
    Object.keys(parseYaml(plan.files["gitlab-ci.example.yml"]) as Record<string, unknown>);

  it("on aws with the stack CA: the push and pull jobs, as in the pipeline shipped in examples/", async () => {
    const plan = await planStack("dev");
    expect(jobs(plan)).toEqual(expect.arrayContaining(["registry-push", "registry-pull"]));
    expect(plan.files["gitlab-ci.example.yml"]).toBe(
      readFileSync(join(__dirname, "..", "..", "examples", "dind", ".gitlab-ci.yml"), "utf8"),
    );
  });

  it("not locally ($CI_REGISTRY is localhost, the dind service itself), nor with plain http, nor without a registry", async () => {
    for (const [stack, values] of [
      ["local", {}],
      ["dev", { "gitlab-dind:gitlab": { externalUrl: "http://gitlab.example.com" } }],
      ["dev", { "gitlab-dind:gitlab": { registryPort: 0 } }],
    ] as const) {
      const names = jobs(await planStack(stack, values));
      expect(names, `${stack} ${JSON.stringify(values)}`).not.toContain("registry-push");
      expect(names).toContain("docker-in-docker");
    }
  });
});
