/**
 * `npm run check:load -- --stack <name> [--type-check]`
 *
 * Loads the program the way `pulumi preview`/`up` load it (Pulumi's own loader, run from the
 * `main` directory of Pulumi.yaml, with its tsconfig.json) under mocks, and says whether it
 * registered its resources. `--type-check` sets PULUMI_NODEJS_TRANSPILE_ONLY=false, as a user
 * who wants Pulumi to type-check would. No Pulumi CLI, credentials or network needed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadAsPulumi } from "./load";

const USAGE = "usage: npm run check:load -- --stack <name> [--type-check]";

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: { stack: { type: "string" }, "type-check": { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`check:load: ${(e as Error).message}\n${USAGE}`);
    return 1;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.stack === undefined || args.stack === "") {
    console.error(`check:load: --stack is required\n${USAGE}`);
    return 1;
  }
  const root = resolve(__dirname, "..", "..");
  // ts-node's compile cache, cold and thrown away: what a fresh clone or CI runner gets.
  const cache = mkdtempSync(join(tmpdir(), "gitlab-dind-ts-node-"));
  try {
    const result = await loadAsPulumi({
      root,
      stack: args.stack,
      transpileOnly: args["type-check"] ? false : undefined,
      env: { TS_NODE_CACHE_DIRECTORY: cache },
    });
    const mode = args["type-check"] ? "type-checked (PULUMI_NODEJS_TRANSPILE_ONLY=false)" : "as configured";
    if (!result.ok) {
      console.error(
        `check:load: ${args.stack}: Pulumi's loader failed (${mode}), exit ${result.exitCode}:\n${result.stderr.trim()}`,
      );
      return 1;
    }
    const registered = result.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length;
    console.log(
      `${args.stack}: ${registered} resources registered by Pulumi's loader from ${relative(root, result.cwd ?? "") || "."}/ (${mode}); ` +
        `first resource after ${result.firstRegistrationMs} ms, peak ${Math.round((result.maxRssBytes ?? 0) / 2 ** 20)} MiB`,
    );
    return registered > 0 ? 0 : 1;
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`check:load failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
