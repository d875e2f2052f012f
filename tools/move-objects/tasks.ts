/**
 * GitLab's rake tasks that move existing objects between the data volume and object storage, per
 * object type, as gitlabhq defines them (`lib/tasks/gitlab/<type>/migrate.rake`, `pages.rake`,
 * `uploads/migrate.rake`). Pure: the command prints or runs them.
 */

export type Direction = "s3" | "local";

export interface MigrateTask {
  /** The rake task (`gitlab:artifacts:migrate`). */
  readonly task: string;
  /** What it moves, in a few words. */
  readonly what: string;
}

/** To object storage: one task per object type GitLab stores there (external diffs live in the database unless turned on). */
const TO_S3: readonly MigrateTask[] = [
  { task: "gitlab:artifacts:migrate", what: "CI job artifacts" },
  { task: "gitlab:lfs:migrate", what: "Git LFS objects" },
  { task: "gitlab:uploads:migrate:all", what: "attachments, avatars, logos and favicons" },
  { task: "gitlab:packages:migrate", what: "package registry files" },
  { task: "gitlab:dependency_proxy:migrate", what: "dependency proxy blobs and manifests" },
  { task: "gitlab:terraform_states:migrate", what: "Terraform state versions" },
  { task: "gitlab:ci_secure_files:migrate", what: "CI secure files" },
  { task: "gitlab:pages:deployments:migrate_to_object_storage", what: "Pages deployments" },
];

/** Back to the data volume: GitLab has these only (no way back for packages, Terraform states, CI secure files). */
const TO_LOCAL: readonly MigrateTask[] = [
  { task: "gitlab:artifacts:migrate_to_local", what: "CI job artifacts" },
  { task: "gitlab:lfs:migrate_to_local", what: "Git LFS objects" },
  { task: "gitlab:uploads:migrate_to_local:all", what: "attachments, avatars, logos and favicons" },
  { task: "gitlab:pages:deployments:migrate_to_local", what: "Pages deployments" },
];

/** What GitLab cannot move back to the data volume by itself. */
export const NO_WAY_BACK = "packages, Terraform states and CI secure files (the dependency proxy is a cache)";

export function migrateTasks(direction: Direction): readonly MigrateTask[] {
  return direction === "s3" ? TO_S3 : TO_LOCAL;
}

/** A container name as Docker accepts it; it is pasted into a shell line. */
const CONTAINER = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The host's shell line for one task: `docker exec <container> gitlab-rake <task>`. */
export function hostLine(container: string, task: MigrateTask): string {
  if (!CONTAINER.test(container)) throw new Error(`not a container name: ${JSON.stringify(container)}`);
  if (!/^gitlab:[a-z_:]+$/.test(task.task)) throw new Error(`not a GitLab rake task: ${JSON.stringify(task.task)}`);
  return `docker exec ${container} gitlab-rake ${task.task}`;
}
