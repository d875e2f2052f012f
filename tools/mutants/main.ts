/**
 * `npm run mutants -- [--only stryker|planted] [--mutate <glob>]...`
 *
 * How many defects the tests would catch, in the modules where a defect means exposure or loss:
 * 1. Stryker (`stryker.config.json`: the modules it mutates, the suite's vitest config for
 *    mutants) mutates them one change at a time and runs the tests that cover each change; the
 *    score and every surviving mutant are printed (file:line, the mutator, the replacement).
 * 2. The planted defects of tools/mutants/script-defects.ts (shell scripts and resource options,
 *    which Stryker does not mutate), each in a scratch copy of the repository with its tests run
 *    there: each must make at least one test fail.
 * A script, not a test: it takes many minutes, and CI does not run it. Exit 0 when every planted
 * defect was caught (the Stryker score is reported, not enforced); 1 when one was not, or a run
 * failed; 2 on a bad command line.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runAsEntryPoint } from "../cli/entry-point";
import { PLANTED_DEFECTS, type PlantedDefect } from "./script-defects";

const root = resolve(__dirname, "..", "..");
const REPORT = join(root, "reports", "mutation", "mutation.json");

const USAGE = [
  "usage: npm run mutants -- [--only stryker|planted] [--mutate <file or glob>]...",
  "  stryker  Stryker mutates the modules stryker.config.json names (or --mutate's) and runs their tests",
  "  planted  each defect of tools/mutants/script-defects.ts in a scratch copy, its tests must fail",
].join("\n");

interface MutantReport {
  readonly files: Record<
    string,
    {
      readonly mutants: readonly {
        readonly mutatorName: string;
        readonly replacement?: string;
        readonly status: string;
        readonly location: { readonly start: { readonly line: number; readonly column: number } };
      }[];
    }
  >;
}

export interface MutationSummary {
  readonly detected: number;
  readonly undetected: number;
  /** Detected / (detected + undetected), in percent; Stryker's "mutation score". */
  readonly score: number;
  readonly survivors: readonly string[];
  readonly byStatus: Readonly<Record<string, number>>;
}

/** Stryker's JSON report, summarized: Killed and Timeout are detected; Survived and NoCoverage are not. */
export function summarize(report: MutantReport): MutationSummary {
  const byStatus: Record<string, number> = {};
  const survivors: string[] = [];
  for (const [file, { mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
    for (const m of mutants) {
      byStatus[m.status] = (byStatus[m.status] ?? 0) + 1;
      if (m.status === "Survived" || m.status === "NoCoverage") {
        const replacement = (m.replacement ?? "").replace(/\s+/g, " ").slice(0, 80);
        survivors.push(
          `${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} → ${replacement} (${m.status})`,
        );
      }
    }
  }
  const detected = (byStatus.Killed ?? 0) + (byStatus.Timeout ?? 0);
  const undetected = (byStatus.Survived ?? 0) + (byStatus.NoCoverage ?? 0);
  const total = detected + undetected;
  return { detected, undetected, score: total === 0 ? 0 : (100 * detected) / total, survivors, byStatus };
}

/** Plants `defect` into the text of its file; throws when its target is not there exactly once. */
export function plant(text: string, defect: PlantedDefect): string {
  const at = text.indexOf(defect.find);
  if (at < 0 || text.indexOf(defect.find, at + 1) >= 0) {
    throw new Error(
      `planted defect ${defect.id}: ${defect.file} must contain ${JSON.stringify(defect.find)} exactly once (the script-defects list is out of date)`,
    );
  }
  return `${text.slice(0, at)}${defect.replace}${text.slice(at + defect.find.length)}`;
}

/**
 * Runs a command with its own temporary directory (TMPDIR), removed after: Stryker runs the tests a
 * few at a time, filtered, and a test file whose tests are all filtered out never runs its
 * `afterAll`, so what it made at import in the temporary directory would stay there.
 */
async function run(command: string, args: readonly string[], cwd: string, quiet: boolean): Promise<number> {
  const tmp = mkdtempSync(join(tmpdir(), "gitlab-dind-mutants-tmp-"));
  try {
    return await spawnIn(command, args, cwd, quiet, { ...process.env, TMPDIR: tmp });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function spawnIn(
  command: string,
  args: readonly string[],
  cwd: string,
  quiet: boolean,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(command, [...args], { cwd, stdio: quiet ? "ignore" : "inherit", env });
    child.on("error", fail);
    child.on("close", (code) => done(code ?? 1));
  });
}

/** The repository's tracked and new files (not node_modules, not ignored ones), copied into `dir`. */
async function scratchCopy(dir: string): Promise<void> {
  const list = await new Promise<string>((done, fail) => {
    let out = "";
    const git = spawn("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root });
    git.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    git.on("error", fail);
    git.on("close", (code) => (code === 0 ? done(out) : fail(new Error(`git ls-files exited ${code}`))));
  });
  for (const file of list.split("\0").filter((f) => f !== "" && existsSync(join(root, f)))) {
    cpSync(join(root, file), join(dir, file), { recursive: true });
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
}

async function plantedDefects(): Promise<{ caught: string[]; missed: string[] }> {
  const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-mutants-"));
  const caught: string[] = [];
  const missed: string[] = [];
  try {
    const copy = join(scratch, "repo");
    await scratchCopy(copy);
    // The control: without a defect the same tests pass in the copy, so a failure below is the defect's.
    const allTests = [...new Set(PLANTED_DEFECTS.flatMap((d) => d.tests))];
    process.stdout.write(`control: ${allTests.join(", ")} without any defect … `);
    if ((await run("npx", ["vitest", "run", ...allTests], copy, true)) !== 0) {
      console.log("FAILED");
      throw new Error(
        `the tests of the planted defects fail without any defect (npx vitest run ${allTests.join(" ")})`,
      );
    }
    console.log("pass");
    for (const defect of PLANTED_DEFECTS) {
      const path = join(copy, defect.file);
      const original = readFileSync(path, "utf8");
      writeFileSync(path, plant(original, defect));
      try {
        process.stdout.write(`planted ${defect.id} (${defect.file}): running ${defect.tests.join(", ")} … `);
        const code = await run("npx", ["vitest", "run", ...defect.tests], copy, true);
        if (code === 0) {
          missed.push(defect.id);
          console.log(`NOT caught: ${defect.harm}`);
        } else {
          caught.push(defect.id);
          console.log("caught");
        }
      } finally {
        writeFileSync(path, original);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { caught, missed };
}

/** The command, callable in-process; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        only: { type: "string" },
        mutate: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    console.error(`mutants: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.only !== undefined && values.only !== "stryker" && values.only !== "planted") {
    console.error(`mutants: --only: expected stryker or planted; got "${values.only}"\n${USAGE}`);
    return 2;
  }
  let status = 0;
  if (values.only !== "planted") {
    // Stryker's --mutate takes one comma-separated list (a second --mutate replaces the first).
    const mutate = values.mutate === undefined ? [] : ["--mutate", values.mutate.join(",")];
    const started = Date.now();
    const code = await run("npx", ["stryker", "run", "stryker.config.json", ...mutate], root, false);
    // Stryker's own scratch files, whatever happened.
    for (const name of [".stryker-tmp", "stryker-setup-0.js", "stryker-setup-1.js"])
      rmSync(join(root, name), { recursive: true, force: true });
    if (code !== 0 || !existsSync(REPORT)) {
      console.error(`mutants: stryker failed (exit ${code}); its output is above`);
      return 1;
    }
    const summary = summarize(JSON.parse(readFileSync(REPORT, "utf8")) as MutantReport);
    console.log(
      `\nStryker: mutation score ${summary.score.toFixed(1)}% (${summary.detected} detected, ${summary.undetected} not) in ${Math.round((Date.now() - started) / 60000)} min; by status ${JSON.stringify(summary.byStatus)}`,
    );
    if (summary.survivors.length > 0) console.log(`Survivors:\n  ${summary.survivors.join("\n  ")}`);
    console.log(`The full report: ${relative(process.cwd(), REPORT) || REPORT} (and ${dirname(REPORT)}/mutation.html)`);
  }
  if (values.only !== "stryker") {
    const { caught, missed } = await plantedDefects();
    console.log(`\nPlanted defects: ${caught.length} of ${caught.length + missed.length} caught`);
    if (missed.length > 0) {
      console.error(`mutants: not caught by any test: ${missed.join(", ")}`);
      status = 1;
    }
  }
  return status;
}

/** `main` with its errors as one message, not a trace; returns the exit code. */
export function cli(argv: string[]): Promise<number> {
  return main(argv).catch((e: unknown) => {
    console.error(`mutants failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  });
}

runAsEntryPoint(module, cli);
