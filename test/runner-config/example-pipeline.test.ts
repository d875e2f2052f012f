import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { describe, expect, test } from "vitest";
import {
  EXAMPLE_PIPELINE_FILE,
  RunnerConfigError,
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
  services: { name: string; alias: string }[];
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

  test("the default render: -cli job image, dind service aliased docker, TLS cert dir, the runner's tags", () => {
    const j = job(renderDefaultExamplePipeline());
    expect(j.image).toBe(DEFAULT_JOB_IMAGE);
    expect(j.services).toEqual([{ name: DEFAULT_DIND_IMAGE, alias: "docker" }]);
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
