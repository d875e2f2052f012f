/**
 * `npm run fleet [-- --offline] [--json]`
 *
 * Every stack file of the project (`Pulumi.<stack>.yaml`) at a glance: team, target, region, the
 * GitLab and runner versions the file asks for, and the upgrade stops still to go to the newest
 * GitLab this program knows (`npm run upgrade`'s table), from the files alone. With a Pulumi CLI
 * (an installed `pulumi`, or `PULUMI_CLI` naming one) and access to the stacks' backend, through the
 * Automation API (`@pulumi/pulumi/automation`): also each stack's URL, last update and its result,
 * the certificate's expiry (output `gitlabCertificateExpiry`) and the age of the last backup (the
 * `backupLocalDir` folder, or the `backupTarget` prefix in S3 through the aws CLI), marking stacks
 * that are behind, unhealthy or never deployed.
 *
 * Exit 0: listed (whatever the stacks' state); 1: no stack file, or a stack file it cannot read;
 * 2: a bad command line.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parseStackConfig } from "../../infra/config/parse";
import { DEFAULT_GITLAB_IMAGE } from "../../infra/config/schema";
import { parseRunnerVersion } from "../../infra/config/runner-version";
import {
  compareVersions,
  formatVersion,
  parseGitLabVersion,
  UPGRADE_STOPS,
  upgradePath,
  type GitLabVersion,
} from "../../infra/upgrade-guard/upgrade-stops";
import { runAsEntryPoint } from "../cli/entry-point";
import { installedPulumi } from "../cli/installed-pulumi";
import { scanFlags } from "../cli/scan-flags";
import { PlanInputError, readStackFile } from "../plan/stack-file";
import { pulumiEnv, spawnCommand, type CommandRunner } from "../smoke/stack-outputs";

const ROOT = resolve(__dirname, "..", "..");
const USAGE = "usage: npm run fleet [-- --offline] [--json]";
const HELP = `${USAGE}

Lists every stack file (Pulumi.<stack>.yaml) with its team, target, region, GitLab and runner
versions and the upgrade stops still to go. With a Pulumi CLI and the stacks' backend (and, for
backups in S3, the aws CLI) it adds each stack's URL, last update, certificate expiry and last
backup, marking stacks behind, unhealthy or never deployed. --offline: the files alone.`;

/** A certificate this close to its expiry, or a backup this old, marks the stack unhealthy. */
const CERT_WARN_DAYS = 14;
const BACKUP_WARN_HOURS = 48;

/** The newest GitLab this program knows: its default image, or the table's last stop if newer. */
export function newestKnown(): GitLabVersion {
  const pinned = parseGitLabVersion(DEFAULT_GITLAB_IMAGE)!;
  const last = UPGRADE_STOPS[UPGRADE_STOPS.length - 1];
  const stop = { major: last.major, minor: last.minor, patch: last.latestPatch ?? 0 };
  return compareVersions(stop, pinned) > 0 ? stop : pinned;
}

export interface FleetRow {
  readonly stack: string;
  readonly problem?: string;
  readonly team?: string;
  readonly target?: string;
  readonly region?: string;
  readonly gitlab?: string;
  readonly runner?: string;
  /** The steps to the newest known version: the required stops, then it ("" when there). */
  readonly toGo?: readonly string[];
  readonly live?: LiveFacts;
  readonly marks: string[];
}

export interface LiveFacts {
  readonly deployed: boolean;
  readonly url?: string;
  readonly deployedGitLab?: string;
  readonly lastUpdate?: string;
  readonly lastResult?: string;
  readonly certificateExpiry?: string;
  readonly lastBackup?: string;
  readonly error?: string;
}

export interface FleetDeps {
  readonly root?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Runs the aws CLI (backups in S3); default a child process. */
  readonly run?: CommandRunner;
  readonly now?: () => number;
}

/** Reads the files: one row per stack file. */
export function offlineRows(root: string): FleetRow[] {
  const files = readdirSync(root)
    .filter((f) => /^Pulumi\.[^.]+(?:\.[^.]+)*\.yaml$/.test(f) && f !== "Pulumi.yaml")
    .sort();
  const newest = newestKnown();
  return files.map((f): FleetRow => {
    const stack = f.slice("Pulumi.".length, -".yaml".length);
    let parsed;
    try {
      parsed = parseStackConfig(readStackFile(join(root, f)));
    } catch (e) {
      if (!(e instanceof PlanInputError)) throw e;
      return { stack, problem: e.message, marks: ["unreadable"] };
    }
    if (!parsed.ok) return { stack, problem: parsed.problems.join("; "), marks: ["invalid"] };
    const c = parsed.config;
    const gitlab = parseGitLabVersion(c.gitlab.image);
    const runner = parseRunnerVersion(c.runner.image);
    const toGo = gitlab === undefined ? undefined : stepsTo(gitlab, newest);
    return {
      stack,
      team: c.team,
      target: c.target,
      region: c.awsRegion ?? "-",
      gitlab: gitlab === undefined ? c.gitlab.image : formatVersion(gitlab),
      runner: runner === undefined ? c.runner.image : formatVersion(runner),
      ...(toGo === undefined ? {} : { toGo }),
      marks: toGo !== undefined && toGo.length > 0 ? ["behind"] : [],
    };
  });
}

function stepsTo(from: GitLabVersion, to: GitLabVersion): string[] {
  if (compareVersions(from, to) >= 0) return [];
  const path = upgradePath(from, to);
  if (!path.ok) return [];
  return [...path.stops.map((s) => `${s.major}.${s.minor}`), formatVersion(to)];
}

/** The Pulumi CLI to drive: `PULUMI_CLI` when it names one executable, else an installed `pulumi`. */
function findCli(env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = (env["PULUMI_CLI"] ?? "").trim();
  if (fromEnv !== "" && !/\s/.test(fromEnv)) return fromEnv;
  return installedPulumi(env["PATH"]);
}

/** Adds what the backend knows, through the Automation API; every stack's failure stays its own. */
async function addLive(rows: FleetRow[], cliPath: string, deps: Required<FleetDeps>): Promise<FleetRow[]> {
  const automation = await import("@pulumi/pulumi/automation");
  // PulumiCommand takes an installation root (`<root>/bin/pulumi`): the CLI's own, or a link to it.
  let root = dirname(dirname(cliPath));
  let linkDir: string | undefined;
  if (basename(dirname(cliPath)) !== "bin" || basename(cliPath) !== "pulumi") {
    linkDir = mkdtempSync(join(tmpdir(), "gitlab-dind-fleet-"));
    root = linkDir;
    mkdirSync(join(linkDir, "bin"));
    symlinkSync(resolve(cliPath), join(linkDir, "bin", "pulumi"));
  }
  try {
    const envVars = Object.fromEntries(
      Object.entries(pulumiEnv(deps.env, deps.root)).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
    const pulumiCommand = await automation.PulumiCommand.get({ root });
    const workspace = await automation.LocalWorkspace.create({ workDir: deps.root, pulumiCommand, envVars });
    const newest = newestKnown();
    const out: FleetRow[] = [];
    for (const row of rows) {
      if (row.problem !== undefined) {
        out.push(row);
        continue;
      }
      out.push(await liveRow(row, automation.Stack, workspace, newest, deps));
    }
    return out;
  } finally {
    if (linkDir !== undefined) rmSync(linkDir, { recursive: true, force: true });
  }
}

type StackClass = typeof import("@pulumi/pulumi/automation").Stack;
type Workspace = import("@pulumi/pulumi/automation").LocalWorkspace;

async function liveRow(
  row: FleetRow,
  Stack: StackClass,
  workspace: Workspace,
  newest: GitLabVersion,
  deps: Required<FleetDeps>,
): Promise<FleetRow> {
  const marks = row.marks.filter((m) => m !== "behind");
  let stack;
  try {
    stack = await Stack.select(row.stack, workspace);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/no stack named|not found|does not exist/i.test(message))
      return { ...row, live: { deployed: false }, marks: [...marks, "never deployed"] };
    return { ...row, live: { deployed: false, error: firstLine(message) }, marks: [...marks, "unknown"] };
  }
  try {
    const [outputs, history] = await Promise.all([stack.outputs(), stack.history(1, 1, false)]);
    const value = (key: string): unknown => outputs[key]?.value;
    const last = history[0];
    if (last === undefined || Object.keys(outputs).length === 0)
      return { ...row, live: { deployed: false }, marks: [...marks, "never deployed"] };
    const image = typeof value("gitlabImage") === "string" ? (value("gitlabImage") as string) : undefined;
    const deployedVersion = image === undefined ? undefined : parseGitLabVersion(image);
    const expiry =
      typeof value("gitlabCertificateExpiry") === "string" ? (value("gitlabCertificateExpiry") as string) : undefined;
    const backup = await lastBackup(value, deps);
    const live: LiveFacts = {
      deployed: true,
      ...(typeof value("gitlabUrl") === "string" ? { url: value("gitlabUrl") as string } : {}),
      ...(deployedVersion === undefined ? {} : { deployedGitLab: formatVersion(deployedVersion) }),
      lastUpdate: new Date(last.endTime ?? last.startTime).toISOString(),
      lastResult: last.result,
      ...(expiry === undefined ? {} : { certificateExpiry: expiry }),
      ...(backup === undefined ? {} : { lastBackup: backup }),
    };
    const now = deps.now();
    if (last.result !== "succeeded") marks.push(`unhealthy: last ${last.kind} ${last.result}`);
    if (expiry !== undefined && Date.parse(expiry) - now < CERT_WARN_DAYS * 86_400_000)
      marks.push(`unhealthy: certificate expires ${expiry.slice(0, 10)}`);
    if (backup !== undefined && /^\d{8}T\d{6}Z/.test(backup)) {
      const at = Date.parse(
        `${backup.slice(0, 4)}-${backup.slice(4, 6)}-${backup.slice(6, 8)}T${backup.slice(9, 11)}:${backup.slice(11, 13)}:${backup.slice(13, 15)}Z`,
      );
      if (now - at > BACKUP_WARN_HOURS * 3_600_000)
        marks.push(`unhealthy: last backup ${Math.floor((now - at) / 3_600_000)}h old`);
    } else if (backup === "none") marks.push("unhealthy: no backup");
    const running = deployedVersion ?? parseGitLabVersion(row.gitlab ?? "");
    if (running !== undefined && compareVersions(running, newest) < 0) marks.push("behind");
    return { ...row, live, marks };
  } catch (e) {
    return {
      ...row,
      live: { deployed: true, error: firstLine(e instanceof Error ? e.message : String(e)) },
      marks: [...marks, "unknown"],
    };
  }
}

/** The newest backup's id (`20261130T023000Z_19.3.0`), "none", or undefined when it cannot be known. */
async function lastBackup(value: (key: string) => unknown, deps: Required<FleetDeps>): Promise<string | undefined> {
  const localDir = value("backupLocalDir");
  if (typeof localDir === "string") {
    const dir = resolve(deps.root, localDir);
    if (!existsSync(dir)) return "none";
    return newestId(readdirSync(dir)) ?? "none";
  }
  const target = value("backupTarget");
  const region = value("awsRegion");
  if (typeof target !== "string" || typeof region !== "string") return undefined;
  try {
    const r = await deps.run("aws", ["s3", "ls", `${target.replace(/\/+$/, "")}/`, "--region", region], deps.env);
    if (r.code !== 0) return undefined;
    return newestId(r.stdout.split("\n").map((l) => /PRE (\S+)\/$/.exec(l.trim())?.[1] ?? "")) ?? "none";
  } catch {
    // No aws CLI: the age stays unknown.
    return undefined;
  }
}

function newestId(names: readonly string[]): string | undefined {
  return names
    .filter((n) => /^\d{8}T\d{6}Z_\d+\.\d+\.\d+$/.test(n))
    .sort()
    .at(-1);
}

function firstLine(text: string): string {
  return (text.split("\n").find((l) => /error/i.test(l)) ?? text.split("\n")[0] ?? "").trim().slice(0, 200);
}

function render(rows: readonly FleetRow[], online: boolean): string[] {
  const header = [
    "stack",
    "team",
    "target",
    "region",
    "gitlab",
    "runner",
    "to go",
    ...(online ? ["url", "last update", "cert expiry", "last backup"] : []),
    "marks",
  ];
  const table = rows.map((r) => [
    r.stack,
    r.team ?? "-",
    r.target ?? "-",
    r.region ?? "-",
    r.live?.deployedGitLab !== undefined && r.live.deployedGitLab !== r.gitlab
      ? `${r.gitlab} (runs ${r.live.deployedGitLab})`
      : (r.gitlab ?? "-"),
    r.runner ?? "-",
    r.toGo === undefined ? "-" : r.toGo.length === 0 ? "up to date" : `${r.toGo.length} (${r.toGo.join(" > ")})`,
    ...(online
      ? [
          r.live?.url ?? "-",
          r.live?.lastUpdate === undefined ? "-" : `${r.live.lastUpdate.slice(0, 16)}Z ${r.live.lastResult}`,
          r.live?.certificateExpiry?.slice(0, 10) ?? "-",
          r.live?.lastBackup ?? "-",
        ]
      : []),
    [
      ...r.marks,
      ...(r.problem === undefined ? [] : [r.problem]),
      ...(r.live?.error === undefined ? [] : [r.live.error]),
    ].join("; ") || "ok",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return [line(header), ...table.map(line)];
}

export async function main(argv: string[], deps: FleetDeps = {}): Promise<number> {
  const scanned = scanFlags(argv, { withValue: [], switches: ["--offline", "--json"] });
  if (scanned.help) {
    console.log(HELP);
    return 0;
  }
  if (scanned.errors.length > 0) {
    for (const e of scanned.errors) console.error(`fleet: ${e}`);
    console.error(USAGE);
    return 2;
  }
  const full: Required<FleetDeps> = {
    root: deps.root ?? ROOT,
    env: deps.env ?? process.env,
    run: deps.run ?? spawnCommand,
    now: deps.now ?? Date.now,
  };
  let rows = offlineRows(full.root);
  if (rows.length === 0) {
    console.error(`fleet: no stack file (Pulumi.<stack>.yaml) in ${full.root}`);
    return 1;
  }
  let cliPath = scanned.switches.has("--offline") ? undefined : findCli(full.env);
  if (cliPath !== undefined) {
    try {
      rows = await addLive(rows, cliPath, full);
    } catch (e) {
      // The CLI failed its version check or the workspace could not start: the files still say much.
      console.error(
        `fleet: the Pulumi CLI ${cliPath} could not be used (${firstLine(e instanceof Error ? e.message : String(e))}); showing the files alone`,
      );
      cliPath = undefined;
    }
  }
  const online = cliPath !== undefined;
  if (scanned.switches.has("--json"))
    console.log(JSON.stringify({ newest: formatVersion(newestKnown()), online, stacks: rows }, null, 2));
  else {
    console.log(
      `Stacks of ${full.root} (newest GitLab known here: ${formatVersion(newestKnown())}; ${online ? `live facts through ${cliPath}` : scanned.switches.has("--offline") ? "the files alone (--offline)" : "the files alone: no Pulumi CLI found (install one, or set PULUMI_CLI)"})`,
    );
    for (const l of render(rows, online)) console.log(l);
  }
  return rows.some((r) => r.problem !== undefined) ? 1 : 0;
}

export function cli(argv: string[], deps: FleetDeps = {}): Promise<number> {
  return main(argv, deps).catch((e: unknown) => {
    console.error(`fleet failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  });
}

runAsEntryPoint(module, (argv) => cli(argv));
