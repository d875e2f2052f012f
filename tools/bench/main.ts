/**
 * `npm run bench -- [--only preview,plan,test] [--runs N] [--test-runs N] [--stack dev] [--json <file>]`
 *
 * Where users wait, measured (a script, not a timed test: figures on a shared machine vary):
 *   preview  Pulumi's own loader (tools/language-host, as `pulumi preview`/`up` load the program:
 *            from the `main` directory, its tsconfig.json, a cold ts-node cache) as configured, vs
 *            forced transpile-only (PULUMI_NODEJS_TRANSPILE_ONLY=true): time to the first resource
 *            and peak memory. Goal ≤ 1.3×.
 *   plan     `npm run plan -- --stack <stack>` vs the SDK-load floor (a bare `node` requiring
 *            @pulumi/pulumi, @pulumi/aws and @pulumi/docker). Goal ≤ 2.5×. A repeat plan (its cache
 *            of serialized providers filled); the plan without that cache is printed next to it.
 *   test     `npm test` wall time. Goal ≤ 30 s.
 * Variants run interleaved (A B, B A, …) and are reported as medians.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { loadAsPulumi } from "../language-host/load";
import { BenchArgsError, parseBenchArgs, USAGE, type BenchArgs } from "./args";
import { childCpuMs, formatRatio, formatSeconds, measureInterleaved, median } from "./stats";

const root = resolve(__dirname, "..", "..");

interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: "×" | "s";
  readonly goal: number;
  readonly met: boolean;
  readonly detail: Record<string, unknown>;
}

interface Timing {
  /** Wall time, ms. */
  readonly wallMs: number;
  /** User + system CPU time of the process and its children, ms (from bash's `times`). */
  readonly cpuMs: number;
}

/** Runs a command under bash, which reports its CPU time (`times`) last on stderr; throws when it fails. */
function timeChild(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Timing> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const script = 'status=0; "$@" >/dev/null || status=$?; times >&2; exit "$status"';
    const child = spawn("bash", ["-c", script, "bash", command, ...args], {
      cwd: root,
      env: env ?? process.env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", fail);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      const lines = stderr.trimEnd().split("\n");
      if (code !== 0) {
        fail(new Error(`${command} ${args.join(" ")} exited ${code}:\n${lines.slice(-22, -2).join("\n")}`));
        return;
      }
      done({ wallMs, cpuMs: childCpuMs(lines[lines.length - 1] ?? "") });
    });
  });
}

function progress(label: string) {
  return (variant: string, value: number) => process.stderr.write(`  ${label} ${variant}: ${formatSeconds(value)}\n`);
}

async function previewFigure(args: BenchArgs): Promise<Figure> {
  const rss: Record<string, number[]> = { configured: [], transpileOnly: [] };
  const totals: Record<string, number[]> = { configured: [], transpileOnly: [] };
  const once = async (variant: "configured" | "transpileOnly"): Promise<number> => {
    // A cold ts-node cache each time: what a fresh clone or a CI runner gets.
    const cache = mkdtempSync(join(tmpdir(), "gitlab-dind-bench-ts-node-"));
    try {
      const r = await loadAsPulumi({
        root,
        stack: args.stack,
        transpileOnly: variant === "transpileOnly" ? true : undefined,
        env: { TS_NODE_CACHE_DIRECTORY: cache },
      });
      if (!r.ok || r.firstRegistrationMs === undefined) {
        throw new Error(`Pulumi's loader failed (${variant}), exit ${r.exitCode}:\n${r.stderr.trim()}`);
      }
      rss[variant].push(r.maxRssBytes ?? 0);
      totals[variant].push(r.totalMs ?? 0);
      return r.firstRegistrationMs;
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  };
  const ms = await measureInterleaved(
    { configured: () => once("configured"), transpileOnly: () => once("transpileOnly") },
    args.runs,
    progress("preview load"),
  );
  const configured = median(ms.configured);
  const transpileOnly = median(ms.transpileOnly);
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  console.log(
    `preview load (${args.stack}, Pulumi's loader, cold cache, to the first resource; median of ${args.runs}): ` +
      `as configured ${formatSeconds(configured)}, peak ${mib(median(rss.configured))} MiB; ` +
      `transpile-only ${formatSeconds(transpileOnly)}, peak ${mib(median(rss.transpileOnly))} MiB; ` +
      `ratio ${formatRatio(configured, transpileOnly)} (goal ≤ 1.3×)`,
  );
  const value = configured / transpileOnly;
  return {
    name: "preview load ratio",
    value,
    unit: "×",
    goal: 1.3,
    met: value <= 1.3,
    detail: { firstRegistrationMs: ms, totalMs: totals, maxRssBytes: rss },
  };
}

async function planFigure(args: BenchArgs): Promise<Figure> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.GITLAB_DIND_PLAN_CACHE;
  // The cache of serialized providers in a folder of the bench's own, filled by a first plan:
  // "plan" is a repeat plan, as a user iterating on a stack file runs it; "cold" has no cache
  // (a fresh clone, or the first plan after a code change).
  const cacheDir = mkdtempSync(join(tmpdir(), "gitlab-dind-bench-plan-"));
  const planArgs = ["run", "-s", "plan", "--", "--stack", args.stack];
  const cpu: Record<string, number[]> = { plan: [], cold: [], floor: [] };
  const timed = async (variant: "plan" | "cold" | "floor", command: string, commandArgs: string[], e = env) => {
    const t = await timeChild(command, commandArgs, e);
    cpu[variant].push(t.cpuMs);
    return t.wallMs;
  };
  let ms: Record<string, number[]>;
  try {
    await timeChild(npm, planArgs, { ...env, GITLAB_DIND_PLAN_CACHE: cacheDir });
    ms = await measureInterleaved(
      {
        plan: () => timed("plan", npm, planArgs, { ...env, GITLAB_DIND_PLAN_CACHE: cacheDir }),
        cold: () => timed("cold", npm, planArgs, { ...env, GITLAB_DIND_PLAN_CACHE: "off" }),
        floor: () =>
          timed("floor", process.execPath, [
            "-e",
            'require("@pulumi/pulumi"); require("@pulumi/aws"); require("@pulumi/docker");',
          ]),
      },
      args.runs,
      progress("plan"),
    );
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const plan = median(ms.plan);
  const cold = median(ms.cold);
  const floor = median(ms.floor);
  console.log(
    `plan (npm run plan -- --stack ${args.stack}; median of ${args.runs}): ${formatSeconds(plan)} wall, ` +
      `${formatSeconds(median(cpu.plan))} CPU; SDK-load floor ${formatSeconds(floor)} wall, ` +
      `${formatSeconds(median(cpu.floor))} CPU; ratio ${formatRatio(plan, floor)} wall, ` +
      `${formatRatio(median(cpu.plan), median(cpu.floor))} CPU (goal ≤ 2.5×)`,
  );
  console.log(
    `plan without the cache of serialized providers (a fresh clone, or the first plan after a code change): ` +
      `${formatSeconds(cold)} wall, ${formatSeconds(median(cpu.cold))} CPU; ratio ${formatRatio(cold, floor)} wall`,
  );
  const value = plan / floor;
  return {
    name: "plan ratio",
    value,
    unit: "×",
    goal: 2.5,
    met: value <= 2.5,
    detail: { wallMs: ms, cpuMs: cpu, coldRatio: cold / floor },
  };
}

async function testFigure(args: BenchArgs): Promise<Figure> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const runs: Timing[] = [];
  for (let i = 0; i < args.testRuns; i++) {
    const t = await timeChild(npm, ["test", "--", "--reporter=dot"]);
    runs.push(t);
    progress("npm test")("run", t.wallMs);
  }
  const wall = median(runs.map((r) => r.wallMs));
  console.log(
    `npm test: ${formatSeconds(wall)} wall, ${formatSeconds(median(runs.map((r) => r.cpuMs)))} CPU ` +
      `(median of ${args.testRuns}; goal ≤ 30 s wall)`,
  );
  return { name: "npm test wall", value: wall / 1000, unit: "s", goal: 30, met: wall <= 30_000, detail: { runs } };
}

async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (e) {
    if (!(e instanceof BenchArgsError)) throw e;
    console.error(`bench: ${e.message}\n${USAGE}`);
    return 1;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(" ");
  console.log(`bench on ${process.version}, load average ${load()} (a busy machine inflates every figure)`);
  const figures: Figure[] = [];
  for (const figure of args.figures) {
    if (figure === "preview") figures.push(await previewFigure(args));
    if (figure === "plan") figures.push(await planFigure(args));
    if (figure === "test") figures.push(await testFigure(args));
  }
  console.log(`load average at the end ${load()}`);
  for (const f of figures) {
    const shown = f.unit === "×" ? `${f.value.toFixed(2)}×` : `${f.value.toFixed(1)} s`;
    console.log(
      `${f.met ? "met    " : "NOT MET"} ${f.name}: ${shown} (goal ≤ ${f.goal}${f.unit === "×" ? "×" : " s"})`,
    );
  }
  if (args.json !== undefined) {
    writeFileSync(resolve(args.json), `${JSON.stringify({ loadavg: loadavg(), figures }, null, 2)}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
