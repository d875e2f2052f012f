/**
 * The gitlab.rb settings the program itself writes (infra/gitlab/gitlab-rb.ts and the capabilities'
 * contributions), or that another capability owns: `gitlab.omnibus` may not set them, and its refusal
 * names the config key to use instead. test/omnibus/managed-keys.test.ts renders every gitlab.rb the
 * program writes for the shipped stacks and checks each path it sets is listed here, so the list
 * cannot fall behind the renderer.
 */

/** A part of a gitlab.rb path: a name, or a pattern of names. */
export type ManagedPart = string | RegExp;

export interface ManagedKey {
  /** The path's leading parts: `["gitlab_rails", /^db_/]` covers `gitlab_rails['db_host']` and below. */
  readonly path: readonly ManagedPart[];
  /** What the program does with it, in a few words. */
  readonly why: string;
  /** The config key(s) to use instead. */
  readonly use: string;
  /** Only while this holds (SMTP: only when `email.enabled` is true). Default always. */
  readonly when?: "emailEnabled";
}

const NGINX = {
  why: "GitLab's NGINX serves the ports the host publishes, with the stack's TLS",
  use: "gitlab-dind:gitlab.tls, gitlab-dind:gitlab.httpPort and gitlab-dind:gitlab.externalUrl",
};
const REGISTRY = {
  why: "the container registry's URL, port, TLS and storage",
  use: "gitlab-dind:gitlab.registryPort (0 turns it off)",
};
const BACKUP = {
  why: "backups and their schedule, retention and upload",
  use: "the backup.* keys (gitlab-dind:backup.enabled, …)",
};
const DATABASE = { why: "GitLab's PostgreSQL", use: "gitlab-dind:gitlab.database" };
const REDIS = { why: "GitLab's Redis", use: "gitlab-dind:gitlab.redis" };
const OBJECT_STORAGE = {
  why: "where uploads, artifacts, LFS and packages are stored",
  use: "gitlab-dind:gitlab.objectStorage",
};
/**
 * Where GitLab keeps its data. GitLab's container is replaced on every gitlab.rb change, and only
 * /var/opt/gitlab, /etc/gitlab and /var/log/gitlab (the data volume's directories) are kept: a
 * repository storage, shared path or upload directory elsewhere would be lost with the container,
 * and backups and the volume's snapshots would miss it. Refused whole, not by value: a path inside
 * /var/opt/gitlab is omnibus's default already.
 */
const DATA_LOCATION = {
  why: "where GitLab keeps its data: the container is replaced on every gitlab.rb change and only /var/opt/gitlab, /etc/gitlab and /var/log/gitlab are kept",
  use: "gitlab-dind:host.dataVolumeGiB for more room, gitlab-dind:gitlab.objectStorage for uploads, artifacts, LFS and packages in S3",
};
const SMTP = {
  why: "email.enabled is true: the program configures GitLab's SMTP",
  use: "the email.* keys (gitlab-dind:email.provider, email.from, …)",
  when: "emailEnabled",
} as const;

/**
 * The omnibus SMTP settings (omnibus-gitlab doc/settings/smtp.md: `gitlab_rails['smtp_*']` and the
 * sender `gitlab_rails['gitlab_email_*']`). The email capability (issue 24's email part) is to export
 * the list it renders; until it lands this covers every key of that document's family.
 */
export const SMTP_KEYS: readonly ManagedKey[] = [
  { path: ["gitlab_rails", /^smtp_/], ...SMTP },
  { path: ["gitlab_rails", /^gitlab_email_/], ...SMTP },
];

export const MANAGED_KEYS: readonly ManagedKey[] = [
  { path: ["external_url"], why: "GitLab's address", use: "gitlab-dind:gitlab.externalUrl" },
  { path: ["nginx"], ...NGINX },
  { path: ["gitlab_rails", "nginx"], ...NGINX },
  {
    path: ["letsencrypt"],
    why: "Let's Encrypt certificates",
    use: "gitlab-dind:gitlab.tls and gitlab-dind:gitlab.letsencryptEmail",
  },
  { path: ["registry_external_url"], ...REGISTRY },
  { path: ["registry"], ...REGISTRY },
  { path: ["registry_nginx"], ...REGISTRY },
  { path: ["gitlab_rails", /^registry_/], ...REGISTRY },
  { path: ["gitlab_rails", /^backup_/], ...BACKUP },
  // gitlab_rails['restore_registry_password']: the registry database's restore role, with the backup role.
  { path: ["gitlab_rails", /^restore_/], ...BACKUP },
  { path: ["postgresql"], ...DATABASE },
  { path: ["gitlab_rails", /^db_/], ...DATABASE },
  { path: ["gitlab_rails", "databases"], ...DATABASE },
  { path: ["redis"], ...REDIS },
  { path: ["gitlab_rails", /^redis_/], ...REDIS },
  { path: ["gitlab_rails", "object_store"], ...OBJECT_STORAGE },
  { path: ["gitlab_rails", /_object_store_/], ...OBJECT_STORAGE },
  {
    path: ["gitlab_rails", "monitoring_whitelist"],
    why: "who may read /-/health and /-/readiness, which `pulumi up` waits on",
    use: "gitlab-dind:network.adminCidrs",
  },
  {
    path: ["gitlab_rails", /^(store_)?initial_root_password$/],
    why: "root's first password, read from a root-only file",
    use: "gitlab-dind:gitlab.rootPassword",
  },
  {
    path: ["gitlab_rails", "gitlab_shell_ssh_port"],
    why: "the SSH port clone URLs show, the one the host publishes",
    use: "gitlab-dind:gitlab.sshPort",
  },
  { path: ["git_data_dirs"], ...DATA_LOCATION },
  { path: ["git_data_dir"], ...DATA_LOCATION },
  { path: ["gitaly", "configuration", "storage"], ...DATA_LOCATION },
  { path: ["gitaly", "storage"], ...DATA_LOCATION },
  { path: ["gitlab_rails", "repositories_storages"], ...DATA_LOCATION },
  // shared_path, uploads_directory, artifacts_path, lfs_storage_path, pages_path, packages_storage_path, …
  // (not smtp_ca_path: a CA file, the email capability's while email is on, the team's otherwise).
  { path: ["gitlab_rails", /^(?!smtp_).*(_path|_directory)$/], ...DATA_LOCATION },
  ...SMTP_KEYS,
];

/** Whether a key of the list covers a gitlab.rb path (`["gitlab_rails", "db_host"]`). */
export function managedBy(key: ManagedKey, path: readonly string[]): boolean {
  if (path.length < key.path.length) return false;
  return key.path.every((part, i) => (typeof part === "string" ? part === path[i] : part.test(path[i])));
}

/** The managed key covering a path, if any, given whether email is on. */
export function managedKeyOf(path: readonly string[], emailEnabled: boolean): ManagedKey | undefined {
  return MANAGED_KEYS.find((k) => (k.when !== "emailEnabled" || emailEnabled) && managedBy(k, path));
}
