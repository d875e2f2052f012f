/**
 * Command line of `npm run smoke`: parsed once, every problem reported at once.
 */
import { scanFlags } from "../cli/scan-flags";

export interface SmokeArgs {
  /** Where the GitLab URL, token and runner come from. */
  readonly source:
    | { readonly kind: "stack"; readonly stack: string }
    | { readonly kind: "url"; readonly url: string; readonly token: string };
  /** A pipeline file that replaces the stack's `examplePipeline` / `examples/dind/.gitlab-ci.yml`. */
  readonly pipelineFile: string | undefined;
  /** Leave the throwaway project in GitLab. Default false. */
  readonly keep: boolean;
  /** Overall bound for the checks and the pipeline. Default 10 minutes. */
  readonly timeoutMs: number;
  /** How long a job may stay pending before the tool diagnoses why. Default 3 minutes. */
  readonly pendingTimeoutMs: number;
  /** Time between polls. Default 5 seconds. */
  readonly pollMs: number;
  /** How long to wait for GitLab to answer at all before saying it does not. Default 30 seconds. */
  readonly connectTimeoutMs: number;
  /**
   * Where the email check's test mail goes (`--email-to`). Default: `smoke@example.com` with Mailpit
   * (it catches everything); with ses or smtp none, and the check is skipped (a new SES account
   * sends only to verified addresses).
   */
  readonly emailTo: string | undefined;
}

export type ParseResult =
  | { readonly ok: true; readonly args: SmokeArgs }
  | { readonly ok: false; readonly help: boolean; readonly errors: readonly string[] };

export const USAGE = `Usage:
  npm run smoke -- --stack <name> [options]     GitLab, token and runner from \`pulumi stack output\`
  GITLAB_TOKEN=<admin token> npm run smoke -- --url <gitlab url> [options]

Runs the DinD example pipeline in a throwaway private project and shows the job-log lines that
prove Docker-in-Docker works; on failure, the log tail and a diagnosis. Exit 0 = proven, 1 = not
proven, 2 = bad command line or setup, 130 = interrupted.

Options:
  --pipeline <file>         CI file to run (default: the stack's examplePipeline output, or
                            examples/dind/.gitlab-ci.yml with --url)
  --timeout <duration>      overall bound (default 10m); e.g. 90s, 15m
  --pending-timeout <dur>   diagnose a job still pending after this long (default 3m)
  --poll <duration>         time between polls (default 5s)
  --connect-timeout <dur>   stop when GitLab does not answer at all for this long (default 30s)
  --keep                    leave the project in GitLab for inspection
  --email-to <address>      with --stack and email.enabled: GitLab's test mail goes there (with
                            email.provider ses or smtp the check runs only with it; in the SES
                            sandbox a verified address). Default with mailpit: smoke@example.com
  -h, --help                this text

Environment: GITLAB_TOKEN (with --url: an administrator's token with the api scope; never printed),
  NODE_EXTRA_CA_CERTS (with --url to a GitLab with the stack CA: a file with \`pulumi stack output gitlabCaCertificate\`),
PULUMI_CLI (with --stack: the Pulumi command, default \`pulumi\`, then \`npx --no-install pulumi\`).`;

/** "90s", "10m", "1h", "500ms", or plain seconds ("600"). */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return Math.round(n * (unit === "ms" ? 1 : unit === "s" ? 1_000 : unit === "m" ? 60_000 : 3_600_000));
}

export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParseResult {
  const scanned = scanFlags(argv, {
    withValue: [
      "--stack",
      "--url",
      "--pipeline",
      "--timeout",
      "--pending-timeout",
      "--poll",
      "--connect-timeout",
      "--email-to",
    ],
    switches: ["--keep"],
  });
  if (scanned.help) return { ok: false, help: true, errors: [] };
  const { values, errors } = scanned;
  const keep = scanned.switches.has("--keep");

  const durations: Record<string, number> = {};
  const defaults: Record<string, number> = {
    "--timeout": 600_000,
    "--pending-timeout": 180_000,
    "--poll": 5_000,
    "--connect-timeout": 30_000,
  };
  for (const flag of ["--timeout", "--pending-timeout", "--poll", "--connect-timeout"]) {
    const text = values[flag];
    if (text === undefined) {
      durations[flag] = defaults[flag] ?? 0;
      continue;
    }
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) errors.push(`${flag} expects a positive duration like 90s or 10m, got "${text}"`);
    else durations[flag] = ms;
  }

  const stack = values["--stack"];
  const url = values["--url"];
  let source: SmokeArgs["source"] | undefined;
  if (stack !== undefined && url !== undefined)
    errors.push("give either --stack <name> or --url <gitlab url>, not both");
  else if (stack === undefined && url === undefined)
    errors.push("give --stack <name> (a deployed stack) or --url <gitlab url> with GITLAB_TOKEN");
  else if (stack !== undefined) source = { kind: "stack", stack };
  else if (url !== undefined) {
    const token = env["GITLAB_TOKEN"];
    if (!/^https?:\/\/[^/\s]+/.test(url)) errors.push(`--url expects an http:// or https:// URL, got "${url}"`);
    if (!token)
      errors.push("--url needs an administrator's token with the api scope in the GITLAB_TOKEN environment variable");
    if (token) source = { kind: "url", url: url.replace(/\/+$/, ""), token };
  }

  const emailTo = values["--email-to"];
  if (emailTo !== undefined && !/^[^\s@'"]+@[^\s@'"]+\.[^\s@'"]+$/.test(emailTo))
    errors.push(`--email-to expects an email address, got "${emailTo}"`);
  if (emailTo !== undefined && url !== undefined)
    errors.push("--email-to needs --stack (the check runs in the stack's GitLab container)");

  if (errors.length > 0 || !source) return { ok: false, help: false, errors };
  return {
    ok: true,
    args: {
      source,
      pipelineFile: values["--pipeline"],
      keep,
      timeoutMs: durations["--timeout"] ?? 600_000,
      pendingTimeoutMs: durations["--pending-timeout"] ?? 180_000,
      pollMs: durations["--poll"] ?? 5_000,
      connectTimeoutMs: durations["--connect-timeout"] ?? 30_000,
      emailTo,
    },
  };
}
