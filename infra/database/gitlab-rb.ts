/**
 * GitLab's settings for its database on RDS (omnibus-gitlab 19.3.0+ce.0 `doc/settings/database.md`,
 * "Using a non-packaged PostgreSQL database management server", and `gitlab.rb.template`): the
 * bundled PostgreSQL off, Rails' connection with TLS verify-full against the RDS CA bundle, the
 * password read from a root-only file. The `ci` connection keeps omnibus's defaults: it inherits
 * main's settings and database (gitlab/libraries/gitlab_rails.rb `parse_databases`). The registry's
 * metadata database (registry/attributes/default.rb `registry['database']`, passed whole into the
 * registry's config.yml) on the same instance, explicitly on: with the bundled database off omnibus
 * turns the default `prefer` into `false` and the registry falls back to filesystem metadata
 * (gitlab/libraries/registry.rb). With `enabled` true, reconfigure runs the registry's migrations
 * itself (registry/libraries/registry_helper.rb `should_run_migrations?`).
 */
import type { GitLabRbSetting, RubyValue } from "../gitlab/gitlab-rb";

/** Where GitLab reaches its RDS database, and how. Plain values (resolved endpoint). */
export interface RdsGitLabRbValues {
  /** The instance's DNS name (its `address`): verify-full checks the certificate names it. */
  readonly host: string;
  readonly port: number;
  /** GitLab's database (`gitlabhq_production`). */
  readonly database: string;
  /** The master user GitLab connects as (it holds rds_superuser: GitLab creates extensions on upgrades). */
  readonly username: string;
  /** The root-only file in GitLab's container holding the password. */
  readonly passwordFile: string;
  /** The RDS CA bundle in GitLab's container. */
  readonly caBundleFile: string;
  /** The registry's metadata database, when the registry is on; undefined when it is off. */
  readonly registryDatabase: string | undefined;
}

export function rdsGitLabRbSettings(v: RdsGitLabRbValues): GitLabRbSetting[] {
  const rails = (key: string, value: RubyValue, comment?: string): GitLabRbSetting => ({
    kind: "assign",
    scope: "gitlab_rails",
    key,
    value,
    ...(comment === undefined ? {} : { comment }),
  });
  const settings: GitLabRbSetting[] = [
    {
      kind: "assign",
      scope: "postgresql",
      key: "enable",
      value: false,
      comment: "GitLab's database is on Amazon RDS (gitlab-dind:gitlab.database rds): no bundled PostgreSQL.",
    },
    rails("db_adapter", "postgresql"),
    rails("db_encoding", "unicode"),
    rails("db_host", v.host),
    rails("db_port", v.port),
    rails("db_database", v.database),
    rails("db_username", v.username),
    rails("db_password", { fileContents: v.passwordFile }, "Read from a root-only file Pulumi uploads."),
    rails(
      "db_sslmode",
      "verify-full",
      "TLS, with the server's certificate checked against Amazon's RDS CA bundle and the instance's name.",
    ),
    rails("db_sslrootcert", v.caBundleFile),
  ];
  if (v.registryDatabase !== undefined) {
    const registry = (key: string, value: RubyValue, comment?: string): GitLabRbSetting => ({
      kind: "assign",
      scope: "registry",
      key: ["database", key],
      value,
      ...(comment === undefined ? {} : { comment }),
    });
    settings.push(
      registry(
        "enabled",
        true,
        "The registry's metadata database on the same instance. Explicitly on: with an external database omnibus\nturns the default 'prefer' off, and the registry would fall back to filesystem metadata.",
      ),
      registry("host", v.host),
      registry("port", v.port),
      registry("user", v.username),
      registry("password", { fileContents: v.passwordFile }),
      registry("dbname", v.registryDatabase),
      registry("sslmode", "verify-full"),
      registry("sslrootcert", v.caBundleFile),
    );
  }
  return settings;
}
