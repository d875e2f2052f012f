/**
 * `npm run plan -- --stack <name> [--config-file <path>] [--out <dir>]`
 *
 * The offline plan: the real program under Pulumi's mock runtime, with the stack's settings,
 * and no Pulumi CLI, credentials or network. Prints what `pulumi up` would create; with --out
 * writes `resources.json` and every rendered file under `files/`, after removing those two (and
 * nothing else) from an earlier plan there.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { formatProblems } from "../../infra/config/load";
import { parseStackConfig } from "../../infra/config/parse";
import { sameTeamWarning } from "../../infra/config/team-files";
import { runAsEntryPoint } from "../cli/entry-point";
import { PlanInputError, readStackFile } from "./stack-file";
import { renderTree } from "./render-tree";

const USAGE = "usage: npm run plan -- --stack <name> [--config-file <path>] [--out <dir>]";

/** The command, callable in-process (the tests): prints as the CLI does and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        "config-file": { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new PlanInputError(`${(e as Error).message}\n${USAGE}`);
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.stack === undefined || args.stack === "") throw new PlanInputError(`--stack is required\n${USAGE}`);

  const root = resolve(__dirname, "..", "..");
  const project = readProjectName(join(root, "Pulumi.yaml"));
  const stackFile = args["config-file"] ?? join(root, `Pulumi.${args.stack}.yaml`);
  const { values, secretKeys } = readStackFile(stackFile);

  const parsed = parseStackConfig({ values, secretKeys });
  if (!parsed.ok) {
    console.error(formatProblems(parsed.problems));
    return 1;
  }
  const config = parsed.config;

  // The output folder first: a folder that cannot be written is said before any tree is printed,
  // and the files of an earlier plan there (of this stack or another) are gone before this one runs.
  const out = args.out === undefined ? undefined : prepareOut(resolve(args.out));

  // Loaded only once the configuration is valid: the SDK and the program are most of the start-up,
  // and a bad configuration needs neither.
  const { runPlan } = await import("./run-plan");
  const { defaultCacheDir, installProviderCache } = await import("./provider-cache");
  const cacheDir = defaultCacheDir(root);
  const cache = cacheDir === undefined ? undefined : installProviderCache({ dir: cacheDir, root });
  let plan;
  try {
    plan = await runPlan(project, args.stack, config);
  } finally {
    cache?.restore();
  }
  // As the entry point warns at preview: another stack file of this project with the same team.
  const teamWarning = sameTeamWarning(root, args.stack, config.team, config.target, stackFile);
  for (const warning of [...(teamWarning === undefined ? [] : [teamWarning]), ...plan.warnings]) {
    console.error(`warning: ${warning}`);
  }
  console.log(renderTree(plan, `target ${config.target}, team ${config.team}`));

  if (out === undefined) {
    // Without --out the tree above is all there is: say so, and where the files would go.
    console.log(
      `Nothing written (no --out): add --out <dir> to write resources.json and the ${Object.keys(plan.files).length} rendered files (${Object.keys(plan.files).sort().join(", ")}) under <dir>/files.`,
    );
  } else {
    const doc = { project: plan.project, stack: plan.stack, resources: plan.resources, outputs: plan.outputs };
    try {
      writeFileSync(join(out, "resources.json"), `${JSON.stringify(doc, null, 2)}\n`);
      for (const [name, content] of Object.entries(plan.files)) writeFileSync(join(out, "files", name), content);
    } catch (e) {
      throw new PlanInputError(`cannot write the plan to ${out}: ${(e as Error).message}`);
    }
    console.log(
      `Wrote ${join(out, "resources.json")} and ${Object.keys(plan.files).length} files under ${join(out, "files")}`,
    );
  }
  return 0;
}

/**
 * Makes `dir` ready for a plan: creates it, removes `resources.json` and `files/` left by an
 * earlier plan (only those), and creates `files/`. Throws a PlanInputError saying why when the
 * folder cannot be written.
 */
function prepareOut(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    rmSync(join(dir, "resources.json"), { force: true });
    rmSync(join(dir, "files"), { recursive: true, force: true });
    mkdirSync(join(dir, "files"));
  } catch (e) {
    throw new PlanInputError(`cannot write the plan to ${dir} (--out): ${(e as Error).message}`);
  }
  return dir;
}

function readProjectName(path: string): string {
  const doc = parseYaml(readFileSync(path, "utf8")) as { name?: unknown };
  if (typeof doc?.name !== "string") throw new PlanInputError(`${path} has no project name`);
  return doc.name;
}

/** `main` with its errors printed as messages, not traces; returns the exit code. */
export function cli(argv: string[]): Promise<number> {
  return main(argv).catch((e: unknown) => {
    // Known input problems and errors raised by the program print as messages, not traces.
    const message = e instanceof Error ? e.message : String(e);
    console.error(e instanceof PlanInputError ? `plan: ${message}` : `plan failed: ${message}`);
    if (process.env.PLAN_DEBUG === "1" && e instanceof Error) console.error(e.stack);
    return 1;
  });
}

runAsEntryPoint(module, cli);
