/**
 * The example pipeline rendered from the stack configuration's defaults: the text shipped as
 * `examples/dind/.gitlab-ci.yml` (a test keeps the two equal).
 * Regenerate the file with `npx tsx runner-config/default-example.ts`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_DIND_IMAGE, DEFAULT_JOB_IMAGE, KEYS_BY_PATH } from "../infra/config/schema";
import { renderExamplePipeline } from "./example-pipeline";

/** Where the default render is shipped, relative to the repository root. */
export const SHIPPED_EXAMPLE_PIPELINE = join("examples", "dind", ".gitlab-ci.yml");

/** The `runner.tags` default from the configuration schema. */
export function defaultRunnerTags(): readonly string[] {
  const tags = KEYS_BY_PATH.get("runner.tags")?.default;
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string")) {
    throw new Error("infra/config/schema.ts: runner.tags has no list-of-strings default");
  }
  return tags;
}

/** The `gitlab.registryPort` default from the configuration schema: 0 turns the registry off. */
export function defaultRegistryOn(): boolean {
  const port = KEYS_BY_PATH.get("gitlab.registryPort")?.default;
  if (typeof port !== "number") throw new Error("infra/config/schema.ts: gitlab.registryPort has no number default");
  return port !== 0;
}

/**
 * The example pipeline for the default `runner.jobImage`, `runner.dindImage`, `runner.tags` and
 * `gitlab.registryPort` (the registry on: with the push and pull jobs), with the cache jobs (the
 * default `runner.cache.type` on a host without the autoscaler, local, hits on the host).
 */
export function renderDefaultExamplePipeline(): string {
  return renderExamplePipeline({
    jobImage: DEFAULT_JOB_IMAGE,
    dindImage: DEFAULT_DIND_IMAGE,
    tags: defaultRunnerTags(),
    registry: defaultRegistryOn(),
    // The default stack runs jobs on the host, whose local cache a later job hits.
    cache: true,
  });
}

if (require.main === module) {
  const target = join(__dirname, "..", SHIPPED_EXAMPLE_PIPELINE);
  writeFileSync(target, renderDefaultExamplePipeline());
  console.log(`wrote ${target}`);
}
