/**
 * `npm run docs`: rewrites Pulumi.yaml's `template.config` and the README's configuration
 * table from the schema, keeping everything else in both files as it is.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { format, resolveConfig } from "prettier";
import { parseDocument } from "yaml";
import { configTable, TABLE_END, TABLE_START, templateConfig } from "./config-docs";

const root = resolve(__dirname, "..", "..");

async function main(): Promise<void> {
  const projectPath = join(root, "Pulumi.yaml");
  const project = parseDocument(readFileSync(projectPath, "utf8"));
  project.setIn(["template", "description"], "A GitLab CE and a DinD GitLab Runner for one team");
  project.setIn(["template", "config"], templateConfig());
  // Written as the formatter would write it, so that `npm run format:check` stays green.
  const options = { ...(await resolveConfig(projectPath)), filepath: projectPath };
  writeFileSync(projectPath, await format(project.toString({ lineWidth: 0 }), options));

  const readmePath = join(root, "README.md");
  const readme = readFileSync(readmePath, "utf8");
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${TABLE_START} … ${TABLE_END} block`);
  // The table sits between prettier-ignore markers (outside the block): it stays compact.
  writeFileSync(readmePath, `${readme.slice(0, start + TABLE_START.length)}\n${configTable()}\n${readme.slice(end)}`);
  console.log("Updated Pulumi.yaml template.config and the README configuration table");
}

main().catch((e: unknown) => {
  console.error(`docs failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
