/**
 * Turns the raw values of the `gitlab-dind` namespace into a fully-defaulted StackConfig,
 * or into the list of every problem found. Pure: no Pulumi runtime, no I/O.
 */
import { defaultFor, KEYS, KEYS_BY_PATH, NAMESPACE, type KeySpec, type RuleContext } from "./schema";
import { imagePairProblems } from "../../runner-config/image-pairing";
import { editDistance } from "./rules";
import { ConfigSecret, type StackConfig, type Target } from "./types";

/**
 * Config as the Pulumi engine hands it over: full keys (`gitlab-dind:runner`) to values.
 * A value is a string (objects and lists JSON-encoded, as the engine sends them), an already
 * parsed value, or a ConfigSecret. Keys of other namespaces (`aws:region`) are ignored.
 */
export type RawConfig = Readonly<Record<string, unknown>>;

export interface ParseInput {
  readonly values: RawConfig;
  /** Full keys whose values are secrets (`pulumi config set --secret`). */
  readonly secretKeys?: ReadonlySet<string>;
}

export type ParseResult =
  { readonly ok: true; readonly config: StackConfig } | { readonly ok: false; readonly problems: readonly string[] };

/** The groups that hold structured values (`pulumi config set --path network.adminCidrs[0] …`). */
const GROUPS = new Set(KEYS.filter((k) => k.path.includes(".")).map((k) => k.path.split(".")[0]));

const fullKey = (path: string): string => `${NAMESPACE}:${path}`;

export function parseStackConfig(input: ParseInput): ParseResult {
  const problems: string[] = [];
  const given = flatten(input, problems);

  const targetValue = given.get("target")?.value;
  const target: Target = targetValue === "local" ? "local" : "aws";
  const ctx: RuleContext = { target };

  const values = new Map<string, unknown>();
  for (const spec of KEYS) {
    const entry = given.get(spec.path);
    const used = spec.targets === undefined || spec.targets.includes(target);
    if (entry === undefined || !used) {
      if (used && spec.required?.includes(target)) {
        problems.push(`${fullKey(spec.path)}: required for target ${target}; it is not set`);
      }
      values.set(spec.path, spec.kind === "stringList" && !used ? [] : defaultFor(spec, ctx));
      continue;
    }
    const value = coerce(spec, entry, ctx, problems);
    values.set(spec.path, value ?? defaultFor(spec, ctx));
  }

  // The AWS provider keeps its own key; the explicit provider the program builds needs it.
  const region = input.values["aws:region"];
  if (target === "aws" && (typeof region !== "string" || region.trim() === "")) {
    problems.push(
      "aws:region: required for target aws (the AWS region to build in, such as eu-central-1); it is not set",
    );
  }

  checkAcrossKeys(values, target, problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: build(values, target, target === "aws" ? (region as string) : undefined) };
}

interface GivenValue {
  readonly value: unknown;
  readonly secret: boolean;
}

/** Every value given, by dotted path; reports unknown keys and malformed groups. */
function flatten(input: ParseInput, problems: string[]): Map<string, GivenValue> {
  const out = new Map<string, GivenValue>();
  const prefix = `${NAMESPACE}:`;
  for (const [key, raw] of Object.entries(input.values).sort(([a], [b]) => a.localeCompare(b))) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    const secret = input.secretKeys?.has(key) ?? false;
    if (GROUPS.has(name)) {
      const group = typeof raw === "string" ? tryJson(raw) : raw;
      if (!isPlainObject(group)) {
        problems.push(
          `${key}: expected a group of settings (set its keys with \`pulumi config set --path ${name}.<key> …\`); got ${show(raw, secret)}`,
        );
        continue;
      }
      for (const [field, value] of Object.entries(group)) {
        add(out, `${name}.${field}`, value, secret, problems);
      }
    } else {
      add(out, name, raw, secret, problems);
    }
  }
  return out;
}

function add(out: Map<string, GivenValue>, path: string, value: unknown, secret: boolean, problems: string[]): void {
  if (!KEYS_BY_PATH.has(path)) {
    problems.push(`${fullKey(path)}: unknown key${suggest(path)}`);
    return;
  }
  if (out.has(path)) {
    problems.push(`${fullKey(path)}: set twice (once inside its group and once as a dotted key); keep one`);
    return;
  }
  out.set(path, { value, secret: secret || value instanceof ConfigSecret });
}

function suggest(path: string): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const spec of KEYS) {
    const d = editDistance(path.toLowerCase(), spec.path.toLowerCase());
    if (d < bestDistance) {
      best = spec.path;
      bestDistance = d;
    }
  }
  // Only suggest what is plausibly a typo: a few edits, relative to the key's length.
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(path.length / 4))
    ? `; did you mean ${best}?`
    : `; valid keys are ${KEYS.map((k) => k.path).join(", ")}`;
}

/** Converts one given value to the key's type and checks its rules; undefined when it fails. */
function coerce(spec: KeySpec, given: GivenValue, ctx: RuleContext, problems: string[]): unknown {
  const key = fullKey(spec.path);
  const { value, secret } = given;
  const fail = (expected: string, shown: unknown = value): undefined => {
    problems.push(`${key}: expected ${expected}; got ${show(shown, secret)}`);
    return undefined;
  };

  if (spec.secret) {
    if (!secret) {
      problems.push(
        `${key}: expected a secret (set it with \`pulumi config set --secret --path ${spec.path} …\`); got a plain-text value`,
      );
      return undefined;
    }
    const text =
      value instanceof ConfigSecret ? value : typeof value === "string" ? new ConfigSecret(value) : undefined;
    if (text === undefined) return fail("a string");
    // A secret the offline plan cannot decrypt is taken as valid: its content is unknown.
    const why = text.known ? spec.check?.(text.reveal() as never, ctx) : undefined;
    return why === undefined ? text : fail(why);
  }

  switch (spec.kind) {
    case "string": {
      if (typeof value !== "string") return fail("a string");
      const why = spec.check?.(value as never, ctx);
      return why === undefined ? value : fail(why);
    }
    case "integer": {
      const n =
        typeof value === "number"
          ? value
          : typeof value === "string" && /^-?\d+$/.test(value.trim())
            ? Number(value)
            : NaN;
      const range = rangeText(spec);
      if (!Number.isInteger(n)) return fail(`an integer${range}`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        return fail(`an integer${range}`);
      const why = spec.check?.(n as never, ctx);
      return why === undefined ? n : fail(why);
    }
    case "boolean": {
      if (value === true || value === "true") return true;
      if (value === false || value === "false") return false;
      return fail("true or false");
    }
    case "stringList": {
      const list = typeof value === "string" ? tryJson(value) : value;
      if (!Array.isArray(list)) {
        return fail(`a list (set its items with \`pulumi config set --path '${spec.path}[0]' …\`)`);
      }
      let ok = true;
      list.forEach((item, i) => {
        const why = typeof item !== "string" ? "a string" : spec.checkEach?.(item, ctx);
        if (why !== undefined) {
          problems.push(`${key}[${i}]: expected ${why}; got ${show(item, secret)}`);
          ok = false;
        }
      });
      if (!ok) return undefined;
      const why = spec.check?.(list as never, ctx);
      return why === undefined ? [...(list as unknown[])] : fail(why);
    }
  }
}

function rangeText(spec: KeySpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return ` of at least ${spec.min}`;
  if (spec.max !== undefined) return ` of at most ${spec.max}`;
  return "";
}

/** Rules that involve more than one key. */
function checkAcrossKeys(values: Map<string, unknown>, target: Target, problems: string[]): void {
  // Every published port must be distinct on the host; on aws 22, 443 (HTTPS) and 2376 (the
  // Docker API) are taken too.
  const ports: Array<[string, number]> = [
    ["gitlab.httpPort", values.get("gitlab.httpPort") as number],
    ["gitlab.sshPort", values.get("gitlab.sshPort") as number],
  ];
  const registry = values.get("gitlab.registryPort") as number;
  if (registry !== 0) ports.push(["gitlab.registryPort", registry]);
  // On aws the host's own sshd keeps port 22 (closed by the security group, but bound).
  const reserved =
    target === "aws"
      ? new Map([
          [22, "its own SSH daemon"],
          [443, "GitLab's HTTPS"],
          [2376, "the Docker API"],
        ])
      : new Map<number, string>();
  const seen = new Map<number, string>();
  for (const [path, port] of ports) {
    if (typeof port !== "number") continue;
    const other = seen.get(port);
    if (other !== undefined) {
      problems.push(`${fullKey(path)}: expected a port not used by ${other}; got ${port}`);
    } else if (reserved.has(port)) {
      problems.push(
        `${fullKey(path)}: expected a port other than ${port}, which the host uses for ${reserved.get(port)}; got ${port}`,
      );
    }
    seen.set(port, path);
  }

  // The job's Docker CLI and the DinD daemon must pair (runner-config owns the rule); checked
  // here too so that it is reported with every other problem, before anything is created.
  const jobImage = values.get("runner.jobImage");
  const dindImage = values.get("runner.dindImage");
  if (typeof jobImage === "string" && typeof dindImage === "string") {
    problems.push(...imagePairProblems({ jobImage, dindImage }));
  }

  // GitLab terminates HTTPS itself (Let's Encrypt): that needs a DNS name, the standard port
  // (the host publishes 443 to the container's 443), and a public host, which is the aws target.
  const externalUrl = values.get("gitlab.externalUrl");
  if (typeof externalUrl === "string" && externalUrl.startsWith("https:")) {
    const url = new URL(externalUrl);
    const why =
      target !== "aws"
        ? "an http:// URL on the local target (GitLab's HTTPS needs a public DNS name for its certificate)"
        : url.port !== ""
          ? "an https:// URL on the standard port 443 (the host publishes 443 to GitLab's HTTPS)"
          : /^[0-9.]+$/.test(url.hostname) || url.hostname.startsWith("[")
            ? "an https:// URL with a DNS name (GitLab's Let's Encrypt certificate cannot name an IP address)"
            : undefined;
    if (why !== undefined)
      problems.push(`${fullKey("gitlab.externalUrl")}: expected ${why}; got ${JSON.stringify(externalUrl)}`);
  }

  const tags = values.get("runner.tags") as string[];
  if (values.get("runner.runUntagged") === false && Array.isArray(tags) && tags.length === 0) {
    problems.push(
      `${fullKey("runner.tags")}: expected at least one tag when runner.runUntagged is false (the runner would take no job); got []`,
    );
  }
}

function build(values: Map<string, unknown>, target: Target, awsRegion: string | undefined): StackConfig {
  const tree: Record<string, Record<string, unknown>> = {};
  const top: Record<string, unknown> = {};
  for (const [path, value] of values) {
    const [group, field] = path.split(".");
    if (field === undefined) top[group] = value;
    else (tree[group] ??= {})[field] = value;
  }
  // backup.localDir's default names the team.
  const backup = tree["backup"] ?? {};
  backup["localDir"] ??= `./backups/${String(top["team"])}`;
  return { ...top, ...tree, backup, target, awsRegion } as unknown as StackConfig;
}

function tryJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return text;
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof ConfigSecret);
}

/** A given value as it reads in a message; secrets never show. */
function show(value: unknown, secret: boolean): string {
  if (secret || value instanceof ConfigSecret) return "a secret value";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
