/**
 * Issue 15 item 4 under mocks, on the shipped stack file Pulumi.dev-autoscale.yaml: with autoscaled CI
 * workers, the pull-through cache is also published on the GitLab host's private address, the host's
 * security group admits the workers' group (only) on its port, the workers' daemon and their jobs' DinD
 * daemons name it in daemon.json, and none of it exists with the cache or the autoscaler off.
 */
import * as TOML from "@iarna/toml";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as smol from "smol-toml";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKER_BOOTSTRAP_SCRIPT } from "../../infra/autoscaler";
import { revealSecrets, type RecordedResource } from "../../tools/plan/mocks";
import { buildUnderMocks, stackFileValues, type BuiltStack } from "../autoscaler/build-stack";
import { keyProblems, parse } from "../runner-config/key-walk";
import { haveTool, run } from "../support/tools";

const noCloudInit = !haveTool("cloud-init") && process.env.CI !== "true";

const T = {
  container: "docker:index/container:Container",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
};
/** The mocks' GitLab host private address and security groups, and the cache's default port. */
const PRIVATE_IP = "10.42.0.10";
const HOST_SG = "dev-autoscale-host-sg-id";
const WORKERS_SG = "ci-workers-sg-id";
const PORT = 5001;
const MIRROR_SETTINGS = {
  "registry-mirrors": [`http://${PRIVATE_IP}:${PORT}`],
  "insecure-registries": [`${PRIVATE_IP}:${PORT}`],
};
const WORKER_VOLUME = "/etc/gitlab-dind/dind:/etc/docker:ro";
/** The stack CA for GitLab's registry at the mocks' Elastic IP (relative to /etc/docker). */
const CA_PATH = "certs.d/198.51.100.7:4567/ca.crt";

const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-mirror-workers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inputs = (r: RecordedResource): any => revealSecrets(r.inputs);
const mirrorContainer = (b: BuiltStack): RecordedResource | undefined =>
  b.mocks.ofType(T.container).find((r) => r.name === "mirror");
const ingressNames = (b: BuiltStack): string[] => b.mocks.ofType(T.ingress).map((r) => r.name);
/** Ingress rules of any security group whose port range covers `port`. */
const rulesCovering = (b: BuiltStack, port: number): RecordedResource[] =>
  b.mocks.ofType(T.ingress).filter((r) => {
    const from = Number(r.inputs.fromPort);
    const to = Number(r.inputs.toPort);
    return r.inputs.ipProtocol === "-1" || (port >= from && port <= to);
  });
const writeFiles = (userData: string): Array<{ path: string; content: string; permissions?: string }> =>
  (parseYaml(userData) as { write_files: Array<{ path: string; content: string; permissions?: string }> }).write_files;
const dockerSection = (b: BuiltStack): any => (TOML.parse(b.files["config.toml"]) as any).runners[0].docker;

let on: BuiltStack;
let mirrorOff: BuiltStack;
let autoscalerOff: BuiltStack;

beforeAll(async () => {
  on = await buildUnderMocks(stackFileValues("dev-autoscale"));
  mirrorOff = await buildUnderMocks({ ...stackFileValues("dev-autoscale"), "gitlab-dind:mirror": { enabled: false } });
  autoscalerOff = await buildUnderMocks({ ...stackFileValues("dev-autoscale"), "gitlab-dind:runner": {} });
});

describe("with autoscaled workers, the cache", () => {
  it("is published on the bridge gateway, the host's loopback and the host's private address; never unbound", () => {
    const ports = inputs(mirrorContainer(on)!).ports as Array<{ ip?: string }>;
    expect(ports).toEqual([
      { internal: 5000, external: PORT, ip: "172.17.0.1" },
      { internal: 5000, external: PORT, ip: "127.0.0.1" },
      { internal: 5000, external: PORT, ip: PRIVATE_IP },
    ]);
    for (const p of ports) expect(p.ip, JSON.stringify(p)).toMatch(/^(?!0\.0\.0\.0$)\d+\.\d+\.\d+\.\d+$/);
  });

  it("is admitted on the host's group from the workers' group only, by one new rule and nothing else", () => {
    const rule = inputs(on.mocks.ofType(T.ingress).find((r) => r.name === `ci-workers-host-in-${PORT}-from-workers`)!);
    expect(rule).toMatchObject({
      securityGroupId: HOST_SG,
      ipProtocol: "tcp",
      fromPort: PORT,
      toPort: PORT,
      referencedSecurityGroupId: WORKERS_SG,
    });
    for (const source of ["cidrIpv4", "cidrIpv6", "prefixListId"]) expect(rule[source], source).toBeUndefined();
    // No other rule of any group opens the port: not to the world, not to the operators.
    expect(rulesCovering(on, PORT).map((r) => r.name)).toEqual([`ci-workers-host-in-${PORT}-from-workers`]);
    // The only rule the cache adds to the stack.
    const added = ingressNames(on).filter((n) => !ingressNames(mirrorOff).includes(n));
    expect(added).toEqual([`ci-workers-host-in-${PORT}-from-workers`]);
    expect(ingressNames(mirrorOff).filter((n) => !ingressNames(on).includes(n))).toEqual([]);
  });
});

describe("the worker user data", () => {
  it("writes the worker daemon's and the DinD daemon.json before the bootstrap, naming the cache at the private address", () => {
    const userData = on.files["worker-user-data.yaml"];
    // The launch template carries exactly the file the plan shows.
    const lt = inputs(on.mocks.ofType(T.lt)[0]);
    expect(Buffer.from(String(lt.userData), "base64").toString("utf8")).toBe(userData);
    const files = writeFiles(userData);
    expect(files.map((f) => f.path)).toEqual([
      `/etc/docker/${CA_PATH}`,
      "/etc/docker/daemon.json",
      `/etc/gitlab-dind/dind/${CA_PATH}`,
      "/etc/gitlab-dind/dind/daemon.json",
      WORKER_BOOTSTRAP_SCRIPT,
    ]);
    for (const file of files.filter((f) => f.path.endsWith("/daemon.json"))) {
      expect(JSON.parse(file.content), file.path).toEqual(MIRROR_SETTINGS);
      expect(file.permissions, file.path).toBe("0644");
    }
  });

  it.skipIf(noCloudInit)("passes cloud-init schema, with both daemon.json files", () => {
    const userData = on.files["worker-user-data.yaml"];
    expect(writeFiles(userData).filter((f) => f.path.endsWith("/daemon.json"))).toHaveLength(2);
    const path = join(dir, "worker-user-data.yaml");
    writeFileSync(path, userData);
    const r = run("cloud-init", ["schema", "--config-file", path]);
    expect(r.output).toContain("Valid cloud-config");
    expect(r.status).toBe(0);
  });
});

describe("the autoscaled runner's config.toml", () => {
  it("mounts the worker's DinD config directory read-only at /etc/docker; both parsers agree, keys known", () => {
    const text = on.files["config.toml"];
    expect(keyProblems(parse(text))).toEqual([]);
    const smolDoc = JSON.parse(JSON.stringify(smol.parse(text)));
    expect(smolDoc).toEqual(JSON.parse(JSON.stringify(TOML.parse(text))));
    expect(smolDoc.runners[0].executor).toBe("docker-autoscaler");
    expect(smolDoc.runners[0].docker.volumes).toEqual(["/certs/client", "/cache", WORKER_VOLUME]);
    // Not the host's named volume (it does not exist on a worker), not the host's gateway name.
    expect(text).not.toMatch(/job-docker-|host\.docker\.internal/);
  });
});

describe("nothing of it", () => {
  it("with mirror.enabled false: no cache, no rule on its port, no daemon.json on the workers; the registry's CA stays", () => {
    expect(mirrorContainer(mirrorOff)).toBeUndefined();
    expect(rulesCovering(mirrorOff, PORT)).toEqual([]);
    const userData = mirrorOff.files["worker-user-data.yaml"];
    expect(writeFiles(userData).map((f) => f.path)).toEqual([
      `/etc/docker/${CA_PATH}`,
      `/etc/gitlab-dind/dind/${CA_PATH}`,
      WORKER_BOOTSTRAP_SCRIPT,
    ]);
    expect(userData).not.toContain("daemon.json");
    expect(dockerSection(mirrorOff).volumes).toEqual(["/certs/client", "/cache", WORKER_VOLUME]);
    // ... where the same stack with the cache on has each of them.
    expect(rulesCovering(on, PORT)).toHaveLength(1);
    expect(dockerSection(on).volumes).toContain(WORKER_VOLUME);
  });

  it("with the autoscaler off: the cache stays off the private address and its port stays closed", () => {
    expect(inputs(mirrorContainer(autoscalerOff)!).ports).toEqual([
      { internal: 5000, external: PORT, ip: "172.17.0.1" },
      { internal: 5000, external: PORT, ip: "127.0.0.1" },
    ]);
    expect(rulesCovering(autoscalerOff, PORT)).toEqual([]);
    expect(autoscalerOff.files["worker-user-data.yaml"]).toBeUndefined();
    expect(dockerSection(autoscalerOff).volumes).not.toContain(WORKER_VOLUME);
    // ... where the same stack with the autoscaler on publishes it there.
    expect(inputs(mirrorContainer(on)!).ports).toContainEqual({ internal: 5000, external: PORT, ip: PRIVATE_IP });
  });
});
