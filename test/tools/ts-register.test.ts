/**
 * tools/ts-register.cjs, the TypeScript loader of every `npm run` command: a file compiles and runs,
 * an edited file runs as edited (its cached compilation is not reused), `await import()` of another
 * TypeScript file works as the plan command uses it, and a syntax error is refused as Pulumi's
 * loader refuses it (TypeScript alone would repair the code and run it).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";

const root = resolve(__dirname, "..", "..");
const register = join(root, "tools", "ts-register.cjs");
const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-ts-register-"));
const main = join(scratch, "main.ts");
const other = join(scratch, "other.ts");
/** The cache entries this test makes (one per source file), removed after. */
const entries = [main, other].map((file) =>
  join(
    root,
    "node_modules",
    ".cache",
    "gitlab-dind",
    "ts-register",
    `${createHash("sha256").update(file).digest("hex").slice(0, 24)}.js`,
  ),
);
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  for (const entry of entries) rmSync(entry, { force: true });
});

function run(): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--require", register, main], { cwd: root, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

it("runs a TypeScript file, and runs it as edited after an edit", () => {
  writeFileSync(other, "export const greeting: string = 'from other.ts';\n");
  const source = (word: string) =>
    [
      "interface Shape { readonly word: string }",
      `const shape: Shape = { word: "${word}" };`,
      "async function main(): Promise<void> {",
      '  const { greeting } = await import("./other");',
      "  console.log(`${shape.word} ${greeting}`);",
      "}",
      "void main();",
      "",
    ].join("\n");
  writeFileSync(main, source("first"));
  const first = run();
  expect(first.stderr).toBe("");
  expect(first.stdout).toBe("first from other.ts\n");
  expect(run().stdout).toBe("first from other.ts\n");

  writeFileSync(main, source("second"));
  expect(run().stdout).toBe("second from other.ts\n");
});

it("refuses a file with a syntax error, naming the file, line and column, and runs none of it", () => {
  writeFileSync(main, ['console.log("ran");', "const sum = Math.max(1 2);", ""].join("\n"));
  const r = run();
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain(`${main}(2,24): error TS1005: ',' expected.`);
});
