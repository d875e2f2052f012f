/**
 * `npm run smoke -- --stack <name>` / `GITLAB_TOKEN=… npm run smoke -- --url <gitlab url>`:
 * proves DinD pipelines work on a live GitLab. See docs/check-it-works.md.
 */
import { createGitLabClient, redactSecrets } from "../../infra/gitlab-api";
import { parseArgs, USAGE } from "./args";
import { onInterrupt } from "./cleanup";
import type { SmokeConfig } from "./flow";
import { runSmoke } from "./flow";
import { describePipeline, loadPipelineFile } from "./pipeline";
import { readStackOutputs, StackOutputsError } from "./stack-outputs";

const EXIT_USAGE = 2;

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    if (parsed.help) {
      console.log(USAGE);
      return 0;
    }
    console.error(
      `smoke: ${parsed.errors.length === 1 ? "problem" : "problems"} with the command line:\n${parsed.errors.map((e) => `  - ${e}`).join("\n")}\n\n${USAGE}`,
    );
    return EXIT_USAGE;
  }
  const args = parsed.args;
  const secrets: string[] = [];
  // Every line goes through redaction: the token must never reach the terminal or CI logs.
  const out = (line: string) => console.log(redactSecrets(line, secrets));

  let gitlabUrl: string;
  let token: string;
  // The stack CA (gitlab.tls selfSigned): https is verified against it, never turned off.
  let ca: string | undefined;
  let runner: SmokeConfig["runner"];
  let pipeline;
  try {
    if (args.source.kind === "stack") {
      out(`Reading the outputs of stack ${args.source.stack} (pulumi stack output)…`);
      const outputs = await readStackOutputs(args.source.stack, { cli: process.env["PULUMI_CLI"] });
      secrets.push(outputs.adminToken);
      gitlabUrl = outputs.gitlabUrl;
      token = outputs.adminToken;
      ca = outputs.gitlabCaCertificate;
      runner = { kind: "stack", id: outputs.runnerId };
      pipeline = args.pipelineFile
        ? await loadPipelineFile(args.pipelineFile, process.cwd())
        : describePipeline(outputs.examplePipeline, `stack ${args.source.stack} output examplePipeline`);
    } else {
      secrets.push(args.source.token);
      gitlabUrl = args.source.url;
      token = args.source.token;
      runner = { kind: "instance" };
      pipeline = await loadPipelineFile(args.pipelineFile, process.cwd());
    }
  } catch (error) {
    console.error(
      `smoke: ${redactSecrets(error instanceof StackOutputsError || error instanceof Error ? error.message : String(error), secrets)}`,
    );
    return EXIT_USAGE;
  }

  const client = createGitLabClient({
    baseUrl: gitlabUrl,
    token,
    ...(ca === undefined ? {} : { ca }),
    requestTimeoutMs: 30_000,
    retry: { deadlineMs: 120_000, initialDelayMs: 1_000, maxDelayMs: 15_000 },
    onProgress: (message) => out(`… ${message}`),
  });
  const interrupt = new AbortController();
  let leftBehind: string | undefined;
  const removeHandlers = onInterrupt(
    process,
    interrupt,
    out,
    () => process.exit(130),
    () => leftBehind,
  );
  try {
    return await runSmoke(
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
      },
    );
  } finally {
    removeHandlers();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`smoke: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
