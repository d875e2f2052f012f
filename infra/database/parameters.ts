/**
 * The custom DB parameter group of GitLab's RDS database (family `postgres17`): GitLab's documented
 * floors for an external PostgreSQL, as omnibus configures its own bundled one (omnibus-gitlab
 * 19.3.0+ce.0 `files/gitlab-cookbooks/postgresql/attributes/default.rb`: max_connections 400,
 * work_mem 16MB, statement_timeout and idle_in_transaction_session_timeout 60000 ms), and TLS only.
 */

/** The parameter group family of the engine's major version. */
export const PARAMETER_GROUP_FAMILY = "postgres17";

/** One parameter as `aws.rds.ParameterGroup` takes it. */
export interface DbParameter {
  readonly name: string;
  readonly value: string;
  /** `immediate` for dynamic parameters; `pending-reboot` for static ones (RDS refuses `immediate` for those). */
  readonly applyMethod: "immediate" | "pending-reboot";
}

/**
 * The parameters, by name. Memory sizes in kB (RDS takes PostgreSQL's base unit), times in ms.
 * - `max_connections`: at least 400 (GitLab's floor: two connection sets, main and ci, for Puma and
 *   Sidekiq; GitLab's `postgresql/tune.md`), and more on bigger classes: RDS's own default formula
 *   (`DBInstanceClassMemory/9531392`) where it gives more. Static: applied at the next reboot.
 * - `work_mem` 16MB (omnibus's own; GitLab's floor is 8MB), `maintenance_work_mem` 128MB (floor
 *   64MB: index builds during migrations).
 * - `statement_timeout` 60 s (GitLab's range 15–60 s; migrations and pg_dump turn it off for their
 *   own sessions), `idle_in_transaction_session_timeout` 60 s (omnibus's own).
 * - `rds.force_ssl` 1: no connection without TLS (GitLab and the registry use verify-full anyway).
 */
export function gitlabDbParameters(): DbParameter[] {
  return [
    { name: "max_connections", value: "GREATEST({DBInstanceClassMemory/9531392},400)", applyMethod: "pending-reboot" },
    { name: "work_mem", value: String(16 * 1024), applyMethod: "immediate" },
    { name: "maintenance_work_mem", value: String(128 * 1024), applyMethod: "immediate" },
    { name: "statement_timeout", value: String(60_000), applyMethod: "immediate" },
    { name: "idle_in_transaction_session_timeout", value: String(60_000), applyMethod: "immediate" },
    { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
  ];
}
