/**
 * `npm run e2e -- --stack <name> --yes [--out <timeline.json>] [--poll <duration>]`
 *
 * The whole life of a real stack, timed: `pulumi up`, the DinD smoke pipeline (`npm run smoke`),
 * `pulumi destroy`, then a check that nothing is left. Prints a timeline of every phase (instance
 * running, Docker API answering, images pulled, GitLab ready, runner registered, pipeline green,
 * destroyed) and writes it as JSON. The `pulumi up` phases come from the engine's own event log
 * (`--event-log`), the others from this process's clock. Refuses to run without --yes: it creates
 * billable resources. See docs/operations.md, "Time to green".
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseStackConfig } from "../../infra/config/parse";
import { readStackFile } from "../plan/stack-file";
import { pulumiEnv, spawnCommand } from "../smoke/stack-outputs";
import { E2eArgsError, parseE2eArgs, USAGE } from "./args";
import { failures, parseEventLog, registrationDeleted, upPhases, type Phase } from "./events";
import { checkLeftovers, type LeftoverCheck, type StackIdentity } from "./leftovers";
import { runAsEntryPoint } from "../cli/entry-point";
import { installedPulumi } from "../cli/installed-pulumi";
import { pulumiCliMissing } from "../cli/pulumi-cli-missing";

const root = resolve(__dirname, "..", "..");
const EXIT_USAGE = 2;

/** Runs a command with the terminal as its output (the user watches Pulumi's progress); its exit code. */
function runVisible(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(command, [...args], { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", (e: NodeJS.ErrnoException) =>
      fail(e.code === "ENOENT" ? new Error(pulumiCliMissing(`The Pulumi CLI was not found (${command}).`)) : e),
    );
    child.on("close", (code) => done(code ?? 1));
  });
}

function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  return `+${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export interface Timeline {
  readonly stack: string;
  readonly target: "aws" | "local";
  readonly startedAt: string;
  readonly ok: boolean;
  readonly phases: readonly Phase[];
  readonly problems: readonly string[];
  readonly leftovers: readonly string[];
  readonly kept: readonly string[];
}

/** The command, callable in-process (the tests); returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseE2eArgs(argv);
  } catch (e) {
    if (!(e instanceof E2eArgsError)) throw e;
    console.error(`e2e: ${e.message.split("\n").join("\ne2e: ")}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }

  // The stack's own settings say what to check afterwards (target, team, region, kept data).
  const stackFile = join(root, `Pulumi.${args.stack}.yaml`);
  if (!existsSync(stackFile)) {
    console.error(`e2e: there is no ${stackFile}: create the stack's settings first (see README.md)`);
    return EXIT_USAGE;
  }
  const parsed = parseStackConfig(readStackFile(stackFile));
  if (!parsed.ok) {
    // (Not formatProblems from infra/config/load: that module loads the whole Pulumi SDK.)
    console.error(`e2e: ${stackFile} has problems:\n${parsed.problems.map((p) => `  - ${p}`).join("\n")}`);
    return EXIT_USAGE;
  }
  const config = parsed.config;
  const identity: StackIdentity = {
    stack: args.stack,
    team: config.team,
    target: config.target,
    region: config.awsRegion,
    keepDataOnDestroy: config.host.keepDataOnDestroy,
  };

  // PULUMI_CLI as `npm run smoke` reads it (e.g. "npx pulumi"); unset or empty: an installed `pulumi`
  // on PATH (not the npm package's shim `npm run` puts first), else the package's.
  const fromEnv = (process.env.PULUMI_CLI ?? "").split(/\s+/).filter((s) => s !== "");
  const cli = fromEnv.length > 0 ? fromEnv : [installedPulumi(process.env.PATH) ?? "pulumi"];
  const env = pulumiEnv(process.env, root);
  const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-e2e-"));
  const started = Date.now();
  const phases: Phase[] = [];
  const problems: string[] = [];
  const mark = (phase: string) => {
    const p = { phase, atSeconds: Math.round((Date.now() - started) / 1000) };
    phases.push(p);
    console.log(`e2e ${clock(Date.now() - started)} ${phase}`);
  };
  let leftovers: LeftoverCheck = { leftovers: [], kept: [] };
  try {
    console.log(`e2e: stack ${args.stack} (${identity.target}, team ${identity.team}): pulumi up`);
    const upLog = join(scratch, "up.events.jsonl");
    const up = await runVisible(
      cli[0],
      [...cli.slice(1), "up", "--stack", args.stack, "--yes", "--skip-preview", "--event-log", upLog],
      env,
    );
    const upEvents = existsSync(upLog) ? parseEventLog(readFileSync(upLog, "utf8")) : [];
    for (const p of upPhases(upEvents, started)) {
      if (p.atSeconds !== undefined) phases.push(p);
    }
    mark(up === 0 ? "pulumi up done" : "pulumi up failed");
    if (up !== 0) problems.push(`pulumi up failed (exit ${up})`, ...failures(upEvents));

    if (up === 0) {
      console.log(`e2e: npm run smoke -- --stack ${args.stack}`);
      // As `npm run smoke` starts it (package.json), without npm in between.
      const smokeArgs = [
        "--require",
        join(root, "tools", "ts-register.cjs"),
        join(root, "tools", "smoke", "main.ts"),
        "--stack",
        args.stack,
      ];
      if (args.poll !== undefined) smokeArgs.push("--poll", args.poll);
      const smoke = await runVisible(process.execPath, smokeArgs, env);
      if (smoke === 0) mark("pipeline green");
      else {
        mark("smoke failed");
        problems.push(`npm run smoke failed (exit ${smoke})`);
      }
    }

    // Always: the resources cost money whether or not the pipeline went green.
    console.log(`e2e: pulumi destroy`);
    const destroyLog = join(scratch, "destroy.events.jsonl");
    const destroy = await runVisible(
      cli[0],
      [...cli.slice(1), "destroy", "--stack", args.stack, "--yes", "--skip-preview", "--event-log", destroyLog],
      env,
    );
    const destroyEvents = existsSync(destroyLog) ? parseEventLog(readFileSync(destroyLog, "utf8")) : [];
    if (destroy === 0) mark("destroyed");
    else {
      mark("pulumi destroy failed");
      problems.push(`pulumi destroy failed (exit ${destroy}): run \`pulumi destroy --stack ${args.stack}\` again`);
      problems.push(...failures(destroyEvents));
    }
    if (up === 0 && !registrationDeleted(destroyEvents)) {
      problems.push("pulumi destroy did not delete the runner registration: it may still be listed in GitLab");
    }

    console.log(`e2e: checking what is left (${identity.target === "aws" ? `aws, ${identity.region}` : "docker"})`);
    try {
      leftovers = await checkLeftovers(identity, spawnCommand);
    } catch (e) {
      problems.push(`the leftover check failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const l of leftovers.leftovers) problems.push(`left behind: ${l}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const ok = problems.length === 0;
  const timeline: Timeline = {
    stack: args.stack,
    target: identity.target,
    startedAt: new Date(started).toISOString(),
    ok,
    phases,
    problems,
    leftovers: leftovers.leftovers,
    kept: leftovers.kept,
  };
  console.log(`\nTimeline of stack ${args.stack} (${identity.target}), from \`pulumi up\`'s start:`);
  for (const p of phases) {
    const took =
      "startedAtSeconds" in p && p.startedAtSeconds !== undefined
        ? ` (its step took ${Math.max(0, (p.atSeconds ?? 0) - p.startedAtSeconds)}s)`
        : "";
    console.log(`  ${clock((p.atSeconds ?? 0) * 1000).padStart(7)}  ${p.phase}${took}`);
  }
  for (const k of leftovers.kept) console.log(`kept: ${k}`);
  for (const p of problems) console.log(`problem: ${p}`);
  const out = resolve(args.out);
  writeFileSync(out, `${JSON.stringify(timeline, null, 2)}\n`);
  console.log(`${ok ? "e2e passed" : "e2e FAILED"}; timeline written to ${out}`);
  return ok ? 0 : 1;
}

/** `main` with an unexpected error printed as one message, never a stack trace; returns the exit code. */
export function cli(argv: string[]): Promise<number> {
  return main(argv).catch((e: unknown) => {
    console.error(`e2e failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  });
}

runAsEntryPoint(module, cli);
