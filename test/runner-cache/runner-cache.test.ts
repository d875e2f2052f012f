/**
 * Issue 23, the shared S3 cache, under mocks on the shipped stack files: the bucket and its protections
 * on an autoscaling stack (the default there), the host role's one statement, config.toml's
 * `[runners.cache]` read back by both TOML parsers with only keys gitlab-runner v19.3.0 reads, the
 * policy pack's verdict, and that stacks without the autoscaler keep the local cache.
 */
import * as TOML from "@iarna/toml";
import * as smol from "smol-toml";
import { beforeAll, describe, expect, it } from "vitest";
import { DISPOSABLE_CACHE_TAG } from "../../infra/runner-cache";
import { DISPOSABLE_CACHE_TAG as POLICY_DISPOSABLE_CACHE_TAG, POLICIES, deniesPlainHttp } from "../../policy/policies";
import { CACHE_CREDENTIAL_KEYS } from "../../runner-config";
import { revealSecrets, valueOf, type RecordedResource } from "../../tools/plan/mocks";
import type { Plan } from "../../tools/plan/run-plan";
import { runPolicies } from "../../tools/policy/run-policies";
import { buildUnderMocks, stackFileValues, type BuiltStack } from "../autoscaler/build-stack";
import { keyProblems, parse } from "../runner-config/key-walk";
import { planStack } from "../support/stack-plans";

const T = {
  bucket: "aws:s3/bucket:Bucket",
  encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
};

const inputs = (r: RecordedResource): any => revealSecrets(r.inputs);
const named = (b: BuiltStack, type: string, name: string): RecordedResource => {
  const found = b.mocks.ofType(type).filter((r) => r.name === name);
  expect(found, `${type} ${name}`).toHaveLength(1);
  return found[0];
};
const cacheOf = (toml: string): unknown => (TOML.parse(toml) as any).runners[0].cache;

let scaled: BuiltStack;

beforeAll(async () => {
  scaled = await buildUnderMocks(stackFileValues("dev-autoscale"));
});

describe("the cache bucket (dev-autoscale: the S3 cache by default)", () => {
  it("is the team's, disposable, tagged as a disposable cache, and not versioned", () => {
    const bucket = inputs(named(scaled, T.bucket, "runner-cache-bucket"));
    expect(bucket.bucket).toMatch(/^dev-autoscale-runner-cache-[0-9a-f]{8}$/);
    expect(bucket.forceDestroy).toBe(true);
    expect(bucket.tags).toMatchObject({ Team: "dev-autoscale", Name: "dev-autoscale-runner-cache" });
    expect(bucket.tags[DISPOSABLE_CACHE_TAG]).toBe("true");
    // The tag the policy pack's s3-versioned exception reads.
    expect(DISPOSABLE_CACHE_TAG).toBe(POLICY_DISPOSABLE_CACHE_TAG);
    expect(scaled.mocks.ofType(T.versioning).map((r): unknown => inputs(r).bucket)).not.toContain(bucket.bucket);
    // Kept with nothing: deleted with the stack.
    expect(scaled.options.get("runner-cache-bucket")?.retainOnDelete).toBeUndefined();
  });

  it("is encrypted (SSE-S3), blocks all public access, refuses plain HTTP, expires archives after 14 days", () => {
    const name = inputs(named(scaled, T.bucket, "runner-cache-bucket")).bucket;
    expect(inputs(named(scaled, T.encryption, "runner-cache-encryption"))).toEqual({
      bucket: name,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    expect(inputs(named(scaled, T.publicAccess, "runner-cache-public-access"))).toEqual({
      bucket: name,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const policy = inputs(named(scaled, T.policy, "runner-cache-policy"));
    expect(policy.bucket).toBe(name);
    expect(deniesPlainHttp(policy.policy, name)).toBe(true);
    expect(scaled.dependsOn.get("runner-cache-policy")).toEqual(["runner-cache-public-access"]);
    expect(inputs(named(scaled, T.lifecycle, "runner-cache-expiry"))).toEqual({
      bucket: name,
      rules: [
        {
          id: "expire-cache-archives",
          status: "Enabled",
          filter: { prefix: "" },
          expiration: { days: 14 },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
      ],
    });
  });

  it("expires after runner.cache.expireDays", async () => {
    const b = await buildUnderMocks({
      ...stackFileValues("dev-autoscale"),
      "gitlab-dind:runner": { autoscaler: { enabled: true }, cache: { expireDays: 3 } },
    });
    expect(inputs(named(b, T.lifecycle, "runner-cache-expiry")).rules[0].expiration).toEqual({ days: 3 });
  });

  it("the host role gets one policy of its own: Get/Put on the bucket's project/ objects, nothing else", async () => {
    const bucket = inputs(named(scaled, T.bucket, "runner-cache-bucket")).bucket;
    const policy = inputs(named(scaled, T.rolePolicy, "dev-autoscale-host-runner-cache"));
    expect(policy.role).toBe(
      inputs(named(scaled, "aws:iam/instanceProfile:InstanceProfile", "dev-autoscale-host-profile")).role,
    );
    expect(JSON.parse(policy.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "RunnerCacheArchives",
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:PutObject"],
          Resource: `arn:aws:s3:::${bucket}/project/*`,
        },
      ],
    });
    // No other policy of the role names the cache bucket.
    const others = scaled.mocks
      .ofType(T.rolePolicy)
      .filter((r) => r.name !== "dev-autoscale-host-runner-cache")
      .map((r) => String(inputs(r).policy));
    expect(others.filter((p) => p.includes(bucket))).toEqual([]);
    expect(await valueOf(scaled.result.outputs.runnerCacheBucket as never)).toBe(bucket);
  });

  it("the workers still carry no instance profile: the manager presigns, the helper only uses URLs", () => {
    expect(inputs(scaled.mocks.ofType(T.launchTemplate)[0]).iamInstanceProfile).toBeUndefined();
  });
});

describe("config.toml's [runners.cache]", () => {
  it("Type s3, Shared, the bucket and its region, IAM and SSE-S3: no key and no role ARN", () => {
    const bucket = inputs(named(scaled, T.bucket, "runner-cache-bucket")).bucket;
    const text = scaled.files["config.toml"];
    expect(cacheOf(text)).toEqual({
      Type: "s3",
      Shared: true,
      s3: {
        BucketName: bucket,
        BucketLocation: "eu-central-1",
        AuthenticationType: "iam",
        ServerSideEncryption: "S3",
      },
    });
    for (const key of CACHE_CREDENTIAL_KEYS) expect(text).not.toContain(key);
    // ... and the example pipeline proves a hit across jobs (on different workers when there are several).
    expect(scaled.files["gitlab-ci.example.yml"]).toContain("cache-read:");
  });

  it("both TOML parsers read the same document, with only keys gitlab-runner v19.3.0 reads, at their types", () => {
    const text = scaled.files["config.toml"];
    expect(keyProblems(parse(text))).toEqual([]);
    expect(JSON.parse(JSON.stringify(smol.parse(text)))).toEqual(JSON.parse(JSON.stringify(TOML.parse(text))));
    expect((smol.parse(text) as any).runners[0].cache.s3.AuthenticationType).toBe("iam");
  });

  it("an autoscaling stack may keep the local cache: no bucket, no grant, no [runners.cache]", async () => {
    const b = await buildUnderMocks({
      ...stackFileValues("dev-autoscale"),
      "gitlab-dind:runner": { autoscaler: { enabled: true }, cache: { type: "local" } },
    });
    expect(b.mocks.ofType(T.bucket).map((r) => r.name)).not.toContain("runner-cache-bucket");
    expect(b.mocks.ofType(T.rolePolicy).map((r) => r.name)).not.toContain("dev-autoscale-host-runner-cache");
    expect(cacheOf(b.files["config.toml"])).toBeUndefined();
    expect(b.result.outputs.runnerCacheBucket).toBeUndefined();
    // A fresh worker's local cache is empty: the example pipeline has no cache jobs to fail.
    expect(b.files["gitlab-ci.example.yml"]).not.toContain("cache-read");
  });
});

describe("stacks without the autoscaler keep the local cache", () => {
  it("dev (aws, docker executor on the host): no cache bucket, no [runners.cache]", async () => {
    const b = await buildUnderMocks(stackFileValues("dev"), "dev");
    expect(b.config.runner.cache.type).toBe("local");
    expect(b.mocks.ofType(T.bucket).map((r) => r.name)).not.toContain("runner-cache-bucket");
    expect(cacheOf(b.files["config.toml"])).toBeUndefined();
  });

  it("dev with the S3 cache asked for (and hop limit 2): the host runner's config.toml names the bucket", async () => {
    const b = await buildUnderMocks(
      {
        ...stackFileValues("dev"),
        "gitlab-dind:host": { imdsHopLimit: 2 },
        "gitlab-dind:runner": { cache: { type: "s3" } },
      },
      "dev",
    );
    const bucket = inputs(named(b, T.bucket, "runner-cache-bucket")).bucket;
    const runner = (TOML.parse(b.files["config.toml"]) as any).runners[0];
    expect(runner.executor).toBe("docker");
    expect(runner.cache.s3.BucketName).toBe(bucket);
    expect(named(b, T.rolePolicy, "dev-host-runner-cache")).toBeDefined();
  });
});

describe("the policy pack", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev-autoscale");
  });
  const withBucket = (change: (r: any) => void): Plan => {
    const copy = structuredClone(plan);
    for (const r of copy.resources) change(r);
    return copy;
  };
  const violations = async (p: Plan) =>
    (await runPolicies(p, POLICIES)).map((v) => `${v.policy}: ${v.resource.split("::").pop()}`);

  it("passes the cache bucket: encrypted, TLS-only, public access blocked, unversioned by the disposable-cache tag", async () => {
    expect(await violations(plan)).toEqual([]);
  });

  it("would fail it without the tag (versioning), without the TLS-only policy, or without encryption", async () => {
    const untagged = withBucket((r) => {
      if (r.type === T.bucket && r.name === "runner-cache-bucket") delete r.inputs.tags[DISPOSABLE_CACHE_TAG];
    });
    expect(await violations(untagged)).toEqual(["s3-versioned: runner-cache-bucket"]);
    const noPolicy = { ...plan, resources: plan.resources.filter((r) => r.name !== "runner-cache-policy") };
    expect(await violations(noPolicy)).toEqual(["s3-tls-only: runner-cache-bucket"]);
    const noEncryption = { ...plan, resources: plan.resources.filter((r) => r.name !== "runner-cache-encryption") };
    expect(await violations(noEncryption)).toEqual(["s3-encrypted: runner-cache-bucket"]);
  });
});
