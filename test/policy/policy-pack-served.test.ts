/**
 * The pack as `pulumi preview --policy-pack policy` runs it: @pulumi/pulumi's run-policy-pack started
 * from policy/ (the CLI starts the analyzer with the pack directory as its working directory, and
 * Node resolves the pack's modules from the repository's node_modules), compiling index.ts with
 * ts-node as the CLI does; then the engine's side of the gRPC Analyzer protocol: GetAnalyzerInfo and
 * Analyze, as the engine calls them for each resource at preview.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/stack-plans";

// The gRPC and protobuf modules @pulumi/pulumi's generated stubs use (the same instances).
const fromPulumi = createRequire(require.resolve("@pulumi/pulumi"));
const grpc = fromPulumi("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const analyzerPb = fromPulumi("./proto/analyzer_pb") as typeof import("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc = fromPulumi("./proto/analyzer_grpc_pb") as typeof import("@pulumi/pulumi/proto/analyzer_grpc_pb");
const structPb = fromPulumi(
  "google-protobuf/google/protobuf/struct_pb",
) as typeof import("google-protobuf/google/protobuf/struct_pb");
const emptyPb = fromPulumi(
  "google-protobuf/google/protobuf/empty_pb",
) as typeof import("google-protobuf/google/protobuf/empty_pb");
type AnalyzerInfo = import("@pulumi/pulumi/proto/analyzer_pb").AnalyzerInfo;
type AnalyzeResponse = import("@pulumi/pulumi/proto/analyzer_pb").AnalyzeResponse;

let pack: ChildProcess | undefined;
let client: InstanceType<typeof analyzerGrpc.AnalyzerClient> | undefined;
let stderr = "";
/** ts-node's compile cache for the pack, kept out of the shared temporary directory and removed. */
const cache = mkdtempSync(join(tmpdir(), "gitlab-dind-policy-ts-node-"));

beforeAll(async () => {
  const runPolicyPack = join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
  // Arguments as the CLI passes them: the engine's address (unused by the pack) and the pack directory.
  pack = spawn(process.execPath, [runPolicyPack, "127.0.0.1:1", "."], {
    cwd: join(ROOT, "policy"),
    env: { ...process.env, TS_NODE_CACHE_DIRECTORY: cache },
    stdio: ["ignore", "pipe", "pipe"],
  });
  pack.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    pack!.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) resolve(Number(m[1]));
    });
    pack!.on("exit", (code) => reject(new Error(`the pack exited (${code}) before serving:\n${stderr}`)));
  });
  client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 180_000);

afterAll(() => {
  client?.close();
  pack?.kill();
  rmSync(cache, { recursive: true, force: true });
});

function info(): Promise<AnalyzerInfo> {
  return new Promise((resolve, reject) =>
    client!.getAnalyzerInfo(new emptyPb.Empty(), (err, response) => (err ? reject(err) : resolve(response))),
  );
}

function analyze(request: InstanceType<typeof analyzerPb.AnalyzeRequest>): Promise<AnalyzeResponse> {
  return new Promise((resolve, reject) =>
    client!.analyze(request, (err, response) => (err ? reject(err) : resolve(response))),
  );
}

function analyzeRequest(
  type: string,
  name: string,
  urn: string,
  props: Parameters<typeof structPb.Struct.fromJavaScript>[0],
) {
  const req = new analyzerPb.AnalyzeRequest();
  req.setType(type);
  req.setName(name);
  req.setUrn(urn);
  req.setProperties(structPb.Struct.fromJavaScript(props));
  const opts = new analyzerPb.AnalyzerResourceOptions();
  opts.setParent(urn.split("::").slice(0, 2).join("::"));
  req.setOptions(opts);
  return req;
}

const GITLAB_URN =
  "urn:pulumi:dev::gitlab-dind::pulumi:pulumi:Stack$gitlab-dind:index:GitLabServer$docker:index/container:Container::gitlab";

describe("the pack served as pulumi preview --policy-pack policy serves it", () => {
  it("announces the gitlab-dind pack with its fifteen mandatory policies", async () => {
    const pack = await info();
    expect(pack.getName()).toBe("gitlab-dind");
    expect(pack.getVersion()).toBe("0.1.0");
    const policies = pack.getPoliciesList();
    expect(policies.map((p) => p.getName())).toEqual([
      "docker-api-admin-only",
      "no-ssh-from-anywhere",
      "imdsv2-required",
      "ebs-encrypted",
      "iam-no-wildcard-admin",
      "s3-public-access-blocked",
      "docker-socket-runner-only",
      "gitlab-plain-http-requested",
      "cache-not-from-internet",
      "iam-no-managed-admin",
      "no-privileged-containers",
      "s3-encrypted",
      "s3-tls-only",
      "s3-versioned",
      "host-recovery-alarm",
    ]);
    expect(new Set(policies.map((p) => p.getEnforcementlevel()))).toEqual(
      new Set([analyzerPb.EnforcementLevel.MANDATORY]),
    );
  });

  it("reports a mandatory violation for a GitLab container mounting the Docker socket, none for one that does not", async () => {
    const gitlab = (volumes: object[]) =>
      analyzeRequest("docker:index/container:Container", "gitlab", GITLAB_URN, {
        name: "dev-gitlab",
        volumes,
        labels: [{ label: "gitlab-dind.plain-http-requested", value: "false" }],
        envs: ["GITLAB_OMNIBUS_CONFIG=external_url 'https://gitlab.example.com'\n"],
      });
    const bad = await analyze(gitlab([{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }]));
    const diagnostics = bad.getDiagnosticsList();
    expect(diagnostics.map((d) => d.getPolicyname())).toEqual(["docker-socket-runner-only"]);
    expect(diagnostics[0].getEnforcementlevel()).toBe(analyzerPb.EnforcementLevel.MANDATORY);
    expect(diagnostics[0].getMessage()).toContain("mounts the Docker socket /var/run/docker.sock");
    const good = await analyze(gitlab([{ hostPath: "/srv/gitlab/data", containerPath: "/var/opt/gitlab" }]));
    expect(good.getDiagnosticsList()).toEqual([]);
  });
});
