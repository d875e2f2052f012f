/**
 * `npm run docs [-- --root <dir>]`: rewrites Pulumi.yaml's `template.config` and the README's
 * configuration table from the schema, keeping everything else in both files as it is.
 * `--help` prints the usage and changes nothing.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { format, resolveConfig } from "prettier";
import { parseDocument } from "yaml";
import { runAsEntryPoint } from "../cli/entry-point";
import { configTable, TABLE_END, TABLE_START, templateConfig } from "./config-docs";

const USAGE = [
  "usage: npm run docs [-- --root <dir>]",
  "  Rewrites Pulumi.yaml's template.config and the README's configuration table (between its",
  "  config-table markers) from infra/config/schema.ts; nothing else in either file changes.",
  "  --root <dir>  the project folder holding Pulumi.yaml and README.md (default: this repository)",
  "  --help        print this and change nothing",
].join("\n");

/** The command, callable in-process (the tests): returns its exit code (0 done, 2 bad arguments). */
export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: { root: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    console.error(`docs: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const root = resolve(args.root ?? join(__dirname, "..", ".."));

  const projectPath = join(root, "Pulumi.yaml");
  const project = parseDocument(readFileSync(projectPath, "utf8"));
  project.setIn(["template", "description"], "A GitLab CE and a DinD GitLab Runner for one team");
  project.setIn(["template", "config"], templateConfig());
  // Written as the formatter would write it, so that `npm run format:check` stays green.
  const options = { ...(await resolveConfig(projectPath)), filepath: projectPath };
  const projectText = await format(project.toString({ lineWidth: 0 }), options);

  const readmePath = join(root, "README.md");
  const readme = readFileSync(readmePath, "utf8");
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`${readmePath} has no ${TABLE_START} … ${TABLE_END} block`);
  // Both files are written only once both are known to be writable in full: nothing half-updated.
  writeFileSync(projectPath, projectText);
  // The table sits between prettier-ignore markers (outside the block): it stays compact.
  writeFileSync(readmePath, `${readme.slice(0, start + TABLE_START.length)}\n${configTable()}\n${readme.slice(end)}`);
  console.log(`Updated ${projectPath} (template.config) and the configuration table in ${readmePath}`);
  return 0;
}

/** `main` with its errors printed as one message, not a trace; returns the exit code. */
export function cli(argv: string[]): Promise<number> {
  return main(argv).catch((e: unknown) => {
    console.error(`docs failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  });
}

runAsEntryPoint(module, cli);
