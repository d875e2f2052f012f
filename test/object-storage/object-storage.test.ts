/**
 * Issue 22, object storage: `gitlab.objectStorage: s3` under the recording mocks, on the shipped stack
 * files with the key laid over them (no stack file of its own). The buckets and their protections,
 * gitlab.rb as Ruby reads it (no key, every omnibus key known at its version), the host role's
 * statements, the host's DOCKER-USER rule as cloud-init, shellcheck, systemd and a stand-in iptables
 * see it, the import file for kept buckets, the policy pack, and the config's refusals.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";
import { renderGitLabRb, type GitLabRbSetting } from "../../infra/gitlab/gitlab-rb";
import { embeddedScripts, renderCloudInit } from "../../infra/host/aws/cloud-init";
import {
  IMDS_ADDRESS,
  JOB_IMDS_COMMENT,
  JOB_IMDS_SCRIPT,
  JOB_IMDS_SCRIPT_TEXT,
  JOB_IMDS_UNIT,
  JOB_IMDS_UNIT_TEXT,
} from "../../infra/host/aws/job-imds";
import { OBJECT_STORAGE_IMPORT_FILE } from "../../infra/object-storage";
import { objectTypesFor } from "../../infra/object-storage/buckets";
import { NONCURRENT_VERSION_DAYS, OBJECT_STORAGE_TYPE } from "../../infra/object-storage/object-storage";
import {
  GITLAB_BUCKET_ACTIONS,
  GITLAB_OBJECT_ACTIONS,
  REGISTRY_BUCKET_ACTIONS,
  REGISTRY_OBJECT_ACTIONS,
  objectStorageSettings,
} from "../../infra/object-storage/settings";
import { POLICIES } from "../../policy/policies";
import { cli } from "../../tools/plan/main";
import { readStackFile } from "../../tools/plan/stack-file";
import type { Plan, PlannedResource } from "../../tools/plan/run-plan";
import { runPolicies } from "../../tools/policy/run-policies";
import { HOST_INPUT } from "../host/cloud-init-input";
import { inProcess } from "../support/command";
import { planStack, ROOT } from "../support/stack-plans";
import { haveTool, requireTool, run } from "../support/tools";

const S3 = { "gitlab-dind:gitlab.objectStorage": "s3" };
const COMPONENT = "dev-object-storage";
/** Each object type of GitLab 19.3 (the pinned image), then the registry. */
const TYPES_19_3 = objectTypesFor({ major: 19, minor: 3, patch: 0 });
const BUCKETS = [...TYPES_19_3, "registry"];

const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-object-storage-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let plan: Plan;
beforeAll(async () => {
  plan = await planStack("dev", S3);
}, 120_000);

const ofType = (p: Plan, type: string) => p.resources.filter((r) => r.type === type);
const children = (p: Plan) => p.resources.filter((r) => r.parent === COMPONENT && r.parentType === OBJECT_STORAGE_TYPE);
/** The setting of `type` configuring the bucket named `bucket`. */
function settingOf(p: Plan, type: string, bucket: string): PlannedResource {
  const found = ofType(p, type).filter((r) => r.inputs.bucket === bucket);
  expect(found, `${type} of ${bucket}`).toHaveLength(1);
  return found[0];
}
const bucketNames = (p: Plan) =>
  ofType(p, "aws:s3/bucket:Bucket")
    .filter((b) => b.parent === COMPONENT)
    .map((b) => String(b.inputs.bucket));

describe("gitlab.objectStorage in the configuration", () => {
  const local = readStackFile(join(ROOT, "Pulumi.local.yaml")).values;
  const dev = readStackFile(join(ROOT, "Pulumi.dev.yaml")).values;
  const parse = (values: RawConfig) => parseStackConfig({ values });

  it("is refused on the local target, naming the key, with every other problem", () => {
    const r = parse({ ...local, ...S3, "gitlab-dind:gitlab.httpPort": 0 });
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems).toContain(
      "gitlab-dind:gitlab.objectStorage: expected local on the local target (s3 creates S3 buckets in the stack's AWS account, reached with the EC2 host's role); got \"s3\"",
    );
    expect(problems.some((p) => p.startsWith("gitlab-dind:gitlab.httpPort:"))).toBe(true);
  });

  it("npm run plan of a local stack with s3: exit 1, the key named, no stack trace, nothing written", async () => {
    const stackFile = join(scratch, "Pulumi.local-s3.yaml");
    writeFileSync(
      stackFile,
      `${readFileSync(join(ROOT, "Pulumi.local.yaml"), "utf8")}\n  gitlab-dind:gitlab.objectStorage: s3\n`,
    );
    const out = mkdtempSync(join(scratch, "out-"));
    const r = await inProcess(cli, ["--stack", "local-s3", "--config-file", stackFile, "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("gitlab-dind:gitlab.objectStorage: expected local on the local target");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(out)).toEqual([]);
  });

  it("takes local or s3 only, and is local by default on both targets", () => {
    const r = parse({ ...dev, "gitlab-dind:gitlab.objectStorage": "minio" });
    expect(r.ok ? [] : r.problems).toEqual([
      'gitlab-dind:gitlab.objectStorage: expected one of local, s3; got "minio"',
    ]);
    for (const values of [dev, local]) {
      const c = parse(values);
      expect(c.ok && c.config.gitlab.objectStorage).toBe("local");
    }
  });

  it("s3 raises the IMDS hop limit to 2 (GitLab's container is one hop further), refuses 1, keeps 3", () => {
    const at = (values: RawConfig) => {
      const r = parse(values);
      return r.ok ? r.config.host.imdsHopLimit : r.problems;
    };
    expect(at(dev)).toBe(1);
    expect(at({ ...dev, ...S3 })).toBe(2);
    expect(at({ ...dev, ...S3, "gitlab-dind:host.imdsHopLimit": 3 })).toBe(3);
    expect(at({ ...dev, ...S3, "gitlab-dind:host.imdsHopLimit": 1 })).toEqual([
      "gitlab-dind:host.imdsHopLimit: expected at least 2 with gitlab.objectStorage s3 (GitLab's container reaches the host role's credentials for its buckets through IMDS from a Docker bridge network, one hop more than the host); got 1",
    ]);
  });

  it("refuses a team whose bucket names S3 would refuse (a reserved prefix), naming gitlab-dind:team", () => {
    const r = parse({ ...dev, ...S3, "gitlab-dind:team": "xn--dev" });
    expect(r.ok ? [] : r.problems).toEqual([
      'gitlab-dind:team: expected a team whose object storage bucket names S3 accepts with gitlab.objectStorage s3 (no prefix S3 reserves, such as xn-- or sthree-); "xn--dev-gitlab-artifacts-00000000" is not one',
    ]);
    expect(parse({ ...dev, "gitlab-dind:team": "xn--dev" }).ok).toBe(true);
  });
});

describe("the buckets", () => {
  it("one per object type of GitLab 19.3 and one for the registry, named with the team, at most 63 characters", () => {
    expect(TYPES_19_3).toEqual([
      "artifacts",
      "external_diffs",
      "lfs",
      "uploads",
      "packages",
      "dependency_proxy",
      "terraform_state",
      "ci_secure_files",
      "agent_plan_content",
      "pages",
    ]);
    const names = bucketNames(plan);
    expect([...names].sort()).toEqual(BUCKETS.map((b) => `dev-gitlab-${b.replace(/_/g, "-")}-5eed0000`).sort());
    for (const name of names) expect(name.length).toBeLessThanOrEqual(63);
    // A 21-character team still fits.
    expect(`${"t".repeat(21)}-gitlab-agent-plan-content-00000000`.length).toBeLessThanOrEqual(63);
  });

  it("each is encrypted (SSE-S3), versioned with a noncurrent expiry, closed to the public, ACL-free and TLS-only", () => {
    for (const name of bucketNames(plan)) {
      const enc = settingOf(
        plan,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        name,
      );
      expect(enc.inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
      expect(settingOf(plan, "aws:s3/bucketVersioning:BucketVersioning", name).inputs.versioningConfiguration).toEqual({
        status: "Enabled",
      });
      expect(settingOf(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name).inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(settingOf(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", name).inputs.rule).toEqual({
        objectOwnership: "BucketOwnerEnforced",
      });
      const policy = JSON.parse(String(settingOf(plan, "aws:s3/bucketPolicy:BucketPolicy", name).inputs.policy));
      expect(policy.Statement).toEqual([
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]);
      const rules = settingOf(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", name).inputs
        .rules as Record<string, unknown>[];
      expect(rules[0]).toMatchObject({
        status: "Enabled",
        noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      });
      // Nothing expires the current objects: GitLab decides what to delete.
      expect(rules.some((r) => (r.expiration as { days?: number } | undefined)?.days !== undefined)).toBe(false);
    }
    // Neither SSE-C nor Object Lock anywhere (GitLab supports neither).
    expect(JSON.stringify(children(plan))).not.toMatch(/objectLock|sseCustomer|customerAlgorithm/i);
  });

  it("with host.keepDataOnDestroy (the default) each is retained, settings too, and never force-emptied; without it, both the other way", async () => {
    for (const r of children(plan).filter((c) => c.type.startsWith("aws:s3/"))) {
      expect(r.options?.retainOnDelete, r.name).toBe(true);
      expect(r.options?.protect, r.name).toBe(false);
    }
    for (const b of ofType(plan, "aws:s3/bucket:Bucket").filter((r) => r.parent === COMPONENT))
      expect(b.inputs.forceDestroy).toBe(false);
    const dropped = await planStack("dev", { ...S3, "gitlab-dind:host.keepDataOnDestroy": false });
    for (const r of children(dropped).filter((c) => c.type.startsWith("aws:s3/")))
      expect(r.options?.retainOnDelete, r.name).toBe(false);
    for (const b of ofType(dropped, "aws:s3/bucket:Bucket").filter((r) => r.parent === COMPONENT))
      expect(b.inputs.forceDestroy).toBe(true);
  });

  it("no registry bucket (nor its storage setting or statements) with the registry off", async () => {
    const off = await planStack("dev", { ...S3, "gitlab-dind:gitlab.registryPort": 0 });
    expect(bucketNames(off)).not.toContain("dev-gitlab-registry-5eed0000");
    expect(bucketNames(off)).toHaveLength(TYPES_19_3.length);
    expect(off.files["gitlab.rb"]).not.toContain("registry['storage']");
    const policy = JSON.parse(
      String(
        ofType(off, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name === "dev-host-object-storage")?.inputs.policy,
      ),
    );
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      "ListGitLabObjectBuckets",
      "ReadWriteGitLabObjects",
    ]);
  });

  it("pass the policy pack (s3-encrypted, s3-tls-only, s3-versioned, s3-public-access-blocked and the rest), which would catch an unversioned one", async () => {
    expect((await runPolicies(plan, POLICIES)).map((v) => `${v.policy}: ${v.resource}`)).toEqual([]);
    const copy = structuredClone(plan) as Plan & { resources: PlannedResource[] };
    const lfs = "dev-gitlab-lfs-5eed0000";
    copy.resources = copy.resources.filter(
      (r) => !(r.type === "aws:s3/bucketVersioning:BucketVersioning" && r.inputs.bucket === lfs),
    );
    const violations = (await runPolicies(copy, POLICIES)).map((v) => v.policy);
    expect(violations).toEqual(["s3-versioned"]);
  });
});

describe("gitlab.rb", () => {
  const rb = () => plan.files["gitlab.rb"];

  it("has no static key and no secret, only the instance role (use_iam_profile)", () => {
    expect(rb()).not.toMatch(/aws_access_key_id|aws_secret_access_key|accesskey|secretkey|AKIA/i);
    expect(rb()).toContain("'use_iam_profile' => true");
  });

  // Ruby itself: the rendered file parses and every value reads back exactly.
  const hasRuby = requireTool("ruby", "apt-get install ruby");
  it.skipIf(!hasRuby)("Ruby reads back the consolidated object storage and the registry's S3 driver", () => {
    const stub = [
      "require 'json'",
      "$set = {}",
      'class Scope; def initialize(n); @n = n; end; def []=(k, v); $set["#{@n}[#{k}]"] = v; end; def [](k); Scope.new("#{@n}[#{k}]"); end; end',
      "%w[gitlab_rails nginx registry registry_nginx letsencrypt].each { |n| Object.send(:define_method, n) { (@scopes ||= {})[n] ||= Scope.new(n) } }",
      "def external_url(v); $set['external_url'] = v; end",
      "def registry_external_url(v); $set['registry_external_url'] = v; end",
      // The root-only files gitlab.rb reads exist only in GitLab's container.
      "File.define_singleton_method(:read) { |*| 'a file' }",
    ].join("\n");
    const out = execFileSync("ruby", ["-e", `${stub}\neval(STDIN.read)\nputs JSON.generate($set)`], {
      input: rb(),
    }).toString();
    const set = JSON.parse(out) as Record<string, unknown>;
    expect(set["gitlab_rails[object_store][enabled]"]).toBe(true);
    expect(set["gitlab_rails[object_store][connection]"]).toEqual({
      provider: "AWS",
      region: "eu-central-1",
      use_iam_profile: true,
    });
    expect(set["gitlab_rails[object_store][proxy_download]"]).toBe(false);
    const buckets = Object.fromEntries(
      Object.entries(set)
        .filter(([k]) => /^gitlab_rails\[object_store\]\[objects\]\[[a-z_]+\]\[bucket\]$/.test(k))
        .map(([k, v]) => [k.split("][")[2], v]),
    );
    expect(buckets).toEqual(
      Object.fromEntries(TYPES_19_3.map((t) => [t, `dev-gitlab-${t.replace(/_/g, "-")}-5eed0000`])),
    );
    expect(set["registry[storage]"]).toEqual({
      s3_v2: { bucket: "dev-gitlab-registry-5eed0000", region: "eu-central-1" },
    });
  });

  /** The keys settings write, as the vendored omnibus lists spell them. */
  const keysOf = (settings: readonly GitLabRbSetting[]) =>
    settings.map((s) =>
      s.kind === "call"
        ? s.method
        : `${s.scope}${[s.key]
            .flat()
            .map((k) => `[${k}]`)
            .join("")}`,
    );
  const omnibus = (tag: string) =>
    new Set(
      (
        JSON.parse(readFileSync(join(ROOT, "test", "gitlab", "omnibus-keys", `${tag}.json`), "utf8")) as {
          keys: string[];
        }
      ).keys,
    );

  it("writes only keys omnibus knows at the version: 19.3 (with agent_plan_content), 16.0 (without, and the s3 driver)", () => {
    for (const [tag, version] of [
      ["19.3.0+ce.0", { major: 19, minor: 3, patch: 0 }],
      ["19.1.0+ce.0", { major: 19, minor: 1, patch: 0 }],
      ["16.0.0+ce.0", { major: 16, minor: 0, patch: 0 }],
    ] as const) {
      const types = objectTypesFor(version);
      const settings = objectStorageSettings({
        version,
        region: "eu-central-1",
        buckets: Object.fromEntries(types.map((t) => [t, `b-${t}`])),
        registryBucket: "b-registry",
      });
      const known = omnibus(tag);
      expect(
        keysOf(settings).filter((k) => !known.has(k)),
        tag,
      ).toEqual([]);
      expect(types.includes("agent_plan_content"), tag).toBe(tag !== "16.0.0+ce.0");
      expect(renderGitLabRb(settings), tag).toContain(tag === "16.0.0+ce.0" ? "{ 's3' => {" : "{ 's3_v2' => {");
    }
    // The check can fail: 19.3's agent_plan_content key is not 16.0's.
    expect(omnibus("16.0.0+ce.0").has("gitlab_rails[object_store][objects][agent_plan_content][bucket]")).toBe(false);
  });

  it("stays as it was without the option (the shipped dev stack writes no object storage)", async () => {
    const dev = await planStack("dev");
    expect(dev.files["gitlab.rb"]).not.toContain("object_store");
    expect(dev.files["gitlab.rb"]).not.toContain("registry['storage']");
    expect(plan.files["gitlab.rb"].startsWith(dev.files["gitlab.rb"].replace(/\n$/, ""))).toBe(true);
  });
});

describe("the host role", () => {
  it("gets exactly GitLab's and the registry driver's S3 actions, on these buckets only, nothing on *", () => {
    const policies = ofType(plan, "aws:iam/rolePolicy:RolePolicy").filter((r) => r.name === "dev-host-object-storage");
    expect(policies).toHaveLength(1);
    const arn = (b: string) => `arn:aws:s3:::dev-gitlab-${b.replace(/_/g, "-")}-5eed0000`;
    expect(JSON.parse(String(policies[0].inputs.policy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ListGitLabObjectBuckets",
          Effect: "Allow",
          Action: [...GITLAB_BUCKET_ACTIONS],
          Resource: TYPES_19_3.map(arn),
        },
        {
          Sid: "ReadWriteGitLabObjects",
          Effect: "Allow",
          Action: [...GITLAB_OBJECT_ACTIONS],
          Resource: TYPES_19_3.map((t) => `${arn(t)}/*`),
        },
        { Sid: "RegistryBucket", Effect: "Allow", Action: [...REGISTRY_BUCKET_ACTIONS], Resource: [arn("registry")] },
        {
          Sid: "RegistryObjects",
          Effect: "Allow",
          Action: [...REGISTRY_OBJECT_ACTIONS],
          Resource: [`${arn("registry")}/*`],
        },
      ],
    });
    expect(GITLAB_OBJECT_ACTIONS).toEqual(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]);
    expect(REGISTRY_OBJECT_ACTIONS).toContain("s3:AbortMultipartUpload");
    expect(REGISTRY_BUCKET_ACTIONS).toContain("s3:ListBucketMultipartUploads");
  });

  it("is in place before GitLab first starts (its container depends on the policy)", () => {
    const gitlab = plan.resources.find((r) => r.type === "docker:index/container:Container" && r.name === "gitlab");
    expect(gitlab?.options?.dependsOn).toContain("dev-host-object-storage");
  });
});

describe("the import file for a stack that takes kept buckets back", () => {
  it("names every bucket and setting the program creates, by its type, name and bucket, under the component", () => {
    const doc = JSON.parse(plan.files[OBJECT_STORAGE_IMPORT_FILE]) as {
      resources: { type: string; name: string; id?: string; parent?: string; component?: boolean }[];
    };
    expect(doc.resources[0]).toEqual({ type: OBJECT_STORAGE_TYPE, name: COMPONENT, component: true });
    expect(doc.resources[1]).toEqual({
      type: "random:index/randomId:RandomId",
      name: `${COMPONENT}-suffix`,
      id: "Xu0AAA",
      parent: COMPONENT,
    });
    // base64url of the suffix's 4 bytes is what the random provider imports.
    expect(Buffer.from("Xu0AAA", "base64url").toString("hex")).toBe("5eed0000");
    const imported = doc.resources.slice(2);
    const planned = children(plan).filter((r) => r.type.startsWith("aws:s3/"));
    expect(imported.map((r) => `${r.type} ${r.name}`).sort()).toEqual(planned.map((r) => `${r.type} ${r.name}`).sort());
    for (const r of imported) {
      expect(r.parent).toBe(COMPONENT);
      const p = planned.find((x) => x.name === r.name && x.type === r.type)!;
      expect(r.id).toBe(String(p.inputs.bucket));
    }
    expect(imported).toHaveLength(BUCKETS.length * 7);
    expect(JSON.parse(String(plan.outputs.objectStorageImport))).toEqual(doc);
  });
});

describe("job containers and the metadata service (DOCKER-USER)", () => {
  const userData = () => plan.files["user-data.yaml"];
  const filesOf = (text: string) =>
    (parseYaml(text) as { write_files: { path: string; content: string }[] }).write_files;

  it("is rendered with s3: the script, the unit wanted by docker.service, enabled at first boot", () => {
    const files = new Map(filesOf(userData()).map((f) => [f.path, f.content]));
    expect(files.get(JOB_IMDS_SCRIPT)).toBe(JOB_IMDS_SCRIPT_TEXT);
    expect(files.get(`/etc/systemd/system/${JOB_IMDS_UNIT}`)).toBe(JOB_IMDS_UNIT_TEXT);
    const unit = JOB_IMDS_UNIT_TEXT.split("\n");
    expect(unit).toEqual(
      expect.arrayContaining([
        "After=docker.service",
        "PartOf=docker.service",
        "WantedBy=docker.service",
        "Type=oneshot",
      ]),
    );
    const runcmd = (parseYaml(userData()) as { runcmd: string[][] }).runcmd;
    expect(runcmd).toContainEqual(["systemctl", "enable", JOB_IMDS_UNIT]);
    expect(JOB_IMDS_SCRIPT_TEXT).toContain(`-i br-+ -d ${IMDS_ADDRESS}/32`);
  });

  it("is rendered whenever the hop limit lets containers reach IMDS and jobs run on the host, object storage or not", async () => {
    for (const hops of [2, 3]) {
      const text = (await planStack("dev", { "gitlab-dind:host.imdsHopLimit": hops })).files["user-data.yaml"];
      expect(text, `host.imdsHopLimit ${hops}`).toContain(JOB_IMDS_UNIT);
    }
    const one = (await planStack("dev", { "gitlab-dind:host.imdsHopLimit": 1 })).files["user-data.yaml"];
    expect(one).not.toContain("job-imds");
  });

  it("is not rendered without the option, nor with the autoscaler (no job on the host): their user data is unchanged", async () => {
    for (const [stack, values] of [
      ["dev", {}],
      ["dev-letsencrypt", {}],
      ["dev-autoscale", {}],
      ["dev-autoscale", S3],
    ] as const) {
      const text = (await planStack(stack, values)).files["user-data.yaml"];
      expect(text, `${stack} ${JSON.stringify(values)}`).not.toContain("job-imds");
    }
    expect(renderCloudInit({ ...HOST_INPUT, blockJobImds: false })).toBe(renderCloudInit(HOST_INPUT));
    expect(renderCloudInit({ ...HOST_INPUT, blockJobImds: true })).not.toBe(renderCloudInit(HOST_INPUT));
  });

  const hasCloudInit = requireTool("cloud-init", "apt-get install -y cloud-init");
  it.skipIf(!hasCloudInit)("the user data with the rule passes cloud-init schema", () => {
    const path = join(scratch, "user-data.yaml");
    writeFileSync(path, userData());
    const r = run("cloud-init", ["schema", "--config-file", path]);
    expect(r.status, r.output).toBe(0);
  });

  const hasShellcheck = requireTool("shellcheck", "apt-get install -y shellcheck");
  it.skipIf(!hasShellcheck)("its script passes shellcheck", () => {
    const script = embeddedScripts(userData()).find((s) => s.path === JOB_IMDS_SCRIPT);
    expect(script).toBeDefined();
    const path = join(scratch, "gitlab-dind-job-imds");
    writeFileSync(path, script!.content);
    const r = run("shellcheck", ["--shell=bash", "--severity=style", path]);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  const hasSystemdAnalyze = haveTool("systemd-analyze", ["--version"]);
  it.skipIf(!hasSystemdAnalyze)("its unit passes systemd-analyze verify, which catches a broken one", () => {
    const dir = mkdtempSync(join(scratch, "unit-"));
    const script = join(dir, "gitlab-dind-job-imds");
    writeFileSync(script, JOB_IMDS_SCRIPT_TEXT);
    chmodSync(script, 0o755);
    const verify = (text: string) => {
      const unit = join(dir, JOB_IMDS_UNIT);
      writeFileSync(unit, text.replaceAll(JOB_IMDS_SCRIPT, script));
      const r = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
      return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`.trim() };
    };
    const good = verify(JOB_IMDS_UNIT_TEXT);
    expect(good.output).toBe("");
    expect(good.status).toBe(0);
    expect(verify(JOB_IMDS_UNIT_TEXT.replace("Type=oneshot", "Type=one-shot")).output).toMatch(
      /Failed to parse service type/,
    );
  });

  it("its script, run with a stand-in iptables, inserts the rule first in DOCKER-USER once and leaves it on a second run", () => {
    const dir = mkdtempSync(join(scratch, "run-"));
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const calls = join(dir, "calls");
    const state = join(dir, "installed");
    // -C succeeds once the rule was inserted (-I), as iptables would.
    writeFileSync(
      join(bin, "iptables"),
      [
        "#!/bin/bash",
        `echo "$*" >>'${calls}'`,
        'case " $* " in',
        `  *" -C "*) [ -e '${state}' ] ;;`,
        `  *" -I "*) touch '${state}' ;;`,
        "  *) exit 0 ;;",
        "esac",
      ].join("\n"),
    );
    chmodSync(join(bin, "iptables"), 0o755);
    const script = join(dir, "script");
    writeFileSync(script, JOB_IMDS_SCRIPT_TEXT);
    const once = () =>
      spawnSync("bash", [script], { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(once().status).toBe(0);
    expect(once().status).toBe(0);
    const lines = readFileSync(calls, "utf8").trim().split("\n");
    const rule = `-i br-+ -d ${IMDS_ADDRESS}/32 -m comment --comment ${JOB_IMDS_COMMENT} -j DROP`;
    expect(lines.filter((l) => l.includes(" -I "))).toEqual([`-w -I DOCKER-USER 1 ${rule}`]);
    expect(lines.filter((l) => l.includes(" -C "))).toEqual([`-w -C DOCKER-USER ${rule}`, `-w -C DOCKER-USER ${rule}`]);
  });
});
