/**
 * `node --require ./tools/ts-register.cjs <file.ts>`: runs this repository's TypeScript commands.
 *
 * Each `.ts` file of the project is compiled by TypeScript's own `transpileModule` (types stripped,
 * nothing checked: `npm run typecheck` does that) with the emit options of the root tsconfig.json,
 * the ones Pulumi's loader (ts-node) compiles the program with. The same emitted code matters: the
 * offline plan serializes the program's dynamic providers from it, and so shows the `__provider`
 * text `pulumi up` stores (another compiler's import helpers would drag a copy of the SDK into it).
 * Nothing else is touched: the JavaScript of `node_modules` loads as plain `node` loads it, which
 * is the point of this file rather than `tsx`, whose hooks read and scan every JavaScript file a
 * command loads (about 300 ms more to load `@pulumi/pulumi` alone).
 *
 * A file with a syntax error is refused with TypeScript's diagnostics, as Pulumi's loader refuses it
 * (transpileModule alone would repair it and run it).
 *
 * The compiled text is kept in `node_modules/.cache/gitlab-dind/ts-register/`, one file per source
 * file, under a key of the source, TypeScript's version and the tsconfig: an unchanged file is read
 * back, and TypeScript is loaded only when a file has to be compiled. That key, which determines the
 * compiled code, is recorded for each file the process ran (`compiledHashes`), for the plan's cache
 * of serialized providers, whose text is made of that code. Stack traces name lines of the compiled code, which drops type
 * declarations (no source maps: the commands print messages, not traces).
 *
 * An ESM-only package would be `require`d: Node 20 does that by default from 20.19.
 */
"use strict";

const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const cacheDir = path.join(root, "node_modules", ".cache", "gitlab-dind", "ts-register");
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
// What decides the emitted code besides the source: the compiler's version, the tsconfig's options,
// and this file (the options it lays over them).
const settings = [
  require("typescript/package.json").version,
  readFileSync(path.join(root, "tsconfig.json"), "utf8"),
  readFileSync(__filename, "utf8"),
].join("\n");

let compilerOptions;
function transpile(source, filename) {
  const ts = require("typescript");
  if (compilerOptions === undefined) {
    const file = path.join(root, "tsconfig.json");
    const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
    if (error) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(error.messageText, "\n")}`);
    const converted = ts.convertCompilerOptionsFromJson(config.compilerOptions ?? {}, root, file);
    if (converted.errors.length > 0) {
      throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(converted.errors[0].messageText, "\n")}`);
    }
    // One file at a time, as ts-node's transpile-only mode compiles: no declarations, no output folder.
    compilerOptions = {
      ...converted.options,
      noEmit: false,
      declaration: false,
      sourceMap: false,
      outDir: undefined,
      rootDir: undefined,
    };
  }
  const { outputText, diagnostics = [] } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions,
    reportDiagnostics: true,
  });
  if (diagnostics.length > 0) {
    const where = (d) => {
      if (d.file === undefined || d.start === undefined) return filename;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${filename}(${line + 1},${character + 1})`;
    };
    const lines = diagnostics.map(
      (d) => `${where(d)}: error TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
    );
    throw new SyntaxError(`TypeScript cannot compile ${path.relative(root, filename)}:\n${lines.join("\n")}`);
  }
  return outputText;
}

/** Compiled file → the key its code was compiled under (source, compiler, options): it names that code. */
const compiledHashes = new Map();
// For tools/plan/provider-cache.ts, without a module both would have to find by path.
globalThis[Symbol.for("gitlab-dind.ts-register.compiledHashes")] = compiledHashes;

function compile(source, filename) {
  const key = sha256(`${settings}\n${filename}\n${source}`);
  compiledHashes.set(filename, key);
  const entry = path.join(cacheDir, `${sha256(filename).slice(0, 24)}.js`);
  try {
    const cached = readFileSync(entry, "utf8");
    const firstLine = cached.indexOf("\n");
    if (cached.slice(0, firstLine) === `// ${key}`) return cached.slice(firstLine + 1);
  } catch {
    // Not compiled yet.
  }
  const code = transpile(source, filename);
  try {
    mkdirSync(cacheDir, { recursive: true });
    // Written whole or not at all: two commands at once never read half a file.
    const temporary = `${entry}.${process.pid}.tmp`;
    writeFileSync(temporary, `// ${key}\n${code}`);
    renameSync(temporary, entry);
  } catch {
    // A cache that cannot be written costs the next run its time, nothing else.
  }
  return code;
}

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  module._compile(compile(readFileSync(filename, "utf8"), filename), filename);
};
