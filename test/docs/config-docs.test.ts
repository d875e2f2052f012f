import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { parse } from "yaml";
import { KEYS, NAMESPACE } from "../../infra/config/schema";
import { configTable, TABLE_END, TABLE_START, templateConfig } from "../../tools/docs/config-docs";

const root = join(__dirname, "..", "..");

test("Pulumi.yaml documents every configuration key, as the schema says (run `npm run docs` to fix)", () => {
  const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8"));
  expect(project.template.config).toEqual(templateConfig());
  expect(Object.keys(project.template.config)).toEqual(KEYS.map((k) => `${NAMESPACE}:${k.path}`));
  expect(project.template.config["gitlab-dind:gitlab.rootPassword"].secret).toBe(true);
});

test("the README's configuration table matches the schema (run `npm run docs` to fix)", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf(TABLE_START) + TABLE_START.length;
  const end = readme.indexOf(TABLE_END);
  expect(readme.slice(start, end).trim()).toBe(configTable());
  for (const k of KEYS) expect(readme).toContain(`| \`${k.path}\` |`);
});

test("the implicit default Docker provider is disabled for every stack", () => {
  const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8"));
  expect(project.config["pulumi:disable-default-providers"].value).toContain("docker");
});
