/**
 * `npm run move-objects -- --stack <name> [--to s3|local] [--run]`: GitLab's rake tasks that move
 * the objects already stored (artifacts, LFS, uploads, …) to the stack's S3 buckets after
 * `gitlab.objectStorage` became `s3`, or back to the data volume before it goes back to `local`
 * (docs/operations.md, "Moving an existing stack off the box").
 *
 * Without --run it prints the lines to run on the host. With --run (aws) the host runs them, one
 * task after another, through SSM Run Command as `npm run backup` does; it stops at the first task
 * that fails. The registry's blobs are not GitLab objects: the printed `aws s3 sync` line says how.
 *
 * Exit 0: printed, or every task succeeded; 1: a task failed, or a bad command line or stack.
 */
import { SSMClient } from "@aws-sdk/client-ssm";
import { runAsEntryPoint } from "../cli/entry-point";
import { scanFlags } from "../cli/scan-flags";
import { runOnHost, type FollowOptions } from "../backup/ssm";
import { readRawStackOutputs, StackOutputsError, type ReadStackOptions } from "../smoke/stack-outputs";
import { hostLine, migrateTasks, NO_WAY_BACK, type Direction, type MigrateTask } from "./tasks";

export const USAGE = "usage: npm run move-objects -- --stack <name> [--to s3|local] [--run]";

/** A task may run for hours on many objects; SSM stops it after this long. */
const TASK_TIMEOUT_SECONDS = 8 * 3600;
/** Where the registry keeps its blobs on the host (the container's /var/opt/gitlab is /srv/gitlab/data). */
export const HOST_REGISTRY_DIR = "/srv/gitlab/data/gitlab-rails/shared/registry/docker";

export interface Deps {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly stackOptions?: ReadStackOptions;
  readonly ssm?: (region: string) => SSMClient;
  readonly follow?: FollowOptions;
}

interface Args {
  readonly stack: string;
  readonly to: Direction;
  readonly run: boolean;
}

function parseArgs(argv: readonly string[]): { args?: Args; help: boolean; errors: string[] } {
  const scanned = scanFlags(argv, { withValue: ["--stack", "--to"], switches: ["--run"] });
  if (scanned.help) return { help: true, errors: [] };
  const errors = [...scanned.errors];
  const stack = scanned.values["--stack"];
  if (stack === undefined && !errors.some((e) => e.startsWith("--stack"))) errors.push("--stack <name> is required");
  const to = scanned.values["--to"] ?? "s3";
  if (to !== "s3" && to !== "local") errors.push(`--to expects s3 or local; got ${JSON.stringify(to)}`);
  if (errors.length > 0 || stack === undefined) return { help: false, errors };
  return { help: false, errors, args: { stack, to: to as Direction, run: scanned.switches.has("--run") } };
}

interface Host {
  readonly target: string;
  readonly region: string;
  readonly instanceId: string;
  readonly container: string;
}

/** The outputs the command needs; every problem at once. */
export function hostOf(stack: string, raw: unknown): Host {
  const o = (raw !== null && typeof raw === "object" && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const problems: string[] = [];
  const str = (key: string, pattern: RegExp, what: string): string => {
    const v = o[key];
    if (typeof v !== "string" || !pattern.test(v))
      problems.push(`${key}: expected ${what}, got ${JSON.stringify(v) ?? "nothing"}`);
    return typeof v === "string" ? v : "";
  };
  const target = str("target", /^(aws|local)$/, "aws or local");
  if (target === "local") {
    throw new StackOutputsError(
      `Stack "${stack}" is a local stack: GitLab's objects move to S3 on the aws target only (gitlab-dind:gitlab.objectStorage).`,
    );
  }
  const region = str("awsRegion", /^[a-z]{2,4}(-[a-z]+)+-\d+$/, "an AWS region");
  const instanceId = str("instanceId", /^i-[0-9a-f]+$/, "an EC2 instance id");
  const container = str("gitlabContainer", /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a container name");
  if (problems.length > 0) {
    throw new StackOutputsError(
      `Stack "${stack}" outputs are not what move-objects needs (is the stack up to date? run \`pulumi up\`):\n  - ${problems.join("\n  - ")}`,
    );
  }
  return { target, region, instanceId, container };
}

/**
 * The shell lines SSM runs on the host (`AWS-RunShellScript`, /bin/sh) for one task: its whole
 * output to a file, the last lines back (SSM keeps only the first 24,000 characters), its exit code.
 */
export function hostCommands(container: string, task: MigrateTask): string[] {
  return [
    "set -u",
    "log=$(mktemp /tmp/gitlab-dind-move-objects.XXXXXX)",
    "status=0",
    `${hostLine(container, task)} >"$log" 2>&1 || status=$?`,
    'tail -n 40 "$log"',
    'rm -f "$log"',
    'exit "$status"',
  ];
}

export async function main(argv: readonly string[], deps: Deps): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.help) {
    deps.out(USAGE);
    return 0;
  }
  if (parsed.args === undefined) {
    for (const e of parsed.errors) deps.err(`error: ${e}`);
    deps.err(USAGE);
    return 1;
  }
  const args = parsed.args;
  let host: Host;
  try {
    host = hostOf(args.stack, await readRawStackOutputs(args.stack, deps.stackOptions ?? {}, { showSecrets: false }));
  } catch (error) {
    if (error instanceof StackOutputsError) {
      deps.err(error.message);
      return 1;
    }
    throw error;
  }
  const tasks = migrateTasks(args.to);
  const registry =
    args.to === "s3"
      ? `sudo aws s3 sync ${HOST_REGISTRY_DIR} s3://<registry bucket>/docker   # the registry's blobs, before and after the switch`
      : `sudo aws s3 sync s3://<registry bucket>/docker ${HOST_REGISTRY_DIR}   # the registry's blobs, before the switch back`;
  if (!args.run) {
    deps.out(`# On the host of stack ${args.stack} (aws ssm start-session --target ${host.instanceId}), as root:`);
    for (const t of tasks) deps.out(`${hostLine(host.container, t)}   # ${t.what}`);
    deps.out(registry);
    if (args.to === "local") deps.out(`# GitLab has no task back for ${NO_WAY_BACK}.`);
    deps.out("# Add --run to have the host run the gitlab-rake lines now, one after another (SSM Run Command).");
    return 0;
  }
  const client = (deps.ssm ?? ((region: string) => new SSMClient({ region })))(host.region);
  deps.out(
    `Moving GitLab's objects to ${args.to === "s3" ? "its S3 buckets" : "the data volume"} on instance ${host.instanceId} (container ${host.container}), ${tasks.length} tasks:`,
  );
  for (const [i, t] of tasks.entries()) {
    deps.out(`[${i + 1}/${tasks.length}] gitlab-rake ${t.task} (${t.what})`);
    const r = await runOnHost(
      client,
      {
        instanceId: host.instanceId,
        commands: hostCommands(host.container, t),
        comment: `gitlab-dind move-objects ${t.task}`.slice(0, 100),
        executionTimeoutSeconds: TASK_TIMEOUT_SECONDS,
      },
      { log: deps.out, ...deps.follow },
    );
    for (const line of r.stdout.split("\n").filter((l) => l !== "")) deps.out(`  | ${line}`);
    if (r.status !== "Success" || r.exitCode !== 0) {
      deps.err(
        `✘ gitlab-rake ${t.task} failed (${r.status}, exit ${r.exitCode}); the tasks after it did not run. Fix the cause and run the command again: each task moves only what is still to move.`,
      );
      return 1;
    }
  }
  deps.out(`✔ ${tasks.length} tasks done. Now the registry's blobs:`);
  deps.out(`  ${registry}`);
  if (args.to === "local") deps.out(`  GitLab has no task back for ${NO_WAY_BACK}.`);
  return 0;
}

export function cli(argv: string[]): Promise<number> {
  return main(argv, {
    out: (l) => console.log(l),
    err: (l) => console.error(l),
    stackOptions: { cli: process.env["PULUMI_CLI"] },
  }).catch((e: unknown) => {
    console.error(`✘ ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  });
}

runAsEntryPoint(module, cli);
