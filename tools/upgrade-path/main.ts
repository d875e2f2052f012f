/**
 * `npm run upgrade-path -- --from <version|image> --to <version|image>`
 *
 * Prints GitLab's required upgrade stops between two versions, in order, one per line, each
 * starting with the image to set as gitlab.image; the last line is the target. Refuses a
 * downgrade and versions it cannot read (exit 1). The table and its source: infra/upgrade-guard/upgrade-stops.ts.
 */
import { parseArgs } from "node:util";
import {
  UPGRADE_PATHS_URL,
  describeStop,
  formatVersion,
  imageRepository,
  parseGitLabVersion,
  upgradePath,
} from "../../infra/upgrade-guard/upgrade-stops";

const USAGE =
  "usage: npm run upgrade-path -- --from <version or image> --to <version or image>\n" +
  "  e.g. --from 18.9.2 --to gitlab/gitlab-ce:19.3.0-ce.0";

/** The CLI's whole behaviour: lines for stdout, or an error for stderr, and the exit code. */
export function upgradePathCommand(argv: string[]): { code: number; out: string[]; err: string[] } {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: { from: { type: "string" }, to: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }).values;
  } catch (e) {
    return { code: 1, out: [], err: [`upgrade-path: ${(e as Error).message}`, USAGE] };
  }
  if (values.help) return { code: 0, out: [USAGE], err: [] };
  const problems: string[] = [];
  for (const key of ["from", "to"] as const) {
    const text = values[key];
    if (text === undefined || text === "") problems.push(`--${key} is required`);
    else if (parseGitLabVersion(text) === undefined)
      problems.push(
        `--${key}: cannot read a GitLab version from ${JSON.stringify(text)}: expected 19.3.0, 19.3, 19.3.0-ce.0 or an image such as gitlab/gitlab-ce:19.3.0-ce.0`,
      );
  }
  if (problems.length > 0) return { code: 1, out: [], err: [...problems.map((p) => `upgrade-path: ${p}`), USAGE] };

  const fromText = values.from as string;
  const toText = values.to as string;
  const from = parseGitLabVersion(fromText)!;
  const to = parseGitLabVersion(toText)!;
  const path = upgradePath(from, to);
  if (!path.ok) return { code: 1, out: [], err: [`upgrade-path: ${path.message}`] };

  const repository = imageRepository(toText) ?? imageRepository(fromText) ?? "gitlab/gitlab-ce";
  const edition = repository.endsWith("-ee") ? "ee" : "ce";
  const target = imageRepository(toText) === undefined ? `${repository}:${formatVersion(to)}-${edition}.0` : toText;
  const out = [
    ...path.stops.map((s) => describeStop(s, repository)),
    `${target}  target ${formatVersion(to)}${path.stops.length === 0 ? " (no required stop in between: one step)" : ""}`,
  ];
  const err = path.conditional.map(
    (s) => `note: ${describeStop(s, repository)} is not enforced; see ${UPGRADE_PATHS_URL}`,
  );
  return { code: 0, out, err };
}

if (require.main === module) {
  const { code, out, err } = upgradePathCommand(process.argv.slice(2));
  for (const line of out) console.log(line);
  for (const line of err) console.error(line);
  process.exit(code);
}
