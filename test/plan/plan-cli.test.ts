/**
 * The offline plan as a user runs it: `npm run plan -- …`. The good stack is planned by two real
 * child processes at once (the command end to end, and its output the same from one process to
 * the next); the error paths call the same command in-process, which proves the same thing
 * without paying for an SDK start-up each.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test, vi } from "vitest";
import { cli } from "../../tools/plan/main";

const root = join(__dirname, "..", "..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-plan-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** `npm run plan -- …` in a child process. */
function spawnPlan(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(tsx, [join(root, "tools", "plan", "main.ts"), ...args], { cwd: root, timeout: 120_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** The same command in this process, with what it prints captured. */
async function plan(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    const code = await cli(args);
    return { code, stdout: out.map((l) => `${l}\n`).join(""), stderr: err.map((l) => `${l}\n`).join("") };
  } finally {
    vi.restoreAllMocks();
  }
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

describe("a good stack", () => {
  const stack = `config:
  aws:region: eu-west-1
  gitlab-dind:team: test
  gitlab-dind:target: local
  gitlab-dind:gitlab:
    rootPassword:
      secure: v1:AAAABBBBCCCCDDDD:EEEEFFFFGGGG
`;

  test("same input, byte-identical output from two processes; secure values plan as [secret]", async () => {
    const file = stackFile(stack);
    const a = mkdtempSync(join(scratch, "a-"));
    const b = mkdtempSync(join(scratch, "b-"));
    // Two processes at once: the same bytes whatever the order they finish in.
    const [ra, rb] = await Promise.all([
      spawnPlan("--stack", "test", "--config-file", file, "--out", a),
      spawnPlan("--stack", "test", "--config-file", file, "--out", b),
    ]);
    expect(ra.stderr).toBe("");
    expect(ra.code).toBe(0);
    expect(rb.code).toBe(0);
    const doc = readFileSync(join(a, "resources.json"), "utf8");
    expect(readFileSync(join(b, "resources.json"), "utf8")).toBe(doc);
    const parsed = JSON.parse(doc);
    expect(parsed).toMatchObject({ project: "gitlab-dind", stack: "test" });
    expect(Array.isArray(parsed.resources)).toBe(true);
    expect(doc).not.toContain("v1:AAAABBBBCCCCDDDD");
    const files: string[] = existsSync(join(a, "files")) ? readdirSync(join(a, "files")) : [];
    expect(readdirSync(join(b, "files")).sort()).toEqual(files.sort());
    for (const name of files) {
      expect(readFileSync(join(b, "files", name), "utf8")).toBe(readFileSync(join(a, "files", name), "utf8"));
      expect(readFileSync(join(a, "files", name), "utf8")).not.toContain("v1:AAAABBBBCCCCDDDD");
    }
    expect(ra.stdout).toMatch(/^Plan for gitlab-dind\/test \(target local, team test\): \d+ resources to create/);
    expect(rb.stdout).toBe(ra.stdout.replaceAll(a, b));
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
