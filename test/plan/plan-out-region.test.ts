/**
 * The offline plan's command (`npm run plan -- …`), called in-process with what it prints captured
 * (test/plan/plan-cli.test.ts runs it once as a child process, through npm):
 * - computed values follow the stack's `aws:region` (no other region anywhere);
 * - `--out` reused for another stack holds only the new plan's files, and nothing else in the
 *   folder is touched; an `--out` that cannot be written is said before the tree, exit 1;
 * - a stack whose name does not contain its team gets a warning.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { cli } from "../../tools/plan/main";
import { inProcess } from "../support/command";

const work = mkdtempSync(join(tmpdir(), "gitlab-dind-plan-out-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `npm run plan -- …args`, in this process. */
function plan(...args: string[]) {
  return inProcess(cli, args);
}

let files = 0;
function stackFile(yaml: string): string {
  const path = join(work, `Pulumi.stack${++files}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

const AWS_EU_WEST_1 = `config:
  aws:region: eu-west-1
  gitlab-dind:team: euwest
  gitlab-dind:network:
    adminCidrs:
      - 203.0.113.0/24
`;
const LOCAL = `config:
  gitlab-dind:team: plantest
  gitlab-dind:target: local
`;

/** Every file under `dir`, relative paths, sorted. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe("a stack in eu-west-1", () => {
  test("plans eu-west-1 only: zones, DNS names, ARNs, the rendered files and the printed tree", async () => {
    const out = join(work, "euw1");
    const r = await plan("--stack", "euwest", "--config-file", stackFile(AWS_EU_WEST_1), "--out", out);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const resources = readFileSync(join(out, "resources.json"), "utf8");
    const everything = [
      resources,
      r.stdout,
      ...tree(join(out, "files")).map((f) => readFileSync(join(out, "files", f), "utf8")),
    ];
    expect(tree(join(out, "files"))).toContain("user-data.yaml");
    for (const text of everything) {
      expect(text).not.toContain("eu-central-1");
      expect(text).not.toContain("euc1");
    }
    // And the region it should be, where AWS computes one.
    const doc = JSON.parse(resources) as { resources: { type: string; inputs: Record<string, unknown> }[] };
    const subnet = doc.resources.find((x) => x.type === "aws:ec2/subnet:Subnet");
    expect(subnet?.inputs.availabilityZone).toBe("eu-west-1a");
    expect(resources).toContain("ec2-198-51-100-7.eu-west-1.compute.amazonaws.com");
    expect(resources).toContain("arn:aws:ssm:eu-west-1:123456789012:parameter/euwest/gitlab-dind/docker/server-key");
    expect(readFileSync(join(out, "files", "user-data.yaml"), "utf8")).toContain("eu-west-1");
  });
});

describe("--out", () => {
  test("reused for another stack: only the new plan's files, an unrelated file survives", async () => {
    const out = join(work, "reused");
    mkdirSync(join(out, "notes"), { recursive: true });
    writeFileSync(join(out, "README.txt"), "mine\n");
    writeFileSync(join(out, "notes", "keep.md"), "mine too\n");

    const first = await plan("--stack", "euwest", "--config-file", stackFile(AWS_EU_WEST_1), "--out", out);
    expect(first.code).toBe(0);
    expect(tree(join(out, "files"))).toContain("user-data.yaml");

    const second = await plan("--stack", "plantest", "--config-file", stackFile(LOCAL), "--out", out);
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    const planned = JSON.parse(readFileSync(join(out, "resources.json"), "utf8")) as { stack: string };
    expect(planned.stack).toBe("plantest");
    // The local stack renders no cloud-init: the AWS stack's user-data.yaml must be gone.
    expect(tree(out)).toEqual(
      [
        "README.txt",
        "files/config.toml",
        "files/dind-daemon.json",
        "files/gitlab-ci.example.yml",
        "files/gitlab.rb",
        "notes/keep.md",
        "resources.json",
      ].sort(),
    );
    expect(readFileSync(join(out, "README.txt"), "utf8")).toBe("mine\n");
    expect(readFileSync(join(out, "notes", "keep.md"), "utf8")).toBe("mine too\n");
  });

  test("that cannot be written: said before any tree is printed, exit 1, nothing written", async () => {
    const blocker = join(work, "a-file");
    writeFileSync(blocker, "not a folder\n");
    const r = await plan("--stack", "plantest", "--config-file", stackFile(LOCAL), "--out", join(blocker, "plan"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`plan: cannot write the plan to ${join(blocker, "plan")} (--out)`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).not.toContain("Plan for");
    expect(readFileSync(blocker, "utf8")).toBe("not a folder\n");
  });
});

describe("a stack name without its team", () => {
  test("plans, with a warning naming the stack, the team and the fix", async () => {
    const r = await plan("--stack", "payments", "--config-file", stackFile(LOCAL));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: stack "payments" does not contain its team "plantest" (gitlab-dind:team) in its name.',
    );
    expect(r.stderr).toContain("pulumi config set gitlab-dind:team <that team> --stack payments");
    expect(r.stdout).toMatch(/^Plan for gitlab-dind\/payments \(target local, team plantest\)/);
  });

  test("a stack named after its team plans without a warning", async () => {
    const r = await plan("--stack", "plantest-staging", "--config-file", stackFile(LOCAL));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
  });
});
