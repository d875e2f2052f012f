/**
 * The offline plan as a user runs it: `npm run plan -- …`. The good stack is planned by the one
 * real `npm run plan` of the suite (a child process: argv through npm, the exit code, what it
 * prints, the files it writes) and, at the same time, by the same command in this process (its
 * output the same from one process to the next). Everything else calls the command in-process,
 * which proves the same thing without paying for a Node start-up and the SDK's load each.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cli } from "../../tools/plan/main";
import { inProcess, nodeRun, npmRun, type CommandRun } from "../support/command";

const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-plan-cli-"));

const GOOD_STACK = `config:
  aws:region: eu-west-1
  gitlab-dind:team: test
  gitlab-dind:target: local
  gitlab-dind:gitlab:
    rootPassword:
      secure: v1:AAAABBBBCCCCDDDD:EEEEFFFFGGGG
`;

// The suite's one real `npm run plan`, started with the file so that it runs while the in-process
// tests do; "a good stack" reads what it printed and wrote.
const good = { file: "", out: "", uncachedOut: "" };
let child: Promise<CommandRun> | undefined;
/** The same plan in another process, without the cache: what Pulumi serializes there, afresh. */
let uncached: Promise<CommandRun> | undefined;
beforeAll(() => {
  good.file = stackFile(GOOD_STACK);
  good.out = mkdtempSync(join(scratch, "a-"));
  good.uncachedOut = mkdtempSync(join(scratch, "c-"));
  // Its cache of serialized providers in a folder of its own: the test reads what it wrote there.
  child = npmRun("plan", ["--stack", "test", "--config-file", good.file, "--out", good.out], {
    GITLAB_DIND_PLAN_CACHE: join(scratch, "provider-cache"),
  });
  // The command npm runs for `plan` (package.json), without npm: one `npm run plan` is enough.
  uncached = nodeRun(
    ["--require", "./tools/ts-register.cjs", "tools/plan/main.ts"],
    ["--stack", "test", "--config-file", good.file, "--out", good.uncachedOut],
    { GITLAB_DIND_PLAN_CACHE: "off" },
  );
});
afterAll(async () => {
  // The children have ended before their folders go, pass or fail.
  await Promise.all([child?.catch(() => undefined), uncached?.catch(() => undefined)]);
  rmSync(scratch, { recursive: true, force: true });
});

/** `npm run plan -- …args`, in this process. */
function plan(...args: string[]) {
  return inProcess(cli, args);
}

/** resources.json with each dynamic provider's serialized code (one line each) replaced by a placeholder. */
function withoutProviderCode(resourcesJson: string): string {
  const replaced = resourcesJson.replaceAll(/^(\s*"__provider": )"exports\.handler = .*",?$/gm, "$1<code>");
  expect(replaced, "the plan has dynamic providers' code to set aside").not.toBe(resourcesJson);
  return replaced;
}

function stackFile(yaml: string): string {
  const dir = mkdtempSync(join(scratch, "stack-"));
  const path = join(dir, "Pulumi.test.yaml");
  writeFileSync(path, yaml);
  return path;
}

describe("bad configuration through the plan", () => {
  test("every problem is printed, exit 1, no stack trace, nothing written", async () => {
    const out = mkdtempSync(join(scratch, "out-"));
    const r = await plan(
      "--stack",
      "test",
      "--out",
      out,
      "--config-file",
      stackFile(`config:
  gitlab-dind:team: Bad_Team
  gitlab-dind:runner:
    concurent: 4
    concurrent: four
`),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The stack configuration has 5 problems:");
    expect(r.stderr).toContain("gitlab-dind:team: expected 2 to 21 characters");
    expect(r.stderr).toContain("gitlab-dind:runner.concurent: unknown key; did you mean runner.concurrent?");
    expect(r.stderr).toContain('gitlab-dind:runner.concurrent: expected an integer from 1 to 64; got "four"');
    expect(r.stderr).toContain("gitlab-dind:network.adminCidrs: required for target aws");
    expect(r.stderr).toContain("aws:region: required for target aws");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(out)).toEqual([]);
  });

  test("a missing stack file and a missing --stack are clear errors", async () => {
    const r = await plan("--stack", "nosuchstack");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/plan: cannot read the stack file .*Pulumi\.nosuchstack\.yaml/);
    const r2 = await plan();
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("--stack is required");
  });
});

describe("plain HTTP on AWS", () => {
  test("an explicit http:// URL plans (exit 0) with one warning line naming gitlab.externalUrl; the default plans https without one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-plan-http-"));
    try {
      const write = (name: string, gitlab: string) => {
        const path = join(dir, name);
        writeFileSync(
          path,
          `config:
  aws:region: eu-central-1
  gitlab-dind:team: web
  gitlab-dind:network:
    adminCidrs: [203.0.113.0/24]
${gitlab}`,
        );
        return path;
      };
      const http = await plan(
        "--stack",
        "web",
        "--config-file",
        write("http.yaml", "  gitlab-dind:gitlab:\n    externalUrl: http://gitlab.example.com\n"),
      );
      expect(http.code).toBe(0);
      const warnings = http.stderr.split("\n").filter((l) => l.startsWith("warning:"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /gitlab-dind:gitlab\.externalUrl is "http:\/\/gitlab\.example\.com": GitLab's traffic is plain HTTP/,
      );
      expect(http.stdout).toContain('gitlabUrl: "http://gitlab.example.com"');
      // Without --out: says that nothing was written, and what --out would write.
      expect(http.stdout).toMatch(
        /Nothing written \(no --out\): add --out <dir> to write resources\.json and the \d+ rendered files \(.*gitlab\.rb.*\) under <dir>\/files\./,
      );

      const https = await plan("--stack", "web", "--config-file", write("default.yaml", ""));
      expect(https.code).toBe(0);
      expect(https.stderr).toBe("");
      expect(https.stdout).toMatch(/gitlabUrl: "https:\/\/[0-9.]+"/);
      expect(https.stdout).toMatch(/gitlabCaCertificate: "-----BEGIN CERTIFICATE-----/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a good stack", () => {
  test("npm run plan: same input, byte-identical output from two processes; secure values plan as [secret]", async () => {
    const { file, out: a } = good;
    const b = mkdtempSync(join(scratch, "b-"));
    // This process plans while the child (started with the file) runs, or has just finished: the
    // same bytes whatever the order they finish in.
    const rb = await plan("--stack", "test", "--config-file", file, "--out", b);
    if (child === undefined) throw new Error("the npm run plan child was not started");
    const ra = await child;
    expect(ra.stderr).toBe("");
    expect(ra.code).toBe(0);
    expect(rb.stderr).toBe("");
    expect(rb.code).toBe(0);
    const doc = readFileSync(join(a, "resources.json"), "utf8");
    const docB = readFileSync(join(b, "resources.json"), "utf8");
    // A dynamic provider's `__provider` is its module's code as the loader that ran it transformed
    // it (the npm script's TypeScript loader in the child, vite here): those lines differ by
    // loader; every other byte is the same.
    expect(withoutProviderCode(docB)).toBe(withoutProviderCode(doc));
    const parsed = JSON.parse(doc);
    expect(parsed).toMatchObject({ project: "gitlab-dind", stack: "test" });
    expect(Array.isArray(parsed.resources)).toBe(true);
    expect(doc).not.toContain("v1:AAAABBBBCCCCDDDD");
    expect(docB).not.toContain("v1:AAAABBBBCCCCDDDD");
    const files: string[] = existsSync(join(a, "files")) ? readdirSync(join(a, "files")) : [];
    expect(readdirSync(join(b, "files")).sort()).toEqual(files.sort());
    for (const name of files) {
      expect(readFileSync(join(b, "files", name), "utf8")).toBe(readFileSync(join(a, "files", name), "utf8"));
      expect(readFileSync(join(a, "files", name), "utf8")).not.toContain("v1:AAAABBBBCCCCDDDD");
    }
    expect(ra.stdout).toMatch(/^Plan for gitlab-dind\/test \(target local, team test\): \d+ resources to create/);
    expect(rb.stdout).toBe(ra.stdout.replaceAll(a, b));
  });

  test("npm run plan keeps each dynamic provider's serialized code in its cache, exactly as it planned it, with no copy of the SDK", async () => {
    if (child === undefined) throw new Error("the npm run plan child was not started");
    expect((await child).code).toBe(0);
    const planned = (
      JSON.parse(readFileSync(join(good.out, "resources.json"), "utf8")) as {
        resources: { type: string; inputs: { __provider?: string } }[];
      }
    ).resources
      .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"))
      .map((r) => r.inputs.__provider);
    const dir = join(scratch, "provider-cache");
    const cached = readdirSync(dir)
      .sort()
      .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as { text: string });
    // The local stack's providers: GitLab's readiness, the runner registration, the upgrade guard
    // and the deployed version.
    expect(readdirSync(dir).sort()).toEqual([
      "infra_gitlab_readiness.ts_readinessProvider.json",
      "infra_runner_runner-registration.ts_defaultRegistrationProvider.json",
      "infra_upgrade-guard_index.ts_deployedVersionProvider.json",
      "infra_upgrade-guard_index.ts_upgradeGuardProvider.json",
    ]);
    for (const entry of cached) expect(planned).toContain(entry.text);
    // Serialized afresh in another process, without the cache: the same bytes, providers included
    // (a provider whose text changed from one process to the next would show as an update at
    // every `pulumi up`, and a cache would hide it from the plan).
    if (uncached === undefined) throw new Error("the uncached plan was not started");
    const other = await uncached;
    expect(other.stderr).toBe("");
    expect(other.code).toBe(0);
    expect(readFileSync(join(good.uncachedOut, "resources.json"), "utf8")).toBe(
      readFileSync(join(good.out, "resources.json"), "utf8"),
    );
    // Compiled as Pulumi's loader compiles the program (TypeScript's emit), a provider reaches the
    // SDK through `require("@pulumi/pulumi")`: no copy of the SDK's own functions in its code.
    for (const text of planned) expect(text).not.toMatch(/^function __(createUrn|mergeOptions|deferredOutput)\(/m);
  });
});
