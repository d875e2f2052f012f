/**
 * `npm run backup -- --stack <name>` and `npm run restore -- --stack <name> [--backup <id>] [--yes]`.
 *
 * aws: the host does the work (its role reaches the bucket; this machine needs only
 * `ssm:SendCommand` / `ssm:GetCommandInvocation`): a backup starts the host's backup service, a
 * restore runs the host's gitlab-dind-restore, both through SSM Run Command.
 * local: the same scripts run here against the local Docker daemon, with backup.localDir.
 *
 * Exit 0: done; 1: failed, refused, or a bad command line (with the usage line).
 */
import { SSMClient } from "@aws-sdk/client-ssm";
import { createInterface } from "node:readline/promises";
import { BACKUP_SCRIPT_FILE, BACKUP_UNIT, HOST_PATHS, RESTORE_SCRIPT_FILE } from "../../infra/backup/host-files";
import { StackOutputsError, type ReadStackOptions } from "../smoke/stack-outputs";
import { HELP, parseArgs, USAGE, type BackupArgs, type Command } from "./args";
import { runScript } from "./local";
import { readBackupTarget, type BackupTarget } from "./outputs";
import { duration, runOnHost, type FollowOptions } from "./ssm";

export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Asks a yes/no question; undefined when there is nobody to ask (no terminal). */
  readonly ask: ((question: string) => Promise<string>) | undefined;
}

export interface Deps {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly io: Io;
  readonly stackOptions?: ReadStackOptions;
  readonly ssm?: (region: string) => SSMClient;
  readonly follow?: FollowOptions;
}

/** A restore may run for hours on a large instance; SSM stops the script after this long. */
const RESTORE_TIMEOUT_SECONDS = 6 * 3600;
const BACKUP_TIMEOUT_SECONDS = 6 * 3600;

export async function main(command: Command, argv: readonly string[], deps: Deps): Promise<number> {
  const { io } = deps;
  const parsed = parseArgs(command, argv);
  if (!parsed.ok) {
    if (parsed.help) {
      io.out(HELP[command]);
      return 0;
    }
    for (const e of parsed.errors) io.err(`error: ${e}`);
    io.err(USAGE[command]);
    return 1;
  }
  const args = parsed.args;
  let target: BackupTarget;
  try {
    target = await readBackupTarget(args.stack, { ...deps.stackOptions, env: deps.env, cwd: deps.cwd });
  } catch (error) {
    if (error instanceof StackOutputsError) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
  if (args.fromTeam !== undefined && target.kind === "aws" && target.restoreFrom !== undefined) {
    io.err(
      `error: --from-team names a source, and stack ${args.stack} already restores from ${target.restoreFrom} (gitlab-dind:backup.restoreFrom): leave out --from-team`,
    );
    io.err(USAGE[command]);
    return 1;
  }
  if (args.fromTeam !== undefined) {
    // A host reads only its own team's backups (its role's prefix); another stack's come through a
    // drill stack that names them (backup.restoreFrom), whose host may read that prefix.
    io.err(
      `error: --from-team ${args.fromTeam}: stack ${args.stack}'s host may read only its own backups. Restore another stack's backups from a drill stack that names them: \`pulumi config set --path backup.restoreFrom s3://<bucket>/${args.fromTeam} --stack <drill>\` (the backupTarget output of the stack that made them), \`pulumi up --stack <drill>\`, then \`npm run restore -- --stack <drill>\` (docs/operations.md, "The restore drill").`,
    );
    io.err(USAGE[command]);
    return 1;
  }
  const run = target.kind === "aws" ? awsRunner(target, args, deps) : localRunner(target, deps);
  return command === "backup" ? backup(target, args, run, io) : restore(target, args, run, io);
}

/** Runs `gitlab-dind-backup` (mode "backup") or `gitlab-dind-restore <args>` where the stack's GitLab is. */
type Runner = (
  what: "backup" | "restore",
  args: readonly string[],
  timeoutSeconds: number,
  echo: boolean,
) => Promise<{ ok: boolean; exitCode: number; stdout: string; stderr: string; status: string }>;

function awsRunner(target: Extract<BackupTarget, { kind: "aws" }>, args: BackupArgs, deps: Deps): Runner {
  const client = (deps.ssm ?? ((region: string) => new SSMClient({ region })))(target.region);
  const { url, drill } = restoreSource(target);
  return async (what, scriptArgs, timeoutSeconds, echo) => {
    const commands = hostCommands(what, scriptArgs, url, drill);
    const result = await runOnHost(
      client,
      {
        instanceId: target.instanceId,
        commands,
        comment: `gitlab-dind ${what} ${scriptArgs.join(" ")}`.trim(),
        executionTimeoutSeconds: timeoutSeconds,
      },
      { log: deps.io.out, ...deps.follow },
    );
    if (echo) {
      for (const line of result.stdout.split("\n").filter((l) => l !== "")) deps.io.out(`  | ${line}`);
      for (const line of result.stderr.split("\n").filter((l) => l !== "")) deps.io.err(`  | ${line}`);
    }
    return { ...result, ok: result.status === "Success" && result.exitCode === 0 };
  };
}

/**
 * Where a restore reads: this stack's own backups; or, a drill, another stack's (the stack's
 * `backup.restoreFrom`), of which the restore takes only gitlab-secrets.json.
 */
function restoreSource(target: Extract<BackupTarget, { kind: "aws" }>): { url: string; drill: boolean } {
  if (target.restoreFrom !== undefined) return { url: target.restoreFrom, drill: true };
  return { url: `s3://${target.bucket}/${target.team}`, drill: false };
}

/**
 * The shell lines SSM runs on the host (`AWS-RunShellScript`, /bin/sh) for a backup or a restore
 * step. `source` is where the restore reads: this stack's own backups (BACKUP_TARGET), or with
 * `drill` another team's (RESTORE_FROM: the restore then takes only its gitlab-secrets.json, never
 * its SSH host keys, ssl/ or gitlab.rb; see gitlab-dind-restore.sh).
 */
export function hostCommands(
  what: "backup" | "restore",
  scriptArgs: readonly string[],
  source: string,
  drill = false,
): string[] {
  return what === "backup"
    ? [
        // The timer's own service: never two backups at once, and the journal has its log.
        "set -u",
        "since=$(date +%s)",
        "status=0",
        `systemctl start ${BACKUP_UNIT} || status=$?`,
        `journalctl --unit ${BACKUP_UNIT} --since "@$since" --no-pager --output cat | tail -n 200`,
        'exit "$status"',
      ]
    : [
        // SSM keeps only the first 24,000 characters of a command's output, and a restore
        // prints far more: the whole log goes to a file on the host, the tail comes back.
        "set -u",
        "set -a",
        "# shellcheck source=/dev/null # the settings the association installed on the host",
        `. ${HOST_PATHS.env}`,
        "set +a",
        ...(drill
          ? [`RESTORE_FROM='${source}'`, "export RESTORE_FROM"]
          : [`BACKUP_TARGET='${source}'`, "export BACKUP_TARGET"]),
        "log=$(mktemp /var/log/gitlab-dind-restore.XXXXXX)",
        "status=0",
        `${HOST_PATHS.restoreScript} ${scriptArgs.join(" ")} >"$log" 2>&1 || status=$?`,
        `tail -n ${scriptArgs[0] === "restore" ? 80 : 400} "$log"`,
        ...(scriptArgs[0] === "restore" ? ['echo "(the whole log is on the host: $log)"'] : ['rm -f "$log"']),
        'exit "$status"',
      ];
}

function localRunner(target: Extract<BackupTarget, { kind: "local" }>, deps: Deps): Runner {
  const env: NodeJS.ProcessEnv = {
    ...deps.env,
    GITLAB_CONTAINER: target.gitlabContainer,
    BACKUP_TARGET: target.localDir,
    BACKUP_SKIP: target.skip.join(","),
  };
  return async (what, scriptArgs, _timeout, echo) => {
    const result = await runScript(
      what === "backup" ? BACKUP_SCRIPT_FILE : RESTORE_SCRIPT_FILE,
      scriptArgs,
      env,
      (line, stream) => {
        if (!echo) return;
        if (stream === "stdout") deps.io.out(`  | ${line}`);
        else deps.io.err(`  | ${line}`);
      },
    );
    return { ...result, ok: result.exitCode === 0, status: result.exitCode === 0 ? "Success" : "Failed" };
  };
}

async function backup(target: BackupTarget, args: BackupArgs, run: Runner, io: Io): Promise<number> {
  const where =
    target.kind === "aws"
      ? `on instance ${target.instanceId} (SSM Run Command), to s3://${target.bucket}/${target.team}/`
      : `through the local Docker daemon, to ${target.localDir}/`;
  io.out(`Backing up GitLab of stack ${args.stack} (container ${target.gitlabContainer}) ${where}`);
  const started = Date.now();
  const r = await run("backup", [], BACKUP_TIMEOUT_SECONDS, true);
  const location = /^BACKUP_LOCATION=(.+)$/m.exec(r.stdout)?.[1];
  if (!r.ok || location === undefined) {
    io.err(`✘ The backup failed (${r.status}, exit ${r.exitCode}).`);
    if (target.kind === "aws" && r.exitCode === 5)
      io.err(
        `  The host has no ${BACKUP_UNIT} yet: the SSM association installs it after \`pulumi up\` (see its status in the SSM console, State Manager).`,
      );
    return 1;
  }
  io.out(`✔ Backup stored at ${location} (${duration(Date.now() - started)})`);
  return 0;
}

async function restore(target: BackupTarget, args: BackupArgs, run: Runner, io: Io): Promise<number> {
  const from = target.kind === "aws" ? restoreSource(target) : { url: target.localDir, drill: false };
  const source = `${from.url}/`;
  if (args.backup === undefined) {
    io.out(`Backups of stack ${args.stack} in ${source}`);
    const r = await run("restore", ["list"], 600, false);
    if (!r.ok) {
      echoAll(r, io);
      io.err(`✘ Could not list the backups (${r.status}, exit ${r.exitCode}).`);
      return 1;
    }
    const rows = r.stdout
      .split("\n")
      .map((l) => /^(\S+) (\d+)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null);
    if (rows.length === 0) {
      io.out("  (none yet)");
      return 0;
    }
    for (const m of rows) io.out(`  ${m[1]}  ${size(Number(m[2]))}`);
    io.out(
      `Restore one with: npm run restore -- --stack ${args.stack} --backup <id>${from.drill ? " (a drill: of its /etc/gitlab only gitlab-secrets.json is taken)" : ""}`,
    );
    return 0;
  }

  const id = args.backup;
  io.out(`Checking backup ${id} in ${source} against the running GitLab (${target.gitlabImage})`);
  const check = await run("restore", ["check", id], 600, false);
  if (!check.ok) {
    echoAll(check, io);
    io.err(
      check.exitCode === 3
        ? `✘ Refused: backup ${id} needs the GitLab version it was made with (${id.split("_")[1]}); see above.`
        : `✘ The check failed (${check.status}, exit ${check.exitCode}).`,
    );
    return 1;
  }
  io.out(`  same GitLab version (${id.split("_")[1]})`);
  if (!args.yes) {
    if (io.ask === undefined) {
      io.err("✘ Not restoring: no terminal to confirm on. Pass --yes to restore without asking.");
      return 1;
    }
    const answer = await io.ask(
      `Restore ${id} into ${target.gitlabContainer} of stack ${args.stack}? Everything GitLab holds now is replaced. Type yes to go on: `,
    );
    if (answer.trim().toLowerCase() !== "yes") {
      io.out("Not restored.");
      return 1;
    }
  }
  io.out(`Restoring ${id} (secrets, reconfigure, stop puma and sidekiq, gitlab-backup restore, restart, checks)`);
  const started = Date.now();
  const r = await run("restore", ["restore", id], RESTORE_TIMEOUT_SECONDS, true);
  if (!r.ok || !new RegExp(`^RESTORED=${id}$`, "m").test(r.stdout)) {
    io.err(`✘ The restore of ${id} failed (${r.status}, exit ${r.exitCode}); the log above shows the step.`);
    return 1;
  }
  io.out(
    `✔ Restored ${id} into ${target.gitlabContainer} (${duration(Date.now() - started)}); gitlab:check and gitlab:doctor:secrets passed.`,
  );
  return 0;
}

function echoAll(r: { stdout: string; stderr: string }, io: Io): void {
  for (const line of r.stdout.split("\n").filter((l) => l !== "")) io.out(`  | ${line}`);
  for (const line of r.stderr.split("\n").filter((l) => l !== "")) io.err(`  | ${line}`);
}

function size(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

if (require.main === module) {
  const [command, ...argv] = process.argv.slice(2);
  if (command !== "backup" && command !== "restore") {
    console.error("usage: npm run backup -- --stack <name> | npm run restore -- --stack <name> …");
    process.exit(1);
  }
  const ask = process.stdin.isTTY
    ? async (question: string): Promise<string> => {
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        try {
          return await rl.question(question);
        } finally {
          rl.close();
        }
      }
    : undefined;
  main(command, argv, {
    env: process.env,
    cwd: process.cwd(),
    io: { out: (l) => console.log(l), err: (l) => console.error(l), ask },
    stackOptions: { cli: process.env["PULUMI_CLI"] },
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`✘ ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
