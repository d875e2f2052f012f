/**
 * `npm run smoke -- --stack <name>` / `GITLAB_TOKEN=… npm run smoke -- --url <gitlab url>`:
 * proves DinD pipelines work on a live GitLab. See docs/check-it-works.md.
 */
import { createGitLabClient, redactSecrets } from "../../infra/gitlab-api";
import { parseArgs, USAGE } from "./args";
import { onInterrupt, type SignalSource } from "./cleanup";
import type { SmokeConfig } from "./flow";
import { EXIT, runSmoke } from "./flow";
import { checkEmail, dockerExec, ssmExec, type ContainerCommand, type EmailTarget } from "./email";
import { describePipeline, loadPipelineFile } from "./pipeline";
import { readStackOutputs, StackOutputsError } from "./stack-outputs";

const EXIT_USAGE = 2;

/** What the command reads and where it writes: the process's own when run as `npm run smoke`. */
export interface SmokeIo {
  /** The arguments after `--`. */
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Where a relative `--pipeline` file and the project's `.pulumi-state` are looked up. */
  readonly cwd: string;
  /** A line of standard output. */
  readonly out: (line: string) => void;
  /** A line of standard error. */
  readonly err: (line: string) => void;
  /** Where Ctrl-C (SIGINT) and SIGTERM come from. */
  readonly signals: SignalSource;
  /** Ends the process at once: a second Ctrl-C skips the cleanup. */
  readonly exit: (code: number) => void;
  /** The clock and the pauses of the retries and polls (tests); default the real ones. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How the email check runs a command in GitLab's container (tests); default docker exec or SSM. */
  readonly containerCommand?: (target: EmailTarget) => ContainerCommand;
  /** Mailpit's API client (tests); default the global fetch. */
  readonly fetch?: typeof fetch;
}

/** `npm run smoke`: returns the exit code (0 proven, 1 not proven, 2 bad command line or setup, 130 interrupted). */
export async function main(io: SmokeIo): Promise<number> {
  const parsed = parseArgs([...io.argv], io.env);
  if (!parsed.ok) {
    if (parsed.help) {
      io.out(USAGE);
      return 0;
    }
    io.err(
      `smoke: ${parsed.errors.length === 1 ? "problem" : "problems"} with the command line:\n${parsed.errors.map((e) => `  - ${e}`).join("\n")}\n\n${USAGE}`,
    );
    return EXIT_USAGE;
  }
  const args = parsed.args;
  const secrets: string[] = [];
  // Every line goes through redaction: the token must never reach the terminal or CI logs.
  const out = (line: string) => io.out(redactSecrets(line, secrets));

  let gitlabUrl: string;
  let token: string;
  // The stack CA (gitlab.tls selfSigned): https is verified against it, never turned off.
  let ca: string | undefined;
  let runner: SmokeConfig["runner"];
  let email: EmailTarget | undefined;
  let pipeline;
  try {
    if (args.source.kind === "stack") {
      out(`Reading the outputs of stack ${args.source.stack} (pulumi stack output)…`);
      const outputs = await readStackOutputs(args.source.stack, {
        cli: io.env["PULUMI_CLI"],
        env: io.env,
        cwd: io.cwd,
      });
      secrets.push(outputs.adminToken);
      gitlabUrl = outputs.gitlabUrl;
      token = outputs.adminToken;
      ca = outputs.gitlabCaCertificate;
      runner = { kind: "stack", id: outputs.runnerId };
      email = outputs.email;
      pipeline = args.pipelineFile
        ? await loadPipelineFile(args.pipelineFile, io.cwd)
        : describePipeline(outputs.examplePipeline, `stack ${args.source.stack} output examplePipeline`);
    } else {
      secrets.push(args.source.token);
      gitlabUrl = args.source.url;
      token = args.source.token;
      runner = { kind: "instance" };
      pipeline = await loadPipelineFile(args.pipelineFile, io.cwd);
    }
  } catch (error) {
    io.err(
      `smoke: ${redactSecrets(error instanceof StackOutputsError || error instanceof Error ? error.message : String(error), secrets)}`,
    );
    return EXIT_USAGE;
  }

  const clock = {
    ...(io.now === undefined ? {} : { now: io.now }),
    ...(io.sleep === undefined ? {} : { sleep: io.sleep }),
  };
  const client = createGitLabClient({
    baseUrl: gitlabUrl,
    token,
    ...(ca === undefined ? {} : { ca }),
    requestTimeoutMs: 30_000,
    retry: { deadlineMs: 120_000, initialDelayMs: 1_000, maxDelayMs: 15_000 },
    onProgress: (message) => out(`… ${message}`),
    ...clock,
  });
  const interrupt = new AbortController();
  let leftBehind: string | undefined;
  const removeHandlers = onInterrupt(
    io.signals,
    interrupt,
    out,
    () => io.exit(130),
    () => leftBehind,
  );
  try {
    const pipelineCode = await runSmoke(
      {
        gitlabUrl,
        runner,
        pipeline,
        keep: args.keep,
        timeoutMs: args.timeoutMs,
        pendingTimeoutMs: args.pendingTimeoutMs,
        pollMs: args.pollMs,
        connectTimeoutMs: args.connectTimeoutMs,
      },
      {
        client,
        out: (line) => {
          const created = /^✔ Created private project (\S+) \((\S+)\)/.exec(line);
          if (created) leftBehind = `${created[1]} (${created[2]})`;
          out(line);
        },
        interrupt: interrupt.signal,
        ...clock,
      },
    );
    if (email === undefined || pipelineCode === EXIT.interrupted) return pipelineCode;
    const emailOk = await emailCheck(email, args.emailTo, io, out);
    return pipelineCode === EXIT.ok && !emailOk ? EXIT.failed : pipelineCode;
  } finally {
    removeHandlers();
  }
}

/**
 * The email check (tools/smoke/email.ts) of a stack with email.enabled: true when proven or skipped
 * (ses or smtp without --email-to: who may receive is the operator's to say).
 */
async function emailCheck(
  target: EmailTarget,
  emailTo: string | undefined,
  io: SmokeIo,
  out: (line: string) => void,
): Promise<boolean> {
  const to = emailTo ?? (target.provider === "mailpit" ? "smoke@example.com" : undefined);
  if (to === undefined) {
    out(
      `Email (${target.provider}): not checked. Give --email-to <address> to have GitLab send a test mail${target.provider === "ses" ? " (while the account is in the SES sandbox, an address verified in SES)" : ""}.`,
    );
    return true;
  }
  const exec =
    io.containerCommand?.(target) ??
    (target.aws === undefined
      ? dockerExec(target.container, io.env)
      : ssmExec(target.container, target.aws, undefined, (line) => out(line)));
  const stamp = new Date(io.now?.() ?? Date.now()).toISOString();
  return checkEmail(target, {
    to,
    subject: `gitlab-dind smoke ${stamp}`,
    exec,
    out,
    ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
    ...(io.sleep === undefined ? {} : { sleep: io.sleep }),
    ...(io.now === undefined ? {} : { now: io.now }),
  });
}

if (require.main === module) {
  main({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    signals: process,
    exit: (code) => process.exit(code),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`smoke: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
