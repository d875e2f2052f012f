import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { describe, expect, test } from "vitest";
import {
  CACHE_HIT_LINE,
  CACHE_READ_JOB,
  CACHE_WRITE_JOB,
  DIND_SERVICE_ALIAS,
  EXAMPLE_PIPELINE_FILE,
  RunnerConfigError,
  derivedServiceAliases,
  privilegedImagePatterns,
  PUSHED_IMAGE_GREETING,
  REGISTRY_PULL_JOB,
  REGISTRY_PUSH_JOB,
  renderExamplePipeline,
} from "../../runner-config";
import { parseCiJobs } from "../support/fake-gitlab/pipelines";
import { describePipeline } from "../../tools/smoke/pipeline";
import { requireTool, run } from "../support/tools";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import {
  SHIPPED_EXAMPLE_PIPELINE,
  defaultRunnerTags,
  renderDefaultExamplePipeline,
} from "../../runner-config/default-example";
import { admitsImage } from "../../runner-config/privileged-images";
import { DEFAULT_DIND_IMAGE, DEFAULT_JOB_IMAGE } from "../../infra/config/schema";
import { awkwardText } from "./fixtures";

const ROOT = join(__dirname, "..", "..");

interface Job {
  image: string;
  services: { name: string; alias?: string }[];
  variables: Record<string, string>;
  tags?: string[];
  script: string[];
}

function job(text: string): Job {
  const doc = parse(text) as Record<string, Job>;
  return doc["docker-in-docker"];
}

describe("the example pipeline", () => {
  test(`examples/dind/.gitlab-ci.yml is the default render (regenerate: npx tsx runner-config/default-example.ts)`, () => {
    expect(readFileSync(join(ROOT, SHIPPED_EXAMPLE_PIPELINE), "utf8")).toBe(renderDefaultExamplePipeline());
  });

  test("the file name the offline plan writes", () => {
    expect(EXAMPLE_PIPELINE_FILE).toBe("gitlab-ci.example.yml");
  });

  test("the default render: -cli job image, dind service (the runner names it docker), TLS cert dir, the runner's tags", () => {
    const j = job(renderDefaultExamplePipeline());
    expect(j.image).toBe(DEFAULT_JOB_IMAGE);
    expect(j.services).toEqual([{ name: DEFAULT_DIND_IMAGE }]);
    expect(j.variables).toEqual({ DOCKER_TLS_CERTDIR: "/certs" });
    expect(j.tags).toEqual(defaultRunnerTags());
    expect(j.script).toEqual([
      "docker version",
      `docker info --format 'Registry Mirrors: {{join .RegistryConfig.Mirrors ", "}}'`,
      "docker run -d --name alpine-1 alpine:3.22 sleep 600",
      "docker run -d --name alpine-2 alpine:3.22 sleep 600",
      "docker container ls",
    ]);
  });

  /** Every host name the runner gives the job's services: derived from the image, then the explicit alias. */
  function serviceNames(j: Job): string[] {
    return j.services.flatMap((s) => [...derivedServiceAliases(s.name), ...(s.alias === undefined ? [] : [s.alias])]);
  }

  test.each([
    ["the default docker:<v>-dind", DEFAULT_DIND_IMAGE, undefined],
    ["docker:dind", "docker:dind", undefined],
    ["docker:<v>-dind pinned by digest", `docker:29.7.2-dind@sha256:${"a".repeat(64)}`, undefined],
    ["a custom dind image", "registry.example.com/tools/dind:1", DIND_SERVICE_ALIAS],
    ["a registry with a port", "registry.example.com:5000/dind:1", DIND_SERVICE_ALIAS],
    ["Docker Hub's long form", "docker.io/library/docker:29.7.2-dind", DIND_SERVICE_ALIAS],
  ])(
    "%s: the service is reachable as docker exactly once (no 'Skipping alias' warning in the job log)",
    (_what, dindImage, alias) => {
      const j = job(renderExamplePipeline({ jobImage: DEFAULT_JOB_IMAGE, dindImage, tags: [], registry: false }));
      expect(j.services).toEqual([alias === undefined ? { name: dindImage } : { name: dindImage, alias }]);
      expect(serviceNames(j).filter((n) => n === "docker")).toEqual(["docker"]);
    },
  );

  test("the service aliases GitLab Runner derives (rows of gitlab-runner v19.3.0 helpers/container/services/test/test.go)", () => {
    const digest = `@sha256:${"1234567890".repeat(6)}abcd`;
    expect(derivedServiceAliases("service")).toEqual(["service"]);
    expect(derivedServiceAliases("service:version")).toEqual(["service"]);
    expect(derivedServiceAliases("namespace/service:version")).toEqual(["namespace__service", "namespace-service"]);
    expect(derivedServiceAliases("domain.tld/namespace/service:version")).toEqual([
      "domain.tld__namespace__service",
      "domain.tld-namespace-service",
    ]);
    expect(derivedServiceAliases("domain.tld:8080/service:version")).toEqual([
      "domain.tld__service",
      "domain.tld-service",
    ]);
    expect(derivedServiceAliases("subdomain.domain.tld:8080/namespace/service")).toEqual([
      "subdomain.domain.tld__namespace__service",
      "subdomain.domain.tld-namespace-service",
    ]);
    expect(derivedServiceAliases(`service${digest}`)).toEqual(["service"]);
    expect(derivedServiceAliases(`domain.tld:8080/namespace/service${digest}`)).toEqual([
      "domain.tld__namespace__service",
      "domain.tld-namespace-service",
    ]);
    expect(derivedServiceAliases("Not A Valid/Image")).toEqual([]);
  });

  test("the service it names runs privileged under the config.toml allow-list; its job image does not", () => {
    const j = job(renderDefaultExamplePipeline());
    const patterns = privilegedImagePatterns(DEFAULT_DIND_IMAGE);
    expect(admitsImage(patterns, j.services[0].name)).toBe(true);
    expect(admitsImage(patterns, j.image)).toBe(false);
  });

  test("no tags: the job is untagged (the key is left out)", () => {
    const j = job(
      renderExamplePipeline({ jobImage: DEFAULT_JOB_IMAGE, dindImage: DEFAULT_DIND_IMAGE, tags: [], registry: false }),
    );
    expect("tags" in j).toBe(false);
  });

  test("non-matching images and empty tags are refused, every problem listed", () => {
    const render = () =>
      renderExamplePipeline({
        jobImage: "docker:28.0.0-cli",
        dindImage: DEFAULT_DIND_IMAGE,
        tags: ["docker", " "],
        registry: true,
      });
    expect(render).toThrow(RunnerConfigError);
    try {
      render();
    } catch (e) {
      expect((e as RunnerConfigError).problems).toEqual([
        `jobImage: expected the CLI image matching dindImage (${DEFAULT_DIND_IMAGE}), docker:29.7.2-cli; given "docker:28.0.0-cli"`,
        'tags[1]: expected a non-empty tag; given " "',
      ]);
    }
  });

  test("property: tags with quotes, backslashes, #, newlines and non-ASCII read back unchanged", () => {
    fc.assert(
      fc.property(
        fc.array(
          awkwardText.filter((t) => t.trim() !== ""),
          { maxLength: 5 },
        ),
        (tags) => {
          const doc = parse(
            renderExamplePipeline({ jobImage: DEFAULT_JOB_IMAGE, dindImage: DEFAULT_DIND_IMAGE, tags, registry: true }),
          ) as Record<string, Job>;
          for (const name of ["docker-in-docker", REGISTRY_PUSH_JOB, REGISTRY_PULL_JOB])
            expect(doc[name]?.tags ?? [], name).toEqual(tags);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("the registry jobs", () => {
  const registry = (on: boolean) =>
    renderExamplePipeline({
      jobImage: DEFAULT_JOB_IMAGE,
      dindImage: DEFAULT_DIND_IMAGE,
      tags: ["docker"],
      registry: on,
    });
  const PUSHED = "$CI_REGISTRY_IMAGE/smoke:$CI_PIPELINE_ID";
  const LOGIN =
    'echo "$CI_REGISTRY_PASSWORD" | docker login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"';

  test("the default render (the registry is on by default) pushes in a stage after the DinD job and pulls after that", () => {
    const doc = parse(renderDefaultExamplePipeline()) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual([
      "stages",
      "docker-in-docker",
      REGISTRY_PUSH_JOB,
      REGISTRY_PULL_JOB,
      CACHE_WRITE_JOB,
      CACHE_READ_JOB,
    ]);
    // GitLab's order, as the fake GitLab reads it: the DinD job (default stage test), then push, then pull.
    const parsed = parseCiJobs(renderDefaultExamplePipeline());
    if ("error" in parsed) throw new Error(parsed.error);
    expect(parsed.jobs.map((j) => [j.name, j.stage])).toEqual([
      ["docker-in-docker", "test"],
      [REGISTRY_PUSH_JOB, "push"],
      [REGISTRY_PULL_JOB, "pull"],
      [CACHE_WRITE_JOB, ".pre"],
      [CACHE_READ_JOB, ".post"],
    ]);
    expect(parsed.stages.indexOf("test")).toBeLessThan(parsed.stages.indexOf("push"));
    expect(parsed.stages.indexOf("push")).toBeLessThan(parsed.stages.indexOf("pull"));
    // cache-write alone before every stage, cache-read alone after every one.
    expect(parsed.stages[0]).toBe(".pre");
    expect(parsed.stages.at(-1)).toBe(".post");
    // smoke knows all three jobs, with the runner's tags.
    expect(describePipeline(renderDefaultExamplePipeline(), "default").jobTags).toEqual({
      "docker-in-docker": defaultRunnerTags(),
      [REGISTRY_PUSH_JOB]: defaultRunnerTags(),
      [REGISTRY_PULL_JOB]: defaultRunnerTags(),
      [CACHE_WRITE_JOB]: defaultRunnerTags(),
      [CACHE_READ_JOB]: defaultRunnerTags(),
    });
  });

  test("push: logs in with the job token on stdin, builds a tiny image inside DinD, pushes $CI_REGISTRY_IMAGE/smoke:<pipeline>", () => {
    const doc = parse(registry(true)) as Record<string, Job>;
    const push = doc[REGISTRY_PUSH_JOB];
    const dind = doc["docker-in-docker"];
    // The same DinD set-up as the proven job.
    expect(push.image).toBe(dind.image);
    expect(push.services).toEqual(dind.services);
    expect(push.variables).toEqual({ DOCKER_TLS_CERTDIR: "/certs", PUSHED_IMAGE: PUSHED });
    expect(push.script).toEqual([
      LOGIN,
      `printf 'FROM %s\\nCMD ["echo", "%s %s"]\\n' alpine:3.22 "${PUSHED_IMAGE_GREETING}" "$CI_PIPELINE_ID" | docker build --tag "$PUSHED_IMAGE" -`,
      'docker push "$PUSHED_IMAGE"',
    ]);
    // No password on a command line (the log echoes every command).
    expect(push.script.join("\n")).not.toMatch(/--password[ =]|-p /);
  });

  test("pull: a fresh DinD daemon pulls the image back and runs it", () => {
    const doc = parse(registry(true)) as Record<string, Job>;
    const pull = doc[REGISTRY_PULL_JOB];
    expect(pull.variables).toEqual({ DOCKER_TLS_CERTDIR: "/certs", PUSHED_IMAGE: PUSHED });
    expect(pull.services).toEqual(doc["docker-in-docker"].services);
    expect(pull.script).toEqual([LOGIN, 'docker pull "$PUSHED_IMAGE"', 'docker run --rm "$PUSHED_IMAGE"']);
  });

  test("without a registry (gitlab.registryPort 0): the DinD job only, no stages", () => {
    expect(Object.keys(parse(registry(false)) as object)).toEqual(["docker-in-docker"]);
  });

  test.skipIf(!requireTool("shellcheck", "apt-get install shellcheck"))(
    "every script line is clean under shellcheck (sh), and the Dockerfile it writes is the image's",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-example-pipeline-"));
      try {
        const doc = parse(registry(true)) as Record<string, Job>;
        for (const name of [REGISTRY_PUSH_JOB, REGISTRY_PULL_JOB]) {
          const file = join(dir, `${name}.sh`);
          writeFileSync(file, `#!/bin/sh\nset -eu\n${doc[name].script.join("\n")}\n`);
          const r = run("shellcheck", ["--shell=sh", "--severity=style", "--exclude=SC2154", file]);
          expect(r.output, name).toBe("");
        }
        // The build's Dockerfile, as sh's printf writes it for pipeline 4711.
        const printf = doc[REGISTRY_PUSH_JOB].script[1].split(" | ")[0];
        const script = join(dir, "dockerfile.sh");
        writeFileSync(script, `CI_PIPELINE_ID=4711\n${printf}\n`);
        expect(run("sh", [script]).output).toBe(`FROM alpine:3.22\nCMD ["echo", "${PUSHED_IMAGE_GREETING} 4711"]\n`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("the cache jobs", () => {
  const render = (cache: boolean, registry = false) =>
    parse(
      renderExamplePipeline({
        jobImage: DEFAULT_JOB_IMAGE,
        dindImage: DEFAULT_DIND_IMAGE,
        tags: ["docker"],
        registry,
        cache,
      }),
    ) as Record<string, any>;

  test("cache-write (alone, first) pushes smoke-cache/ under a key of this pipeline; cache-read (alone, last) pulls it and prints the hit", () => {
    const doc = render(true);
    // GitLab's own first and last stages: no stages list needed.
    expect(doc.stages).toBeUndefined();
    expect(doc[CACHE_WRITE_JOB]).toEqual({
      stage: ".pre",
      image: DEFAULT_JOB_IMAGE,
      tags: ["docker"],
      cache: { key: "smoke-$CI_PIPELINE_ID", paths: ["smoke-cache/"], policy: "push" },
      script: ["mkdir -p smoke-cache/", 'echo "$CI_PIPELINE_ID" > smoke-cache/pipeline-id'],
    });
    expect(doc[CACHE_READ_JOB].stage).toBe(".post");
    expect(doc[CACHE_READ_JOB].cache).toEqual({
      key: "smoke-$CI_PIPELINE_ID",
      paths: ["smoke-cache/"],
      policy: "pull",
    });
    expect(doc[CACHE_READ_JOB].script.at(-1)).toBe(`echo "${CACHE_HIT_LINE} $(cat smoke-cache/pipeline-id)"`);
    // No DinD service: the cache needs none.
    expect(doc[CACHE_WRITE_JOB].services).toBeUndefined();
  });

  test("with the registry, cache-read still comes last (.post); without cache, no cache jobs", () => {
    const withRegistry = render(true, true);
    expect(withRegistry.stages).toEqual(["test", "push", "pull"]);
    expect([withRegistry[CACHE_WRITE_JOB].stage, withRegistry[CACHE_READ_JOB].stage]).toEqual([".pre", ".post"]);
    const without = render(false);
    expect(Object.keys(without)).toEqual(["docker-in-docker"]);
  });
});
