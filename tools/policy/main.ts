/**
 * `npm run policy -- <plan-dir> [--config <file.json>] [--expect <policy>:<resource>]...`
 *
 * Applies the policy pack (policy/) to an offline plan (`npm run plan -- --stack <name> --out <plan-dir>`):
 * prints each violation as `<policy>: <resource name>: <message>`, and exits 1 if any mandatory one
 * is left. `--config` takes the same JSON as `pulumi preview --policy-pack-config` (per policy:
 * `"advisory"`, `"disabled"`, or `{ "enforcementLevel": … }`). `--expect` names a violation known
 * and accepted for now: it is printed but does not fail the run, and a run where it no longer
 * happens fails, so that the expectation is removed with the cause.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { PolicyPackConfig } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "../../policy/policies";
import { runAsEntryPoint } from "../cli/entry-point";
import { formatViolation, runPolicies, type PlanDocument } from "./run-policies";

const USAGE =
  "usage: npm run policy -- <plan-dir> [--config <file.json>] [--expect <policy>:<resource>]...\n" +
  "  <plan-dir>: written by npm run plan -- --stack <name> --out <plan-dir>";

class InputError extends Error {}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InputError(`cannot read ${what} ${path}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`${path} is not JSON: ${(e as Error).message}`);
  }
}

/** The command, callable in-process (the tests): prints as the CLI does and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        expect: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new InputError(`${(e as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new InputError(`one plan directory is required\n${USAGE}`);

  const planPath = join(resolve(parsed.positionals[0]), "resources.json");
  const plan = readJson(planPath, "the plan") as Partial<PlanDocument>;
  if (!Array.isArray(plan?.resources) || typeof plan.stack !== "string" || typeof plan.project !== "string")
    throw new InputError(`${planPath} is not a plan's resources.json (project, stack, resources)`);
  const config =
    parsed.values.config === undefined
      ? {}
      : (readJson(resolve(parsed.values.config), "the policy pack config") as PolicyPackConfig);

  const known = new Set(POLICIES.map((p) => p.name));
  const expected = new Map<string, boolean>();
  for (const e of parsed.values.expect ?? []) {
    const [policy, resource] = e.split(":");
    if (resource === undefined || resource === "" || !known.has(policy))
      throw new InputError(`--expect ${e}: expected <policy>:<resource> with a policy of ${[...known].join(", ")}`);
    expected.set(`${policy}:${resource}`, false);
  }

  const violations = await runPolicies(plan as PlanDocument, POLICIES, config);
  let failing = 0;
  for (const v of violations) {
    const key = `${v.policy}:${v.resource}`;
    const isExpected = expected.has(key);
    if (isExpected) expected.set(key, true);
    else if (v.enforcementLevel === "mandatory") failing += 1;
    console.log(`${formatViolation(v)}${isExpected ? " [expected: --expect]" : ""}`);
  }
  const unmet = [...expected].filter(([, seen]) => !seen).map(([key]) => key);
  for (const key of unmet)
    console.log(`policy: --expect ${key}: no such violation any more; remove the expectation (from .ci/run)`);
  const subject = `${plan.project}/${plan.stack}`;
  console.log(
    `policy pack ${PACK_NAME} on ${subject}: ${POLICIES.length} policies, ${plan.resources.length} resources, ` +
      `${violations.length} violation${violations.length === 1 ? "" : "s"}` +
      (expected.size > 0 ? ` (${[...expected.values()].filter(Boolean).length} expected)` : ""),
  );
  return failing > 0 || unmet.length > 0 ? 1 : 0;
}

/** `main` with its errors printed as one message each, never a stack trace; returns the exit code. */
export function cli(argv: string[]): Promise<number> {
  return main(argv).catch((e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    console.error(`policy: ${message}`);
    return 1;
  });
}

runAsEntryPoint(module, cli);
