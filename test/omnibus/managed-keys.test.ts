/**
 * The keys `gitlab.omnibus` may not set (infra/omnibus/managed-keys.ts) against what the program
 * really writes, so the list cannot fall behind the renderer; and the top-level names it accepts
 * (infra/gitlab/omnibus-top-level-names.ts) against the vendored omnibus key lists.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitLabSettings, renderGitLabRb, type GitLabRbValues } from "../../infra/gitlab/gitlab-rb";
import { OMNIBUS_HASH_NAMES, OMNIBUS_VALUE_NAMES } from "../../infra/gitlab/omnibus-top-level-names";
import { OLDEST_SUPPORTED_GITLAB, SERVICE_NGINX_KEYS_SINCE } from "../../infra/gitlab/versions";
import { MANAGED_KEYS, managedKeyOf } from "../../infra/omnibus/managed-keys";
import { omnibusProblems } from "../../infra/omnibus/omnibus-settings";
import { planStack } from "../support/stack-plans";

/** Every path a gitlab.rb sets: `external_url`, `gitlab_rails['nginx']['listen_port']` → [gitlab_rails, nginx, listen_port]. */
function pathsOf(rb: string): string[][] {
  const paths: string[][] = [];
  for (const line of rb.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const assign = /^([a-z_][a-z0-9_]*)((?:\['[a-z0-9_]+'\])+) = /.exec(line);
    const call = /^([a-z_][a-z0-9_]*) /.exec(line);
    if (assign !== null) paths.push([assign[1], ...[...assign[2].matchAll(/\['([a-z0-9_]+)'\]/g)].map((m) => m[1])]);
    else if (call !== null) paths.push([call[1]]);
    else throw new Error(`a gitlab.rb line of neither form: ${line}`);
  }
  return paths;
}

const BACKUP_FILES = {
  backupPasswordFile: "/opt/gitlab-dind/registry-backup-password",
  restorePasswordFile: "/opt/gitlab-dind/registry-restore-password",
};

/** Every rendering of gitlab-rb.ts: each TLS mode, registry on and off, with and without the backup role, old and new NGINX keys. */
function everyRendering(): string[] {
  const base: GitLabRbValues = {
    version: { major: 19, minor: 3, patch: 0 },
    externalUrl: "http://localhost:8080",
    sshPort: 10022,
    registryUrl: "http://localhost:4567",
    rootPasswordFile: "/opt/gitlab-dind/root-password",
    monitoringAllowlist: ["127.0.0.0/8"],
  };
  const modes: GitLabRbValues[] = [
    base,
    {
      ...base,
      externalUrl: "https://3.120.0.10",
      registryUrl: "https://3.120.0.10:4567",
      tls: { mode: "selfSigned", certificateFile: "/opt/c.crt", keyFile: "/opt/c.key" },
    },
    {
      ...base,
      externalUrl: "https://gitlab.example.com",
      registryUrl: "https://gitlab.example.com:4567",
      tls: { mode: "letsencrypt", contactEmails: ["ops@example.com"] },
    },
  ];
  const out: string[] = [];
  for (const version of [OLDEST_SUPPORTED_GITLAB, SERVICE_NGINX_KEYS_SINCE, base.version]) {
    for (const mode of modes) {
      out.push(renderGitLabRb(gitLabSettings({ ...mode, version })));
      out.push(renderGitLabRb(gitLabSettings({ ...mode, version, registryUrl: undefined })));
      out.push(
        renderGitLabRb(gitLabSettings({ ...mode, version: base.version, registryDatabaseBackup: BACKUP_FILES })),
      );
    }
  }
  return out;
}

describe("the keys the program manages", () => {
  it("cover every path gitlab-rb.ts writes, in every TLS mode, registry setting and version", () => {
    const paths = everyRendering().flatMap(pathsOf);
    expect(paths.length).toBeGreaterThan(100);
    const unlisted = paths.filter((p) => managedKeyOf(p, true) === undefined).map((p) => p.join("."));
    expect([...new Set(unlisted)]).toEqual([]);
  });

  it.each(["dev", "dev-autoscale", "dev-letsencrypt", "local"])(
    "cover every path the %s stack's plan writes into gitlab.rb, the capabilities' contributions included",
    async (stack) => {
      const rb = (await planStack(stack)).files["gitlab.rb"];
      const paths = pathsOf(rb);
      expect(paths.map((p) => p[0])).toContain("external_url");
      // email on: the email capability's SMTP settings are only written then.
      const unlisted = paths.filter((p) => managedKeyOf(p, true) === undefined).map((p) => p.join("."));
      expect(unlisted).toEqual([]);
    },
  );

  it("leave what teams configure themselves: time zone, sign-in, LDAP, Puma, SMTP without email.enabled", () => {
    for (const path of [
      ["gitlab_rails", "time_zone"],
      ["gitlab_rails", "omniauth_providers"],
      ["gitlab_rails", "ldap_servers"],
      ["gitlab_rails", "gitlab_default_theme"],
      ["puma", "worker_processes"],
      ["pages_external_url"],
    ]) {
      expect(managedKeyOf(path, true), path.join(".")).toBeUndefined();
    }
    expect(managedKeyOf(["gitlab_rails", "smtp_address"], false)).toBeUndefined();
    expect(managedKeyOf(["gitlab_rails", "smtp_address"], true)?.use).toMatch(/email\./);
  });

  it("refuse settings that would move data off the kept directories, wherever they appear", () => {
    for (const path of [
      ["git_data_dirs"],
      ["gitaly", "configuration", "storage"],
      ["gitlab_rails", "repositories_storages"],
      ["gitlab_rails", "shared_path"],
      ["gitlab_rails", "uploads_directory"],
      ["gitlab_rails", "artifacts_path"],
      ["gitlab_rails", "lfs_storage_path"],
    ]) {
      expect(managedKeyOf(path, false)?.why, path.join(".")).toMatch(
        /only \/var\/opt\/gitlab, \/etc\/gitlab and \/var\/log\/gitlab are kept/,
      );
    }
    // Gitaly's other settings stay the team's.
    expect(managedKeyOf(["gitaly", "configuration", "concurrency"], false)).toBeUndefined();
    const problems = omnibusProblems(
      { gitaly: { configuration: { storage: [{ name: "default", path: "/mnt/repos" }] } } },
      { secretNames: new Set(), emailEnabled: false },
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^gitlab-dind:gitlab\.omnibus\.gitaly\.configuration\.storage: gitlab\.rb's gitaly\['configuration'\]\['storage'\] is managed by the program \(where GitLab keeps its data: .*\); use gitlab-dind:host\.dataVolumeGiB/,
      ),
    ]);
  });

  it("each names a config key of this program to use instead", () => {
    for (const key of MANAGED_KEYS) expect(key.use).toMatch(/gitlab-dind:[a-z]+\.[A-Za-z]+|the [a-z]+\.\* keys/);
  });
});

/** omnibus-gitlab's gitlab.rb keys at one tag (test/gitlab/omnibus-keys: source, commit and method inside). */
interface OmnibusKeys {
  readonly tag: string;
  readonly commit: string;
  readonly keys: readonly string[];
}

describe("gitlab.rb's top-level names (infra/gitlab/omnibus-top-level-names.ts)", () => {
  const vendored = JSON.parse(
    readFileSync(join(__dirname, "..", "gitlab", "omnibus-keys", "19.3.0+ce.0.json"), "utf8"),
  ) as OmnibusKeys;
  const names = new Set([...OMNIBUS_HASH_NAMES, ...OMNIBUS_VALUE_NAMES]);

  it("are from the pinned tag's commit", () => {
    const source = readFileSync(join(__dirname, "..", "..", "infra", "gitlab", "omnibus-top-level-names.ts"), "utf8");
    expect(vendored.tag).toBe("19.3.0+ce.0");
    expect(source).toContain(`tag ${vendored.tag} (commit ${vendored.commit})`);
  });

  it("include every top-level name of the vendored 19.3.0 key list, the settings that take one value as calls", () => {
    const tops = new Set(vendored.keys.map((k) => /^[a-z0-9_]+/.exec(k)![0]));
    // Cookbook attributes with no gitlab.rb setting of that name: `default['pgbouncer']…`, the
    // `monitoring` attribute block's parent (its settings are prometheus[…], alertmanager[…], …), runit's own.
    const notGitLabRb = new Set(["default", "monitoring", "runit"]);
    expect([...tops].filter((t) => !names.has(t) && !notGitLabRb.has(t))).toEqual([]);
    for (const call of vendored.keys.filter((k) => !k.includes("["))) expect(OMNIBUS_VALUE_NAMES).toContain(call);
    for (const hash of vendored.keys.filter((k) => k.includes("["))) {
      const top = /^[a-z0-9_]+/.exec(hash)![0];
      if (!notGitLabRb.has(top)) expect(OMNIBUS_HASH_NAMES).toContain(top);
    }
  });

  it("hold no name twice, and none is both a hash and a value", () => {
    expect(names.size).toBe(OMNIBUS_HASH_NAMES.length + OMNIBUS_VALUE_NAMES.length);
  });
});

describe("the SMTP settings the email capability renders", () => {
  it("are all managed while email.enabled is true, and none while it is false", async () => {
    const { EMAIL_MANAGED_KEYS } = await import("../../infra/email");
    const { managedKeyOf } = await import("../../infra/omnibus/managed-keys");
    for (const path of EMAIL_MANAGED_KEYS) {
      expect(managedKeyOf(path, true)?.use, path.join(".")).toMatch(/email\./);
      expect(managedKeyOf(path, false), path.join(".")).toBeUndefined();
    }
  });
});
