/**
 * The configuration reference (README table, Pulumi.yaml `template.config`) says what each key
 * accepts: ranges, patterns and allowed values in words, generated from the schema through the
 * parser, so the docs use the words `pulumi up` prints for a bad value.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { parse } from "yaml";
import { parseStackConfig } from "../../infra/config/parse";
import { KEYS, KEYS_BY_PATH, NAMESPACE } from "../../infra/config/schema";
import { acceptedValues } from "../../tools/docs/config-docs";

const root = join(__dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const template = (
  parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as {
    template: { config: Record<string, { description: string }> };
  }
).template.config;

/** The README row of a key, as its cells. */
function row(path: string): string[] {
  const line = readme.split("\n").find((l) => l.startsWith(`| \`${path}\` |`));
  if (line === undefined) throw new Error(`no README row for ${path}`);
  return line.split(/(?<!\\)\|/).map((c) => c.trim());
}

test("the README table has an accepts column, and Pulumi.yaml says it too", () => {
  expect(readme).toContain("| key | type | accepts | default | meaning |");
  expect(row("runner.concurrent")[3]).toBe("an integer from 1 to 64");
  expect(template["gitlab-dind:runner.concurrent"].description).toContain("Accepts: an integer from 1 to 64.");
});

test("every key with a minimum or maximum shows its range, in the README and in Pulumi.yaml", () => {
  const ranged = KEYS.filter((k) => k.min !== undefined || k.max !== undefined);
  expect(ranged.length).toBeGreaterThan(5);
  for (const spec of ranged) {
    const words = [spec.min, spec.max].filter((n) => n !== undefined).map(String);
    for (const n of words) {
      expect(row(spec.path)[3], spec.path).toContain(n);
      expect(template[`${NAMESPACE}:${spec.path}`].description, spec.path).toContain(n);
    }
  }
});

test("patterns and allowed values in words", () => {
  expect(row("target")[3]).toBe("one of aws, local");
  expect(row("team")[3]).toContain("2 to 21 characters: a lowercase letter, then lowercase letters, digits or '-'");
  expect(row("network.vpcCidr")[3]).toBe("an IPv4 CIDR such as 10.42.0.0/16, with a prefix from /16 to /24");
  expect(row("network.adminCidrs")[3]).toContain("at least one CIDR; each item: a CIDR such as 203.0.113.0/24");
  expect(row("runner.image")[3]).toContain("an image with a version tag");
  expect(row("gitlab.rootPassword")[3]).toBe("at least 12 characters");
  // 0 turns the registry off: the rule's words (a TCP port) leave it out, the docs add it.
  expect(row("gitlab.registryPort")[3]).toBe("a TCP port from 1 to 65535, or 0");
  expect(row("gitlab.httpPort")[3]).toBe("a TCP port from 1 to 65535");
});

test("every key with a rule of its own says what it accepts (a rule the probes cannot break needs one)", () => {
  const ruled = KEYS.filter((k) => k.check !== undefined || k.checkEach !== undefined || k.min !== undefined);
  expect(ruled.filter((k) => acceptedValues(k) === "").map((k) => k.path)).toEqual([]);
});

test("the docs use the words the parser prints for a bad value", () => {
  const r = parseStackConfig({
    values: { [`${NAMESPACE}:team`]: "t1", [`${NAMESPACE}:target`]: "local", [`${NAMESPACE}:runner.concurrent`]: "0" },
  });
  const spec = KEYS_BY_PATH.get("runner.concurrent");
  if (spec === undefined) throw new Error("runner.concurrent is not in the schema");
  expect(r.ok ? [] : r.problems).toContain(`${NAMESPACE}:runner.concurrent: expected ${acceptedValues(spec)}; got "0"`);
});
