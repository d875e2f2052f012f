/**
 * Walks a config.toml against the key list of gitlab-runner (runner-config/known-keys.ts): every
 * key of every table must be one gitlab-runner reads, at its TOML type.
 */
import * as smol from "smol-toml";
import { KNOWN_KEYS, type TomlType } from "../../runner-config";

type Value = unknown;

function isTable(v: Value): v is Record<string, Value> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Go's time.ParseDuration syntax: one or more <number><unit>. */
const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/;

/** Whether a value parsed with `integersAsBigInt: true` has the TOML type gitlab-runner decodes. */
function hasType(v: Value, type: TomlType): boolean {
  switch (type) {
    case "integer":
      return typeof v === "bigint";
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "string[]":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "string|string[]":
      return typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"));
    case "duration":
      return typeof v === "string" && GO_DURATION.test(v);
    case "float":
      return typeof v === "number";
    case "float[]":
      return Array.isArray(v) && v.every((x) => typeof x === "number");
    case "datetime":
      return v instanceof Date;
    case "table":
      return isTable(v);
    case "table[]":
      return Array.isArray(v) && v.every(isTable);
  }
}

/**
 * Every key of every table in the document that is not in KNOWN_KEYS at its type. Sub-tables are walked
 * when the list has an entry for them; one the list does not describe is reported.
 */
export function keyProblems(doc: Record<string, Value>): string[] {
  const problems: string[] = [];
  const walk = (table: Record<string, Value>, path: string, where: string): void => {
    const known = (KNOWN_KEYS as Record<string, Record<string, TomlType> | undefined>)[path];
    if (known === undefined) {
      problems.push(`${where}: table [${path}] is not in the key list`);
      return;
    }
    for (const [key, value] of Object.entries(table)) {
      const at = where === "" ? key : `${where}.${key}`;
      const type = known[key];
      if (type === undefined) {
        problems.push(`${at}: gitlab-runner reads no such key in [${path || "global"}]`);
      } else if (!hasType(value, type)) {
        problems.push(`${at}: gitlab-runner reads a ${type}`);
      } else if (type === "table") {
        walk(value as Record<string, Value>, path === "" ? key : `${path}.${key}`, at);
      } else if (type === "table[]") {
        (value as Record<string, Value>[]).forEach((t, i) =>
          walk(t, path === "" ? key : `${path}.${key}`, `${at}[${i}]`),
        );
      }
    }
  };
  walk(doc, "", "");
  return problems;
}

export function parse(text: string): Record<string, Value> {
  return smol.parse(text, { integersAsBigInt: true });
}
