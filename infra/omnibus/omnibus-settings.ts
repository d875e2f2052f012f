/**
 * `gitlab.omnibus`: any other gitlab.rb setting, given as a map from gitlab.rb's top-level names to
 * their settings, checked here and turned into typed gitlab.rb settings (never text).
 *
 * The form: each key of a settings hash is one assignment (`gitlab_rails: { time_zone: Europe/Berlin }`
 * is `gitlab_rails['time_zone'] = 'Europe/Berlin'`), so a setting the stack does not name keeps
 * omnibus's default; a map below that is a Ruby hash with string keys, written whole
 * (`gitlab_rails['ldap_servers'] = { 'main' => { … } }`), a list a Ruby array. A top-level name that
 * takes one value (`pages_external_url`, `roles`) is a call (`pages_external_url '…'`).
 *
 * Values: strings stay strings (single-quoted, never interpolated; YAML has no symbols, and a string
 * `:x` is the string ':x'); booleans; whole numbers are Integers and others Floats (`0.9`); YAML null
 * is refused (remove the key to keep omnibus's default). A map `{ secret: <name> }` anywhere is the
 * secret `gitlab.omnibusSecrets.<name>`, read by gitlab.rb from a root-only file.
 *
 * Pure: no Pulumi runtime, so the config parser reports these problems with every other.
 */
import { IDENTIFIER, type GitLabRbSetting, type RubyValue } from "../gitlab/gitlab-rb";
import { OMNIBUS_HASH_NAMES, OMNIBUS_VALUE_NAMES } from "../gitlab/omnibus-top-level-names";
import { editDistance } from "../config/edit-distance";
import { managedKeyOf } from "./managed-keys";

const NAMESPACE = "gitlab-dind";
const OMNIBUS_KEY = `${NAMESPACE}:gitlab.omnibus`;
const SECRETS_KEY = `${NAMESPACE}:gitlab.omnibusSecrets`;

/** The directory of the root-only files holding `gitlab.omnibusSecrets` in GitLab's container (outside every volume). */
export const OMNIBUS_SECRETS_DIR = "/opt/gitlab-dind/omnibus-secrets";

/** A secret's name: it becomes a file name. */
export const SECRET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The root-only file holding one secret of `gitlab.omnibusSecrets`. */
export function omnibusSecretPath(name: string): string {
  if (!SECRET_NAME.test(name)) throw new Error(`gitlab.omnibus: ${JSON.stringify(name)} is not a secret name`);
  return `${OMNIBUS_SECRETS_DIR}/${name}`;
}

const HASH_NAMES = new Set(OMNIBUS_HASH_NAMES);
const VALUE_NAMES = new Set(OMNIBUS_VALUE_NAMES);
const ALL_NAMES = [...OMNIBUS_HASH_NAMES, ...OMNIBUS_VALUE_NAMES];

/** What the checks know besides `gitlab.omnibus` itself. */
export interface OmnibusContext {
  /** The names of `gitlab.omnibusSecrets`; undefined when that key was refused (references are not checked). */
  readonly secretNames: ReadonlySet<string> | undefined;
  /** `email.enabled`: the program then manages GitLab's SMTP settings. */
  readonly emailEnabled: boolean;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** `{ secret: 'name' }`: a reference to a secret of gitlab.omnibusSecrets. */
function secretRef(v: unknown): string | undefined {
  if (!isMap(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === "secret" && typeof v.secret === "string" ? v.secret : undefined;
}

/** A path inside gitlab.omnibus as config (`gitlab_rails.omniauth_providers[0].args`). */
function configPath(parts: readonly (string | number)[]): string {
  return parts
    .map((p, i) =>
      typeof p === "number"
        ? `[${p}]`
        : /^[A-Za-z0-9_-]+$/.test(p)
          ? `${i === 0 ? "" : "."}${p}`
          : `[${JSON.stringify(p)}]`,
    )
    .join("");
}

/** A path as gitlab.rb spells it: `gitlab_rails['db_host']`. */
function rbPath(parts: readonly string[]): string {
  const [top, ...keys] = parts;
  return `${top}${keys.map((k) => `['${k}']`).join("")}`;
}

/** Every problem of `gitlab.omnibus` (each naming its full path), none when it renders as given. */
export function omnibusProblems(omnibus: unknown, ctx: OmnibusContext): string[] {
  const problems: string[] = [];
  if (!isMap(omnibus)) return problems; // refused as a whole by the parser already
  const at = (parts: readonly (string | number)[]): string => `${OMNIBUS_KEY}.${configPath(parts)}`;
  for (const [top, settings] of Object.entries(omnibus)) {
    if (!HASH_NAMES.has(top) && !VALUE_NAMES.has(top)) {
      problems.push(
        `${at([top])}: expected one of gitlab.rb's top-level names at omnibus-gitlab 19.3.0${suggestName(top)}; got ${JSON.stringify(top)}`,
      );
      continue;
    }
    if (VALUE_NAMES.has(top)) {
      const managed = managedKeyOf([top], ctx.emailEnabled);
      if (managed !== undefined) {
        problems.push(
          `${at([top])}: gitlab.rb's ${top} is managed by the program (${managed.why}); use ${managed.use} instead`,
        );
        continue;
      }
      if (isMap(settings) && secretRef(settings) === undefined) {
        problems.push(`${at([top])}: expected one value for ${top} (a string, number, boolean or list); got a map`);
        continue;
      }
      problems.push(...valueProblems(settings, [top], at, ctx));
      continue;
    }
    if (!isMap(settings)) {
      problems.push(
        `${at([top])}: expected a map of ${top}'s settings (set one with \`pulumi config set --path 'gitlab.omnibus.${top}.<setting>' …\`); got ${describe(settings)}`,
      );
      continue;
    }
    const wholeManaged = managedKeyOf([top], ctx.emailEnabled);
    if (wholeManaged !== undefined) {
      problems.push(
        `${at([top])}: gitlab.rb's ${top}[…] is managed by the program (${wholeManaged.why}); use ${wholeManaged.use} instead`,
      );
      continue;
    }
    for (const [key, value] of Object.entries(settings)) {
      if (!IDENTIFIER.test(key)) {
        problems.push(
          `${at([top, key])}: expected a setting name of lowercase letters, digits and _ (gitlab.rb's ${top}['…']); got ${JSON.stringify(key)}`,
        );
        continue;
      }
      const managed = findManaged([top, key], value, ctx.emailEnabled);
      if (managed !== undefined) {
        problems.push(
          `${at(managed.path)}: gitlab.rb's ${rbPath(managed.path)} is managed by the program (${managed.key.why}); use ${managed.key.use} instead`,
        );
        continue;
      }
      problems.push(...valueProblems(value, [top, key], at, ctx));
    }
  }
  return problems;
}

/**
 * The managed path a setting touches: itself (`gitlab_rails['db_host']`), or one inside its hash
 * (`gitlab_rails: { nginx: { listen_port: 80 } }` sets `gitlab_rails['nginx']['listen_port']`).
 */
function findManaged(
  path: readonly string[],
  value: unknown,
  emailEnabled: boolean,
): { path: readonly string[]; key: NonNullable<ReturnType<typeof managedKeyOf>> } | undefined {
  const key = managedKeyOf(path, emailEnabled);
  if (key !== undefined) return { path, key };
  if (isMap(value) && secretRef(value) === undefined) {
    for (const [k, v] of Object.entries(value)) {
      const inner = findManaged([...path, k], v, emailEnabled);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/**
 * A setting whose name says it holds a secret (`password`, `bind_password`, `client_secret`,
 * `secret`, `token`, `private_key`): a plain string there would be written into gitlab.rb's text and
 * the stack file unencrypted. The engine marks the whole `gitlab-dind:gitlab` key secret as soon as any
 * part of it is, so the program cannot tell a `--secret` value from plain text at run time: the name
 * decides. Names that point to a secret rather than hold one (`token_url`, `password_file`,
 * `secret_path`, `…_method`) are not matched.
 */
export const SECRET_SETTING_NAME = /password|secret|token|private_key/i;
const NOT_A_SECRET_VALUE = /(_url|_uri|_endpoint|_path|_file|_method)$/i;

/** The setting name nearest a value (the key above a list's items). */
function nearestKey(path: readonly (string | number)[]): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) if (typeof path[i] === "string") return path[i] as string;
  return undefined;
}

/** The problems of one value (and everything inside it): null, secrets given in place, unknown secret names. */
function valueProblems(
  value: unknown,
  path: readonly (string | number)[],
  at: (parts: readonly (string | number)[]) => string,
  ctx: OmnibusContext,
): string[] {
  if (value === null || value === undefined) {
    return [
      `${at(path)}: expected a value (to keep omnibus's default, remove the key: \`pulumi config rm --path 'gitlab.omnibus.${configPath(path)}'\`); got null`,
    ];
  }
  if (typeof value === "string") {
    if (value.includes("\0"))
      return [`${at(path)}: expected a string without NUL characters (gitlab.rb cannot hold them); got one with a NUL`];
    const key = nearestKey(path);
    if (key !== undefined && SECRET_SETTING_NAME.test(key) && !NOT_A_SECRET_VALUE.test(key))
      return [
        `${at(path)}: expected { secret: <name> } (a setting named ${JSON.stringify(key)} holds a secret, and a plain string would be written into gitlab.rb's text and the stack file unencrypted): set it with \`pulumi config set --secret --path 'gitlab.omnibusSecrets.<name>' …\` and write { secret: <name> } here; got a plain string`,
      ];
    return [];
  }
  if (typeof value === "boolean") return [];
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return [`${at(path)}: expected a finite number; got ${value}`];
    // A whole number past 2^53 is not the one written in the stack file any more (a float rounded it).
    if (Number.isInteger(value) && !Number.isSafeInteger(value))
      return [
        `${at(path)}: expected a whole number between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER} (larger ones lose digits on the way; give it as a string if gitlab.rb takes one); got ${value}`,
      ];
    return [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => valueProblems(v, [...path, i], at, ctx));
  const ref = secretRef(value);
  if (ref !== undefined) {
    if (!SECRET_NAME.test(ref))
      return [
        `${at([...path, "secret"])}: expected a secret's name (letters, digits, _ or -); got ${JSON.stringify(ref)}`,
      ];
    if (ctx.secretNames !== undefined && !ctx.secretNames.has(ref)) {
      return [
        `${at([...path, "secret"])}: expected the name of a secret in ${SECRETS_KEY} (set it with \`pulumi config set --secret --path 'gitlab.omnibusSecrets.${ref}' …\`)${nearest(ref, [...ctx.secretNames])}; got ${JSON.stringify(ref)}`,
      ];
    }
    return [];
  }
  if (isMap(value)) return Object.entries(value).flatMap(([k, v]) => valueProblems(v, [...path, k], at, ctx));
  // A ConfigSecret: `pulumi config set --secret --path gitlab.omnibus.…` (the offline plan sees it; the
  // engine does not tell the program which part of a structured key is secret).
  return [
    `${at(path)}: expected a plain value: a secret inside gitlab.omnibus would be written into gitlab.rb's text; set it as \`pulumi config set --secret --path 'gitlab.omnibusSecrets.<name>' …\` and write { secret: <name> } here`,
  ];
}

/** What a value is, never the value itself (gitlab-dind:gitlab is a secret key when any part of it is). */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}

function suggestName(name: string): string {
  const close = nearest(name, ALL_NAMES);
  return close === "" ? " (omnibus-gitlab's files/gitlab-config-template/gitlab.rb.template lists them)" : close;
}

/** `; did you mean x?` when a candidate is a plausible typo of `name`. */
function nearest(name: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4))
    ? `; did you mean ${best}?`
    : "";
}

/** Secrets of gitlab.omnibusSecrets that gitlab.omnibus never references. */
export function unusedOmnibusSecrets(omnibus: unknown, secretNames: readonly string[]): string[] {
  const used = new Set(referencedSecrets(omnibus));
  return secretNames.filter((n) => !used.has(n));
}

/** The gitlab.rb value of a checked `gitlab.omnibus` value; secrets become their root-only files. */
function rubyValueOf(value: unknown, secretPath: (name: string) => string): RubyValue {
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isInteger(value) ? value : { rubyFloat: value };
  if (Array.isArray(value)) return value.map((v) => rubyValueOf(v, secretPath));
  const ref = secretRef(value);
  if (ref !== undefined) return { fileContents: secretPath(ref) };
  if (isMap(value))
    return { rubyHash: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rubyValueOf(v, secretPath)])) };
  throw new Error(`gitlab.omnibus: cannot write ${describe(value)} (the config parser refuses it)`);
}

/**
 * The gitlab.rb settings of a checked `gitlab.omnibus`, in its order, and the secrets they read
 * (each from `secretPath(name)`, by default its root-only file in the container).
 */
export function omnibusGitLabRb(
  omnibus: Readonly<Record<string, unknown>>,
  secretPath: (name: string) => string = omnibusSecretPath,
): {
  readonly settings: GitLabRbSetting[];
  readonly secretNames: string[];
} {
  const settings: GitLabRbSetting[] = [];
  for (const [top, value] of Object.entries(omnibus)) {
    if (VALUE_NAMES.has(top)) {
      settings.push({ kind: "call", method: top, value: rubyValueOf(value, secretPath) });
      continue;
    }
    if (!isMap(value)) throw new Error(`gitlab.omnibus: ${top} is not a map (the config parser refuses it)`);
    for (const [key, v] of Object.entries(value))
      settings.push({ kind: "assign", scope: top, key, value: rubyValueOf(v, secretPath) });
  }
  if (settings.length > 0) {
    settings[0] = {
      ...settings[0],
      comment: "gitlab-dind:gitlab.omnibus (secrets read from root-only files of gitlab.omnibusSecrets).",
    };
  }
  return { settings, secretNames: referencedSecrets(omnibus) };
}

/** The secret names gitlab.omnibus references, each once, in order of first use. */
export function referencedSecrets(omnibus: unknown): string[] {
  const used: string[] = [];
  const walk = (v: unknown): void => {
    const ref = secretRef(v);
    if (ref !== undefined) {
      if (!used.includes(ref)) used.push(ref);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (isMap(v)) Object.values(v).forEach(walk);
  };
  walk(omnibus);
  return used;
}
