/**
 * A disk cache of the program's serialized dynamic providers, for `npm run plan`.
 *
 * Each `pulumi.dynamic.Resource` carries its provider as JavaScript text (`__provider`), which
 * Pulumi's closure serializer writes by walking every function the provider reaches: about 0.6 s
 * of a plan's 1.5 s. That text is a pure function of the code, not of the stack's settings: the
 * program's providers are module-level objects (`readinessProvider`, `upgradeGuardProvider`, ...),
 * and the settings reach them as resource inputs. So a plan keeps each provider's text under a key
 * made of:
 * - where the provider is exported from (`infra/gitlab/readiness.ts#readinessProvider`);
 * - every file of this repository loaded at that moment, as the code the process ran (any change to
 *   the code or to the compiler options, anywhere, is a miss), `package-lock.json` and
 *   `node_modules/.package-lock.json` (the packages' versions, locked and installed), Node's version.
 * What is not a module-level export (a provider made by a factory with options, as tests do) and
 * a text holding a secret are never cached: they are serialized every time, as Pulumi does.
 *
 * The cache is Pulumi's own serializer's output, written on a miss and read back on a hit: a plan
 * on a fresh clone (CI) serializes every provider for real. It lives in
 * `node_modules/.cache/gitlab-dind/serialized-providers/`, one file per provider;
 * `GITLAB_DIND_PLAN_CACHE=<folder>` puts it elsewhere, `GITLAB_DIND_PLAN_CACHE=off` turns it off.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";

export interface SerializedFunction {
  readonly text: string;
  readonly exportName: string;
  readonly containsSecrets: boolean;
}

type SerializeFunction = (func: () => unknown, args?: { allowSecrets?: boolean }) => Promise<SerializedFunction>;

interface SerializeClosureModule {
  serializeFunction: SerializeFunction;
}

/** What a module cache holds that the lookup reads (Node's `require.cache`). */
export type ModuleCache = Readonly<Record<string, { readonly exports?: unknown } | undefined>>;

export interface ProviderCacheOptions {
  /** The folder of the cache files. */
  readonly dir: string;
  /** The repository root: files under it (outside node_modules) are the program's code. */
  readonly root: string;
  /** Where providers are looked up and which files make the key; default Node's `require.cache`. */
  readonly modules?: ModuleCache;
  /** File → a key naming the code the process ran for it; default what tools/ts-register.cjs recorded. */
  readonly compiled?: ReadonlyMap<string, string>;
  /** Pulumi's closure module; default the SDK's own. */
  readonly closureModule?: SerializeClosureModule;
}

export interface ProviderCacheStats {
  hits: number;
  misses: number;
  /** Providers serialized without the cache (not a module-level export, or holding a secret). */
  uncached: number;
}

/**
 * The cache folder `npm run plan` uses: `GITLAB_DIND_PLAN_CACHE` when it names one, none when it is
 * `off`, else under `node_modules/.cache/`.
 */
export function defaultCacheDir(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.GITLAB_DIND_PLAN_CACHE;
  if (setting === "off") return undefined;
  if (setting !== undefined && setting !== "") return resolve(setting);
  return join(root, "node_modules", ".cache", "gitlab-dind", "serialized-providers");
}

/** `<file relative to root>#<export>` of the module-level export that is `value`, if any. */
export function findExport(value: unknown, modules: ModuleCache, root: string): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  for (const file of Object.keys(modules).sort()) {
    if (!isProjectFile(file, root)) continue;
    const exports = modules[file]?.exports;
    if (exports === null || typeof exports !== "object") continue;
    for (const [name, exported] of Object.entries(exports)) {
      if (exported === value) return `${relative(root, file).split(sep).join("/")}#${name}`;
    }
  }
  return undefined;
}

/**
 * The part of the key every provider shares: the code loaded, the packages' versions (the lock file
 * and what `npm ci` installed from it), Node's version. A file compiled by tools/ts-register.cjs counts
 * by the code the process ran (`compiled`: file → the key naming that code), which follows the
 * compiler options too and cannot change under a plan; any other file by its content.
 */
export function codeKey(modules: ModuleCache, root: string, compiled?: ReadonlyMap<string, string>): string {
  const hash = createHash("sha256");
  hash.update(`node ${process.version}\n`);
  hash.update(readOrEmpty(join(root, "package-lock.json")));
  hash.update(readOrEmpty(join(root, "node_modules", ".package-lock.json")));
  for (const file of Object.keys(modules).sort()) {
    if (!isProjectFile(file, root)) continue;
    hash.update(`\n${relative(root, file)}\n`);
    hash.update(compiled?.get(file) ?? readOrEmpty(file));
  }
  return hash.digest("hex");
}

/** What tools/ts-register.cjs records of the code it compiled, when it is the process's loader. */
function registeredCompiledHashes(): ReadonlyMap<string, string> | undefined {
  const recorded = (globalThis as Record<symbol, unknown>)[Symbol.for("gitlab-dind.ts-register.compiledHashes")];
  return recorded instanceof Map ? (recorded as ReadonlyMap<string, string>) : undefined;
}

/**
 * Replaces Pulumi's `serializeFunction` by one that reads and writes the cache, until the returned
 * function restores it. Pulumi's dynamic resources call it through the module's exports at each
 * resource (`dynamic/index.js`), which is what lets this wrap it.
 */
export function installProviderCache(options: ProviderCacheOptions): {
  stats: ProviderCacheStats;
  restore: () => void;
} {
  const closure =
    options.closureModule ??
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's internal module, patched in place
    (require("@pulumi/pulumi/runtime/closure/serializeClosure") as SerializeClosureModule);
  const modules: ModuleCache = options.modules ?? require.cache;
  const compiled = options.compiled ?? registeredCompiledHashes();
  const original = closure.serializeFunction;
  const stats: ProviderCacheStats = { hits: 0, misses: 0, uncached: 0 };

  closure.serializeFunction = async (func, args) => {
    // Dynamic resources pass `() => provider` with `{ allowSecrets: true }` (dynamic/index.js);
    // anything else is not ours, and is never called here.
    const ours = func.length === 0 && args?.allowSecrets === true && /^\(\)\s*=>\s*provider$/.test(String(func));
    const provider = ours ? func() : undefined;
    const id = findExport(provider, modules, options.root);
    if (id === undefined) {
      stats.uncached++;
      return original(func, args);
    }
    const key = createHash("sha256")
      .update(`${id}\n${codeKey(modules, options.root, compiled)}`)
      .digest("hex");
    const file = join(options.dir, `${id.replace(/[^A-Za-z0-9.-]+/g, "_")}.json`);
    const cached = readEntry(file, key);
    if (cached !== undefined) {
      stats.hits++;
      return cached;
    }
    const serialized = await original(func, args);
    if (serialized.containsSecrets) {
      stats.uncached++;
      return serialized;
    }
    stats.misses++;
    writeEntry(file, { key, text: serialized.text, exportName: serialized.exportName });
    return serialized;
  };
  return {
    stats,
    restore: () => {
      closure.serializeFunction = original;
    },
  };
}

function isProjectFile(file: string, root: string): boolean {
  if (!isAbsolute(file)) return false;
  const rel = relative(root, file);
  return !rel.startsWith("..") && !isAbsolute(rel) && !rel.split(sep).includes("node_modules");
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function readEntry(file: string, key: string): SerializedFunction | undefined {
  try {
    const entry = JSON.parse(readFileSync(file, "utf8")) as { key?: unknown; text?: unknown; exportName?: unknown };
    if (entry.key !== key || typeof entry.text !== "string" || typeof entry.exportName !== "string") return undefined;
    return { text: entry.text, exportName: entry.exportName, containsSecrets: false };
  } catch {
    return undefined;
  }
}

/** Written whole or not at all (a temporary file renamed): two plans at once never read half a file. */
function writeEntry(file: string, entry: { key: string; text: string; exportName: string }): void {
  try {
    mkdirSync(join(file, ".."), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(entry));
    renameSync(temporary, file);
  } catch {
    // A cache that cannot be written costs the next plan its time, nothing else.
  }
}
