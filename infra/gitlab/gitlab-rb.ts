/**
 * GitLab's settings as `gitlab.rb` content (Ruby), passed to the container as
 * `GITLAB_OMNIBUS_CONFIG` and written by the offline plan as `files/gitlab.rb`.
 *
 * There is no Ruby serializer for Node, so the file is built from a list of typed settings and
 * every value goes through one literal function (`rubyLiteral`): strings become single-quoted
 * Ruby strings, in which only `\\` and `\'` are escapes and `#{}` does not interpolate. No value
 * is ever pasted into the text as is.
 *
 * No secret is ever in it: a secret setting reads a root-only file in the container
 * (`{ fileContents: path }`), so the text is safe in the container's environment and in plans.
 *
 * The settings are those of the GitLab version in `gitlab.image`'s tag: each key is written only
 * for the versions whose omnibus reads it (see versions.ts).
 */
import type { GitLabVersion } from "../upgrade-guard/upgrade-stops";
import {
  REGISTRY_BACKUP_ROLE_SINCE,
  REGISTRY_DATABASE_DEFAULT_SINCE,
  SERVICE_NGINX_KEYS_SINCE,
  atLeast,
  unsupportedGitLabVersion,
} from "./versions";

/** The contents of a file in the container, read when GitLab evaluates gitlab.rb (`File.read(path).chomp`). */
export interface FileContents {
  readonly fileContents: string;
}

/**
 * A Ruby hash with string keys (`{ 'bucket' => 'x', 'encrypt' => true }`), written in key order as
 * given. For settings omnibus takes as a whole hash (`registry['storage']`, `omniauth_providers`
 * entries), where assigning key by key would not work or would read badly.
 */
export interface RubyHash {
  readonly rubyHash: Readonly<Record<string, RubyValue>>;
}

/**
 * A Ruby Float (`0.9`, `50.0`), always written with a decimal point or an exponent so that Ruby reads a
 * Float even for a whole number. For the few omnibus settings that are floats (`gitlab_pages['rate_limit_source_ip']`).
 */
export interface RubyFloat {
  readonly rubyFloat: number;
}

/** A value gitlab.rb can hold here: a string, an integer, a float, a boolean, a file's contents, a hash, or a list of them. */
export type RubyValue = string | number | boolean | FileContents | RubyHash | RubyFloat | readonly RubyValue[];

/** One line of gitlab.rb. */
export type GitLabRbSetting =
  /** `external_url 'http://…'`: a method call with one argument. */
  | { readonly kind: "call"; readonly method: string; readonly value: RubyValue; readonly comment?: string }
  /**
   * `gitlab_rails['gitlab_shell_ssh_port'] = 10022`: an assignment into a settings hash; with a list
   * of keys, into nested hashes (`gitlab_rails['nginx']['listen_port'] = 80`; omnibus auto-vivifies
   * the inner hashes while it evaluates gitlab.rb, package/libraries/config_mash.rb).
   */
  | {
      readonly kind: "assign";
      readonly scope: string;
      readonly key: string | readonly string[];
      readonly value: RubyValue;
      readonly comment?: string;
    };

/** A gitlab.rb name: a top-level name, or a key written as `scope['key']`. */
export const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** A single-quoted Ruby string literal: no interpolation, only `\\` and `\'` escaped. */
export function rubyString(value: string): string {
  if (value.includes("\0")) throw new Error("gitlab.rb: a string value contains a NUL character");
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * A Ruby Float literal: JavaScript's shortest round-trip digits (`0.9`, `1e-7`, `1.5e+21`), which Ruby
 * reads as the same double, with `.0` added to a whole number (`50` would be an Integer in Ruby).
 */
export function rubyFloat(value: number): string {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new Error(`gitlab.rb: ${value} is not a finite number`);
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** The Ruby literal of a value; throws on anything that has no exact literal here. */
export function rubyLiteral(value: RubyValue): string {
  if (typeof value === "string") return rubyString(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`gitlab.rb: ${value} is not an integer`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(rubyLiteral).join(", ")}]`;
  if (typeof value === "object" && value !== null && "rubyFloat" in value) return rubyFloat(value.rubyFloat);
  if (typeof value === "object" && value !== null && "rubyHash" in value) {
    const hash = value.rubyHash;
    if (typeof hash !== "object" || hash === null || Array.isArray(hash)) {
      throw new Error("gitlab.rb: a hash value is not a map");
    }
    const entries = Object.entries(hash).map(([k, v]) => `${rubyString(k)} => ${rubyLiteral(v)}`);
    return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
  }
  if (typeof value === "object" && value !== null && typeof (value as FileContents).fileContents === "string") {
    const path = (value as FileContents).fileContents;
    if (!path.startsWith("/")) throw new Error(`gitlab.rb: ${JSON.stringify(path)} is not an absolute path`);
    return `File.read(${rubyString(path)}).chomp`;
  }
  throw new Error(`gitlab.rb: cannot write a value of type ${typeof value}`);
}

const isRubyHash = (value: RubyValue): value is RubyHash =>
  typeof value === "object" && value !== null && !Array.isArray(value) && "rubyHash" in value;

/** The gitlab.rb text of the settings, one per line, with their comments. */
export function renderGitLabRb(settings: readonly GitLabRbSetting[]): string {
  const lines = ["# Rendered by gitlab-dind; GitLab reads it from GITLAB_OMNIBUS_CONFIG before /etc/gitlab/gitlab.rb."];
  for (const s of settings) {
    if (s.comment !== undefined) {
      for (const line of s.comment.split("\n")) lines.push(`# ${line}`);
    }
    const value = rubyLiteral(s.value);
    if (s.kind === "call") {
      if (!IDENTIFIER.test(s.method)) throw new Error(`gitlab.rb: "${s.method}" is not a setting name`);
      // A hash after a bare method name would be read as a block: `roles { … }`. In parentheses it is the argument.
      lines.push(isRubyHash(s.value) ? `${s.method}(${value})` : `${s.method} ${value}`);
    } else {
      if (!IDENTIFIER.test(s.scope)) throw new Error(`gitlab.rb: "${s.scope}" is not a settings scope`);
      const keys: readonly string[] = typeof s.key === "string" ? [s.key] : s.key;
      if (keys.length === 0) throw new Error(`gitlab.rb: ${s.scope} has no setting key`);
      for (const key of keys) {
        if (!IDENTIFIER.test(key)) throw new Error(`gitlab.rb: "${key}" is not a setting key`);
      }
      lines.push(`${s.scope}${keys.map((k) => `[${rubyString(k)}]`).join("")} = ${value}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** `gitlab_rails['backup_keep_time']`: two days of local archives at most; the history is in S3. */
export const BACKUP_KEEP_TIME_SECONDS = 2 * 24 * 3600;

/** The plain values GitLab's settings are made of. */
export interface GitLabRbValues {
  /** The GitLab version the settings are for (`gitlab.image`'s tag): each key is written only where omnibus reads it. */
  readonly version: GitLabVersion;
  /** What users open, e.g. `http://localhost:8080` or `https://gitlab.example.com`. */
  readonly externalUrl: string;
  /** The host port of git over SSH, shown in clone URLs. */
  readonly sshPort: number;
  /** The registry's external URL, or undefined when the registry is off. */
  readonly registryUrl: string | undefined;
  /** The root-only file in the container that holds root's password (used on GitLab's first boot only). */
  readonly rootPasswordFile: string;
  /** Addresses allowed to read `/-/health` and `/-/readiness` (CIDRs or IPs). */
  readonly monitoringAllowlist: readonly string[];
  /**
   * How GitLab serves HTTPS. Default (undefined): plain HTTP for an http:// external URL, and
   * omnibus's own Let's Encrypt handling for an https:// one.
   */
  readonly tls?: GitLabRbTls;
  /**
   * The root-only files holding the passwords of the registry metadata database's backup and
   * restore roles, when that database is in use (see `registryDatabaseInUse`); default none.
   */
  readonly registryDatabaseBackup?: RegistryDatabaseBackupFiles;
}

/** Where the registry database's backup credentials are in the container (root-only files). */
export interface RegistryDatabaseBackupFiles {
  /** `gitlab_rails['backup_registry_password']`: the `registry_backup` role `gitlab-backup create` dumps with. */
  readonly backupPasswordFile: string;
  /** `gitlab_rails['restore_registry_password']`: the `registry_restore` role `gitlab-backup restore` loads with. */
  readonly restorePasswordFile: string;
}

/** Where GitLab's PostgreSQL runs. Only the bundled one today; an external database (RDS) is a later option. */
export type GitLabDatabase = "bundled" | "external";

/**
 * Whether the container registry keeps its metadata in GitLab's PostgreSQL, so that a backup must
 * include that database: the registry is on, PostgreSQL is the bundled one (without it omnibus turns
 * `"prefer"` into `"false"`, gitlab/libraries/registry.rb; an external database's backup is that
 * service's job), and the version is one whose registry uses the database by default and has the backup role
 * (`REGISTRY_DATABASE_DEFAULT_SINCE`, after `REGISTRY_BACKUP_ROLE_SINCE`). With the role on and no
 * such database, `gitlab-backup` would try to dump a database the registry does not use.
 */
export function registryDatabaseInUse(v: {
  readonly version: GitLabVersion;
  readonly registryEnabled: boolean;
  readonly database: GitLabDatabase;
}): boolean {
  return (
    v.registryEnabled &&
    v.database === "bundled" &&
    atLeast(v.version, REGISTRY_DATABASE_DEFAULT_SINCE) &&
    atLeast(v.version, REGISTRY_BACKUP_ROLE_SINCE)
  );
}

/** The TLS part of gitlab.rb. */
export type GitLabRbTls =
  | { readonly mode: "off" }
  /** Let's Encrypt (omnibus's integration), with the addresses expiry notices go to (default none). */
  | { readonly mode: "letsencrypt"; readonly contactEmails?: readonly string[] }
  /** A certificate from the stack CA: the files Pulumi uploads into the container, root-only key. */
  | { readonly mode: "selfSigned"; readonly certificateFile: string; readonly keyFile: string };

/**
 * An NGINX setting of one of omnibus's services, where the version reads it: from omnibus 19.2
 * `gitlab_rails['nginx'][key]` and `registry['nginx'][key]`; before, `nginx[key]` and
 * `registry_nginx[key]` (19.2 still translates the old keys, printing "nginx['<key>'] has been
 * deprecated. Please use gitlab_rails['nginx']['<key>'] instead." on every reconfigure:
 * files/gitlab-cookbooks/gitlab/libraries/gitlab_rails.rb `translate_client_settings`).
 */
function serviceNginx(
  version: GitLabVersion,
  service: "rails" | "registry",
  key: string,
  value: RubyValue,
  comment?: string,
): GitLabRbSetting {
  const current = atLeast(version, SERVICE_NGINX_KEYS_SINCE);
  const place: Pick<Extract<GitLabRbSetting, { kind: "assign" }>, "scope" | "key"> = current
    ? { scope: service === "rails" ? "gitlab_rails" : "registry", key: ["nginx", key] }
    : { scope: service === "rails" ? "nginx" : "registry_nginx", key };
  return { kind: "assign", ...place, value, ...(comment === undefined ? {} : { comment }) };
}

/** GitLab's settings for this stack, in the order they are written. */
export function gitLabSettings(v: GitLabRbValues): GitLabRbSetting[] {
  const refused = unsupportedGitLabVersion(v.version);
  if (refused !== undefined) throw new Error(`gitlab.rb: expected ${refused}`);
  const railsNginx = (key: string, value: RubyValue, comment?: string): GitLabRbSetting =>
    serviceNginx(v.version, "rails", key, value, comment);
  const registryNginx = (key: string, value: RubyValue): GitLabRbSetting =>
    serviceNginx(v.version, "registry", key, value);
  const url = new URL(v.externalUrl);
  const settings: GitLabRbSetting[] = [{ kind: "call", method: "external_url", value: v.externalUrl }];
  const tls: GitLabRbTls = v.tls ?? (url.protocol === "http:" ? { mode: "off" } : { mode: "letsencrypt" });
  if ((tls.mode === "off") !== (url.protocol === "http:")) {
    throw new Error(`gitlab.rb: TLS mode ${tls.mode} does not fit the external URL ${v.externalUrl}`);
  }
  if (tls.mode === "off") {
    // NGINX would otherwise listen on the external URL's port (8080 locally) inside the
    // container, while Docker publishes the host port to the container's port 80.
    settings.push(
      railsNginx(
        "listen_port",
        80,
        "Listen on 80 in the container whatever port the external URL names: Docker maps the host port to it.",
      ),
    );
    settings.push(railsNginx("listen_https", false));
  } else if (tls.mode === "selfSigned") {
    settings.push(
      railsNginx(
        "ssl_certificate",
        tls.certificateFile,
        "The stack CA's certificate for this host (Pulumi uploads it; the key is root-only).",
      ),
    );
    settings.push(railsNginx("ssl_certificate_key", tls.keyFile));
    settings.push(railsNginx("redirect_http_to_https", true, "Port 80 only redirects to https."));
    settings.push({
      kind: "assign",
      scope: "letsencrypt",
      key: "enable",
      value: false,
      comment: "No Let's Encrypt: the certificate comes from the stack CA.",
    });
  } else {
    settings.push({
      kind: "assign",
      scope: "letsencrypt",
      key: "enable",
      value: true,
      comment:
        "Let's Encrypt's HTTP-01 challenge comes to port 80; the DNS name must point at this host before GitLab starts.",
    });
    if (tls.contactEmails !== undefined && tls.contactEmails.length > 0) {
      settings.push({ kind: "assign", scope: "letsencrypt", key: "contact_emails", value: [...tls.contactEmails] });
    }
    settings.push(railsNginx("redirect_http_to_https", true, "Port 80 redirects to https and answers the challenge."));
  }
  settings.push({
    kind: "assign",
    scope: "gitlab_rails",
    key: "gitlab_shell_ssh_port",
    value: v.sshPort,
    comment: "The host port published to the container's SSH, so clone URLs show it.",
  });
  if (v.registryUrl !== undefined) {
    // Always explicit: with Let's Encrypt and no registry URL, omnibus would turn the registry on at
    // port 5050 of GitLab's name (gitlab/libraries/registry.rb `auto_enable`), a port nothing publishes.
    settings.push({ kind: "call", method: "registry_external_url", value: v.registryUrl });
    if (tls.mode === "selfSigned") {
      settings.push(registryNginx("ssl_certificate", tls.certificateFile));
      settings.push(registryNginx("ssl_certificate_key", tls.keyFile));
    }
  } else {
    settings.push({
      kind: "assign",
      scope: "registry",
      key: "enable",
      value: false,
      // Explicitly off also stops omnibus's Let's Encrypt auto-enable of the registry on port 5050.
      comment: "The container registry is off (gitlab.registryPort is 0).",
    });
    settings.push({ kind: "assign", scope: "gitlab_rails", key: "registry_enabled", value: false });
  }
  settings.push({
    kind: "assign",
    scope: "gitlab_rails",
    key: "monitoring_whitelist",
    value: [...v.monitoringAllowlist],
    comment: "Who may read /-/health and /-/readiness: `pulumi up` waits on them.",
  });
  settings.push({
    kind: "assign",
    scope: "gitlab_rails",
    key: "initial_root_password",
    value: { fileContents: v.rootPasswordFile },
    comment:
      "Read from a root-only file Pulumi uploads, so the password is in no environment variable.\nOnly used when GitLab first creates its database: changing it later does not change root's password.",
  });
  settings.push({ kind: "assign", scope: "gitlab_rails", key: "store_initial_root_password", value: false });
  settings.push({
    kind: "assign",
    scope: "gitlab_rails",
    key: "backup_keep_time",
    value: BACKUP_KEEP_TIME_SECONDS,
    comment:
      "Backups live in S3 (or backup.localDir); gitlab-backup create prunes local archives older than this, e.g. one\nwhose upload failed. Longer than a backup takes, or a slow backup prunes itself (gitlab-org/gitlab#19251).",
  });
  if (v.registryDatabaseBackup !== undefined) {
    if (v.registryUrl === undefined) {
      throw new Error("gitlab.rb: the registry database's backup credentials were given with the registry off");
    }
    if (!atLeast(v.version, REGISTRY_BACKUP_ROLE_SINCE)) {
      throw new Error(
        `gitlab.rb: gitlab_rails['backup_role'] exists from GitLab ${REGISTRY_BACKUP_ROLE_SINCE.major}.${REGISTRY_BACKUP_ROLE_SINCE.minor}`,
      );
    }
    settings.push({
      kind: "assign",
      scope: "gitlab_rails",
      key: "backup_role",
      value: true,
      comment:
        "The registry keeps its metadata in PostgreSQL: gitlab-backup dumps and restores that database with these\nroles, which reconfigure creates (registry_backup, registry_restore). The passwords are in root-only files.",
    });
    settings.push({
      kind: "assign",
      scope: "gitlab_rails",
      key: "backup_registry_password",
      value: { fileContents: v.registryDatabaseBackup.backupPasswordFile },
    });
    settings.push({
      kind: "assign",
      scope: "gitlab_rails",
      key: "restore_registry_password",
      value: { fileContents: v.registryDatabaseBackup.restorePasswordFile },
    });
  }
  return settings;
}
