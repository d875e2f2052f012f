import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeGitLab } from "../support/fake-gitlab";
import type { FakeGitLab } from "../support/fake-gitlab";
import { smokeMain } from "./smoke-main";

const ROOT = path.join(__dirname, "../..");
const open: FakeGitLab[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

/**
 * Runs `npm run smoke -- <args>` as a user would, or (`direct`) the command npm runs for it (node with
 * tools/ts-register.cjs), so that a signal reaches the smoke process itself rather than npm;
 * `onOutput` may signal the child.
 */
function smoke(
  args: string[],
  env: Record<string, string>,
  onOutput?: (text: string, child: ReturnType<typeof spawn>) => void,
  direct = false,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [command, prefix] = direct
      ? [process.execPath, ["--require", "./tools/ts-register.cjs", "tools/smoke/main.ts"]]
      : ["npm", ["run", "-s", "smoke", "--"]];
    const child = spawn(command, [...prefix, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      onOutput?.(stdout, child);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe("npm run smoke (spawned)", () => {
  it("--url with GITLAB_TOKEN: runs the repo's example pipeline, exits 0, never prints the token", async () => {
    const f = await startFakeGitLab({ runners: [{ description: "gitlab-dind-runner", tag_list: ["docker", "dind"] }] });
    open.push(f);
    const r = await smoke(["--url", f.url, "--poll", "20ms"], { GITLAB_TOKEN: f.token });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("pipeline from examples/dind/.gitlab-ci.yml");
    expect(r.stdout).toContain("Docker-in-Docker works");
    expect(r.stdout + r.stderr).not.toContain(f.token);
    expect(f.state.projects).toEqual([]);
  });

  it("exits 2 with every command-line problem listed (the entry point, in-process)", async () => {
    const r = await smokeMain(["--url", "http://127.0.0.1:9", "--timeout", "x"], { GITLAB_TOKEN: "" });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("--timeout expects a positive duration");
    expect(r.stderr).toContain("GITLAB_TOKEN");
  });

  it("Ctrl-C (SIGINT) while the job runs: cleans up and exits 130", async () => {
    const f = await startFakeGitLab({
      runners: [{ tag_list: ["docker", "dind"] }],
      pipelineBehaviour: { jobs: { "*": { outcome: "success", trace: "x\n", runningPolls: 1_000_000 } } },
    });
    open.push(f);
    let sent = false;
    const r = await smoke(
      ["--url", f.url, "--poll", "20ms"],
      { GITLAB_TOKEN: f.token },
      (text, child) => {
        if (!sent && text.includes(": running")) {
          sent = true;
          child.kill("SIGINT");
        }
      },
      true,
    );
    expect(r.stdout).toContain("SIGINT: stopping; cleaning up");
    expect(r.stdout).toMatch(
      /Cleanup: project root\/dind-smoke-\S+ deleted \(GitLab marked it for deletion as root\/dind-smoke-\S+-deletion_scheduled-\d+; removed at once with permanently_remove\)\./,
    );
    expect(r.code).toBe(130);
    expect(f.state.projects).toEqual([]);
  });
});
