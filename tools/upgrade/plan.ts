/**
 * The walk `npm run upgrade` takes, as plain data: from the stack's current GitLab to `--to`,
 * through each required stop at its latest known patch, with the runner image in step and what to
 * check before each step. Pure: the dry run prints it, the real walk follows it.
 */
import { ENGINE_MAJOR_VERSION } from "../../infra/database/engine";
import { OLDEST_SUPPORTED_GITLAB } from "../../infra/gitlab/versions";
import {
  compareVersions,
  formatVersion,
  imageRepository,
  upgradePath,
  type GitLabVersion,
} from "../../infra/upgrade-guard/upgrade-stops";
import { runnerImageFor } from "./runner-images";

/**
 * Minor releases whose Docker image upgrades its bundled PostgreSQL by itself at start
 * (`ATTEMPT_AUTO_PG_UPGRADE='true'` in omnibus's `docker/assets/init-container`, `docker/assets/wrapper`
 * before 17.10, runs `gitlab-ctl pg-upgrade -w --skip-disk-check`), and the major it upgrades to
 * (`config/software/postgresql_new.rb` `default_version` at that tag). Read at every `X.Y.0+ce.0` tag
 * from 16.0 to 19.3 in gitlabhq/omnibus-gitlab: true at 16.0, 16.1, 16.11, 17.11 and 18.11, false elsewhere.
 * `pg-upgrade` copies the data directory (no `--link`), and `--skip-disk-check` means nobody checks
 * there is room for the copy: the walk checks it first.
 */
export const AUTO_PG_UPGRADE: Readonly<Record<string, number>> = {
  "16.0": 13,
  "16.1": 13,
  "16.11": 14,
  "17.11": 16,
  "18.11": 17,
};

/** GitLab 19.0 needs PostgreSQL 17 (gitlabhq doc/install/requirements.md). */
export const PG_REQUIRED_FROM: GitLabVersion = { major: 19, minor: 0, patch: 0 };
export const PG_REQUIRED_MAJOR = 17;
/**
 * The PostgreSQL major an RDS stack runs: the program creates the instance at this engine major
 * with `allowMajorVersionUpgrade: false` (infra/database/rds-database.ts), so crossing 19.0 needs
 * nothing on RDS. Checked against PG_REQUIRED_MAJOR in walkRefusals should either ever change.
 */
export const RDS_ENGINE_MAJOR = Number(ENGINE_MAJOR_VERSION);

export interface Step {
  /** The GitLab version this step runs. */
  readonly version: GitLabVersion;
  /** `gitlab.image` for it; undefined when the table does not know the stop's latest patch. */
  readonly image: string | undefined;
  /** What the step is: "required stop 18.11", "target". */
  readonly what: string;
  /** `runner.image` in step, or undefined when the stack pins its runner. */
  readonly runnerImage: string | undefined;
  /** The PostgreSQL major the image upgrades to by itself at start, if it does. */
  readonly autoPgUpgradeTo: number | undefined;
  /** This step takes GitLab across 19.0: PostgreSQL must be 17 first. */
  readonly crossesPgRequirement: boolean;
}

export interface WalkInput {
  readonly from: GitLabVersion;
  readonly to: GitLabVersion;
  /** The current gitlab.image (its repository is kept). */
  readonly gitlabImage: string;
  /** The runner image the stack runs (its repository and flavour are kept). */
  readonly runnerImage: string;
  /** The stack file pins runner.image to another release than gitlab.image's: leave it. */
  readonly runnerPinned: boolean;
  /** Conditional stops (`major.minor`) to walk through too (`--include-conditional`). Default none. */
  readonly includeConditional?: readonly string[];
}

/** A conditional stop on the way that the walk passes by: printed as a note. */
export interface SkippedConditional {
  readonly stop: string;
  readonly note: string;
}

export type Walk =
  | { readonly ok: true; readonly steps: readonly Step[]; readonly conditional: readonly SkippedConditional[] }
  | { readonly ok: false; readonly message: string };

export function planWalk(input: WalkInput): Walk {
  const { from, to } = input;
  if (compareVersions(from, OLDEST_SUPPORTED_GITLAB) < 0)
    return {
      ok: false,
      message: `the stack runs GitLab ${formatVersion(from)}, older than ${formatVersion(OLDEST_SUPPORTED_GITLAB)}, the oldest this program supports: upgrade it to ${formatVersion(OLDEST_SUPPORTED_GITLAB)} or later by hand first (README, "Upgrading GitLab")`,
    };
  if (compareVersions(to, from) === 0)
    return { ok: false, message: `the stack already runs GitLab ${formatVersion(from)}: nothing to do` };
  const path = upgradePath(from, to);
  if (!path.ok) return { ok: false, message: path.message };
  const minor = (s: { major: number; minor: number }) => `${s.major}.${s.minor}`;
  const wanted = new Set(input.includeConditional ?? []);
  const unknown = [...wanted].filter((w) => !path.conditional.some((c) => minor(c) === w));
  if (unknown.length > 0)
    return {
      ok: false,
      message: `--include-conditional ${unknown.join(", ")}: not a conditional stop between ${formatVersion(from)} and ${formatVersion(to)} (${path.conditional.length === 0 ? "there is none" : `those are ${path.conditional.map(minor).join(", ")}`})`,
    };
  const stops = [...path.stops, ...path.conditional.filter((c) => wanted.has(minor(c)))].sort((a, b) =>
    compareVersions({ ...a, patch: 0 }, { ...b, patch: 0 }),
  );
  const conditional = path.conditional
    .filter((c) => !wanted.has(minor(c)))
    .map((c) => ({ stop: minor(c), note: c.note ?? "conditional" }));
  const repository = imageRepository(input.gitlabImage) ?? "gitlab/gitlab-ce";
  const edition = repository.endsWith("-ee") ? "ee" : "ce";
  const image = (v: GitLabVersion) => `${repository}:${formatVersion(v)}-${edition}.0`;
  const raw: { version: GitLabVersion; image: string | undefined; what: string }[] = [
    ...stops.map((s) => {
      const version = { major: s.major, minor: s.minor, patch: s.latestPatch ?? 0 };
      return {
        version,
        image: s.latestPatch === undefined ? undefined : image(version),
        what: `${s.kind} stop ${s.major}.${s.minor}`,
      };
    }),
    { version: to, image: image(to), what: "target" },
  ];
  let previous = from;
  const steps = raw.map((r): Step => {
    const step: Step = {
      ...r,
      runnerImage: input.runnerPinned ? undefined : runnerImageFor(r.version, input.runnerImage),
      ...postgresFacts(previous, r.version),
    };
    previous = r.version;
    return step;
  });
  return { ok: true, steps, conditional };
}

/** What a step from `previous` to `version` means for PostgreSQL. */
export function postgresFacts(
  previous: GitLabVersion,
  version: GitLabVersion,
): Pick<Step, "autoPgUpgradeTo" | "crossesPgRequirement"> {
  return {
    autoPgUpgradeTo: AUTO_PG_UPGRADE[`${version.major}.${version.minor}`],
    crossesPgRequirement:
      compareVersions(previous, PG_REQUIRED_FROM) < 0 && compareVersions(version, PG_REQUIRED_FROM) >= 0,
  };
}

/** `12h00m`, `5m00s`, `30s`, `200ms`: a duration as the command line takes it. */
export function span(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** `21.3.4` or `21.3.z` when the latest patch is not known. */
export function stepLabel(step: Step): string {
  return step.image === undefined ? `${step.version.major}.${step.version.minor}.z` : formatVersion(step.version);
}

/**
 * Why the walk cannot start: a stop whose latest patch the table does not know (a scheduled one),
 * or, on RDS (`gitlab-dind:gitlab.database: rds`), a step across 19.0 while the program's RDS engine
 * major (RDS_ENGINE_MAJOR) is older than PostgreSQL 17 (never, while the program creates 17).
 */
export function walkRefusals(steps: readonly Step[], onRds: boolean, rdsEngineMajor = RDS_ENGINE_MAJOR): string[] {
  const refusals: string[] = [];
  for (const s of steps) {
    if (s.image === undefined)
      refusals.push(
        `the table does not know the latest ${s.version.major}.${s.version.minor} patch (a scheduled stop): look it up on Docker Hub's gitlab/gitlab-ce tags, walk to it with --to ${s.version.major}.${s.version.minor}.<patch>, then on`,
      );
    if (s.crossesPgRequirement && onRds && rdsEngineMajor < PG_REQUIRED_MAJOR)
      refusals.push(
        `gitlab-dind:gitlab.database is rds: GitLab ${formatVersion(s.version)} needs PostgreSQL ${PG_REQUIRED_MAJOR}, and the program's RDS engine is PostgreSQL ${rdsEngineMajor}: upgrade the RDS instance to PostgreSQL ${PG_REQUIRED_MAJOR} first (with a snapshot), then walk on from the 18.x GitLab`,
      );
  }
  return refusals;
}
