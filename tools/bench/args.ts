/**
 * The command line of `npm run bench`.
 */
import { parseArgs } from "node:util";

export const FIGURES = ["preview", "plan", "test"] as const;
export type Figure = (typeof FIGURES)[number];

export interface BenchArgs {
  /** Which figures to measure, in the order printed. Default all three. */
  readonly figures: readonly Figure[];
  /** Interleaved runs of each variant for the preview-load and plan figures. Default 5. */
  readonly runs: number;
  /** Runs of `npm test`. Default 1. */
  readonly testRuns: number;
  /** The stack whose program is loaded and planned. Default dev. */
  readonly stack: string;
  /** Where to write the figures as JSON, if anywhere. */
  readonly json: string | undefined;
  readonly help: boolean;
}

export const USAGE = [
  "usage: npm run bench -- [--only preview,plan,test] [--runs N] [--test-runs N] [--stack dev] [--json <file>]",
  "  preview  Pulumi's program load as configured vs forced transpile-only (cold ts-node cache); goal ≤ 1.3×",
  "  plan     npm run plan -- --stack <stack> vs loading @pulumi/pulumi, @pulumi/aws, @pulumi/docker; goal ≤ 2.5×",
  "  test     npm test wall time; goal ≤ 30 s",
].join("\n");

export class BenchArgsError extends Error {}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        only: { type: "string" },
        runs: { type: "string" },
        "test-runs": { type: "string" },
        stack: { type: "string" },
        json: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new BenchArgsError((e as Error).message);
  }
  const problems: string[] = [];
  let figures: Figure[] = [...FIGURES];
  if (values.only !== undefined) {
    const asked = values.only
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    const unknown = asked.filter((s) => !(FIGURES as readonly string[]).includes(s));
    if (unknown.length > 0 || asked.length === 0) {
      problems.push(`--only: expected a comma-separated list of ${FIGURES.join(", ")}; got "${values.only}"`);
    }
    figures = FIGURES.filter((f) => asked.includes(f));
  }
  const count = (flag: string, raw: string | undefined, fallback: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 100) {
      problems.push(`--${flag}: expected an integer from 1 to 100; got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const runs = count("runs", values.runs, 5);
  const testRuns = count("test-runs", values["test-runs"], 1);
  const stack = values.stack ?? "dev";
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) problems.push(`--stack: expected a stack name; got "${stack}"`);
  if (problems.length > 0) throw new BenchArgsError(problems.join("\n"));
  return { figures, runs, testRuns, stack, json: values.json, help: values.help === true };
}
