/**
 * The one-shot step that readies GitLab's RDS database before GitLab first starts. The program
 * cannot reach the database (private subnets, only the host's security group is let in), so it
 * runs on the host, as a container of GitLab's own image (pinned by gitlab.image, already pulled
 * there; its psql is the one omnibus bundles, PostgreSQL 17):
 *
 *  1. downloads Amazon's RDS CA bundle (every region's roots, always current: AWS adds roots for
 *     new regions there) over TLS into GitLab's config directory on the host, where GitLab's
 *     container reads it as `/etc/gitlab/rds/…` (db_sslrootcert, the registry's sslrootcert);
 *  2. waits until the instance answers, then with `sslmode=verify-full` against that bundle (so a
 *     wrong bundle fails here, not in GitLab's first boot) creates the extensions GitLab needs and
 *     the registry's metadata database. Idempotent: it runs again on a new host or instance.
 *
 * The password reaches psql in a root-only pgpass file, never an argument or an environment value.
 */

/** Amazon's bundle of every RDS root and intermediate CA ("Using SSL/TLS to encrypt a connection to a DB instance"). */
export const RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem";

/** Where the step works in its container (uploaded; not under a mounted path). */
export const SETUP_DIR = "/opt/gitlab-dind/rds-setup";
export const SETUP_SCRIPT_PATH = `${SETUP_DIR}/setup.sh`;
export const SETUP_SQL_PATH = `${SETUP_DIR}/setup.sql`;
/** Root-only: `*:*:*:<user>:<password>` (libpq's password file). */
export const SETUP_PGPASS_PATH = `${SETUP_DIR}/pgpass`;
/** Where the step's container mounts the host directory GitLab's container sees as `GITLAB_RDS_DIR`. */
export const SETUP_OUT_DIR = "/out";
/** The directory under /etc/gitlab (GitLab's config, bind-mounted from the host) that holds the bundle. */
export const RDS_CONFIG_SUBDIR = "rds";
export const RDS_CA_BUNDLE_FILE = "rds-ca-bundle.pem";
/** The bundle as GitLab's container sees it (gitlab.rb's db_sslrootcert and the registry's sslrootcert). */
export const GITLAB_RDS_CA_BUNDLE_PATH = `/etc/gitlab/${RDS_CONFIG_SUBDIR}/${RDS_CA_BUNDLE_FILE}`;

/**
 * Extensions GitLab needs in its database (GitLab's `install/postgresql_extensions.md`): created
 * here so the schema load of GitLab's first boot does not depend on who may create them. On RDS
 * the master user holds `rds_superuser`, which may create each of them. `pg_stat_statements` is
 * optional (GitLab's database diagnostics use it); RDS preloads its library by default.
 */
export const GITLAB_EXTENSIONS = ["plpgsql", "amcheck", "btree_gist", "pg_trgm", "pg_stat_statements"] as const;

/** The SQL the step runs in GitLab's database: the extensions, and the registry's database when the registry uses one. */
export function renderSetupSql(v: { readonly registryDatabase: string | undefined }): string {
  const lines = [
    "-- Rendered by gitlab-dind (infra/database): run by the RDS setup step before GitLab first starts.",
    ...GITLAB_EXTENSIONS.map((e) => `CREATE EXTENSION IF NOT EXISTS ${quoteIdentifier(e)};`),
  ];
  if (v.registryDatabase !== undefined) {
    // CREATE DATABASE cannot run in a DO block or a function: psql's \gexec runs the statement
    // the query returns, only when the database does not exist yet.
    lines.push(
      "-- The container registry's metadata database (omnibus runs its migrations; it does not create it on an external server).",
      `SELECT 'CREATE DATABASE ' || quote_ident(${quoteLiteral(v.registryDatabase)}) WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = ${quoteLiteral(v.registryDatabase)})\\gexec`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** libpq's password file line for any host, port and database (`:` and `\` escaped, as libpq reads them). */
export function renderPgpass(user: string, password: string): string {
  const escape = (s: string): string => s.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  if (/[\n\r]/.test(user + password)) throw new Error("rds setup: a user or password with a line break");
  return `*:*:*:${escape(user)}:${escape(password)}\n`;
}

/** The step's script (bash in GitLab's image: its embedded curl, pg_isready and psql). */
export function renderSetupScript(): string {
  return `#!/bin/bash
# Rendered by gitlab-dind (infra/database): readies GitLab's RDS database before GitLab first starts.
# Connection settings come from PGHOST, PGPORT, PGUSER, PGDATABASE, PGSSLMODE and PGPASSFILE.
set -euo pipefail
log() { printf '%s rds-setup: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
BIN=/opt/gitlab/embedded/bin
BUNDLE=${SETUP_OUT_DIR}/${RDS_CA_BUNDLE_FILE}

log "downloading the RDS CA bundle from ${RDS_CA_BUNDLE_URL}"
attempt=1
until "$BIN/curl" --fail --silent --show-error --location --max-time 60 --output "$BUNDLE.tmp" '${RDS_CA_BUNDLE_URL}'; do
  if [ "$attempt" -ge 10 ]; then
    log "could not download the RDS CA bundle after $attempt attempts"
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 10
done
if ! grep -q -- '-----BEGIN CERTIFICATE-----' "$BUNDLE.tmp"; then
  log "the RDS CA bundle is not a PEM certificate bundle"
  exit 1
fi
chmod 0644 "$BUNDLE.tmp"
mv -f "$BUNDLE.tmp" "$BUNDLE"
export PGSSLROOTCERT="$BUNDLE"

log "waiting for $PGHOST:$PGPORT to accept connections"
attempt=1
until "$BIN/pg_isready" --quiet --timeout=10; do
  if [ "$attempt" -ge 60 ]; then
    log "$PGHOST:$PGPORT did not accept connections in 10 minutes"
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 10
done

log "creating GitLab's extensions and the registry database (sslmode $PGSSLMODE)"
"$BIN/psql" --no-psqlrc --set ON_ERROR_STOP=1 --file '${SETUP_SQL_PATH}'
log "done"
`;
}

function quoteIdentifier(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
