/**
 * The pipeline smoke runs: the stack's rendered `examplePipeline`, or with
 * `--url` the repo's `examples/dind/.gitlab-ci.yml` (read at run time), or
 * `--pipeline <file>`. Parsed here only to learn each job's tags, so the tool
 * can wait for a runner that takes them and explain a job stuck pending.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";

export const DEFAULT_PIPELINE_FILE = path.join("examples", "dind", ".gitlab-ci.yml");

export interface SmokePipeline {
  /** The YAML committed as `.gitlab-ci.yml`. */
  readonly yaml: string;
  /** Where it came from, for messages. */
  readonly origin: string;
  /** Job name -> its tags. */
  readonly jobTags: Readonly<Record<string, readonly string[]>>;
}

/** Top-level keys of `.gitlab-ci.yml` that are GitLab CI keywords, not jobs. */
export const NOT_JOBS: ReadonlySet<string> = new Set([
  "stages",
  "variables",
  "default",
  "include",
  "workflow",
  "image",
  "services",
  "cache",
  "before_script",
  "after_script",
  "spec",
]);

/** Jobs and their tags; throws with the origin named when the YAML is not a pipeline. */
export function describePipeline(yaml: string, origin: string): SmokePipeline {
  let doc: unknown;
  try {
    doc = parse(yaml);
  } catch (error) {
    throw new Error(`${origin} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    throw new Error(`${origin} is not a GitLab CI file (expected a mapping of jobs)`);
  const jobTags: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    if (NOT_JOBS.has(name) || name.startsWith(".") || !value || typeof value !== "object" || Array.isArray(value))
      continue;
    const tags = (value as Record<string, unknown>)["tags"];
    jobTags[name] = Array.isArray(tags) ? tags.map(String) : [];
  }
  if (Object.keys(jobTags).length === 0) throw new Error(`${origin} defines no jobs`);
  return { yaml, origin, jobTags };
}

/** Read `--pipeline <file>` or the default example, relative to `cwd`. */
export async function loadPipelineFile(file: string | undefined, cwd: string): Promise<SmokePipeline> {
  const relative = file ?? DEFAULT_PIPELINE_FILE;
  const full = path.resolve(cwd, relative);
  let yaml: string;
  try {
    yaml = await readFile(full, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === "ENOENT"
        ? `Pipeline file ${relative} does not exist${file ? "" : " (run smoke from the repository root, or pass --pipeline <file>)"}`
        : `Cannot read pipeline file ${relative}: ${(error as Error).message}`,
    );
  }
  return describePipeline(yaml, relative);
}

/** Every tag any job needs (a runner must have all of a job's tags to take it). */
export function allTags(pipeline: SmokePipeline): string[] {
  return [...new Set(Object.values(pipeline.jobTags).flat())];
}
