/**
 * `node --require ./tools/ts-register.cjs <file.ts>`: runs this repository's TypeScript commands.
 *
 * Each `.ts` file of the project is compiled by esbuild (`transformSync`, types stripped, nothing
 * checked: `npm run typecheck` does that) into CommonJS as Node requires it. Nothing else is
 * touched: the JavaScript of `node_modules` loads as plain `node` loads it. That is the point of
 * this file rather than `tsx`, whose hooks read and scan every JavaScript file a command loads
 * (about 300 ms more to load `@pulumi/pulumi` alone), and which turn on Node's source maps for
 * every package.
 *
 * The compiled text is kept in `node_modules/.cache/gitlab-dind/ts-register/`, one file per source
 * file, under a key of the source, esbuild's version and the options: an unchanged file is read back
 * rather than compiled (about 0.2 s of a plan). Stack traces name the compiled lines; the commands
 * print messages, not traces.
 */
"use strict";

const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const OPTIONS = {
  loader: "ts",
  format: "cjs",
  target: "node20",
  // `await import("./x")` becomes a `require`: the files it loads are TypeScript, which only this
  // hook (CommonJS) compiles.
  supported: { "dynamic-import": false },
};
const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "gitlab-dind", "ts-register");
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

function compile(source, filename) {
  const version = require("esbuild/package.json").version;
  const key = sha256(`${version}\n${JSON.stringify(OPTIONS)}\n${filename}\n${source}`);
  const entry = path.join(cacheDir, `${sha256(filename).slice(0, 24)}.js`);
  try {
    const cached = readFileSync(entry, "utf8");
    const firstLine = cached.indexOf("\n");
    if (cached.slice(0, firstLine) === `// ${key}`) return cached.slice(firstLine + 1);
  } catch {
    // Not compiled yet.
  }
  const { code } = require("esbuild").transformSync(source, { ...OPTIONS, sourcefile: filename });
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
