/**
 * The command line of `npm run upgrade`, parsed once; every problem at once.
 */
import { scanFlags } from "../cli/scan-flags";
import { parseGitLabVersion, type GitLabVersion } from "../../infra/upgrade-guard/upgrade-stops";

export const USAGE =
  "usage: npm run upgrade -- --stack <name> --to <version> [--yes] [--dry-run] [--config-file <file>] [--timeline <file>] [--poll <duration>] [--migrations-timeout <duration>] [--include-conditional <major.minor>]…";

export const HELP = `${USAGE}

Walks the stack's GitLab through GitLab's required upgrade stops to --to, one stop at a time: a
backup (npm run backup), gitlab.image set (pulumi config set), pulumi up, a wait until the
background migrations have finished, runner.image in step and pulumi up, the smoke pipeline
(npm run smoke); then the next stop. On a failure it stops, leaves the stack file at the last
version that passed and prints how to go back. A rerun resumes from its timeline.

--dry-run      print every step (images, backups, waits) from the stack file; needs no Pulumi CLI
--yes          required for a real walk: it changes, and may rebuild, the stack's GitLab
--config-file  the stack settings file (default Pulumi.<stack>.yaml), as npm run plan takes it
--timeline     where the timeline JSON goes and a rerun reads it (default upgrade-<stack>-timeline.json)
--poll         time between checks of the background migrations (default 30s)
--migrations-timeout  how long to wait for them at each stop (default 12h)
--include-conditional  walk through a conditional stop on the way too (e.g. 17.1); repeatable.
               Conditional stops are listed as notes otherwise: the Upgrade paths page says which
               instances need them`;

export interface UpgradeArgs {
  readonly stack: string;
  readonly to: GitLabVersion;
  readonly toText: string;
  readonly yes: boolean;
  readonly dryRun: boolean;
  readonly configFile: string | undefined;
  readonly timeline: string;
  readonly pollMs: number;
  readonly migrationsTimeoutMs: number;
  /** `--include-conditional`: conditional stops to walk through, as `major.minor`. */
  readonly includeConditional: readonly string[];
  /**
   * The options a rerun must repeat, as given (`--config-file f --poll 10s …`), shell-quoted where
   * needed: --config-file, --timeline, --poll, --migrations-timeout, --include-conditional.
   */
  readonly repeatFlags: readonly string[];
}

/** A word as a POSIX shell reads it back. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

export type ParseResult =
  | { readonly ok: true; readonly args: UpgradeArgs }
  | { readonly ok: false; readonly help: boolean; readonly errors: readonly string[] };

/** `30s`, `500ms`, `12h`, `5m`; undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (m === null) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * unit);
}

export function parseUpgradeArgs(argv: readonly string[]): ParseResult {
  const scanned = scanFlags(argv, {
    withValue: [
      "--stack",
      "--to",
      "--config-file",
      "--timeline",
      "--poll",
      "--migrations-timeout",
      "--include-conditional",
    ],
    switches: ["--yes", "--dry-run"],
    repeatable: ["--include-conditional"],
  });
  if (scanned.help) return { ok: false, help: true, errors: [] };
  const { values, errors } = scanned;
  const stack = values["--stack"];
  if (stack === undefined) errors.push("--stack <name> is required (the stack to upgrade)");
  else if (!/^[A-Za-z0-9_.-]+$/.test(stack)) errors.push(`--stack: expected a stack name; got "${stack}"`);
  const toText = values["--to"];
  const to = toText === undefined ? undefined : parseGitLabVersion(toText);
  if (toText === undefined) errors.push("--to <version> is required (the GitLab version to end at, e.g. 19.3.0)");
  else if (to === undefined)
    errors.push(
      `--to: cannot read a GitLab version from ${JSON.stringify(toText)}: expected 19.3.0, 19.3.0-ce.0 or an image such as gitlab/gitlab-ce:19.3.0-ce.0`,
    );
  const duration = (flag: string, fallback: number): number => {
    const text = values[flag];
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) {
      errors.push(`${flag}: expected a duration such as 30s, 500ms or 12h; got "${text}"`);
      return fallback;
    }
    return ms;
  };
  const pollMs = duration("--poll", 30_000);
  const migrationsTimeoutMs = duration("--migrations-timeout", 12 * 3_600_000);
  const includeConditional: string[] = [];
  for (const text of scanned.lists["--include-conditional"] ?? []) {
    const m = /^(\d+)\.(\d+)$/.exec(text);
    if (m === null) errors.push(`--include-conditional: expected a stop as major.minor (e.g. 17.1); got "${text}"`);
    else includeConditional.push(`${Number(m[1])}.${Number(m[2])}`);
  }
  const yes = scanned.switches.has("--yes");
  const dryRun = scanned.switches.has("--dry-run");
  if (!yes && !dryRun)
    errors.push(
      "--yes is required for a real walk (it changes the stack's GitLab and may rebuild it); --dry-run prints the steps without changing anything",
    );
  if (errors.length > 0 || stack === undefined || to === undefined || toText === undefined)
    return { ok: false, help: false, errors };
  return {
    ok: true,
    args: {
      stack,
      to,
      toText,
      yes,
      dryRun,
      configFile: values["--config-file"],
      timeline: values["--timeline"] ?? `upgrade-${stack}-timeline.json`,
      pollMs,
      migrationsTimeoutMs,
      includeConditional,
      repeatFlags: [
        ...["--config-file", "--timeline", "--poll", "--migrations-timeout"].flatMap((f) =>
          values[f] === undefined ? [] : [f, shellWord(values[f])],
        ),
        ...includeConditional.flatMap((c) => ["--include-conditional", c]),
      ],
    },
  };
}
