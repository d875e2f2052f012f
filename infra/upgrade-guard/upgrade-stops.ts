/**
 * GitLab's required upgrade stops, and the path from one version to another.
 *
 * Source: GitLab's "Upgrade paths" page (https://docs.gitlab.com/update/upgrade_paths/,
 * gitlabhq `doc/update/upgrade_paths.md`), cross-checked with what omnibus enforces at start:
 * `files/gitlab-ctl-commands/lib/gitlab_ctl/upgrade_check.rb` (`min_version` at each X.Y.0+ce.0 tag;
 * the container's init refuses to start when it is skipped: "It is required to upgrade to the
 * latest <MIN>.x version first"). Upgrade to the **latest patch** of each stop and let background
 * migrations finish before the next step.
 *
 * From 17.5 on, stops fall on x.2, x.5, x.8 and x.11. 19.2 is the last stop published when this
 * table was written; stops past it are *scheduled* by that rule (marked so), and required here
 * too: skipping a real stop costs a GitLab, waiting at an extra one costs an hour.
 *
 * This module imports nothing: the upgrade guard's dynamic provider, which Pulumi serializes
 * into the state, captures it.
 */

/** A GitLab version: major.minor.patch. */
export interface GitLabVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export interface UpgradeStop {
  readonly major: number;
  readonly minor: number;
  /** The latest patch of this stop known when the table was written; undefined when not known here. */
  readonly latestPatch: number | undefined;
  /**
   * `required`: enforced (omnibus refuses to skip it). `conditional`: only for some instances
   * (see `note`), never enforced here. `scheduled`: past the last published stop, by the x.2/x.5/x.8/x.11 rule.
   */
  readonly kind: "required" | "conditional" | "scheduled";
  readonly note?: string;
}

const CONDITIONAL = "conditional: the Upgrade paths page says which instances need it";

/**
 * The table: 14.10 (the last GitLab 14 stop, from which 15.0 is one step) to 19.2. Latest patches
 * up to 17.11 from the Upgrade paths page (gitlabhq `doc/update/upgrade_paths.md` at 017a6c12; 14.10.5
 * from the page's GitLab 14 path, "14.0.12 > 14.3.6 > 14.9.5 > 14.10.5 > 15.0.5"); for 18.2 to 19.2
 * the latest patches known on 2026-12-06, as the review of this project listed them (18.2.8, 18.5.7,
 * 18.8.11, 18.11.11, 19.2.4; look for later ones in https://packages.gitlab.com/app/gitlab/gitlab-ce/search?q=18.2,
 * as the page says). A later patch of a stop may exist: the stop is the minor release, any patch passes.
 */
export const UPGRADE_STOPS: readonly UpgradeStop[] = [
  { major: 14, minor: 10, latestPatch: 5, kind: "required" },
  { major: 15, minor: 0, latestPatch: 5, kind: "required" },
  { major: 15, minor: 1, latestPatch: 6, kind: "conditional", note: CONDITIONAL },
  { major: 15, minor: 4, latestPatch: 6, kind: "required" },
  { major: 15, minor: 11, latestPatch: 13, kind: "required" },
  { major: 16, minor: 0, latestPatch: 10, kind: "conditional", note: CONDITIONAL },
  { major: 16, minor: 1, latestPatch: 8, kind: "conditional", note: CONDITIONAL },
  { major: 16, minor: 2, latestPatch: 11, kind: "conditional", note: CONDITIONAL },
  { major: 16, minor: 3, latestPatch: 9, kind: "required" },
  { major: 16, minor: 7, latestPatch: 10, kind: "required" },
  { major: 16, minor: 11, latestPatch: 10, kind: "required" },
  { major: 17, minor: 1, latestPatch: 8, kind: "conditional", note: "only with a large ci_pipeline_messages table" },
  { major: 17, minor: 3, latestPatch: 7, kind: "required" },
  { major: 17, minor: 5, latestPatch: 5, kind: "required" },
  { major: 17, minor: 8, latestPatch: 7, kind: "required" },
  { major: 17, minor: 11, latestPatch: 7, kind: "required" },
  { major: 18, minor: 2, latestPatch: 8, kind: "required" },
  { major: 18, minor: 5, latestPatch: 7, kind: "required" },
  { major: 18, minor: 8, latestPatch: 11, kind: "required" },
  { major: 18, minor: 11, latestPatch: 11, kind: "required" },
  { major: 19, minor: 2, latestPatch: 4, kind: "required" },
];

/** The oldest version the table covers: older ones have stops it does not list. */
export const OLDEST_COVERED: GitLabVersion = { major: 14, minor: 10, patch: 0 };

/** The "Upgrade paths" page, for messages. */
export const UPGRADE_PATHS_URL = "https://docs.gitlab.com/update/upgrade_paths/";

/**
 * The version in a version string (`19.3.0`, `19.3`, `19.3.0-ce.0`, `v19.3.0`) or in a GitLab image
 * reference (`gitlab/gitlab-ce:19.3.0-ce.0`, `registry.example.com:5000/gitlab/gitlab-ce:19.3.0-ce.0@sha256:…`);
 * undefined when there is none (`latest`, `nightly`, no tag).
 */
export function parseGitLabVersion(text: string): GitLabVersion | undefined {
  const trimmed = text.trim();
  const withoutDigest = trimmed.split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const last = withoutDigest.slice(lastSlash + 1);
  const colon = last.lastIndexOf(":");
  // An image reference has a repository before its tag; a bare version has none.
  const tag = colon >= 0 ? last.slice(colon + 1) : lastSlash >= 0 ? "" : last;
  const match = /^v?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}))?(?:-(?:ce|ee)\.\d{1,3})?$/.exec(tag);
  // GitLab's minor releases run from x.0 to x.11 in each major.
  if (match === null || Number(match[2]) > 11) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: match[3] === undefined ? 0 : Number(match[3]) };
}

/** The repository part of an image reference (`gitlab/gitlab-ce`), or undefined for a bare version. */
export function imageRepository(text: string): string | undefined {
  const withoutDigest = text.trim().split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  // A bare version (`19.3.0`) has neither a path nor a tag separator.
  if (lastSlash < 0 && colon < 0) return undefined;
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

export function formatVersion(v: GitLabVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** Compares major.minor.patch; negative when a is older. */
export function compareVersions(a: GitLabVersion, b: GitLabVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Compares major.minor only (a stop is a minor release; any patch of it has passed it). */
function compareMinor(a: { major: number; minor: number }, b: { major: number; minor: number }): number {
  return a.major - b.major || a.minor - b.minor;
}

/**
 * Every stop up to `to`: the table's, then the scheduled ones (x.2, x.5, x.8, x.11 of each major
 * after the table's last one).
 */
function stopsUpTo(to: GitLabVersion): UpgradeStop[] {
  const stops = [...UPGRADE_STOPS];
  const last = stops[stops.length - 1];
  for (let major = last.major; major <= to.major; major++) {
    for (const minor of [2, 5, 8, 11]) {
      if (compareMinor({ major, minor }, last) <= 0) continue;
      if (compareMinor({ major, minor }, to) >= 0) break;
      stops.push({
        major,
        minor,
        latestPatch: undefined,
        kind: "scheduled",
        note: "scheduled by GitLab's x.2/x.5/x.8/x.11 rule; check the Upgrade paths page",
      });
    }
  }
  return stops;
}

export type UpgradePath =
  | {
      readonly ok: true;
      /** The required (and scheduled) stops strictly between the two versions, in order. */
      readonly stops: readonly UpgradeStop[];
      /** Conditional stops on the way: not enforced, listed for the operator to judge. */
      readonly conditional: readonly UpgradeStop[];
    }
  | { readonly ok: false; readonly reason: "downgrade" | "too-old"; readonly message: string };

/**
 * The path from `from` to `to`. A stop is passed once its minor release runs (any patch): a stop
 * is on the way when it is newer than `from`'s minor release and older than `to`'s.
 */
export function upgradePath(from: GitLabVersion, to: GitLabVersion): UpgradePath {
  if (compareVersions(to, from) < 0) {
    return {
      ok: false,
      reason: "downgrade",
      message:
        `${formatVersion(to)} is older than ${formatVersion(from)}: GitLab does not support downgrades ` +
        "(its database has been migrated forward). To go back, restore a backup taken on the older version " +
        "(see the README's upgrade section), or keep the current version.",
    };
  }
  if (compareVersions(from, OLDEST_COVERED) < 0) {
    return {
      ok: false,
      reason: "too-old",
      message:
        `${formatVersion(from)} is older than ${formatVersion(OLDEST_COVERED)}, the oldest version this table covers: ` +
        `follow ${UPGRADE_PATHS_URL} up to ${OLDEST_COVERED.major}.${OLDEST_COVERED.minor} first.`,
    };
  }
  const between = stopsUpTo(to).filter((s) => compareMinor(s, from) > 0 && compareMinor(s, to) < 0);
  return {
    ok: true,
    stops: between.filter((s) => s.kind !== "conditional"),
    conditional: between.filter((s) => s.kind === "conditional"),
  };
}

/**
 * The image to set for a stop: `<repository>:<major>.<minor>.<latest patch>-ce.0`, or with `z` for
 * the patch when this table does not know the latest one.
 */
export function stopImage(stop: UpgradeStop, repository = "gitlab/gitlab-ce"): string {
  const edition = repository.endsWith("-ee") ? "ee" : "ce";
  return `${repository}:${stop.major}.${stop.minor}.${stop.latestPatch ?? "z"}-${edition}.0`;
}

/** One line per stop (image, then what it is), for the CLI and the guard's error. */
export function describeStop(stop: UpgradeStop, repository?: string): string {
  const patch =
    stop.latestPatch === undefined
      ? `z: the latest ${stop.major}.${stop.minor} patch, not known to this table`
      : `the latest ${stop.major}.${stop.minor} patch known here`;
  const what =
    stop.kind === "required" ? "required stop" : stop.kind === "scheduled" ? "scheduled stop" : "conditional stop";
  return `${stopImage(stop, repository)}  ${what} ${stop.major}.${stop.minor} (${patch}${stop.note === undefined ? "" : `; ${stop.note}`})`;
}

/**
 * Whether the image may change from `fromImage` to `toImage` in one step: a problem message with
 * the whole path, or undefined when the change is fine (same version, a patch, or no stop skipped).
 */
export function checkImageChange(
  fromImage: string,
  toImage: string,
  options: {
    /**
     * Let an older version through (the check against the last *requested* image, which may be a
     * tag that never deployed; downgrades are refused against the deployed one). Default false.
     */
    readonly allowDowngrade?: boolean;
    /** What `fromImage` is, in the message. Default "the deployed". */
    readonly fromLabel?: string;
  } = {},
): string | undefined {
  const from = parseGitLabVersion(fromImage);
  const to = parseGitLabVersion(toImage);
  if (to === undefined) {
    return `cannot read GitLab's version from ${JSON.stringify(toImage)}: use a version tag such as gitlab/gitlab-ce:19.3.0-ce.0`;
  }
  // The deployed image predates the guard's version rule: nothing to compare with.
  if (from === undefined) return undefined;
  const path = upgradePath(from, to);
  if (!path.ok) {
    if (path.reason === "downgrade" && options.allowDowngrade === true) return undefined;
    return `gitlab.image ${toImage} after ${fromImage}: ${path.message}`;
  }
  if (path.stops.length === 0) return undefined;
  const repository = imageRepository(toImage);
  return [
    `gitlab.image ${toImage} skips GitLab's required upgrade stop${path.stops.length === 1 ? "" : "s"} ` +
      `after ${options.fromLabel ?? "the deployed"} ${fromImage}. Back up first (npm run backup), then set gitlab.image to each of these ` +
      "in turn, running `pulumi up` and waiting for background migrations (Admin > Monitoring > Background migrations) " +
      `between steps (${UPGRADE_PATHS_URL}):`,
    ...path.stops.map((s) => `  ${describeStop(s, repository)}`),
    `  ${toImage}  target`,
  ].join("\n");
}
