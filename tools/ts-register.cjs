/**
 * `node --require ./tools/ts-register.cjs <file.ts>`: runs this repository's TypeScript commands.
 *
 * Each `.ts` file of the project is compiled by esbuild (`transformSync`, types stripped, nothing
 * checked: `npm run typecheck` does that) into CommonJS as Node requires it. Nothing else is
 * touched: the JavaScript of `node_modules` loads as plain `node` loads it. That is the point of
 * this file rather than `tsx`, whose hooks read and scan every JavaScript file a command loads
 * (about 300 ms more to load `@pulumi/pulumi` alone, measured by `npm run bench`), and which turn on
 * Node's source maps for every package.
 *
 * Stack traces name the compiled lines; the commands print messages, not traces.
 */
"use strict";

const { readFileSync } = require("node:fs");
const { transformSync } = require("esbuild");

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, "utf8"), {
    loader: "ts",
    format: "cjs",
    target: "node20",
    sourcefile: filename,
    // `await import("./x")` becomes a `require`: the files it loads are TypeScript, which only this
    // hook (CommonJS) compiles.
    supported: { "dynamic-import": false },
  });
  module._compile(code, filename);
};
