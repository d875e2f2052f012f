import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { describe, expect, test } from "vitest";
import {
  DIND_SERVICE_ALIAS,
  EXAMPLE_PIPELINE_FILE,
  RunnerConfigError,
  derivedServiceAliases,
  privilegedImagePatterns,
  renderExamplePipeline,
} from "../../runner-config";
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
  expect(Object.keys(doc)).toEqual(["docker-in-docker"]);
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
      const j = job(renderExamplePipeline({ jobImage: DEFAULT_JOB_IMAGE, dindImage, tags: [] }));
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
    const j = job(renderExamplePipeline({ jobImage: DEFAULT_JOB_IMAGE, dindImage: DEFAULT_DIND_IMAGE, tags: [] }));
    expect("tags" in j).toBe(false);
  });

  test("non-matching images and empty tags are refused, every problem listed", () => {
    const render = () =>
      renderExamplePipeline({ jobImage: "docker:28.0.0-cli", dindImage: DEFAULT_DIND_IMAGE, tags: ["docker", " "] });
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
          const j = job(renderExamplePipeline({ jobImage: DEFAULT_JOB_IMAGE, dindImage: DEFAULT_DIND_IMAGE, tags }));
          expect(j.tags ?? []).toEqual(tags);
        },
      ),
      { numRuns: 300 },
    );
  });
});
