/**
 * The lint rules the project cares most about fail `npm run lint`: an Output placed in a template
 * string (it renders as a warning text, not its value) and a promise left floating in the program
 * (its error is lost while resources register asynchronously). A probe file is written into a
 * folder of infra/, linted with the project's own eslint.config.mjs, and removed.
 *
 * The folder has a tsconfig.json of its own (the root one's options, the probe alone as its files):
 * typescript-eslint's project service builds the type information from the nearest tsconfig, and the
 * probe then needs only `@pulumi/pulumi`'s types rather than a program of the whole repository
 * (about 1 s instead of 6). The rules and their settings are the project's, unchanged.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ESLint } from "eslint";
import { afterAll, expect, test } from "vitest";

const root = resolve(__dirname, "..", "..");
const folder = join(root, "infra", `lint-probe-${process.pid}`);
const probe = join(folder, "probe.ts");
afterAll(() => rmSync(folder, { recursive: true, force: true }));

test("npm run lint's configuration refuses an Output in a template string and a floating promise in infra/", async () => {
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, "tsconfig.json"),
    JSON.stringify({ extends: "../../tsconfig.json", include: ["probe.ts"] }),
  );
  writeFileSync(
    probe,
    [
      'import * as pulumi from "@pulumi/pulumi";',
      "",
      'const host = pulumi.output("198.51.100.7");',
      "export const url = `http://${host}/`;",
      "",
      "async function register(): Promise<void> {",
      '  await pulumi.log.info("registering");',
      "}",
      "register();",
      "",
    ].join("\n"),
  );
  const [result] = await new ESLint({ cwd: root }).lintFiles([probe]);
  const rules = result.messages.map((m) => `${m.line}:${m.ruleId}`);
  expect(rules).toContain("4:@pulumi/no-output-in-template-literal");
  expect(rules).toContain("9:@typescript-eslint/no-floating-promises");
  expect(result.messages.every((m) => m.severity === 2)).toBe(true);
});
