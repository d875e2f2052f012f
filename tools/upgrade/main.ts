/**
 * `npm run upgrade -- --stack <name> --to <version> [--yes] [--dry-run] [--config-file <file>]`
 *
 * Walks a stack's GitLab through GitLab's required upgrade stops (the table `npm run upgrade-path`
 * prints, infra/upgrade-guard/upgrade-stops.ts), each at its latest known patch. Per stop: a backup
 * (`npm run backup`), `gitlab.image` set with `pulumi config set`, `pulumi up --yes`, a wait until
 * GitLab's background migrations have finished (asked in the container, tools/upgrade/container.ts),
 * `runner.image` in step and `pulumi up` again (docs/operations.md: the runner after GitLab), the
 * smoke pipeline (`npm run smoke`). Before a stop whose image upgrades its bundled PostgreSQL it
 * checks the room for the copy; it refuses to cross 19.0 on a PostgreSQL older than 17. Every phase
 * goes into a JSON timeline, written as it goes; a rerun resumes from it. On a failure it stops,
 * puts the stack file back at the last version that passed and prints how to go back.
 *
 * Exit 0: walked (or, with --dry-run, the steps printed); 1: a step failed, or the walk was refused
 * (a downgrade, a version it cannot read, a stop it cannot cross); 2: a bad command line.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseStackConfig } from "../../infra/config/parse";
import { parseRunnerVersion } from "../../infra/config/runner-version";
import {
  compareVersions,
  formatVersion,
  parseGitLabVersion,
  UPGRADE_PATHS_URL,
  type GitLabVersion,
} from "../../infra/upgrade-guard/upgrade-stops";
import { readBackupTarget, type BackupTarget } from "../backup/outputs";
import { duration } from "../backup/ssm";
import { runAsEntryPoint } from "../cli/entry-point";
import { installedPulumi } from "../cli/installed-pulumi";
import { pulumiCliMissing } from "../cli/pulumi-cli-missing";
import { PlanInputError, readStackFile } from "../plan/stack-file";
import { pulumiEnv, StackOutputsError } from "../smoke/stack-outputs";
import { HELP, parseUpgradeArgs, USAGE, type UpgradeArgs } from "./args";
import {
  containerExec,
  MIGRATIONS_SCRIPT,
  parseMigrations,
  parsePostgres,
  POSTGRES_SCRIPT,
  roomForCopy,
  type ContainerExec,
} from "./container";
import {
  PG_REQUIRED_MAJOR,
  RDS_ENGINE_MAJOR,
  planWalk,
  postgresFacts,
  span,
  stepLabel,
  walkRefusals,
  type SkippedConditional,
  type Step,
} from "./plan";

const ROOT = resolve(__dirname, "..", "..");
const EXIT_USAGE = 2;
const DEPLOYED_VERSION_TYPE = "pulumi-nodejs:dynamic/gitlab-dind:GitLabDeployedVersion";

/** What the walk runs, replaceable by stand-ins (the tests). */
export interface UpgradeDeps {
  /** The project directory (Pulumi.yaml, the stack files); default the repository root. */
  readonly root?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The backup command, run with `--stack <name>` appended; default `npm run backup`'s. */
  readonly backupCommand?: readonly string[];
  /** The smoke command, run with `--stack <name>` appended; default `npm run smoke`'s. */
  readonly smokeCommand?: readonly string[];
  /** Commands in GitLab's container; default SSM (aws) or `docker exec` (local). */
  readonly exec?: (target: BackupTarget) => ContainerExec;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The phases of one stop, in order. */
export const PHASES = [
  "backup",
  "postgres check",
  "gitlab.image set",
  "pulumi up (GitLab)",
  "background migrations",
  "runner.image set",
  "pulumi up (runner)",
  "smoke",
] as const;
export type PhaseName = (typeof PHASES)[number];

export interface TimelineEvent {
  /** The stop's version. */
  readonly stop: string;
  readonly phase: PhaseName;
  readonly ok: boolean;
  /** Seconds since the walk (this run) started. */
  readonly atSeconds: number;
  readonly detail?: string;
}

export interface UpgradeTimeline {
  readonly stack: string;
  readonly to: string;
  readonly from: string;
  readonly startedAt: string;
  /**
   * The image the walk started from (the state's deployed image when it has one, else the stack
   * file's gitlab.image): the way back from the first stop. And the stack file's runner.image
   * (null: not set in the file) before the walk.
   */
  readonly start: { readonly gitlabImage: string; readonly runnerImageInFile: string | null };
  readonly steps: readonly {
    readonly version: string;
    readonly image: string;
    readonly runnerImage: string | null;
    readonly what: string;
  }[];
  events: TimelineEvent[];
  /** Backup id (or location) taken before each stop, by stop version. */
  backups: Record<string, string>;
  ok: boolean;
  failed?: { readonly stop: string; readonly phase: PhaseName; readonly message: string };
}

interface Ctx {
  readonly args: UpgradeArgs;
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cli: readonly string[];
  readonly deps: UpgradeDeps;
  readonly started: number;
  readonly timelineFile: string;
  readonly timeline: UpgradeTimeline;
}

export async function main(argv: string[], deps: UpgradeDeps = {}): Promise<number> {
  const parsed = parseUpgradeArgs(argv);
  if (!parsed.ok) {
    if (parsed.help) {
      console.log(HELP);
      return 0;
    }
    for (const e of parsed.errors) console.error(`upgrade: ${e}`);
    console.error(USAGE);
    return EXIT_USAGE;
  }
  const args = parsed.args;
  const root = deps.root ?? ROOT;
  const env = deps.env ?? process.env;
  const stackFile = args.configFile === undefined ? join(root, `Pulumi.${args.stack}.yaml`) : resolve(args.configFile);
  if (!existsSync(stackFile)) {
    console.error(`upgrade: there is no ${stackFile}: name the stack's settings file with --config-file`);
    return EXIT_USAGE;
  }
  let file;
  try {
    file = readStackFile(stackFile);
  } catch (e) {
    if (!(e instanceof PlanInputError)) throw e;
    console.error(`upgrade: ${e.message}`);
    return 1;
  }
  const parsedConfig = parseStackConfig(file);
  if (!parsedConfig.ok) {
    console.error(`upgrade: ${stackFile} has problems:\n${parsedConfig.problems.map((p) => `  - ${p}`).join("\n")}`);
    return 1;
  }
  const config = parsedConfig.config;
  const rawGitLab = (file.values["gitlab-dind:gitlab"] ?? {}) as Record<string, unknown>;
  const rawRunner = (file.values["gitlab-dind:runner"] ?? {}) as Record<string, unknown>;
  const runnerInFile = typeof rawRunner["image"] === "string" ? rawRunner["image"] : undefined;
  const onRds = rawGitLab["database"] === "rds";
  const fileVersion = parseGitLabVersion(config.gitlab.image);
  if (fileVersion === undefined) {
    console.error(`upgrade: gitlab-dind:gitlab.image ${config.gitlab.image} has no GitLab version in its tag`);
    return 1;
  }
  // Pinned: the file sets a runner of another release than its GitLab's (one in step is moved along).
  const runnerVersion = runnerInFile === undefined ? undefined : parseRunnerVersion(runnerInFile);
  const runnerPinned =
    runnerInFile !== undefined &&
    (runnerVersion === undefined ||
      runnerVersion.major !== fileVersion.major ||
      runnerVersion.minor !== fileVersion.minor);

  const timelineFile = resolve(root, args.timeline);
  const previous = readTimeline(timelineFile);
  if (
    previous !== undefined &&
    !previous.ok &&
    previous.stack === args.stack &&
    previous.to !== formatVersion(args.to)
  ) {
    console.error(
      `upgrade: ${timelineFile} records an unfinished walk of stack ${args.stack} to ${previous.to}: finish it (--to ${previous.to}) or remove the file`,
    );
    return 1;
  }
  const resuming = previous !== undefined && !previous.ok && previous.stack === args.stack && !args.dryRun;

  const cli = pulumiCli(env);
  let from: GitLabVersion = fileVersion;
  let fromWhere = `the stack file's gitlab.image (${config.gitlab.image})`;
  // The image GitLab runs when the walk starts: the first stop's way back.
  let startImage = config.gitlab.image;
  if (resuming) {
    from = parseGitLabVersion(previous.from) ?? fileVersion;
    fromWhere = `the walk recorded in ${args.timeline}`;
  }
  if (!args.dryRun && !resuming) {
    const deployed = await deployedImage(cli, args, root, env);
    if (typeof deployed === "object") {
      console.error(`upgrade: ${deployed.error}`);
      return 1;
    }
    const v = deployed === undefined ? undefined : parseGitLabVersion(deployed);
    if (deployed !== undefined && v !== undefined) {
      from = v;
      startImage = deployed;
      fromWhere = `the stack's state (gitlab-deployed-version: ${deployed})`;
    }
  }

  let steps: readonly Step[];
  let conditional: readonly SkippedConditional[] = [];
  if (resuming) {
    let before = from;
    steps = previous.steps.map((s) => {
      const version = parseGitLabVersion(s.version) ?? fileVersion;
      const step = {
        version,
        image: s.image,
        what: s.what,
        runnerImage: s.runnerImage ?? undefined,
        ...postgresFacts(before, version),
      };
      before = version;
      return step;
    });
  } else {
    if (compareVersions(from, args.to) === 0) {
      console.log(`Stack ${args.stack} runs GitLab ${formatVersion(from)} (${fromWhere}) already: nothing to do.`);
      return 0;
    }
    const walk = planWalk({
      from,
      to: args.to,
      gitlabImage: config.gitlab.image,
      runnerImage: config.runner.image,
      runnerPinned,
      includeConditional: args.includeConditional,
    });
    if (!walk.ok) {
      console.error(`upgrade: ${walk.message}`);
      return 1;
    }
    steps = walk.steps;
    conditional = walk.conditional;
  }

  const refusals = walkRefusals(steps, onRds);

  console.log(
    `${args.dryRun ? "Dry run: " : ""}upgrade of stack ${args.stack} (${config.target}, team ${config.team}) from GitLab ${formatVersion(from)} (${fromWhere}) to ${formatVersion(args.to)}: ${steps.length} step${steps.length === 1 ? "" : "s"} (${UPGRADE_PATHS_URL})`,
  );
  if (runnerPinned)
    console.log(`  runner.image stays at ${runnerInFile} (the stack file pins it to another release than GitLab's)`);
  for (const c of conditional)
    console.log(
      `  note: conditional stop ${c.stop} is on the way and not walked (${c.note}; ${UPGRADE_PATHS_URL}); to walk through it, add --include-conditional ${c.stop}`,
    );
  printSteps(steps, args, onRds);
  for (const r of refusals) console.error(`upgrade: refused: ${r}`);
  if (refusals.length > 0) return 1;
  if (args.dryRun) {
    console.log("Dry run: nothing changed. Run it with --yes instead of --dry-run.");
    return 0;
  }

  const timeline: UpgradeTimeline = resuming
    ? previous
    : {
        stack: args.stack,
        to: formatVersion(args.to),
        from: formatVersion(from),
        startedAt: new Date().toISOString(),
        start: { gitlabImage: startImage, runnerImageInFile: runnerInFile ?? null },
        steps: steps.map((s) => ({
          version: formatVersion(s.version),
          image: s.image ?? "",
          runnerImage: s.runnerImage ?? null,
          what: s.what,
        })),
        events: [],
        backups: {},
        ok: false,
      };
  if (resuming) {
    // The timeline says where the walk stopped; the state says what GitLab runs now. They must agree.
    const deployed = await deployedImage(cli, args, root, env);
    if (typeof deployed === "object") {
      console.error(`upgrade: ${deployed.error}`);
      return 1;
    }
    const point = resumePoint(timeline, steps, deployed, onRds, timelineFile);
    if ("error" in point) {
      console.error(`upgrade: ${point.error}`);
      return 1;
    }
    if (point.redo !== undefined) {
      console.log(
        `GitLab runs ${point.deployed} again (the way back was taken): stop ${point.redo} is done again from its backup.`,
      );
      timeline.events = timeline.events.filter((e) => e.stop !== point.redo);
      delete timeline.backups[point.redo];
    }
    delete timeline.failed;
    console.log(`Resuming the walk recorded in ${timelineFile}.`);
  }
  const ctx: Ctx = { args, root, env, cli, deps, started: Date.now(), timelineFile, timeline };

  let target: BackupTarget;
  try {
    target = await readBackupTarget(args.stack, { cli: cli.join(" "), env, cwd: root });
  } catch (e) {
    if (!(e instanceof StackOutputsError)) throw e;
    console.error(`upgrade: ${e.message}`);
    console.error("upgrade: the walk backs up before every stop: it needs backups on (gitlab-dind:backup.enabled).");
    return 1;
  }
  // Written only now: a walk that cannot start (no backups) leaves no timeline a rerun would resume.
  writeTimeline(ctx);
  const exec = (deps.exec ?? ((t: BackupTarget) => containerExec(t, env)))(target);

  const ok = await walk(ctx, steps, exec, onRds);
  timeline.ok = ok;
  writeTimeline(ctx);
  printTimeline(ctx);
  console.log(`${ok ? "upgrade done" : "upgrade FAILED"}; timeline written to ${timelineFile}`);
  return ok ? 0 : 1;
}

function printSteps(steps: readonly Step[], args: UpgradeArgs, onRds: boolean): void {
  const stack = `--stack ${args.stack}${args.configFile === undefined ? "" : ` --config-file ${args.configFile}`}`;
  steps.forEach((s, i) => {
    console.log(`\nStop ${i + 1}/${steps.length}: GitLab ${stepLabel(s)} (${s.what})`);
    console.log(`  - back up: npm run backup -- --stack ${args.stack}, and wait for it`);
    if (s.crossesPgRequirement)
      console.log(
        onRds
          ? `  - RDS: GitLab 19 needs PostgreSQL ${PG_REQUIRED_MAJOR}; the program's RDS instance runs PostgreSQL ${RDS_ENGINE_MAJOR} (created at that major, no major upgrades), nothing to check`
          : `  - check the bundled PostgreSQL is ${PG_REQUIRED_MAJOR} or later (GitLab 19 needs it; refused otherwise)`,
      );
    if (s.autoPgUpgradeTo !== undefined && !onRds)
      console.log(
        `  - this image upgrades its bundled PostgreSQL to ${s.autoPgUpgradeTo} at start (a copy of the data): check the free disk first`,
      );
    console.log(
      `  - pulumi config set --path gitlab.image ${s.image ?? `<the latest ${stepLabel(s)} image>`} ${stack}`,
    );
    console.log(`  - pulumi up --yes ${stack}, GitLab ready`);
    console.log(
      `  - wait for background migrations to finish (every ${span(args.pollMs)}, at most ${span(args.migrationsTimeoutMs)})`,
    );
    if (s.runnerImage !== undefined) {
      console.log(`  - pulumi config set --path runner.image ${s.runnerImage} ${stack}`);
      console.log(`  - pulumi up --yes ${stack} (the runner container is replaced)`);
    }
    console.log(`  - npm run smoke -- --stack ${args.stack}`);
  });
  console.log("");
}

/** The walk itself; false at the first failure (reported, the stack file put back). */
async function walk(ctx: Ctx, steps: readonly Step[], exec: ContainerExec, onRds: boolean): Promise<boolean> {
  const { args, timeline } = ctx;
  const done = (stop: string, phase: PhaseName) =>
    timeline.events.some((e) => e.stop === stop && e.phase === phase && e.ok);
  for (const [i, step] of steps.entries()) {
    const stop = formatVersion(step.version);
    const image = step.image as string;
    const label = `Stop ${i + 1}/${steps.length}: GitLab ${stop}`;
    if (PHASES.every((p) => done(stop, p) || skipped(step, p, onRds))) {
      console.log(`${label}: done in an earlier run`);
      continue;
    }
    console.log(`\n${label} (${step.what})`);
    const lastGood = i === 0 ? timeline.start.gitlabImage : (steps[i - 1].image as string);
    const lastGoodRunner =
      i === 0 || steps[i - 1].runnerImage === undefined ? timeline.start.runnerImageInFile : steps[i - 1].runnerImage!;
    const fail = async (phase: PhaseName, message: string, changed: boolean): Promise<false> => {
      record(ctx, stop, phase, false, message);
      timeline.failed = { stop, phase, message };
      writeTimeline(ctx);
      console.error(`\n✘ ${label} failed at "${phase}": ${message}`);
      const notPutBack = await putBack(ctx, step, lastGood, lastGoodRunner);
      printWayBack(ctx, step, phase, lastGood, changed, notPutBack);
      return false;
    };

    if (!done(stop, "backup")) {
      console.log(`  backing up (npm run backup -- --stack ${args.stack})`);
      const r = await runTool(ctx, ctx.deps.backupCommand ?? toolCommand("backup/main.ts", "backup"));
      const location = /Backup stored at (\S+)/.exec(r.stdout)?.[1];
      if (r.code !== 0 || location === undefined)
        return fail("backup", `the backup failed (exit ${r.code}); nothing was changed`, false);
      const id = location.replace(/\/+$/, "").split("/").at(-1) ?? location;
      timeline.backups[stop] = id;
      record(ctx, stop, "backup", true, location);
    }

    if ((step.autoPgUpgradeTo !== undefined || step.crossesPgRequirement) && !onRds && !done(stop, "postgres check")) {
      const r = await exec(POSTGRES_SCRIPT);
      const facts = r.ok ? parsePostgres(r.stdout) : undefined;
      if (facts === undefined)
        return fail(
          "postgres check",
          `could not read the bundled PostgreSQL's version and disk (${oneLine(r.stderr)})`,
          false,
        );
      console.log(
        `  PostgreSQL ${facts.major}: data ${Math.round(facts.dataKb / 1024)} MiB, free ${Math.round(facts.freeKb / 1024)} MiB`,
      );
      if (
        step.crossesPgRequirement &&
        facts.major < PG_REQUIRED_MAJOR &&
        (step.autoPgUpgradeTo ?? 0) < PG_REQUIRED_MAJOR
      )
        return fail(
          "postgres check",
          `the bundled PostgreSQL is ${facts.major}; GitLab ${stop} needs ${PG_REQUIRED_MAJOR}. The 18.11 image upgrades it at start unless GITLAB_SKIP_PG_UPGRADE is set or the upgrade failed (see that container's log); upgrade it in the container (gitlab-ctl pg-upgrade -V ${PG_REQUIRED_MAJOR}, omnibus docs "Upgrade packaged PostgreSQL server") and rerun`,
          false,
        );
      if (step.autoPgUpgradeTo !== undefined && facts.major < step.autoPgUpgradeTo && !roomForCopy(facts))
        return fail(
          "postgres check",
          `the ${stop} image upgrades PostgreSQL ${facts.major} to ${step.autoPgUpgradeTo} at start with a copy of the data (${Math.round(facts.dataKb / 1024)} MiB), and only ${Math.round(facts.freeKb / 1024)} MiB are free on its volume: grow the data volume (docs/operations.md, "Resizing and rebuilding the host") and rerun`,
          false,
        );
      record(ctx, stop, "postgres check", true, `PostgreSQL ${facts.major}`);
    }

    // Config sets are rerun on a resumed stop: a failure put the stack file back.
    if (!(await config(ctx, "gitlab.image", image))) return fail("gitlab.image set", `pulumi config set failed`, false);
    record(ctx, stop, "gitlab.image set", true, image);

    if (!done(stop, "pulumi up (GitLab)")) {
      const up = await pulumi(ctx, ["up", "--yes", ...stackArgs(ctx)]);
      if (up !== 0) return fail("pulumi up (GitLab)", `pulumi up failed (exit ${up})`, true);
      record(ctx, stop, "pulumi up (GitLab)", true);
    }

    if (!done(stop, "background migrations")) {
      const waited = await waitForMigrations(ctx, exec, stop);
      if (waited !== undefined) return fail("background migrations", waited, true);
      record(ctx, stop, "background migrations", true);
    }

    if (step.runnerImage !== undefined) {
      if (!(await config(ctx, "runner.image", step.runnerImage)))
        return fail("runner.image set", "pulumi config set failed", true);
      record(ctx, stop, "runner.image set", true, step.runnerImage);
      if (!done(stop, "pulumi up (runner)")) {
        const up = await pulumi(ctx, ["up", "--yes", ...stackArgs(ctx)]);
        if (up !== 0) return fail("pulumi up (runner)", `pulumi up failed (exit ${up})`, true);
        record(ctx, stop, "pulumi up (runner)", true);
      }
    }

    if (!done(stop, "smoke")) {
      console.log(`  smoke pipeline (npm run smoke -- --stack ${args.stack})`);
      const r = await runTool(ctx, ctx.deps.smokeCommand ?? toolCommand("smoke/main.ts"));
      if (r.code !== 0) return fail("smoke", `the smoke pipeline failed (exit ${r.code})`, true);
      record(ctx, stop, "smoke", true);
    }
    console.log(`✔ ${label}`);
  }
  return true;
}

/**
 * Where a resumed walk picks up, checked against the state: GitLab must run the first unfinished
 * stop's version (it got that far) or the one before it (the stop had not changed GitLab, or the way
 * back was taken: then the stop is done again from the start, `redo`). Anything else means the
 * timeline no longer describes the stack.
 */
export function resumePoint(
  timeline: UpgradeTimeline,
  steps: readonly Step[],
  deployed: string | undefined,
  onRds: boolean,
  timelineFile: string,
): { readonly redo?: string; readonly deployed?: string } | { readonly error: string } {
  const done = (stop: string, phase: PhaseName) =>
    timeline.events.some((e) => e.stop === stop && e.phase === phase && e.ok);
  const i = steps.findIndex(
    (step) => !PHASES.every((p) => done(formatVersion(step.version), p) || skipped(step, p, onRds)),
  );
  if (i < 0) return {};
  const stop = formatVersion(steps[i].version);
  const before = i === 0 ? timeline.from : formatVersion(steps[i - 1].version);
  const v = deployed === undefined ? undefined : parseGitLabVersion(deployed);
  const running = v === undefined ? undefined : formatVersion(v);
  if (running === stop) return {};
  if (running === before) return done(stop, "pulumi up (GitLab)") ? { redo: stop, deployed: running } : {};
  return {
    error: `the stack's state says GitLab runs ${deployed === undefined ? "no recorded version (no gitlab-deployed-version)" : deployed}, but ${timelineFile} stopped the walk of stack ${timeline.stack} at stop ${stop} (GitLab ${stop} expected, or ${before} before it): it no longer describes the stack. Check what GitLab runs, then remove ${timelineFile} and start a new walk`,
  };
}

function skipped(step: Step, phase: PhaseName, onRds: boolean): boolean {
  if (phase === "postgres check") return onRds || (step.autoPgUpgradeTo === undefined && !step.crossesPgRequirement);
  if (phase === "runner.image set" || phase === "pulumi up (runner)") return step.runnerImage === undefined;
  return false;
}

/** Polls the migrations until none is left; undefined when done, else why it stopped. */
async function waitForMigrations(ctx: Ctx, exec: ContainerExec, stop: string): Promise<string | undefined> {
  const sleep = ctx.deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = Date.now();
  let last = "";
  for (let poll = 1; ; poll++) {
    const elapsed = Date.now() - started;
    const r = await exec(MIGRATIONS_SCRIPT);
    const counts = r.ok ? parseMigrations(r.stdout) : undefined;
    if (counts === undefined) {
      last = `GitLab did not answer (${oneLine(r.stderr) || "no counts printed"})`;
      console.log(`  background migrations: ${last}; again in ${span(ctx.args.pollMs)} (${duration(elapsed)})`);
    } else {
      if (counts.failed > 0)
        return `${counts.failed} batched background migration(s) failed at GitLab ${stop}: they never finish by themselves. See Admin > Monitoring > Background migrations > Failed, retry them (gitlabhq doc/update/background_migrations.md, "Resolve failed batched background migrations"), then rerun`;
      if (counts.remaining === 0 && counts.batched === 0) {
        console.log(`  background migrations finished (${duration(elapsed)}, ${poll} check${poll === 1 ? "" : "s"})`);
        return undefined;
      }
      last = `${counts.batched} batched and ${counts.remaining} other background migration(s) still running`;
      console.log(`  background migrations: ${last} (${duration(elapsed)})`);
    }
    if (Date.now() - started >= ctx.args.migrationsTimeoutMs)
      return `timed out after ${span(Date.now() - started)} waiting for background migrations at GitLab ${stop}: ${last}. GitLab runs ${stop}; the next stop must wait for them. Watch Admin > Monitoring > Background migrations, then rerun the same command: it resumes with this wait (or give --migrations-timeout more time)`;
    await sleep(ctx.args.pollMs);
  }
}

/**
 * Puts the stack file back at the last version that passed; returns the commands that failed
 * (to be run by hand), empty when it is back.
 */
async function putBack(ctx: Ctx, step: Step, lastGood: string, lastGoodRunner: string | null): Promise<string[]> {
  const now = ctx.timeline.events.filter((e) => e.phase === "gitlab.image set" && e.ok).at(-1);
  if (now === undefined || now.stop !== formatVersion(step.version)) return [];
  console.error(`  putting the stack file back at ${lastGood}`);
  const failed: string[] = [];
  const file = ctx.args.configFile === undefined ? "" : ` --config-file ${ctx.args.configFile}`;
  const stack = `--stack ${ctx.args.stack}${file}`;
  if (!(await config(ctx, "gitlab.image", lastGood)))
    failed.push(`npx pulumi config set --path gitlab.image ${lastGood} ${stack}`);
  if (step.runnerImage !== undefined) {
    if (lastGoodRunner === null) {
      if ((await pulumi(ctx, ["config", "rm", "--path", "runner.image", ...stackArgs(ctx)])) !== 0)
        failed.push(`npx pulumi config rm --path runner.image ${stack}`);
    } else if (!(await config(ctx, "runner.image", lastGoodRunner)))
      failed.push(`npx pulumi config set --path runner.image ${lastGoodRunner} ${stack}`);
  }
  return failed;
}

function printWayBack(
  ctx: Ctx,
  step: Step,
  phase: PhaseName,
  lastGood: string,
  changed: boolean,
  notPutBack: readonly string[],
): void {
  const { args } = ctx;
  const stop = formatVersion(step.version);
  const rerun = [
    "npm run upgrade -- --stack",
    args.stack,
    "--to",
    formatVersion(args.to),
    "--yes",
    ...args.repeatFlags,
  ].join(" ");
  if (notPutBack.length === 0) console.error(`The stack file is at ${lastGood}, the last version that passed.`);
  else
    console.error(
      `The stack file could NOT be put back at ${lastGood}, the last version that passed: it still names the failed stop's images. Run:\n${notPutBack.map((c) => `  ${c}`).join("\n")}`,
    );
  if (!changed) {
    console.error(`Nothing of GitLab changed. Fix the cause, then rerun (it resumes at stop ${stop}):\n  ${rerun}`);
    return;
  }
  const backup = ctx.timeline.backups[stop];
  const stackName = args.stack.split("/").at(-1) ?? args.stack;
  const urn = `urn:pulumi:${stackName}::gitlab-dind::${DEPLOYED_VERSION_TYPE}::gitlab-deployed-version`;
  const file = args.configFile === undefined ? "" : ` --config-file ${args.configFile}`;
  console.error(
    [
      `GitLab may already run ${stop} (its database migrated forward at "${phase === "pulumi up (GitLab)" ? "pulumi up" : "start"}"). Either:`,
      `  - fix the cause and rerun; it resumes at "${phase}":`,
      `      ${rerun}`,
      `  - or go back to ${lastGood} with the backup taken before this stop (${backup ?? "see npm run restore -- --stack " + args.stack}).`,
      `    GitLab does not run an older version on a newer database, and the upgrade guard refuses a downgrade;`,
      `    replacing the gitlab-deployed-version record is its documented way past (README, "Upgrading GitLab"):`,
      `      npx pulumi config set --path gitlab.image ${lastGood} --stack ${args.stack}${file}${notPutBack.length === 0 ? "   # done already" : ""}`,
      `      npx pulumi up --stack ${args.stack}${file} --replace '${urn}'`,
      `      npm run restore -- --stack ${args.stack} --backup ${backup ?? "<id>"}`,
    ].join("\n"),
  );
}

function record(ctx: Ctx, stop: string, phase: PhaseName, ok: boolean, detail?: string): void {
  ctx.timeline.events.push({
    stop,
    phase,
    ok,
    atSeconds: Math.round((Date.now() - ctx.started) / 1000),
    ...(detail === undefined ? {} : { detail }),
  });
  writeTimeline(ctx);
}

function writeTimeline(ctx: Ctx): void {
  writeFileSync(ctx.timelineFile, `${JSON.stringify(ctx.timeline, null, 2)}\n`);
}

export function readTimeline(file: string): UpgradeTimeline | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const t = JSON.parse(readFileSync(file, "utf8")) as UpgradeTimeline;
    return typeof t.stack === "string" && Array.isArray(t.steps) && Array.isArray(t.events) ? t : undefined;
  } catch {
    return undefined;
  }
}

function printTimeline(ctx: Ctx): void {
  console.log(`\nTimeline of the walk of stack ${ctx.args.stack} (this run, from its start):`);
  for (const e of ctx.timeline.events)
    console.log(
      `  +${duration(e.atSeconds * 1000).padStart(7)}  ${e.stop.padEnd(9)} ${e.phase}${e.ok ? "" : " FAILED"}`,
    );
}

function stackArgs(ctx: Ctx): string[] {
  return [
    "--stack",
    ctx.args.stack,
    ...(ctx.args.configFile === undefined ? [] : ["--config-file", resolve(ctx.args.configFile)]),
  ];
}

async function config(ctx: Ctx, key: string, value: string): Promise<boolean> {
  return (await pulumi(ctx, ["config", "set", "--path", key, value, ...stackArgs(ctx)])) === 0;
}

function pulumiCli(env: NodeJS.ProcessEnv): string[] {
  const fromEnv = (env["PULUMI_CLI"] ?? "").split(/\s+/).filter((s) => s !== "");
  return fromEnv.length > 0 ? fromEnv : [installedPulumi(env["PATH"]) ?? "pulumi"];
}

async function pulumi(ctx: Ctx, args: readonly string[]): Promise<number> {
  console.log(`  $ pulumi ${args.join(" ")}`);
  const r = await run(ctx.cli[0], [...ctx.cli.slice(1), ...args], pulumiEnv(ctx.env, ctx.root), ctx.root, true);
  return r.code;
}

/** The image GitLab last became ready with, from the state; undefined when not recorded yet. */
async function deployedImage(
  cli: readonly string[],
  args: UpgradeArgs,
  root: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined | { error: string }> {
  const r = await run(
    cli[0],
    [...cli.slice(1), "stack", "export", "--stack", args.stack],
    pulumiEnv(env, root),
    root,
    false,
  );
  if (r.code !== 0)
    return { error: `pulumi stack export --stack ${args.stack} failed (exit ${r.code}): ${oneLine(r.stderr)}` };
  try {
    const state = JSON.parse(r.stdout) as {
      deployment?: { resources?: { type?: string; outputs?: { image?: unknown } }[] };
    };
    const record = (state.deployment?.resources ?? []).find((res) => res.type === DEPLOYED_VERSION_TYPE);
    return typeof record?.outputs?.image === "string" ? record.outputs.image : undefined;
  } catch {
    return { error: `pulumi stack export --stack ${args.stack} did not print JSON` };
  }
}

/** `npm run <tool>`'s command line without npm (package.json), then `--stack`. */
function toolCommand(main: string, ...first: string[]): string[] {
  return [process.execPath, "--require", join(ROOT, "tools", "ts-register.cjs"), join(ROOT, "tools", main), ...first];
}

async function runTool(ctx: Ctx, command: readonly string[]): Promise<{ code: number; stdout: string }> {
  const r = await run(command[0], [...command.slice(1), "--stack", ctx.args.stack], ctx.env, ctx.root, true);
  return { code: r.code, stdout: r.stdout };
}

/** Runs a command, its lines passed on as they come (progress) when `echo`; its output kept. */
function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  echo: boolean,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, failed) => {
    const child = spawn(command, [...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out = { stdout: "", stderr: "" };
    const partial = { stdout: "", stderr: "" };
    const take = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      out[stream] += text;
      if (!echo) return;
      const lines = (partial[stream] + text).split("\n");
      partial[stream] = lines.pop() ?? "";
      for (const line of lines) (stream === "stdout" ? console.log : console.error)(`  | ${line}`);
    };
    child.stdout.on("data", take("stdout"));
    child.stderr.on("data", take("stderr"));
    child.on("error", (e: NodeJS.ErrnoException) =>
      failed(e.code === "ENOENT" ? new Error(pulumiCliMissing(`${command} was not found.`)) : e),
    );
    child.on("close", (code) => {
      if (echo)
        for (const stream of ["stdout", "stderr"] as const)
          if (partial[stream] !== "") (stream === "stdout" ? console.log : console.error)(`  | ${partial[stream]}`);
      done({ code: code ?? 1, ...out });
    });
  });
}

function oneLine(text: string): string {
  return text.trim().split("\n").slice(-2).join(" ").slice(0, 300);
}

/** `main` with an unexpected error printed as one message, never a stack trace; returns the exit code. */
export function cli(argv: string[], deps: UpgradeDeps = {}): Promise<number> {
  return main(argv, deps).catch((e: unknown) => {
    console.error(`upgrade failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  });
}

runAsEntryPoint(module, (argv) => cli(argv));
