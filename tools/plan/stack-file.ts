/**
 * Reads a stack settings file (`Pulumi.<stack>.yaml`) the way the Pulumi CLI hands it to the
 * program, without the CLI: `secure:` values cannot be decrypted here and become opaque secrets.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ConfigSecret } from "../../infra/config/types";

export interface StackFile {
  /** Full config keys (`gitlab-dind:network`) to values; structured values stay objects. */
  readonly values: Record<string, unknown>;
  /** Keys that hold a `secure:` value anywhere inside. */
  readonly secretKeys: Set<string>;
}

export function readStackFile(path: string): StackFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new PlanInputError(`cannot read the stack file ${path}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new PlanInputError(`${path} is not valid YAML: ${(e as Error).message}`);
  }
  const config = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new PlanInputError(`${path}: \`config\` must be a map of keys to values`);
  }
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const [key, raw] of Object.entries(config)) {
    const found = { secret: false };
    values[key] = opaqueSecrets(raw, found);
    if (found.secret) secretKeys.add(key);
  }
  return { values, secretKeys };
}

/** Replaces every `{ secure: … }` by an opaque ConfigSecret that plans as "[secret]". */
function opaqueSecrets(value: unknown, found: { secret: boolean }): unknown {
  if (Array.isArray(value)) return value.map((v) => opaqueSecrets(v, found));
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0][0] === "secure") {
      found.secret = true;
      return new ConfigSecret("[secret]", false);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, opaqueSecrets(v, found)]));
  }
  // The CLI passes scalars as strings; numbers and booleans written in YAML arrive as such.
  return value;
}

/** A problem with the plan's own input (flags, files): printed as is, exit 1. */
export class PlanInputError extends Error {}
