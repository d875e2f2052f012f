import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { requireTool } from "../support/tools";
import {
  gitLabSettings,
  registryDatabaseInUse,
  renderGitLabRb,
  rubyLiteral,
  rubyString,
  type GitLabRbSetting,
  type GitLabRbValues,
} from "../../infra/gitlab/gitlab-rb";
import {
  OLDEST_SUPPORTED_GITLAB,
  REGISTRY_BACKUP_ROLE_SINCE,
  REGISTRY_DATABASE_DEFAULT_SINCE,
  SERVICE_NGINX_KEYS_SINCE,
} from "../../infra/gitlab/versions";
import { renderBootstrapScript } from "../../infra/gitlab/bootstrap-token";
import { parseGitLabVersion, type GitLabVersion } from "../../infra/upgrade-guard/upgrade-stops";

const V19_3: GitLabVersion = { major: 19, minor: 3, patch: 0 };

const base = {
  version: V19_3,
  externalUrl: "http://localhost:8080",
  sshPort: 10022,
  registryUrl: "http://localhost:4567" as string | undefined,
  rootPasswordFile: "/opt/gitlab-dind/root-password",
  monitoringAllowlist: ["127.0.0.0/8", "::1/128"],
};

/** One value set per TLS mode, as the GitLab component passes them. */
const MODES = {
  off: base,
  selfSigned: {
    ...base,
    externalUrl: "https://3.120.0.10",
    registryUrl: "https://3.120.0.10:4567",
    tls: {
      mode: "selfSigned",
      certificateFile: "/opt/gitlab-dind/tls/gitlab.crt",
      keyFile: "/opt/gitlab-dind/tls/gitlab.key",
    },
  },
  letsencrypt: {
    ...base,
    externalUrl: "https://gitlab.example.com",
    registryUrl: "https://gitlab.example.com:4567",
    tls: { mode: "letsencrypt", contactEmails: ["ops@example.com"] },
  },
} as const satisfies Record<string, GitLabRbValues>;

/** Ruby's reading of a string literal, done by hand: only \\ and \' are escapes in '…'. */
function unquoteSingle(literal: string): string {
  expect(literal.startsWith("'") && literal.endsWith("'")).toBe(true);
  const body = literal.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\" && (body[i + 1] === "\\" || body[i + 1] === "'")) {
      out += body[i + 1];
      i++;
    } else {
      // An unescaped quote would end the literal early: the injection we guard against.
      expect(c).not.toBe("'");
      out += c;
    }
  }
  return out;
}

const NASTY = [
  "plain",
  "it's",
  "back\\slash",
  "ends with backslash\\",
  "\\'",
  "'; system('id'); '",
  "#{`id`}",
  '"double" #{ENV}',
  "new\nline",
  "unicode é ✓",
  "",
];

describe("rubyString", () => {
  it.each(NASTY)("round-trips %j through Ruby's single-quote rules", (s) => {
    expect(unquoteSingle(rubyString(s))).toBe(s);
  });

  it("never lets a quote or #{} escape the literal", () => {
    expect(rubyString("'; system('id'); '")).toBe("'\\'; system(\\'id\\'); \\''");
    expect(rubyString("#{`id`}")).toBe("'#{`id`}'");
  });

  it("refuses NUL, which cannot travel in an environment variable", () => {
    expect(() => rubyString("a\0b")).toThrow(/NUL/);
  });
});

describe("rubyLiteral", () => {
  it("writes integers, booleans and lists", () => {
    expect(rubyLiteral(10022)).toBe("10022");
    expect(rubyLiteral(false)).toBe("false");
    expect(rubyLiteral(["a", 1, true])).toBe("['a', 1, true]");
  });

  it("writes hashes with string keys in the order given, nested in lists and hashes", () => {
    expect(rubyLiteral({ rubyHash: {} })).toBe("{}");
    expect(
      rubyLiteral({ rubyHash: { s3: { rubyHash: { bucket: "b'x", encrypt: true } }, list: [{ rubyHash: { a: 1 } }] } }),
    ).toBe("{ 's3' => { 'bucket' => 'b\\'x', 'encrypt' => true }, 'list' => [{ 'a' => 1 }] }");
  });

  it("refuses numbers that are not integers", () => {
    expect(() => rubyLiteral(1.5)).toThrow(/not an integer/);
    expect(() => rubyLiteral(Number.NaN)).toThrow(/not an integer/);
  });
});

describe("renderGitLabRb", () => {
  it("renders the stack's settings (local, registry on)", () => {
    expect(renderGitLabRb(gitLabSettings(base))).toBe(
      [
        "# Rendered by gitlab-dind; GitLab reads it from GITLAB_OMNIBUS_CONFIG before /etc/gitlab/gitlab.rb.",
        "external_url 'http://localhost:8080'",
        "# Listen on 80 in the container whatever port the external URL names: Docker maps the host port to it.",
        "gitlab_rails['nginx']['listen_port'] = 80",
        "gitlab_rails['nginx']['listen_https'] = false",
        "# The host port published to the container's SSH, so clone URLs show it.",
        "gitlab_rails['gitlab_shell_ssh_port'] = 10022",
        "registry_external_url 'http://localhost:4567'",
        "# Who may read /-/health and /-/readiness: `pulumi up` waits on them.",
        "gitlab_rails['monitoring_whitelist'] = ['127.0.0.0/8', '::1/128']",
        "# Read from a root-only file Pulumi uploads, so the password is in no environment variable.",
        "# Only used when GitLab first creates its database: changing it later does not change root's password.",
        "gitlab_rails['initial_root_password'] = File.read('/opt/gitlab-dind/root-password').chomp",
        "gitlab_rails['store_initial_root_password'] = false",
        "# Backups live in S3 (or backup.localDir); gitlab-backup create prunes local archives older than this, e.g. one",
        "# whose upload failed. Longer than a backup takes, or a slow backup prunes itself (gitlab-org/gitlab#19251).",
        "gitlab_rails['backup_keep_time'] = 172800",
        "",
      ].join("\n"),
    );
  });

  it("turns the registry off when there is no registry URL", () => {
    const rb = renderGitLabRb(gitLabSettings({ ...base, registryUrl: undefined }));
    expect(rb).not.toContain("registry_external_url");
    expect(rb).toContain("registry['enable'] = false");
    expect(rb).toContain("gitlab_rails['registry_enabled'] = false");
  });

  it("leaves NGINX's ports alone for an https external URL (GitLab serves 443 itself)", () => {
    const rb = renderGitLabRb(gitLabSettings({ ...base, externalUrl: "https://gitlab.example.com" }));
    expect(rb).toContain("external_url 'https://gitlab.example.com'");
    expect(rb).not.toContain("['listen_port']");
    expect(rb).not.toContain("['listen_https']");
  });

  it("writes no Rails NGINX setting under the nginx[...] keys omnibus 19.2 deprecated, in any mode", () => {
    for (const rb of Object.values(MODES).map((v) => renderGitLabRb(gitLabSettings(v)))) {
      expect(rb).not.toMatch(/^nginx\[/m);
    }
  });

  it("selfSigned: the uploaded certificate for GitLab and the registry, port 80 redirecting, no Let's Encrypt", () => {
    const rb = renderGitLabRb(gitLabSettings(MODES.selfSigned));
    expect(rb).toContain("external_url 'https://3.120.0.10'");
    expect(rb).toContain("gitlab_rails['nginx']['ssl_certificate'] = '/opt/gitlab-dind/tls/gitlab.crt'");
    expect(rb).toContain("gitlab_rails['nginx']['ssl_certificate_key'] = '/opt/gitlab-dind/tls/gitlab.key'");
    expect(rb).toContain("gitlab_rails['nginx']['redirect_http_to_https'] = true");
    expect(rb).toContain("letsencrypt['enable'] = false");
    expect(rb).toContain("registry_external_url 'https://3.120.0.10:4567'");
    expect(rb).toContain("registry['nginx']['ssl_certificate'] = '/opt/gitlab-dind/tls/gitlab.crt'");
    expect(rb).toContain("registry['nginx']['ssl_certificate_key'] = '/opt/gitlab-dind/tls/gitlab.key'");
  });

  it("letsencrypt: enabled with the contact address, the registry on the configured port (never omnibus's 5050)", () => {
    const rb = renderGitLabRb(gitLabSettings(MODES.letsencrypt));
    expect(rb).toContain("letsencrypt['enable'] = true");
    expect(rb).toContain("letsencrypt['contact_emails'] = ['ops@example.com']");
    expect(rb).toContain("registry_external_url 'https://gitlab.example.com:4567'");
    expect(rb).not.toContain("ssl_certificate");
    const off = renderGitLabRb(gitLabSettings({ ...MODES.letsencrypt, registryUrl: undefined }));
    // Explicitly off: omnibus's auto-enable (registry on port 5050 with Let's Encrypt) does not run.
    expect(off).toContain("registry['enable'] = false");
  });

  it("refuses a TLS mode that does not fit the URL's scheme", () => {
    expect(() => gitLabSettings({ ...base, tls: { mode: "letsencrypt" } })).toThrow(/does not fit/);
    expect(() => gitLabSettings({ ...MODES.selfSigned, tls: { mode: "off" } })).toThrow(/does not fit/);
  });

  it("writes nested keys, each checked", () => {
    expect(
      renderGitLabRb([{ kind: "assign", scope: "gitlab_rails", key: ["nginx", "hsts_max_age"], value: 1 }]),
    ).toContain("gitlab_rails['nginx']['hsts_max_age'] = 1");
    expect(() =>
      renderGitLabRb([{ kind: "assign", scope: "gitlab_rails", key: ["nginx", "x'] = 1; y['"], value: 1 }]),
    ).toThrow(/not a setting key/);
    expect(() => renderGitLabRb([{ kind: "assign", scope: "gitlab_rails", key: [], value: 1 }])).toThrow(
      /no setting key/,
    );
  });

  it("reads a file's contents with its path quoted, and refuses a relative path", () => {
    expect(rubyLiteral({ fileContents: "/opt/x'; system('id'); '" })).toBe(
      "File.read('/opt/x\\'; system(\\'id\\'); \\'').chomp",
    );
    expect(() => rubyLiteral({ fileContents: "root-password" })).toThrow(/not an absolute path/);
  });

  it("refuses setting names that are not identifiers", () => {
    const bad: GitLabRbSetting[] = [{ kind: "assign", scope: "gitlab_rails", key: "x'] = 1; y['", value: 1 }];
    expect(() => renderGitLabRb(bad)).toThrow(/not a setting key/);
    expect(() => renderGitLabRb([{ kind: "call", method: "system 'id'; external_url", value: "x" }])).toThrow(
      /not a setting name/,
    );
  });
});

/** omnibus-gitlab's gitlab.rb keys at one tag (test/gitlab/omnibus-keys: source, commit and method inside). */
interface OmnibusKeys {
  readonly source: string;
  readonly tag: string;
  readonly commit: string;
  readonly tagDate: string;
  readonly extractedOn: string;
  readonly method: string;
  readonly keys: readonly string[];
}

/** The vendored tags: the oldest supported release, the last one before 19.2's NGINX keys, 19.2, and the pinned one. */
const TAGS = ["16.0.0+ce.0", "19.1.0+ce.0", "19.2.0+ce.0", "19.3.0+ce.0"] as const;
const OMNIBUS: Record<string, OmnibusKeys & { readonly set: ReadonlySet<string> }> = Object.fromEntries(
  TAGS.map((tag) => {
    const list = JSON.parse(readFileSync(join(__dirname, "omnibus-keys", `${tag}.json`), "utf8")) as OmnibusKeys;
    return [tag, { ...list, set: new Set(list.keys) }];
  }),
);

/** The version of a tag (`19.3.0+ce.0` is GitLab 19.3.0). */
const versionOf = (tag: string): GitLabVersion => parseGitLabVersion(tag.split("+")[0])!;

/** The keys a list of settings writes, as the vendored lists spell them: `gitlab_rails[nginx][listen_port]`, `external_url`. */
function emittedKeys(settings: readonly GitLabRbSetting[]): string[] {
  return settings.map((s) =>
    s.kind === "call"
      ? s.method
      : `${s.scope}${(typeof s.key === "string" ? [s.key] : s.key).map((k) => `[${k}]`).join("")}`,
  );
}

const BACKUP_FILES = {
  backupPasswordFile: "/opt/gitlab-dind/registry-backup-password",
  restorePasswordFile: "/opt/gitlab-dind/registry-restore-password",
};

/**
 * Every gitlab.rb the program can write for a version: each TLS mode, the registry on and off, and
 * the registry database's backup role where the component turns it on (bundled PostgreSQL).
 */
function renderingsFor(version: GitLabVersion): { readonly name: string; readonly values: GitLabRbValues }[] {
  const out: { name: string; values: GitLabRbValues }[] = [];
  for (const [mode, values] of Object.entries(MODES)) {
    for (const registry of [true, false]) {
      const registryUrl = registry ? values.registryUrl : undefined;
      const role = registryDatabaseInUse({ version, registryEnabled: registry, database: "bundled" });
      out.push({
        name: `${mode}, registry ${registry ? "on" : "off"}${role ? ", backup role" : ""}`,
        values: { ...values, version, registryUrl, ...(role ? { registryDatabaseBackup: BACKUP_FILES } : {}) },
      });
    }
  }
  return out;
}

describe("gitlab.rb per GitLab version", () => {
  it("writes the NGINX keys the version reads: nginx[...] and registry_nginx[...] before 19.2, gitlab_rails['nginx'] and registry['nginx'] from 19.2", () => {
    const before = renderGitLabRb(gitLabSettings({ ...MODES.selfSigned, version: { major: 19, minor: 1, patch: 6 } }));
    expect(before).toContain("nginx['ssl_certificate'] = '/opt/gitlab-dind/tls/gitlab.crt'");
    expect(before).toContain("nginx['redirect_http_to_https'] = true");
    expect(before).toContain("registry_nginx['ssl_certificate'] = '/opt/gitlab-dind/tls/gitlab.crt'");
    expect(before).toContain("registry_nginx['ssl_certificate_key'] = '/opt/gitlab-dind/tls/gitlab.key'");
    expect(before).not.toContain("['nginx']");
    const local = renderGitLabRb(gitLabSettings({ ...base, version: OLDEST_SUPPORTED_GITLAB }));
    expect(local).toMatch(/^nginx\['listen_port'\] = 80$/m);
    expect(local).toMatch(/^nginx\['listen_https'\] = false$/m);

    const from = renderGitLabRb(gitLabSettings({ ...MODES.selfSigned, version: SERVICE_NGINX_KEYS_SINCE }));
    expect(from).toContain("gitlab_rails['nginx']['ssl_certificate'] = '/opt/gitlab-dind/tls/gitlab.crt'");
    expect(from).toContain("registry['nginx']['ssl_certificate'] = '/opt/gitlab-dind/tls/gitlab.crt'");
    expect(from).not.toMatch(/^(nginx|registry_nginx)\[/m);
  });

  it("refuses a GitLab older than the oldest supported one", () => {
    expect(() => gitLabSettings({ ...base, version: { major: 15, minor: 11, patch: 13 } })).toThrow(
      /expected GitLab 16\.0\.0 or later .*POST \/user\/runners.*this image is GitLab 15\.11\.13/,
    );
    expect(() => gitLabSettings({ ...base, version: OLDEST_SUPPORTED_GITLAB })).not.toThrow();
  });

  it("the registry database is in backups exactly when the registry is on, PostgreSQL is bundled and GitLab is 19.0 or later", () => {
    const on = { version: V19_3, registryEnabled: true, database: "bundled" } as const;
    expect(registryDatabaseInUse(on)).toBe(true);
    expect(registryDatabaseInUse({ ...on, version: REGISTRY_DATABASE_DEFAULT_SINCE })).toBe(true);
    // 18.11 has the backup role, but its registry keeps metadata on the filesystem by default ("false").
    expect(registryDatabaseInUse({ ...on, version: { major: 18, minor: 11, patch: 11 } })).toBe(false);
    expect(registryDatabaseInUse({ ...on, registryEnabled: false })).toBe(false);
    // An external PostgreSQL (RDS, later): omnibus's "prefer" falls back to the filesystem.
    expect(registryDatabaseInUse({ ...on, database: "external" })).toBe(false);
  });

  it("configures the backup role with both passwords read from root-only files, never written in the text", () => {
    const rb = renderGitLabRb(gitLabSettings({ ...MODES.selfSigned, registryDatabaseBackup: BACKUP_FILES }));
    expect(rb).toContain("gitlab_rails['backup_role'] = true");
    expect(rb).toContain(
      "gitlab_rails['backup_registry_password'] = File.read('/opt/gitlab-dind/registry-backup-password').chomp",
    );
    expect(rb).toContain(
      "gitlab_rails['restore_registry_password'] = File.read('/opt/gitlab-dind/registry-restore-password').chomp",
    );
    const without = renderGitLabRb(gitLabSettings(MODES.selfSigned));
    expect(without).not.toContain("backup_role");
    expect(without).not.toContain("registry_password");
  });

  it("refuses the backup role with the registry off or before omnibus has it", () => {
    expect(() =>
      gitLabSettings({ ...MODES.selfSigned, registryUrl: undefined, registryDatabaseBackup: BACKUP_FILES }),
    ).toThrow(/registry off/);
    expect(() =>
      gitLabSettings({
        ...MODES.selfSigned,
        version: { major: 18, minor: 10, patch: 3 },
        registryDatabaseBackup: BACKUP_FILES,
      }),
    ).toThrow(/backup_role'\] exists from GitLab 18\.11/);
  });
});

describe("gitlab.rb against omnibus-gitlab's own key lists", () => {
  it("the vendored lists say where they come from", () => {
    for (const tag of TAGS) {
      const list = OMNIBUS[tag];
      expect(list.tag).toBe(tag);
      expect(list.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(list.source).toContain("omnibus-gitlab");
      expect(list.tagDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(list.keys.length).toBeGreaterThan(1000);
    }
  });

  it("the version gates match the lists: NGINX keys moved in 19.2, the backup role exists by 19.1 and not in 16.0", () => {
    const [v16, v19_1, v19_2, v19_3] = TAGS.map((t) => OMNIBUS[t].set);
    expect(versionOf("19.2.0+ce.0")).toEqual(SERVICE_NGINX_KEYS_SINCE);
    for (const key of ["gitlab_rails[nginx][ssl_certificate]", "registry[nginx][ssl_certificate]"]) {
      expect([v16.has(key), v19_1.has(key), v19_2.has(key), v19_3.has(key)]).toEqual([false, false, true, true]);
    }
    for (const key of ["registry_nginx[ssl_certificate]"]) {
      expect([v16.has(key), v19_1.has(key), v19_2.has(key), v19_3.has(key)]).toEqual([true, true, false, false]);
    }
    for (const key of [
      "gitlab_rails[backup_role]",
      "gitlab_rails[backup_registry_password]",
      "gitlab_rails[restore_registry_password]",
    ]) {
      expect([v16.has(key), v19_1.has(key), v19_3.has(key)]).toEqual([false, true, true]);
    }
    expect(REGISTRY_BACKUP_ROLE_SINCE).toEqual({ major: 18, minor: 11, patch: 0 });
  });

  it.each(TAGS)("every key of every rendering for %s is one omnibus knows at that tag", (tag) => {
    const version = versionOf(tag);
    const unknown: string[] = [];
    for (const { name, values } of renderingsFor(version)) {
      for (const key of emittedKeys(gitLabSettings(values))) {
        if (!OMNIBUS[tag].set.has(key)) unknown.push(`${name}: ${key}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it("would catch a key of the wrong version: 19.3's rendering is not 19.1's, nor 19.1's 19.3's", () => {
    const keysAt = (tag: string) =>
      new Set(renderingsFor(versionOf(tag)).flatMap(({ values }) => emittedKeys(gitLabSettings(values))));
    expect([...keysAt("19.3.0+ce.0")].filter((k) => !OMNIBUS["19.1.0+ce.0"].set.has(k)).sort()).toEqual([
      "gitlab_rails[nginx][listen_https]",
      "gitlab_rails[nginx][listen_port]",
      "gitlab_rails[nginx][redirect_http_to_https]",
      "gitlab_rails[nginx][ssl_certificate]",
      "gitlab_rails[nginx][ssl_certificate_key]",
      "registry[nginx][ssl_certificate]",
      "registry[nginx][ssl_certificate_key]",
    ]);
    expect([...keysAt("19.1.0+ce.0")].filter((k) => !OMNIBUS["19.3.0+ce.0"].set.has(k)).sort()).toEqual([
      "registry_nginx[ssl_certificate]",
      "registry_nginx[ssl_certificate_key]",
    ]);
  });
});

// Ruby itself (`apt-get install ruby`; required under CI=true): the rendered file parses, and
// every value reads back exactly.
const hasRuby = requireTool("ruby", "apt-get install ruby");
describe.skipIf(!hasRuby)("with Ruby", () => {
  const STUB = [
    "require 'json'",
    "$set = {}",
    // Like omnibus's auto-vivifying ConfigMash while it reads gitlab.rb: `a['b']['c'] = v` works.
    'class Scope; def initialize(n); @n = n; end; def []=(k, v); $set["#{@n}[#{k}]"] = v; end; def [](k); Scope.new("#{@n}[#{k}]"); end; end',
    "%w[gitlab_rails nginx registry registry_nginx letsencrypt].each { |n| Object.send(:define_method, n) { (@scopes ||= {})[n] ||= Scope.new(n) } }",
    "def external_url(v); $set['external_url'] = v; end",
    "def registry_external_url(v); $set['registry_external_url'] = v; end",
  ].join("\n");

  it("parses the rendered gitlab.rb and reads every hostile password back from its file", () => {
    const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-gitlab-rb-"));
    try {
      const passwords = NASTY.filter((s) => s !== "");
      // One Ruby process for every password: each gitlab.rb is evaluated on its own, fresh settings.
      const rbs = passwords.map((password, i) => {
        const file = join(dir, `root-password-${i}`);
        writeFileSync(file, password);
        return renderGitLabRb(gitLabSettings({ ...base, rootPasswordFile: file }));
      });
      const out = execFileSync(
        "ruby",
        [
          "-e",
          `${STUB}
puts JSON.generate(JSON.parse(STDIN.read).map { |rb| $set = {}; @scopes = nil; eval(rb); $set })`,
        ],
        { input: JSON.stringify(rbs) },
      ).toString();
      const sets = JSON.parse(out) as Record<string, unknown>[];
      expect(sets).toHaveLength(passwords.length);
      passwords.forEach((password, i) => {
        const set = sets[i];
        expect(set["gitlab_rails[initial_root_password]"]).toBe(password);
        expect(set["gitlab_rails[gitlab_shell_ssh_port]"]).toBe(10022);
        expect(set["gitlab_rails[monitoring_whitelist]"]).toEqual(["127.0.0.0/8", "::1/128"]);
        expect(set["external_url"]).toBe("http://localhost:8080");
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads a nested hash back exactly, with a hostile key and a file's contents inside", () => {
    const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-gitlab-rb-"));
    try {
      const file = join(dir, "secret");
      writeFileSync(file, "s'e#{c}ret\n");
      const rb = renderGitLabRb([
        {
          kind: "assign",
          scope: "registry",
          key: "storage",
          value: {
            rubyHash: {
              s3: {
                rubyHash: { bucket: "dev-registry", "k'#{x}": [1, { rubyHash: { secret: { fileContents: file } } }] },
              },
            },
          },
        },
      ]);
      const out = execFileSync("ruby", ["-e", `${STUB}\neval(STDIN.read)\nputs JSON.generate($set)`], { input: rb });
      expect(JSON.parse(out.toString())).toEqual({
        "registry[storage]": { s3: { bucket: "dev-registry", "k'#{x}": [1, { secret: "s'e#{c}ret" }] } },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every TLS mode's gitlab.rb passes `ruby -c` and sets the 19.2+ keys with the right values", () => {
    const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-rb-"));
    try {
      const file = join(dir, "root-password");
      writeFileSync(file, "pw");
      const sets: Record<string, Record<string, unknown>> = {};
      for (const [mode, values] of Object.entries(MODES)) {
        const rb = renderGitLabRb(gitLabSettings({ ...values, rootPasswordFile: file }));
        expect(spawnSync("ruby", ["-c"], { input: rb }).stdout.toString()).toContain("Syntax OK");
        const out = execFileSync("ruby", ["-e", `${STUB}\neval(STDIN.read)\nputs JSON.generate($set)`], { input: rb });
        sets[mode] = JSON.parse(out.toString()) as Record<string, unknown>;
      }
      expect(sets.off).toMatchObject({
        "gitlab_rails[nginx][listen_port]": 80,
        "gitlab_rails[nginx][listen_https]": false,
      });
      expect(sets.selfSigned).toMatchObject({
        external_url: "https://3.120.0.10",
        "gitlab_rails[nginx][ssl_certificate]": "/opt/gitlab-dind/tls/gitlab.crt",
        "gitlab_rails[nginx][ssl_certificate_key]": "/opt/gitlab-dind/tls/gitlab.key",
        "gitlab_rails[nginx][redirect_http_to_https]": true,
        "letsencrypt[enable]": false,
        "registry[nginx][ssl_certificate]": "/opt/gitlab-dind/tls/gitlab.crt",
      });
      expect(sets.letsencrypt).toMatchObject({
        "letsencrypt[enable]": true,
        "letsencrypt[contact_emails]": ["ops@example.com"],
        "gitlab_rails[nginx][redirect_http_to_https]": true,
        registry_external_url: "https://gitlab.example.com:4567",
      });
      for (const set of Object.values(sets)) {
        expect(Object.keys(set).filter((k) => k.startsWith("nginx["))).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("evaluates every rendering of every vendored version: each key Ruby sets is one omnibus knows, the role's passwords read from their files", () => {
    const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-rb-versions-"));
    try {
      const files = {
        backupPasswordFile: join(dir, "registry-backup-password"),
        restorePasswordFile: join(dir, "registry-restore-password"),
      };
      writeFileSync(files.backupPasswordFile, "B4ckupPassw0rd\n");
      writeFileSync(files.restorePasswordFile, "R3storePassw0rd\n");
      writeFileSync(join(dir, "root-password"), "pw");
      const cases = TAGS.flatMap((tag) =>
        renderingsFor(versionOf(tag)).map(({ name, values }) => ({
          tag,
          name,
          rb: renderGitLabRb(
            gitLabSettings({
              ...values,
              rootPasswordFile: join(dir, "root-password"),
              ...(values.registryDatabaseBackup === undefined ? {} : { registryDatabaseBackup: files }),
            }),
          ),
        })),
      );
      // One Ruby process for all of them, each evaluated on fresh settings.
      const out = execFileSync(
        "ruby",
        [
          "-e",
          `${STUB}
puts JSON.generate(JSON.parse(STDIN.read).map { |rb| $set = {}; @scopes = nil; eval(rb); $set })`,
        ],
        { input: JSON.stringify(cases.map((c) => c.rb)) },
      ).toString();
      const sets = JSON.parse(out) as Record<string, unknown>[];
      expect(sets).toHaveLength(cases.length);
      const unknown: string[] = [];
      let withRole = 0;
      cases.forEach(({ tag, name }, i) => {
        for (const key of Object.keys(sets[i])) {
          if (!OMNIBUS[tag].set.has(key)) unknown.push(`${tag} ${name}: ${key}`);
        }
        if (name.includes("backup role")) {
          withRole++;
          expect(sets[i]).toMatchObject({
            "gitlab_rails[backup_role]": true,
            "gitlab_rails[backup_registry_password]": "B4ckupPassw0rd",
            "gitlab_rails[restore_registry_password]": "R3storePassw0rd",
          });
        } else {
          expect(sets[i]).not.toHaveProperty(["gitlab_rails[backup_role]"]);
        }
      });
      expect(unknown).toEqual([]);
      // Registry on, three TLS modes, at 19.1, 19.2 and 19.3 (16.0 has no registry database by default).
      expect(withRole).toBe(9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the bootstrap script is valid Ruby", () => {
    for (const allowSignup of [true, false]) {
      const result = spawnSync("ruby", ["-c"], { input: renderBootstrapScript({ allowSignup }) });
      expect(result.stdout.toString()).toContain("Syntax OK");
    }
  });
});
