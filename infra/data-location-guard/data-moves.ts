/**
 * Which changes of GitLab's data location keys move data back onto the box, and what to tell the
 * operator. Pure and self-contained (imports nothing): the guard's dynamic provider, serialized into
 * the stack's state, captures this module.
 */

/** The data location settings the guard records (from `gitlab.objectStorage`, `gitlab.database`, `gitlab.redis`). */
export interface DataLocations {
  readonly objectStorage: string;
  readonly database: string;
  readonly redis: string;
}

/** One watched key: its config name, its field, its on-box and off-box values, and how its data goes back. */
interface WatchedKey {
  readonly key: string;
  readonly field: keyof DataLocations;
  readonly onBox: string;
  readonly offBox: string;
  readonly lost: string;
  readonly moveBack: string;
}

const WATCHED: readonly WatchedKey[] = [
  {
    key: "gitlab.objectStorage",
    field: "objectStorage",
    onBox: "local",
    offBox: "s3",
    lost: "GitLab would look for its artifacts, LFS objects, uploads, packages and the other objects on the data volume, where they are not (they live in the stack's S3 buckets, which would be deleted or kept with host.keepDataOnDestroy)",
    moveBack:
      "copy each type's objects back to local storage with GitLab's rake tasks while GitLab still runs on S3 (`gitlab-rake gitlab:artifacts:migrate_to_local`, `gitlab:lfs:migrate_to_local`, `gitlab:uploads:migrate_to_local:all`, `gitlab:pages:deployments:migrate_to_local`; packages, Terraform states and CI secure files have no task back: copy them or accept losing them; the dependency proxy is a cache), and the registry's images with `aws s3 sync` from its bucket into /var/opt/gitlab/gitlab-rails/shared/registry",
  },
  {
    key: "gitlab.database",
    field: "database",
    onBox: "bundled",
    offBox: "rds",
    lost: "GitLab would start on the bundled PostgreSQL as it was before the move to RDS (stale: empty on a stack that began on RDS), and the RDS instance with every project, user and pipeline would be deleted (a final snapshot is kept only with host.keepDataOnDestroy)",
    moveBack:
      "take a backup that includes the database (`gitlab-backup create`; on aws the host's backup service, then check the archive is in the backup bucket), switch, and restore that backup into the bundled PostgreSQL (`npm run restore`); with the registry on, also copy its metadata database `registry` from RDS into the bundled server (`pg_dump`/`pg_restore`), which gitlab-backup does not carry with an external database",
  },
  {
    key: "gitlab.redis",
    field: "redis",
    onBox: "bundled",
    offBox: "elasticache",
    lost: "GitLab would start on an empty bundled Redis: Sidekiq's queued and scheduled jobs would be lost and every user signed out",
    moveBack:
      "stop new work and drain Sidekiq first (Admin > Monitoring > Background jobs: no enqueued, scheduled or retrying jobs left); sessions and caches need no move",
  },
];

/** The config key that lets a key go back once its data was moved (a list of keys). */
export const MOVED_BACK_KEY = "gitlab.dataMovedBack";

/**
 * One message per key that goes from its off-box value (the state, `olds`) back to the box (`news`)
 * without being listed in `movedBack`. Empty on create (`olds` absent) and for every other change.
 */
export function dataMoveProblems(
  olds: Partial<DataLocations> | undefined,
  news: DataLocations,
  movedBack: readonly string[],
): string[] {
  if (olds === undefined) return [];
  const problems: string[] = [];
  for (const w of WATCHED) {
    if (olds[w.field] !== w.offBox || news[w.field] !== w.onBox || movedBack.includes(w.key)) continue;
    problems.push(
      `gitlab-dind:${w.key}: going from ${w.offBox} back to ${w.onBox} is refused: ${w.lost}. ` +
        `Move the data back first: ${w.moveBack}. Then set \`pulumi config set --path '${MOVED_BACK_KEY}[0]' ${w.key}\` ` +
        `and run \`pulumi up\` again; remove ${MOVED_BACK_KEY} afterwards (docs/operations.md, "Moving an existing stack off the box").`,
    );
  }
  return problems;
}
