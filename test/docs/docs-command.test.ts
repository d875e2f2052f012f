import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../../tools/docs/main";
import { configTable, TABLE_END, TABLE_START } from "../../tools/docs/config-docs";
import { inProcess, npmRun } from "../support/command";

const root = join(__dirname, "..", "..");
// Made before the first test (not at import: a run whose filter skips every test here runs no afterAll).
let scratch = "";
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-docs-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A project folder with copies of the two files `npm run docs` rewrites, the table emptied. */
function staleProject(name: string): string {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  copyFileSync(join(root, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  copyFileSync(join(root, ".prettierrc.json"), join(dir, ".prettierrc.json"));
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf(TABLE_START) + TABLE_START.length;
  writeFileSync(
    join(dir, "README.md"),
    `${readme.slice(0, start)}\n| stale |\n${readme.slice(readme.indexOf(TABLE_END))}`,
  );
  return dir;
}

describe("npm run docs", () => {
  it("prints its usage with --help and changes no file (as `npm run docs -- --help` runs it)", async () => {
    const before = readFileSync(join(root, "README.md"), "utf8");
    const run = await npmRun("docs", ["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("usage: npm run docs");
    expect(readFileSync(join(root, "README.md"), "utf8")).toBe(before);
  });

  it("refuses an unknown flag with the usage, exit 2, and rewrites nothing", async () => {
    const dir = staleProject("unknown-flag");
    const run = await inProcess(cli, ["--root", dir, "--check"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("usage: npm run docs");
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain("| stale |");
  });

  it("rewrites a stale configuration table from the schema", async () => {
    const dir = staleProject("rewrite");
    const run = await inProcess(cli, ["--root", dir]);
    expect(run.code).toBe(0);
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    expect(readme).not.toContain("| stale |");
    expect(readme).toContain(configTable());
  });
});
