/**
 * The configuration reference, generated from the schema (infra/config/schema.ts) into
 * Pulumi.yaml's `template.config` block and the README's configuration table.
 * `npm run docs` rewrites both; a test fails when either drifts from the schema.
 */
import { parseStackConfig } from "../../infra/config/parse";
import { describeDefault, KEYS, NAMESPACE, type KeySpec, type ValueKind } from "../../infra/config/schema";

export interface TemplateConfigEntry {
  description: string;
  default?: string;
  secret?: boolean;
}

/** Pulumi.yaml `template.config`: description, default (where it is one plain value) and secret. */
export function templateConfig(): Record<string, TemplateConfigEntry> {
  const out: Record<string, TemplateConfigEntry> = {};
  for (const spec of KEYS) {
    const accepts = acceptedValues(spec);
    const entry: TemplateConfigEntry = {
      description: `${spec.description}${accepts ? ` Accepts: ${plain(accepts)}.` : ""} Default: ${plain(describeDefault(spec))}.`,
    };
    if (plainDefault(spec) !== undefined) entry.default = plainDefault(spec);
    if (spec.secret) entry.secret = true;
    out[`${NAMESPACE}:${spec.path}`] = entry;
  }
  return out;
}

/** The README table: key, type, default, meaning. */
export function configTable(): string {
  const rows = KEYS.map((spec) => {
    const type = spec.kind === "stringList" ? "list of strings" : spec.kind;
    const extra = [spec.targets?.length === 1 ? `${spec.targets[0]} only` : "", spec.secret ? "secret" : ""]
      .filter(Boolean)
      .join(", ");
    const cell = (text: string) => text.replace(/\|/g, "\\|");
    return `| \`${spec.path}\` | ${type}${extra ? ` (${extra})` : ""} | ${cell(acceptedValues(spec) || "any")} | ${describeDefault(spec)} | ${cell(spec.description)} |`;
  });
  return ["| key | type | accepts | default | meaning |", "|---|---|---|---|---|", ...rows].join("\n");
}

/**
 * Values that break common rules, per kind of value: empty, the whole internet, out of any range.
 * Only the parser's answers about them reach the docs, never the values themselves.
 */
const PROBES: Record<ValueKind, readonly unknown[]> = {
  string: ["", "0.0.0.0/0"],
  integer: [-1, Number.MAX_SAFE_INTEGER],
  boolean: ["maybe"],
  stringList: [[], [""], ["0.0.0.0/0"]],
  map: ["x", []],
};

/**
 * What a key accepts, in words: what the parser itself answers ("expected …") when a value
 * breaks the key's rules (its range, pattern or allowed values). The real parser is asked about
 * the PROBES of the key's kind, on a target that uses the key, and its distinct answers are
 * listed; so the docs say what `pulumi up` says, and a key added to the schema is documented
 * without a line here. A rule no probe breaks is not shown: say it in the key's description.
 * Empty when the key accepts any value of its type.
 */
export function acceptedValues(spec: KeySpec): string {
  // A rule whose messages quote the probe back (a parser's position in the value) says it better itself.
  if (spec.acceptsDoc !== undefined) return spec.acceptsDoc;
  const key = `${NAMESPACE}:${spec.path}`;
  const forList: string[] = [];
  const forEach: string[] = [];
  for (const value of PROBES[spec.kind]) {
    for (const problem of probe(spec, value)) {
      const expected = /: expected ([\s\S]*); got [\s\S]*$/.exec(problem)?.[1];
      if (expected !== undefined) (problem.startsWith(`${key}[`) ? forEach : forList).push(expected);
    }
  }
  const list = mostSpecific(forList);
  // 0 often means "off" (gitlab.registryPort): say so when the rule's words leave it out.
  if (spec.kind === "integer" && list.length > 0 && !list.some((a) => /\bfrom 0\b/.test(a)) && accepts(spec, 0)) {
    list[list.length - 1] += ", or 0";
  }
  const each = mostSpecific(forEach);
  return [...list, ...(each.length > 0 ? [`each item: ${each.join("; ")}`] : [])].join("; ");
}

/** The parser's problems for `value` as the key's value, on a target that uses the key. */
function probe(spec: KeySpec, value: unknown): readonly string[] {
  const key = `${NAMESPACE}:${spec.path}`;
  const result = parseStackConfig({
    values: {
      "aws:region": "eu-central-1",
      [`${NAMESPACE}:team`]: "docs",
      [`${NAMESPACE}:target`]: spec.targets?.[0] ?? "aws",
      [`${NAMESPACE}:network.adminCidrs`]: ["203.0.113.0/24"],
      [key]: value,
    },
    secretKeys: new Set(spec.secret ? [key] : []),
  });
  return result.ok ? [] : result.problems.filter((p) => p.startsWith(`${key}:`) || p.startsWith(`${key}[`));
}

function accepts(spec: KeySpec, value: unknown): boolean {
  return probe(spec, value).length === 0;
}

/** Distinct answers, without one that another only extends ("a CIDR" and "a CIDR, with a prefix …"). */
function mostSpecific(answers: readonly string[]): string[] {
  const distinct = [...new Set(answers)];
  return distinct.filter((a) => !distinct.some((b) => b !== a && b.startsWith(a)));
}

/** A default `pulumi new` could write as is: only a single value known without the target. */
function plainDefault(spec: KeySpec): string | undefined {
  // A default that depends on other keys (defaultDoc says how) is not written: `pulumi new` would
  // copy it into the stack file as an explicit value, which those keys then contradict.
  if (spec.default === undefined || typeof spec.default === "function" || spec.defaultDoc !== undefined)
    return undefined;
  return typeof spec.default === "string" ? spec.default : JSON.stringify(spec.default);
}

function plain(markdown: string): string {
  return markdown.replace(/`/g, "");
}

export const TABLE_START = "<!-- config-table:start (generated by `npm run docs` from infra/config/schema.ts) -->";
export const TABLE_END = "<!-- config-table:end -->";
