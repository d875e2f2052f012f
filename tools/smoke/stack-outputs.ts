/**
 * The deployed stack's outputs, from `pulumi stack output --json --show-secrets --stack <name>`.
 * The command's stdout holds secrets: it is parsed, never printed.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { installedPulumi } from "../cli/installed-pulumi";
import { cliDownloadFailure, pulumiCliMissing } from "../cli/pulumi-cli-missing";
import { parseEmailOutputs, type EmailTarget } from "./email";

/** The outputs the program exports (infra/entry/index.ts) that smoke needs. */
export interface StackOutputs {
  readonly gitlabUrl: string;
  readonly adminToken: string;
  readonly runnerId: number;
  readonly runnerTags: readonly string[];
  readonly examplePipeline: string;
  /** The stack CA (PEM) GitLab's certificate is verified against; undefined: the system's CAs. */
  readonly gitlabCaCertificate?: string;
  /** Where and how GitLab sends email (email.enabled); undefined when it sends none. */
  readonly email?: EmailTarget;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; rejects with an error whose `code` is `ENOENT` when it does not exist. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
) => Promise<CommandResult>;

export class StackOutputsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackOutputsError";
  }
}

export const spawnCommand: CommandRunner = (command, args, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });

export interface ReadStackOptions {
  readonly run?: CommandRunner;
  /**
   * `PULUMI_CLI`, e.g. "npx pulumi"; default: an installed `pulumi` on PATH (not the npm package's
   * shim that `npm run` puts first, see tools/cli/installed-pulumi.ts), then `npx --no-install pulumi`.
   */
  readonly cli?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The project directory (Pulumi.yaml); default the current directory. */
  readonly cwd?: string;
}

/**
 * The environment for the CLI: like `npm run local:up`, use the repo's
 * `.pulumi-state` file backend (and an empty passphrase) when the user set none.
 */
export function pulumiEnv(env: NodeJS.ProcessEnv, cwd: string): NodeJS.ProcessEnv {
  const stateDir = path.join(cwd, ".pulumi-state");
  if (env["PULUMI_BACKEND_URL"] || !existsSync(stateDir)) return env;
  return {
    ...env,
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: env["PULUMI_CONFIG_PASSPHRASE"] ?? "",
  };
}

export async function readStackOutputs(stack: string, options: ReadStackOptions = {}): Promise<StackOutputs> {
  return validateOutputs(stack, await readRawStackOutputs(stack, options, { showSecrets: true }));
}

/**
 * Every output of a stack as `pulumi stack output --json` prints them (with `showSecrets`, secrets
 * in clear; without, as "[secret]"). Throws StackOutputsError with a hint when the CLI fails.
 */
export async function readRawStackOutputs(
  stack: string,
  options: ReadStackOptions = {},
  { showSecrets }: { readonly showSecrets: boolean },
): Promise<unknown> {
  const run = options.run ?? spawnCommand;
  const env = pulumiEnv(options.env ?? process.env, options.cwd ?? process.cwd());
  const candidates = options.cli
    ? [options.cli.split(/\s+/).filter((s) => s !== "")]
    : [[installedPulumi(env.PATH) ?? "pulumi"], ["npx", "--no-install", "pulumi"]];
  const args = ["stack", "output", "--json", ...(showSecrets ? ["--show-secrets"] : []), "--stack", stack];
  let result: CommandResult | undefined;
  const tried: string[] = [];
  for (const [command, ...prefix] of candidates) {
    if (!command) continue;
    tried.push([command, ...prefix].join(" "));
    try {
      result = await run(command, [...prefix, ...args], env);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new StackOutputsError(`Could not run ${tried.at(-1)}: ${(error as Error).message}`);
    }
    // npx without the package installed: treat as "CLI missing" and say so below.
    if (
      command === "npx" &&
      result.code !== 0 &&
      /could not determine executable|not found|ENOENT/i.test(result.stderr)
    ) {
      result = undefined;
      continue;
    }
    break;
  }
  if (!result) {
    throw new StackOutputsError(
      pulumiCliMissing(
        `The Pulumi CLI was not found (tried: ${tried.join("; ")}). (npm run smoke also runs without it: GITLAB_TOKEN=<admin token> npm run smoke -- --url <gitlab url>.)`,
      ),
    );
  }
  const downloadFailure = result.code !== 0 ? cliDownloadFailure(result.stderr) : undefined;
  if (downloadFailure !== undefined) {
    throw new StackOutputsError(
      pulumiCliMissing(
        `No Pulumi CLI is installed, and the pinned pulumi npm package could not download one (${downloadFailure}).`,
      ),
    );
  }
  if (result.code !== 0) {
    const stderr = result.stderr.trim().split("\n").slice(-5).join("\n");
    const hint = /no stack named|could not find stack|stack .* not found/i.test(stderr)
      ? ` There is no stack "${stack}" in this backend: check the name (\`pulumi stack ls\`) and PULUMI_BACKEND_URL.`
      : /passphrase/i.test(stderr)
        ? " Set PULUMI_CONFIG_PASSPHRASE to the stack's passphrase so secrets can be decrypted."
        : "";
    throw new StackOutputsError(
      `\`pulumi stack output --stack ${stack}\` failed (exit ${result.code}):${hint}\n${stderr}`,
    );
  }
  try {
    return JSON.parse(result.stdout) as unknown;
  } catch {
    throw new StackOutputsError(`\`pulumi stack output --json --stack ${stack}\` did not print JSON.`);
  }
}

/** Check every output smoke needs; report all problems at once, never a value (they are secrets). */
export function validateOutputs(stack: string, outputs: unknown): StackOutputs {
  if (!outputs || typeof outputs !== "object" || Array.isArray(outputs) || Object.keys(outputs).length === 0) {
    throw new StackOutputsError(
      `Stack "${stack}" has no outputs yet: run \`pulumi up --stack ${stack}\` first (or wait for it to finish).`,
    );
  }
  const o = outputs as Record<string, unknown>;
  const problems: string[] = [];
  const str = (key: string): string => {
    const v = o[key];
    if (typeof v !== "string" || v === "") problems.push(`${key}: expected a non-empty string, got ${describe(v)}`);
    return typeof v === "string" ? v : "";
  };
  const gitlabUrl = str("gitlabUrl");
  const adminToken = str("adminToken");
  const examplePipeline = str("examplePipeline");
  const runnerIdRaw = o["runnerId"];
  const runnerId = typeof runnerIdRaw === "string" && /^\d+$/.test(runnerIdRaw) ? Number(runnerIdRaw) : runnerIdRaw;
  if (typeof runnerId !== "number" || !Number.isInteger(runnerId) || runnerId <= 0)
    problems.push(`runnerId: expected a positive integer, got ${describe(runnerIdRaw)}`);
  const tags = o["runnerTags"];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string"))
    problems.push(`runnerTags: expected a list of strings, got ${describe(tags)}`);
  if (gitlabUrl && !/^https?:\/\//.test(gitlabUrl))
    problems.push(`gitlabUrl: expected an http(s) URL, got "${gitlabUrl}"`);
  const email = parseEmailOutputs(o, problems);
  const ca = o["gitlabCaCertificate"];
  if (ca !== undefined && (typeof ca !== "string" || !ca.includes("-----BEGIN CERTIFICATE-----")))
    problems.push(`gitlabCaCertificate: expected a PEM certificate, got ${describe(ca)}`);
  if (problems.length > 0) {
    throw new StackOutputsError(
      `Stack "${stack}" outputs are not what smoke needs (is the stack up to date? run \`pulumi up\`):\n  - ${problems.join("\n  - ")}`,
    );
  }
  return {
    gitlabUrl: gitlabUrl.replace(/\/+$/, ""),
    adminToken,
    runnerId: runnerId as number,
    runnerTags: tags as string[],
    examplePipeline,
    ...(typeof ca === "string" ? { gitlabCaCertificate: ca } : {}),
    ...(email === undefined ? {} : { email }),
  };
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing (missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}
