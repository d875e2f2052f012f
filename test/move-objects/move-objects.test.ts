/**
 * `npm run move-objects`: the command line, the printed lines, and the SSM path against the local
 * server speaking the SSM JSON protocol (test/backup/fake-ssm.ts), the SDK's own client with its
 * endpoint overridden and fake credentials from the environment.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hostCommands, main, type Deps } from "../../tools/move-objects/main";
import { hostLine, migrateTasks } from "../../tools/move-objects/tasks";
import type { CommandResult } from "../../tools/smoke/stack-outputs";
import { fakeSsm, type FakeSsm, type Outcome } from "../backup/fake-ssm";
import { requireTool } from "../support/tools";

const ROOT = join(__dirname, "..", "..");
const OUTPUTS = {
  team: "dev",
  target: "aws",
  awsRegion: "eu-central-1",
  instanceId: "i-0a1b2c3d4e5f60718",
  gitlabContainer: "dev-gitlab",
};

function deps(outputs: Record<string, unknown>): { deps: Deps; out: string[]; err: string[]; calls: string[][] } {
  const out: string[] = [];
  const err: string[] = [];
  const calls: string[][] = [];
  const run = (command: string, args: readonly string[]): Promise<CommandResult> => {
    calls.push([command, ...args]);
    return Promise.resolve({ code: 0, stdout: JSON.stringify(outputs), stderr: "" });
  };
  return {
    out,
    err,
    calls,
    deps: {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      stackOptions: { run, cli: "pulumi" },
      follow: { pollMs: 0, sleep: () => Promise.resolve(), log: () => undefined },
    },
  };
}

describe("the command line", () => {
  // The suite's one real run of the command, as a user types it.
  it("npm run move-objects without --stack exits 1 with a usage line", () => {
    const r = spawnSync("npm", ["run", "-s", "move-objects"], { encoding: "utf8", cwd: ROOT });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error: --stack <name> is required");
    expect(r.stderr).toContain("usage: npm run move-objects -- --stack <name> [--to s3|local] [--run]");
  });

  it("reports every problem at once and reads no stack", async () => {
    const d = deps(OUTPUTS);
    expect(await main(["--to", "nfs", "--bogus"], d.deps)).toBe(1);
    expect(d.err.slice(0, 3)).toEqual([
      'error: unknown argument "--bogus"',
      "error: --stack <name> is required",
      'error: --to expects s3 or local; got "nfs"',
    ]);
    expect(d.calls).toEqual([]);
  });

  it("refuses a local stack, naming the key", async () => {
    const d = deps({ team: "dev", target: "local" });
    expect(await main(["--stack", "local"], d.deps)).toBe(1);
    expect(d.err.join("\n")).toContain("gitlab-dind:gitlab.objectStorage");
  });
});

describe("without --run", () => {
  it("prints one gitlab-rake line per object type for the host, and the registry's sync", async () => {
    const d = deps(OUTPUTS);
    expect(await main(["--stack", "dev"], d.deps)).toBe(0);
    const lines = d.out.filter((l) => l.startsWith("docker exec"));
    expect(lines.map((l) => l.split(" ")[4])).toEqual([
      "gitlab:artifacts:migrate",
      "gitlab:lfs:migrate",
      "gitlab:uploads:migrate:all",
      "gitlab:packages:migrate",
      "gitlab:dependency_proxy:migrate",
      "gitlab:terraform_states:migrate",
      "gitlab:ci_secure_files:migrate",
      "gitlab:pages:deployments:migrate_to_object_storage",
    ]);
    expect(lines.every((l) => l.startsWith("docker exec dev-gitlab gitlab-rake "))).toBe(true);
    expect(d.out.join("\n")).toContain(
      "sudo aws s3 sync /srv/gitlab/data/gitlab-rails/shared/registry/docker s3://<registry bucket>/docker",
    );
    expect(d.calls).toEqual([["pulumi", "stack", "output", "--json", "--stack", "dev"]]);
  });

  it("--to local prints the tasks back and says what has none", async () => {
    const d = deps(OUTPUTS);
    expect(await main(["--stack", "dev", "--to", "local"], d.deps)).toBe(0);
    expect(d.out.filter((l) => l.startsWith("docker exec")).map((l) => l.split(" ")[4])).toEqual([
      "gitlab:artifacts:migrate_to_local",
      "gitlab:lfs:migrate_to_local",
      "gitlab:uploads:migrate_to_local:all",
      "gitlab:pages:deployments:migrate_to_local",
    ]);
    expect(d.out.join("\n")).toContain("no task back for packages, Terraform states and CI secure files");
  });

  it("never pastes a name that is not a container or a task into a shell line", () => {
    expect(() => hostLine("dev-gitlab; rm -rf /", migrateTasks("s3")[0])).toThrow(/not a container name/);
    expect(() => hostLine("dev-gitlab", { task: "gitlab:x && reboot", what: "" })).toThrow(/not a GitLab rake task/);
  });
});

const hasShellcheck = requireTool("shellcheck", "apt-get install shellcheck");
describe.skipIf(!hasShellcheck)("the host's script", () => {
  it("passes shellcheck as /bin/sh", () => {
    const script = ["#!/bin/sh", ...hostCommands("dev-gitlab", migrateTasks("s3")[0])].join("\n");
    const r = spawnSync("shellcheck", ["-s", "sh", "-"], { input: script, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("with --run, through SSM Run Command", () => {
  let ssm: FakeSsm | undefined;
  const saved: Record<string, string | undefined> = {};
  const ENV = {
    AWS_ACCESS_KEY_ID: "AKIDFAKEFORTESTS0001",
    AWS_SECRET_ACCESS_KEY: "fake-secret-for-tests",
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_CONFIG_FILE: "/nonexistent/gitlab-dind-test/config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/gitlab-dind-test/credentials",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  let outcome: (script: string) => Outcome = () => ({ status: "Success", exitCode: 0, stdout: "" });

  beforeAll(async () => {
    ssm = await fakeSsm((script) => outcome(script));
    for (const [k, v] of Object.entries({ ...ENV, AWS_ENDPOINT_URL_SSM: ssm.url })) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await ssm?.close();
  });
  afterEach(() => {
    ssm?.requests.splice(0);
    ssm?.operations.splice(0);
  });

  it("runs every task on the stack's instance, one after another, and shows their output", async () => {
    outcome = (script) => ({
      status: "Success",
      exitCode: 0,
      stdout: `ran ${/gitlab-rake (\S+)/.exec(script)?.[1]}\n`,
    });
    const d = deps(OUTPUTS);
    expect(await main(["--stack", "dev", "--run"], d.deps)).toBe(0);
    const sent = ssm?.requests ?? [];
    expect(sent).toHaveLength(8);
    expect(sent.every((s) => s.body.InstanceIds[0] === "i-0a1b2c3d4e5f60718")).toBe(true);
    expect(sent[0].body.DocumentName).toBe("AWS-RunShellScript");
    expect(sent[0].authorization).toMatch(/\/eu-central-1\/ssm\/aws4_request/);
    expect(sent[0].body.Parameters.commands).toContain(
      'docker exec dev-gitlab gitlab-rake gitlab:artifacts:migrate >"$log" 2>&1 || status=$?',
    );
    expect(d.out).toContain("  | ran gitlab:pages:deployments:migrate_to_object_storage");
    expect(d.out.some((l) => l.startsWith("✔ 8 tasks done"))).toBe(true);
  });

  it("stops at the first task that fails, naming it, and exits 1", async () => {
    outcome = (script) =>
      script.includes("gitlab:lfs:migrate")
        ? { status: "Failed", exitCode: 1, stdout: "Failed to transfer LFS object abc\n" }
        : { status: "Success", exitCode: 0, stdout: "" };
    const d = deps(OUTPUTS);
    expect(await main(["--stack", "dev", "--run"], d.deps)).toBe(1);
    expect(ssm?.requests).toHaveLength(2);
    expect(d.err[0]).toMatch(/^✘ gitlab-rake gitlab:lfs:migrate failed \(Failed, exit 1\)/);
    expect(d.out).toContain("  | Failed to transfer LFS object abc");
  });
});
