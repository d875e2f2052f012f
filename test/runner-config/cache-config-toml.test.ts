/**
 * config.toml's `[runners.cache]` for the shared S3 cache (issue 23): rendered from the bucket and
 * its region, read back by both TOML parsers with only keys gitlab-runner v19.3.0 reads (the key walk),
 * and a model that would put credentials in the file, or a cache that is not shared, refused.
 */
import * as TOML from "@iarna/toml";
import * as smol from "smol-toml";
import { describe, expect, test } from "vitest";
import {
  CACHE_CREDENTIAL_KEYS,
  RunnerConfigError,
  configModelProblems,
  renderRunnerConfigToml,
  runnerConfigModel,
  type RunnerConfigModel,
} from "../../runner-config";
import { DEFAULT_RUNNER, TOKEN, defaultModel } from "./fixtures";
import { keyProblems, parse } from "./key-walk";

const BUCKET = { bucketName: "payments-runner-cache-0a1b2c3d", region: "eu-west-1" };

function cachedModel(): RunnerConfigModel {
  return runnerConfigModel({
    team: "payments",
    url: "http://gitlab.example.com",
    token: TOKEN,
    runner: DEFAULT_RUNNER,
    cache: BUCKET,
  });
}

/** The model with runners[0].cache replaced (as untyped data: a JavaScript caller or a cast). */
function withCache(cache: unknown): RunnerConfigModel {
  const model = cachedModel();
  return { ...model, runners: [{ ...model.runners[0], cache: cache as never }] };
}

describe("the shared S3 cache in config.toml", () => {
  test("[runners.cache] Type s3, Shared; [runners.cache.s3] the bucket, its region, IAM, SSE-S3", () => {
    const text = renderRunnerConfigToml(cachedModel());
    expect((TOML.parse(text) as any).runners[0].cache).toEqual({
      Type: "s3",
      Shared: true,
      s3: {
        BucketName: "payments-runner-cache-0a1b2c3d",
        BucketLocation: "eu-west-1",
        AuthenticationType: "iam",
        ServerSideEncryption: "S3",
      },
    });
    expect(text).toMatch(/\[runners\.cache\]\n\s*Type = "s3"\n\s*Shared = true\n/);
  });

  test("both parsers read the same document, and every key is one gitlab-runner reads, at its type", () => {
    const text = renderRunnerConfigToml(cachedModel());
    expect(keyProblems(parse(text))).toEqual([]);
    expect(JSON.parse(JSON.stringify(smol.parse(text)))).toEqual(JSON.parse(JSON.stringify(TOML.parse(text))));
  });

  test("without a bucket there is no [runners.cache] (the local cache)", () => {
    expect((TOML.parse(renderRunnerConfigToml(defaultModel())) as any).runners[0].cache).toBeUndefined();
  });

  test("the key walk knows the runner's cache keys and catches a misspelt one", () => {
    const text = [
      "[[runners]]",
      "[runners.cache]",
      'Type = "s3"',
      "[runners.cache.s3]",
      'BucketNmae = "x"',
      "DualStack = 1",
    ].join("\n");
    expect(keyProblems(parse(text))).toEqual([
      "runners[0].cache.s3.BucketNmae: gitlab-runner reads no such key in [runners.cache.s3]",
      "runners[0].cache.s3.DualStack: gitlab-runner reads a boolean",
    ]);
  });
});

describe("refused models", () => {
  test("credentials or a role ARN in [runners.cache.s3]: each named, none of their values shown", () => {
    const s3 = { ...cachedModel().runners[0].cache!.s3 } as Record<string, unknown>;
    for (const key of CACHE_CREDENTIAL_KEYS) s3[key] = `secret-${key}`;
    const problems = configModelProblems(withCache({ Type: "s3", Shared: true, s3 }));
    expect(problems).toEqual(
      CACHE_CREDENTIAL_KEYS.map(
        (key) =>
          `runners[0].cache.s3.${key}: expected no credentials in config.toml (the manager presigns each archive's URLs with its role; ${key} would put credentials in the file or in the job); given a value`,
      ),
    );
    expect(problems.join("\n")).not.toContain("secret-");
  });

  test("not shared, another type, keys authentication, no bucket or region, another encryption, all at once", () => {
    expect(
      configModelProblems(
        withCache({
          Type: "gcs",
          Shared: false,
          Path: "x",
          s3: {
            BucketName: "Bad_Bucket",
            BucketLocation: "",
            AuthenticationType: "access-key",
            ServerSideEncryption: "none",
          },
        }),
      ),
    ).toEqual([
      'runners[0].cache.Type: expected "s3"; given "gcs"',
      "runners[0].cache.Shared: expected true (without it every key starts with runner/<token>/, and a new token starts from an empty cache); given false",
      "runners[0].cache.Path: not a key this renderer emits",
      'runners[0].cache.s3.BucketName: expected an S3 bucket name (3–63 lower-case letters, digits, dots, hyphens); given "Bad_Bucket"',
      'runners[0].cache.s3.BucketLocation: expected the bucket\'s region (a non-empty string); given ""',
      'runners[0].cache.s3.AuthenticationType: expected "iam" (the runner manager\'s own role signs the URLs; no key in the file); given "access-key"',
      'runners[0].cache.s3.ServerSideEncryption: expected "S3" or "KMS"; given "none"',
    ]);
    expect(() =>
      renderRunnerConfigToml(withCache({ Type: "s3", Shared: false, s3: cachedModel().runners[0].cache!.s3 })),
    ).toThrow(RunnerConfigError);
  });
});
