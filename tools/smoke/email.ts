/**
 * Smoke's email check: can GitLab send? GitLab has no API for it, so the check does what GitLab's
 * SMTP troubleshooting docs do: in GitLab's container, `gitlab-rails runner` runs
 * `Notify.test_email(<to>, <subject>, <body>).deliver_now`, which raises when the SMTP server refuses
 * the mail (a failed sign-in, an unverified sender). Locally the mail is then looked for in
 * Mailpit (`GET /api/v1/messages`): received, not only sent.
 *
 * The command reaches the container as the other operator tools reach the host: `docker exec`
 * on the local daemon (as `npm run backup` does locally), SSM Run Command on the AWS host (as
 * `npm run backup` does there, tools/backup/ssm.ts).
 */
import { SSMClient } from "@aws-sdk/client-ssm";
import { rubyString } from "../../infra/gitlab/gitlab-rb";
import { runOnHost, type FollowOptions } from "../backup/ssm";
import { spawnCommand, type CommandResult, type CommandRunner } from "./stack-outputs";

/** What the check needs from the stack's outputs (`emailProvider` and the rest; see parseEmailOutputs). */
export interface EmailTarget {
  readonly provider: "ses" | "smtp" | "mailpit";
  readonly from: string;
  /** GitLab's container: `<team>-gitlab`. */
  readonly container: string;
  /** Mailpit's web API (local). */
  readonly mailpitUrl?: string;
  /** The AWS host to run the command on (aws). */
  readonly aws?: { readonly instanceId: string; readonly region: string };
}

/** The email part of a stack's outputs; undefined when the stack sends no email (or predates it). */
export function parseEmailOutputs(o: Record<string, unknown>, problems: string[]): EmailTarget | undefined {
  const provider = o["emailProvider"];
  if (provider === undefined) return undefined;
  if (provider !== "ses" && provider !== "smtp" && provider !== "mailpit") {
    problems.push(`emailProvider: expected ses, smtp or mailpit, got ${JSON.stringify(provider)}`);
    return undefined;
  }
  const from = o["emailFrom"];
  const team = o["team"];
  if (typeof from !== "string" || !from.includes("@"))
    problems.push(`emailFrom: expected an address, got ${JSON.stringify(from)}`);
  if (typeof team !== "string" || !/^[a-z][a-z0-9-]{1,20}$/.test(team))
    problems.push(`team: expected a team name, got ${JSON.stringify(team)}`);
  let mailpitUrl: string | undefined;
  let aws: EmailTarget["aws"];
  if (provider === "mailpit") {
    const url = o["mailpitUrl"];
    if (typeof url !== "string" || !/^https?:\/\//.test(url))
      problems.push(`mailpitUrl: expected an http URL, got ${JSON.stringify(url)}`);
    else mailpitUrl = url.replace(/\/+$/, "");
  }
  if (o["target"] === "aws") {
    const instanceId = o["instanceId"];
    const region = o["emailRegion"] ?? o["awsRegion"];
    if (typeof instanceId !== "string" || !/^i-[0-9a-f]+$|^[A-Za-z0-9-]+$/.test(instanceId))
      problems.push(`instanceId: expected an EC2 instance id, got ${JSON.stringify(instanceId)}`);
    if (typeof region !== "string" || !/^[a-z]{2,4}(-[a-z]+)+-\d+$/.test(region))
      problems.push(`emailRegion: expected an AWS region, got ${JSON.stringify(region)}`);
    if (typeof instanceId === "string" && typeof region === "string") aws = { instanceId, region };
  }
  return {
    provider,
    from: String(from),
    container: `${String(team)}-gitlab`,
    ...(mailpitUrl === undefined ? {} : { mailpitUrl }),
    ...(aws === undefined ? {} : { aws }),
  };
}

/** The Ruby `gitlab-rails runner` evaluates: GitLab's own test mail, delivered now (raises on an SMTP error). */
export function testEmailRuby(to: string, subject: string, body: string): string {
  return `Notify.test_email(${rubyString(to)}, ${rubyString(subject)}, ${rubyString(body)}).deliver_now`;
}

/** A word for /bin/sh: single-quoted, with `'` closed, escaped and reopened. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Runs a command in GitLab's container; resolves with its exit code and output. */
export type ContainerCommand = (argv: readonly string[]) => Promise<CommandResult>;

/** `docker exec <container> …` on the local daemon (DOCKER_HOST as for `npm run local:up`). */
export function dockerExec(
  container: string,
  env: NodeJS.ProcessEnv,
  run: CommandRunner = spawnCommand,
): ContainerCommand {
  return (argv) => run("docker", ["exec", container, ...argv], env);
}

/** `docker exec <container> …` on the AWS host, through SSM Run Command. */
export function ssmExec(
  container: string,
  aws: NonNullable<EmailTarget["aws"]>,
  client: SSMClient = new SSMClient({ region: aws.region }),
  log: (line: string) => void = () => undefined,
  follow: FollowOptions = {},
): ContainerCommand {
  return async (argv) => {
    const result = await runOnHost(
      client,
      {
        instanceId: aws.instanceId,
        commands: [["docker", "exec", container, ...argv].map(shellQuote).join(" ")],
        comment: "gitlab-dind smoke: GitLab test email",
        executionTimeoutSeconds: 300,
      },
      { log, pollMs: 3_000, timeoutMs: 360_000, ...follow },
    );
    return {
      code: result.status === "Success" ? result.exitCode : result.exitCode === 0 ? 1 : result.exitCode,
      stdout: result.stdout,
      stderr: result.stderr,
    };
  };
}

/** A message as Mailpit's `GET /api/v1/messages` lists it (the fields the check reads). */
interface MailpitMessage {
  readonly Subject?: string;
  readonly To?: readonly { readonly Address?: string }[];
  readonly From?: { readonly Address?: string };
}

export interface EmailCheckOptions {
  readonly to: string;
  /** Unique per run, so that an older mail is never taken for this one. */
  readonly subject: string;
  readonly exec: ContainerCommand;
  readonly out: (line: string) => void;
  /** How long to look for the mail in Mailpit; default 60 s. */
  readonly mailpitTimeoutMs?: number;
  readonly pollMs?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** Sends GitLab's test mail and, with Mailpit, finds it there. True when proven. */
export async function checkEmail(target: EmailTarget, options: EmailCheckOptions): Promise<boolean> {
  const { out } = options;
  out(
    `Email (${target.provider}): GitLab sends a test mail to ${options.to} (gitlab-rails runner, Notify.test_email)…`,
  );
  const body = `gitlab-dind smoke test: GitLab sent this as ${target.from}.`;
  let result: CommandResult;
  try {
    result = await options.exec(["gitlab-rails", "runner", testEmailRuby(options.to, options.subject, body)]);
  } catch (error) {
    out(
      `✘ Email: could not run gitlab-rails in ${target.container}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return false;
  }
  if (result.code !== 0) {
    const why = lastLines(`${result.stderr}\n${result.stdout}`, 6);
    out(`✘ Email: GitLab could not send (gitlab-rails runner exited ${result.code}):`);
    for (const line of why) out(`  | ${line}`);
    out(hint(target, why.join("\n")));
    return false;
  }
  if (target.provider !== "mailpit" || target.mailpitUrl === undefined) {
    out(
      `✔ Email: ${target.provider === "ses" ? "SES" : "the relay"} accepted GitLab's test mail to ${options.to} (subject "${options.subject}"); check that it arrived.`,
    );
    return true;
  }
  return findInMailpit(target.mailpitUrl, options);
}

async function findInMailpit(base: string, options: EmailCheckOptions): Promise<boolean> {
  const get = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + (options.mailpitTimeoutMs ?? 60_000);
  let lastProblem = "";
  for (;;) {
    try {
      const response = await get(`${base}/api/v1/messages?limit=50`);
      if (!response.ok) {
        lastProblem = `GET /api/v1/messages answered ${response.status}`;
      } else {
        const list = (await response.json()) as { messages?: MailpitMessage[] };
        const found = (list.messages ?? []).find(
          (m) =>
            m.Subject === options.subject &&
            (m.To ?? []).some((t) => t.Address?.toLowerCase() === options.to.toLowerCase()),
        );
        if (found !== undefined) {
          options.out(
            `✔ Email: Mailpit received GitLab's test mail from ${found.From?.Address ?? "?"} to ${options.to} (${base})`,
          );
          return true;
        }
        lastProblem = "no such message yet";
      }
    } catch (error) {
      lastProblem = `Mailpit did not answer at ${base}: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (now() >= deadline) {
      options.out(
        `✘ Email: GitLab sent the test mail, but Mailpit did not list it (${lastProblem}). Is the container <team>-mailpit running (\`docker ps\`), and does GitLab reach it (\`docker exec <team>-gitlab getent hosts host.docker.internal\`)?`,
      );
      return false;
    }
    await sleep(options.pollMs ?? 2_000);
  }
}

function lastLines(text: string, n: number): string[] {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .slice(-n);
}

/** What a failure most likely means, from SMTP's answer. */
function hint(target: EmailTarget, output: string): string {
  if (target.provider === "ses") {
    if (/not verified/i.test(output))
      return 'SES refused an unverified address: the domain\'s DKIM records are not in DNS yet (output emailDnsRecords), or the account is in the SES sandbox and the recipient is not a verified identity (docs/operations.md, "Email").';
    if (/Authentication|535/i.test(output))
      return 'SES refused the sign-in: the SMTP password belongs to another region, or the key was deleted; rotate it (docs/operations.md, "Email").';
    if (/not authorized|AccessDenied|554/i.test(output))
      return 'SES refused the IAM user: it may send only from the identity as email.from (docs/operations.md, "Email").';
  }
  if (/Connection refused|timed out|getaddrinfo/i.test(output))
    return "GitLab could not reach the SMTP server: check the address and port, and that the host's egress allows it.";
  return "See GitLab's SMTP troubleshooting: `docker exec <team>-gitlab gitlab-ctl tail gitlab-rails`.";
}
