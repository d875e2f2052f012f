/**
 * Two stack files of one project with the same `gitlab-dind:team` build under the same physical
 * names (the team prefixes them: the SSM parameter, the IAM role, the containers), so the second
 * `pulumi up` clashes with the first in the same AWS account or Docker daemon. Warned, not refused:
 * a stack may be a deliberate replacement of another (a restore drill in another account).
 *
 * Reads the project's `Pulumi.<stack>.yaml` files: run by the entry point (at preview and up) and
 * by the offline plan, never by the pure parser.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { NAMESPACE } from "./schema";
import type { Target } from "./types";

/** The stack files (`Pulumi.<stack>.yaml`) in a project directory other than `ownFile`, whose team and target are these. */
export function stackFilesOfTeam(
  projectDir: string,
  team: string,
  target: Target,
  ownFile: string | undefined,
): string[] {
  let names: string[];
  try {
    names = readdirSync(projectDir);
  } catch {
    return [];
  }
  const own = ownFile === undefined ? undefined : resolve(ownFile);
  return names
    .filter((n) => /^Pulumi\.[^.]+(?:\.[^.]+)*\.ya?ml$/.test(n) && n !== "Pulumi.yaml" && n !== "Pulumi.yml")
    .filter((n) => resolve(projectDir, n) !== own)
    .filter((n) => {
      const config = readConfig(join(projectDir, n));
      const otherTarget = config[`${NAMESPACE}:target`] === "local" ? "local" : "aws";
      return config[`${NAMESPACE}:team`] === team && otherTarget === target;
    })
    .sort();
}

/** The warning for a stack whose team another stack file of the project has too; undefined when none has. */
export function sameTeamWarning(
  projectDir: string,
  stack: string,
  team: string,
  target: Target,
  ownFile: string | undefined,
): string | undefined {
  const others = stackFilesOfTeam(projectDir, team, target, ownFile);
  if (others.length === 0) return undefined;
  const own =
    ownFile === undefined
      ? `Pulumi.${stack}.yaml`
      : dirname(resolve(ownFile)) === resolve(projectDir)
        ? basename(ownFile)
        : ownFile;
  return (
    `${NAMESPACE}:team is "${team}" in ${own} and in ${others.join(", ")} (same target ${target}): ` +
    `the team names every physical resource (the SSM parameter /${team}/gitlab-dind/..., the IAM role, ` +
    `the containers ${team}-gitlab and ${team}-runner), so these stacks clash in one AWS account or Docker daemon. ` +
    `Give each stack its own team (\`pulumi config set ${NAMESPACE}:team <team> --stack ${stack}\`), or ignore this ` +
    "warning if the stacks never run in the same account or daemon."
  );
}

/**
 * The project directory at `pulumi preview`/`up`: Pulumi's root directory when the language host
 * gave one, else the nearest directory up from `from` (the program's `main` directory) with a Pulumi.yaml.
 */
export function findProjectDir(rootDirectory: string, from: string): string | undefined {
  if (rootDirectory !== "" && existsSync(join(rootDirectory, "Pulumi.yaml"))) return rootDirectory;
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Pulumi.yaml"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

function readConfig(path: string): Record<string, unknown> {
  try {
    const doc = parseYaml(readFileSync(path, "utf8")) as { config?: unknown } | null;
    const config = doc?.config;
    return typeof config === "object" && config !== null ? (config as Record<string, unknown>) : {};
  } catch {
    // A file that cannot be read or parsed is another stack's problem, not this one's.
    return {};
  }
}
