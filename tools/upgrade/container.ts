/**
 * Commands in the stack's GitLab container, through the channel `npm run backup` uses: on aws SSM
 * Run Command on the host (`docker exec` there), locally `docker exec` against the local daemon.
 * What they ask GitLab, and how their answers are read, is here too (pure parsers, tested).
 */
import { SSMClient } from "@aws-sdk/client-ssm";
import type { BackupTarget } from "../backup/outputs";
import { runOnHost, type FollowOptions } from "../backup/ssm";
import { spawnCommand } from "../smoke/stack-outputs";

export interface ExecResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `sh -c <script>` in the GitLab container. */
export type ContainerExec = (script: string) => Promise<ExecResult>;

export function containerExec(
  target: BackupTarget,
  env: NodeJS.ProcessEnv,
  options: { readonly ssm?: (region: string) => SSMClient; readonly follow?: FollowOptions } = {},
): ContainerExec {
  if (target.kind === "local") {
    return async (script) => {
      const r = await spawnCommand("docker", ["exec", target.gitlabContainer, "sh", "-c", script], env);
      return { ok: r.code === 0, stdout: r.stdout, stderr: r.stderr };
    };
  }
  const client = (options.ssm ?? ((region: string) => new SSMClient({ region })))(target.region);
  return async (script) => {
    const r = await runOnHost(
      client,
      {
        instanceId: target.instanceId,
        // The script is passed as one argument; it holds no single quote (see the scripts below).
        commands: [`docker exec ${target.gitlabContainer} sh -c '${script}'`],
        comment: "gitlab-dind upgrade: check GitLab",
        executionTimeoutSeconds: 900,
      },
      { log: () => undefined, pollMs: 3_000, ...options.follow },
    );
    return { ok: r.status === "Success" && r.exitCode === 0, stdout: r.stdout, stderr: r.stderr };
  };
}

/**
 * GitLab's own check that background migrations are done ("Migrations for upgrades", gitlabhq
 * doc/update/background_migrations.md): no non-batched ones remaining
 * (`Gitlab::BackgroundMigration.remaining`, gone with the last of them) and no batched one in a
 * status other than finished (3) or finalized (6), the page's query
 * `SELECT … FROM batched_background_migrations WHERE status NOT IN(3, 6)`; failed (4) ones counted
 * apart, as they never finish by themselves. One `gitlab-rails runner` (it boots Rails: ~a minute).
 */
export const MIGRATIONS_SCRIPT =
  "gitlab-rails runner -e production " +
  '"r = begin; Gitlab::BackgroundMigration.remaining; rescue NameError; 0; end; ' +
  "m = Gitlab::Database::BackgroundMigration::BatchedMigration; " +
  "puts %(remaining=#{r}); puts %(batched=#{m.where.not(status: [3, 6]).count}); " +
  'puts %(failed=#{m.where(status: 4).count})"';

export interface MigrationCounts {
  readonly remaining: number;
  /** Batched migrations not finished or finalized (failed included). */
  readonly batched: number;
  readonly failed: number;
}

export function parseMigrations(stdout: string): MigrationCounts | undefined {
  const read = (key: string) => {
    const m = new RegExp(`^${key}=(\\d+)\\s*$`, "m").exec(stdout);
    return m === null ? undefined : Number(m[1]);
  };
  const remaining = read("remaining");
  const batched = read("batched");
  const failed = read("failed");
  if (remaining === undefined || batched === undefined || failed === undefined) return undefined;
  return { remaining, batched, failed };
}

/** The bundled PostgreSQL's data directory (omnibus's default `postgresql['data_dir']`). */
const PG_DATA = "/var/opt/gitlab/postgresql/data";

/** Its major version, from `PG_VERSION` (PostgreSQL writes the major there), and the room for a copy. */
export const POSTGRES_SCRIPT = [
  `echo "pg_version=$(cat ${PG_DATA}/PG_VERSION)"`,
  `echo "data_kb=$(du -sk ${PG_DATA} | cut -f1)"`,
  `echo "free_kb=$(df -Pk ${PG_DATA} | tail -n 1 | tr -s " " | cut -d " " -f4)"`,
].join("; ");

export interface PostgresFacts {
  readonly major: number;
  readonly dataKb: number;
  readonly freeKb: number;
}

export function parsePostgres(stdout: string): PostgresFacts | undefined {
  const read = (key: string) => {
    const m = new RegExp(`^${key}=(\\d+)\\s*$`, "m").exec(stdout);
    return m === null ? undefined : Number(m[1]);
  };
  const major = read("pg_version");
  const dataKb = read("data_kb");
  const freeKb = read("free_kb");
  if (major === undefined || dataKb === undefined || freeKb === undefined) return undefined;
  return { major, dataKb, freeKb };
}

/** Room for pg-upgrade's copy of the data directory, with a tenth more for its logs and WAL. */
export function roomForCopy(facts: PostgresFacts): boolean {
  return facts.freeKb >= Math.ceil(facts.dataKb * 1.1);
}
