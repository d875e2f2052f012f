/**
 * `gitlab.omnibus` and `gitlab.omnibusSecrets` (infra/omnibus): any other gitlab.rb setting, checked
 * at the config's edge (managed keys refused with the key to use, unknown names with the nearest
 * one), rendered through the typed renderer and read back by Ruby, secrets as root-only files.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackConfig, type ParseResult } from "../../infra/config/parse";
import { ConfigSecret } from "../../infra/config/types";
import { stackWarnings } from "../../infra/config/warnings";
import { renderGitLabRb } from "../../infra/gitlab/gitlab-rb";
import { buildStack } from "../../infra/program";
import {
  OMNIBUS_SECRETS_DIR,
  omnibusGitLabRb,
  omnibusProblems,
  referencedSecrets,
} from "../../infra/omnibus/omnibus-settings";
import { RecordingMocks, isSecretValue, revealSecrets } from "../../tools/plan/mocks";
import { readStackFile } from "../../tools/plan/stack-file";
import { runUnderMocks } from "../../tools/plan/under-mocks";
import { planStack, stackConfig } from "../support/stack-plans";
import { requireTool } from "../support/tools";

const CONTAINER = "docker:index/container:Container";
const CLIENT_SECRET = "oidc-Cl1ent's #{secret}\\value";
const BIND_PASSWORD = "ldap bind pa$$word";

/** The OpenID Connect example of docs/operations.md, with a time zone, a float and the LDAP example. */
const OMNIBUS = {
  gitlab_rails: {
    time_zone: "Europe/Berlin",
    omniauth_allow_single_sign_on: ["openid_connect"],
    omniauth_block_auto_created_users: false,
    omniauth_providers: [
      {
        name: "openid_connect",
        label: "Company SSO",
        args: {
          name: "openid_connect",
          scope: ["openid", "profile", "email"],
          response_type: "code",
          issuer: "https://sso.example.com/realms/eng",
          discovery: true,
          uid_field: "preferred_username",
          pkce: true,
          client_options: {
            identifier: "gitlab",
            secret: { secret: "oidc_client_secret" },
            redirect_uri: "https://gitlab.example.com/users/auth/openid_connect/callback",
          },
        },
      },
    ],
    ldap_enabled: true,
    ldap_servers: {
      main: {
        label: "Company LDAP",
        host: "ldap.example.com",
        port: 636,
        uid: "sAMAccountName",
        encryption: "simple_tls",
        verify_certificates: true,
        bind_dn: "CN=gitlab,OU=Services,DC=example,DC=com",
        password: { secret: "ldap_bind_password" },
        base: "OU=People,DC=example,DC=com",
      },
    },
  },
  gitlab_pages: { rate_limit_source_ip: 50.5 },
  pages_external_url: "https://pages.example.com",
} as const;

const SECRETS = { oidc_client_secret: CLIENT_SECRET, ldap_bind_password: BIND_PASSWORD };

/** An aws stack with these `gitlab-dind:gitlab` settings; the engine marks the whole key secret when any part is. */
function parse(gitlab: Record<string, unknown>, secret = true): ParseResult {
  return parseStackConfig({
    values: {
      "aws:region": "eu-central-1",
      "gitlab-dind:team": "dev",
      "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
      "gitlab-dind:gitlab": gitlab,
    },
    secretKeys: new Set(secret ? ["gitlab-dind:gitlab"] : []),
  });
}

function problemsOf(gitlab: Record<string, unknown>, secret = true): readonly string[] {
  const result = parse(gitlab, secret);
  return result.ok ? [] : result.problems;
}

describe("gitlab.omnibus in the config", () => {
  it("takes a map of gitlab.rb's names and a secret map, as the engine gives them (one JSON value for `gitlab`)", () => {
    const result = parseStackConfig({
      values: {
        "aws:region": "eu-central-1",
        "gitlab-dind:team": "dev",
        "gitlab-dind:network": JSON.stringify({ adminCidrs: ["203.0.113.0/24"] }),
        "gitlab-dind:gitlab": JSON.stringify({ omnibus: OMNIBUS, omnibusSecrets: SECRETS }),
      },
      secretKeys: new Set(["gitlab-dind:gitlab"]),
    });
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(result.config.gitlab.omnibus).toEqual(OMNIBUS);
    const secrets = result.config.gitlab.omnibusSecrets;
    expect(Object.keys(secrets)).toEqual(["oidc_client_secret", "ldap_bind_password"]);
    expect(secrets.oidc_client_secret).toBeInstanceOf(ConfigSecret);
    expect(secrets.oidc_client_secret.reveal()).toBe(CLIENT_SECRET);
    expect(JSON.stringify(result.config)).not.toContain(BIND_PASSWORD);
  });

  it("defaults both to {} and renders nothing then", () => {
    const result = parse({});
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(result.config.gitlab.omnibus).toEqual({});
    expect(result.config.gitlab.omnibusSecrets).toEqual({});
    expect(omnibusGitLabRb({}).settings).toEqual([]);
  });

  it("refuses every key the program manages at once, each with its exact path and the key to use instead", () => {
    const problems = problemsOf({
      omnibus: {
        external_url: "https://other.example.com",
        nginx: { listen_port: 8080 },
        letsencrypt: { enable: false },
        registry_external_url: "https://r.example.com",
        registry: { storage: { s3: { bucket: "x" } } },
        registry_nginx: { listen_port: 5000 },
        postgresql: { enable: false },
        redis: { enable: false },
        gitlab_rails: {
          nginx: { listen_port: 81 },
          db_host: "db.example.com",
          databases: { main: {} },
          redis_host: "redis.example.com",
          object_store: { enabled: true },
          artifacts_object_store_enabled: true,
          backup_keep_time: 1,
          restore_registry_password: "x",
          registry_enabled: true,
          monitoring_whitelist: ["0.0.0.0/0"],
          initial_root_password: "x",
          gitlab_shell_ssh_port: 22,
          time_zone: "UTC",
        },
      },
    });
    const at = (path: string, use: string) =>
      expect(problems).toContainEqual(
        expect.stringMatching(
          new RegExp(`^gitlab-dind:gitlab\\.omnibus\\.${path}: .*managed by the program.*; use .*${use}.* instead$`),
        ),
      );
    at("external_url", "gitlab-dind:gitlab\\.externalUrl");
    at("nginx", "gitlab-dind:gitlab\\.tls");
    at("letsencrypt", "gitlab-dind:gitlab\\.letsencryptEmail");
    at("registry_external_url", "gitlab-dind:gitlab\\.registryPort");
    at("registry", "gitlab-dind:gitlab\\.registryPort");
    at("registry_nginx", "gitlab-dind:gitlab\\.registryPort");
    at("postgresql", "gitlab-dind:gitlab\\.database");
    at("redis", "gitlab-dind:gitlab\\.redis");
    at("gitlab_rails\\.nginx", "gitlab-dind:gitlab\\.httpPort");
    at("gitlab_rails\\.db_host", "gitlab-dind:gitlab\\.database");
    at("gitlab_rails\\.databases", "gitlab-dind:gitlab\\.database");
    at("gitlab_rails\\.redis_host", "gitlab-dind:gitlab\\.redis");
    at("gitlab_rails\\.object_store", "gitlab-dind:gitlab\\.objectStorage");
    at("gitlab_rails\\.artifacts_object_store_enabled", "gitlab-dind:gitlab\\.objectStorage");
    at("gitlab_rails\\.backup_keep_time", "backup\\.");
    at("gitlab_rails\\.restore_registry_password", "backup\\.");
    at("gitlab_rails\\.registry_enabled", "gitlab-dind:gitlab\\.registryPort");
    at("gitlab_rails\\.monitoring_whitelist", "gitlab-dind:network\\.adminCidrs");
    at("gitlab_rails\\.initial_root_password", "gitlab-dind:gitlab\\.rootPassword");
    at("gitlab_rails\\.gitlab_shell_ssh_port", "gitlab-dind:gitlab\\.sshPort");
    expect(problems).toHaveLength(20);
    expect(problems.join("\n")).toContain("gitlab.rb's gitlab_rails['db_host'] is managed");
    expect(problems.join("\n")).not.toContain("time_zone");
  });

  it("finds a managed key inside a hash: gitlab_rails's nginx given as one map", () => {
    expect(
      omnibusProblems(
        { gitlab_rails: { nginx: { listen_port: 81 } } },
        { secretNames: new Set(), emailEnabled: false },
      ),
    ).toEqual([
      expect.stringMatching(
        /^gitlab-dind:gitlab\.omnibus\.gitlab_rails\.nginx: gitlab\.rb's gitlab_rails\['nginx'\] is managed/,
      ),
    ]);
  });

  it("refuses SMTP settings only when email.enabled is true (the email capability sets them)", () => {
    const smtp = {
      gitlab_rails: { smtp_enable: true, smtp_address: "smtp.example.com", gitlab_email_from: "g@example.com" },
    };
    expect(omnibusProblems(smtp, { secretNames: new Set(), emailEnabled: false })).toEqual([]);
    const on = omnibusProblems(smtp, { secretNames: new Set(), emailEnabled: true });
    expect(on).toHaveLength(3);
    expect(on[0]).toMatch(
      /^gitlab-dind:gitlab\.omnibus\.gitlab_rails\.smtp_enable: .*email\.enabled is true.*; use the email\.\* keys/,
    );
    expect(on[2]).toMatch(/^gitlab-dind:gitlab\.omnibus\.gitlab_rails\.gitlab_email_from: /);
  });

  it("refuses an unknown top-level name with the nearest one, a null, a bad setting name and a non-map", () => {
    const problems = problemsOf({
      omnibus: {
        gitlab_rail: { time_zone: "UTC" },
        gitlab_workhorse: "x",
        puma: { worker_processes: null },
        sidekiq: { "Max-Concurrency": 10 },
        totally_unknown_thing: { x: 1 },
        pages_external_url: { url: "https://pages.example.com" },
      },
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^gitlab-dind:gitlab\.omnibus\.gitlab_rail: expected one of gitlab\.rb's top-level names at omnibus-gitlab 19\.3\.0; did you mean gitlab_rails\?; got "gitlab_rail"$/,
      ),
      expect.stringMatching(
        /^gitlab-dind:gitlab\.omnibus\.gitlab_workhorse: expected a map of gitlab_workhorse's settings .*; got a string$/,
      ),
      expect.stringMatching(
        /^gitlab-dind:gitlab\.omnibus\.puma\.worker_processes: expected a value .*pulumi config rm --path 'gitlab\.omnibus\.puma\.worker_processes'.*; got null$/,
      ),
      expect.stringMatching(
        /^gitlab-dind:gitlab\.omnibus\.sidekiq\.Max-Concurrency: expected a setting name of lowercase letters/,
      ),
      expect.stringMatching(
        /^gitlab-dind:gitlab\.omnibus\.totally_unknown_thing: expected one of gitlab\.rb's top-level names .*gitlab\.rb\.template lists them\); got/,
      ),
      "gitlab-dind:gitlab.omnibus.pages_external_url: expected one value for pages_external_url (a string, number, boolean or list); got a map",
    ]);
  });

  it("writes a hash given to a call in parentheses, never as a block", () => {
    expect(renderGitLabRb([{ kind: "call", method: "roles", value: { rubyHash: { a: 1 } } }])).toContain(
      "roles({ 'a' => 1 })\n",
    );
  });

  it("refuses a reference to a secret gitlab.omnibusSecrets lacks, naming the nearest, and warns about an unused secret", () => {
    const problems = problemsOf({
      omnibus: { gitlab_rails: { ldap_servers: { main: { password: { secret: "ldap_bind_pasword" } } } } },
      omnibusSecrets: { ldap_bind_password: "x" },
    });
    expect(problems).toEqual([
      "gitlab-dind:gitlab.omnibus.gitlab_rails.ldap_servers.main.password.secret: expected the name of a secret in gitlab-dind:gitlab.omnibusSecrets (set it with `pulumi config set --secret --path 'gitlab.omnibusSecrets.ldap_bind_pasword' …`); did you mean ldap_bind_password?; got \"ldap_bind_pasword\"",
    ]);
    const unused = parse({
      omnibus: { gitlab_rails: { time_zone: "UTC" } },
      omnibusSecrets: { ldap_bind_password: "x" },
    });
    if (!unused.ok) throw new Error(unused.problems.join("\n"));
    expect(stackWarnings(unused.config)).toContainEqual(
      expect.stringMatching(
        /^gitlab-dind:gitlab\.omnibusSecrets\.ldap_bind_password is not used: no \{ secret: ldap_bind_password \} in gitlab\.omnibus/,
      ),
    );
  });

  it("refuses secrets given in plain text, secrets inside gitlab.omnibus and bad secret names, never showing a value", () => {
    const plain = problemsOf({ omnibusSecrets: { ldap: "plain-text-password" } }, false);
    expect(plain).toEqual([
      "gitlab-dind:gitlab.omnibusSecrets.ldap: expected a secret (set it with `pulumi config set --secret --path 'gitlab.omnibusSecrets.ldap' …`); got a plain-text value",
    ]);
    const inside = problemsOf({
      omnibus: { gitlab_rails: { ldap_servers: { main: { password: new ConfigSecret("in-place-password") } } } },
      omnibusSecrets: { "bad name": "x", num: 5 },
    });
    expect(inside).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^gitlab-dind:gitlab\.omnibusSecrets: expected names of letters, digits, _ or - .*; got "bad name"$/,
        ),
        "gitlab-dind:gitlab.omnibusSecrets.num: expected a string; got a secret value",
      ]),
    );
    const again = problemsOf({
      omnibus: { gitlab_rails: { ldap_servers: { main: { password: new ConfigSecret("in-place-password") } } } },
    });
    expect(again).toEqual([
      expect.stringMatching(
        /^gitlab-dind:gitlab\.omnibus\.gitlab_rails\.ldap_servers\.main\.password: expected a plain value: a secret inside gitlab\.omnibus would be written into gitlab\.rb's text; .*gitlab\.omnibusSecrets/,
      ),
    ]);
    expect([...plain, ...inside, ...again].join("\n")).not.toMatch(/plain-text-password|in-place-password/);
  });

  it("refuses a plain string under a setting named like a secret, at any depth, naming its path and omnibusSecrets", () => {
    const problems = problemsOf({
      omnibus: {
        gitlab_rails: {
          ldap_servers: { main: { bind_dn: "cn=gitlab", password: "plain-bind-password" } },
          omniauth_providers: [
            {
              name: "oauth2_generic",
              app_secret: "plain-app-secret",
              args: { client_options: { token_url: "/oauth/token", secret: { secret: "s" } } },
            },
          ],
          webhook_tokens: ["plain-token"],
        },
        gitlab_kas: { private_key: "plain-private-key" },
      },
      omnibusSecrets: { s: "x" },
    });
    const hint = /expected \{ secret: <name> \} .*gitlab\.omnibusSecrets\.<name>.*; got a plain string$/;
    expect(problems).toEqual([
      expect.stringMatching(/^gitlab-dind:gitlab\.omnibus\.gitlab_rails\.ldap_servers\.main\.password: /),
      expect.stringMatching(/^gitlab-dind:gitlab\.omnibus\.gitlab_rails\.omniauth_providers\[0\]\.app_secret: /),
      expect.stringMatching(/^gitlab-dind:gitlab\.omnibus\.gitlab_rails\.webhook_tokens\[0\]: /),
      expect.stringMatching(/^gitlab-dind:gitlab\.omnibus\.gitlab_kas\.private_key: /),
    ]);
    for (const p of problems) expect(p).toMatch(hint);
    expect(problems.join("\n")).not.toMatch(/plain-/);
    // Booleans and numbers under such names, and names that point to a secret, are not secrets.
    expect(
      problemsOf({
        omnibus: { gitlab_rails: { password_authentication_enabled_for_web: false, ldap_password_file: "/x" } },
      }),
    ).toEqual([]);
  });

  it("refuses whole numbers past the safe range and strings with NUL as config problems naming the key", () => {
    const problems = problemsOf({
      omnibus: {
        puma: { worker_processes: 2 ** 53, per_worker_max_memory_mb: 1024 },
        gitlab_rails: { time_zone: "a\0b" },
      },
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^gitlab-dind:gitlab\.omnibus\.puma\.worker_processes: expected a whole number between -9007199254740991 and 9007199254740991 .*; got 9007199254740992$/,
      ),
      "gitlab-dind:gitlab.omnibus.gitlab_rails.time_zone: expected a string without NUL characters (gitlab.rb cannot hold them); got one with a NUL",
    ]);
  });

  it("refuses a gitlab.omnibus that is not a map", () => {
    expect(problemsOf({ omnibus: ["gitlab_rails"] })).toEqual([
      expect.stringMatching(
        /^gitlab-dind:gitlab\.omnibus: expected a map \(set its entries with `pulumi config set --path 'gitlab\.omnibus\.<name>' …`\)/,
      ),
    ]);
  });
});

const hasRuby = requireTool("ruby", "apt-get install ruby");
// Any top-level name: a scope (`gitlab_rails['x'] = …`, auto-vivifying like omnibus's ConfigMash) or a
// call with one value (`pages_external_url '…'`). Each value is recorded with its Ruby class.
const STUB = [
  "require 'json'",
  "$set = {}",
  "$classes = {}",
  'class Scope; def initialize(n); @n = n; end; def []=(k, v); $set["#{@n}[#{k}]"] = v; $classes["#{@n}[#{k}]"] = v.class.name; end; def [](k); Scope.new("#{@n}[#{k}]"); end; end',
  "def method_missing(name, *args); return Scope.new(name.to_s) if args.empty?; $set[name.to_s] = args[0]; end",
].join("\n");

describe("gitlab.omnibus rendered", () => {
  it("assigns each setting of a hash, writes maps below as hashes, lists as arrays, secrets as File.read of root-only files", () => {
    const { settings, secretNames } = omnibusGitLabRb(OMNIBUS);
    expect(secretNames).toEqual(["oidc_client_secret", "ldap_bind_password"]);
    const rb = renderGitLabRb(settings);
    expect(rb).toContain("gitlab_rails['time_zone'] = 'Europe/Berlin'\n");
    expect(rb).toContain("gitlab_rails['omniauth_allow_single_sign_on'] = ['openid_connect']\n");
    expect(rb).toContain("gitlab_rails['omniauth_block_auto_created_users'] = false\n");
    expect(rb).toContain(`'secret' => File.read('${OMNIBUS_SECRETS_DIR}/oidc_client_secret').chomp`);
    expect(rb).toContain(`'password' => File.read('${OMNIBUS_SECRETS_DIR}/ldap_bind_password').chomp`);
    expect(rb).toContain("gitlab_pages['rate_limit_source_ip'] = 50.5\n");
    expect(rb).toContain("pages_external_url 'https://pages.example.com'\n");
    expect(rb).toContain("# gitlab-dind:gitlab.omnibus");
    expect(referencedSecrets({ a: [{ secret: "x" }, { b: { secret: "x" } }, { secret: "y" }] })).toEqual(["x", "y"]);
  });

  it.skipIf(!hasRuby)(
    "Ruby reads back nested maps, a list of maps (omniauth_providers) and the secrets from their files",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-omnibus-"));
      try {
        for (const [name, value] of Object.entries(SECRETS)) writeFileSync(join(dir, name), `${value}\n`);
        const rb = renderGitLabRb(omnibusGitLabRb(OMNIBUS, (name) => join(dir, name)).settings);
        const out = execFileSync(
          "ruby",
          ["-W0", "-e", `${STUB}\neval(STDIN.read)\nputs JSON.generate([$set, $classes])`],
          { input: rb },
        );
        const [set, classes] = JSON.parse(out.toString()) as [Record<string, unknown>, Record<string, string>];
        const provider = structuredClone(OMNIBUS.gitlab_rails.omniauth_providers[0]) as Record<string, any>;
        provider.args.client_options.secret = CLIENT_SECRET;
        const ldap = { main: { ...OMNIBUS.gitlab_rails.ldap_servers.main, password: BIND_PASSWORD } };
        expect(set).toEqual({
          "gitlab_rails[time_zone]": "Europe/Berlin",
          "gitlab_rails[omniauth_allow_single_sign_on]": ["openid_connect"],
          "gitlab_rails[omniauth_block_auto_created_users]": false,
          "gitlab_rails[omniauth_providers]": [provider],
          "gitlab_rails[ldap_enabled]": true,
          "gitlab_rails[ldap_servers]": ldap,
          "gitlab_pages[rate_limit_source_ip]": 50.5,
          pages_external_url: "https://pages.example.com",
        });
        expect(classes["gitlab_rails[ldap_servers]"]).toBe("Hash");
        expect(classes["gitlab_pages[rate_limit_source_ip]"]).toBe("Float");
        // A whole number stays an Integer (YAML 50.0 arrives as 50: Ruby and omnibus read both alike).
        const whole = renderGitLabRb(omnibusGitLabRb({ puma: { worker_processes: 4 } }).settings);
        const wholeOut = execFileSync(
          "ruby",
          ["-W0", "-e", `${STUB}\neval(STDIN.read)\nputs JSON.generate($classes)`],
          { input: whole },
        );
        expect(JSON.parse(wholeOut.toString())).toEqual({ "puma[worker_processes]": "Integer" });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("the worked examples of docs/operations.md", () => {
  it("the stack file the OpenID Connect commands make parses and renders the provider, its secret read from a file", () => {
    const docs = readFileSync(join(__dirname, "..", "..", "docs", "operations.md"), "utf8");
    const block = /```yaml\n(gitlab-dind:gitlab:\n {2}omnibus:[\s\S]*?)```/.exec(docs)?.[1];
    expect(block).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-omnibus-docs-"));
    try {
      const file = join(dir, "Pulumi.docs.yaml");
      writeFileSync(file, `config:\n${block!.replace(/^/gm, "  ")}`);
      const stack = readStackFile(file);
      const config = stackConfig("dev", stack.values, [...stack.secretKeys]);
      const rb = renderGitLabRb(omnibusGitLabRb(config.gitlab.omnibus).settings);
      expect(rb).toContain("gitlab_rails['omniauth_allow_single_sign_on'] = ['openid_connect']");
      expect(rb).toContain(
        `'client_options' => { 'identifier' => 'gitlab', 'secret' => File.read('${OMNIBUS_SECRETS_DIR}/oidc_client_secret').chomp,`,
      );
      expect(Object.keys(config.gitlab.omnibusSecrets)).toEqual(["oidc_client_secret"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every `pulumi config set --path` of the examples names a path under gitlab.omnibus or gitlab.omnibusSecrets", () => {
    const docs = readFileSync(join(__dirname, "..", "..", "docs", "operations.md"), "utf8");
    const section = docs.slice(
      docs.indexOf("## Any other gitlab.rb setting"),
      docs.indexOf("## Resizing and rebuilding"),
    );
    const vars = Object.fromEntries([...section.matchAll(/^([A-Z])="?([^"\n]+)"?/gm)].map((m) => [m[1], m[2]]));
    const sets = [...section.matchAll(/^npx pulumi config set (--secret )?--path "?([^" ]+)"? /gm)].map((m) =>
      m[2].replace(/\$([A-Z])/g, (_, v: string) => vars[v]).replace(/\$([A-Z])/g, (_, v: string) => vars[v]),
    );
    expect(sets.length).toBeGreaterThan(25);
    for (const path of sets) expect(path).toMatch(/^gitlab\.omnibus(Secrets)?\.[a-z_]/);
  });
});

describe("a stack with gitlab.omnibus", () => {
  const overrides = {
    "gitlab-dind:gitlab": {
      omnibus: OMNIBUS,
      omnibusSecrets: {
        oidc_client_secret: new ConfigSecret(CLIENT_SECRET),
        ldap_bind_password: new ConfigSecret(BIND_PASSWORD),
      },
    },
  };

  it.skipIf(!hasRuby)(
    "the offline plan's gitlab.rb sets them after the program's own, Ruby reads them, and no secret is anywhere in the plan",
    async () => {
      const plan = await planStack("dev", overrides);
      const rb = plan.files["gitlab.rb"];
      expect(rb.indexOf("gitlab_rails['time_zone'] = 'Europe/Berlin'")).toBeGreaterThan(rb.indexOf("external_url "));
      const text = JSON.stringify(plan);
      for (const s of [CLIENT_SECRET, BIND_PASSWORD, JSON.stringify(CLIENT_SECRET).slice(1, -1)]) {
        expect(text).not.toContain(s);
      }
      // Evaluate the whole file, its root-only files laid out under a temporary root.
      const root = mkdtempSync(join(tmpdir(), "gitlab-dind-omnibus-plan-"));
      try {
        const files = [...rb.matchAll(/File\.read\('([^']+)'\)/g)].map((m) => m[1]);
        for (const file of files) {
          const local = join(root, file);
          mkdirSync(dirname(local), { recursive: true });
          const name = file.slice(OMNIBUS_SECRETS_DIR.length + 1);
          writeFileSync(local, file.startsWith(OMNIBUS_SECRETS_DIR) ? SECRETS[name as keyof typeof SECRETS] : "pw");
        }
        const remap = `module RootedRead; def read(p, *a); super(File.join(${JSON.stringify(root)}, p), *a); end; end; File.singleton_class.prepend(RootedRead)`;
        const out = execFileSync(
          "ruby",
          ["-W0", "-e", `${STUB}\n${remap}\neval(STDIN.read)\nputs JSON.generate($set)`],
          { input: rb },
        );
        const set = JSON.parse(out.toString()) as Record<string, any>;
        expect(set["gitlab_rails[time_zone]"]).toBe("Europe/Berlin");
        expect(set["gitlab_rails[omniauth_providers]"][0].args.client_options.secret).toBe(CLIENT_SECRET);
        expect(set["gitlab_rails[ldap_servers]"].main.password).toBe(BIND_PASSWORD);
        // The program's own settings are still there, unchanged.
        expect(set.external_url).toBe("https://198.51.100.7");
        expect(set["gitlab_rails[gitlab_shell_ssh_port]"]).toBe(10022);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );

  it("uploads each referenced secret root-only into GitLab's container, as a secret, and nowhere in its environment", async () => {
    const config = stackConfig("dev", overrides);
    const run = await runUnderMocks(new RecordingMocks(), "gitlab-dind", "dev", () => buildStack(config));
    const gitlab = run.mocks.get(CONTAINER, "gitlab");
    expect(isSecretValue(gitlab.inputs.uploads)).toBe(true);
    const uploads = revealSecrets(gitlab.inputs.uploads) as Record<string, unknown>[];
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(uploads.find((u) => u.file === `${OMNIBUS_SECRETS_DIR}/${name}`)).toMatchObject({
        content: value,
        permissions: "0600",
        owner: "0",
        group: "0",
      });
    }
    const envs = JSON.stringify(revealSecrets(gitlab.inputs.envs));
    expect(envs).toContain("gitlab_rails['ldap_enabled'] = true");
    expect(envs).not.toContain(CLIENT_SECRET.slice(0, 12));
    expect(envs).not.toContain(BIND_PASSWORD);
  });
});
