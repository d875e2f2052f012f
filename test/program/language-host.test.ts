/**
 * The program loaded the way `pulumi preview`/`up` load it: Pulumi's own `cmd/run` (the code the
 * Node.js language host starts), from the `main` directory of Pulumi.yaml, with whatever
 * tsconfig.json it finds there, the stack's configuration in PULUMI_CONFIG. Without a tsconfig
 * in that directory, ts-node type-checks with loose defaults and the program does not compile
 * (TS2339 in infra/config/load.ts): no other test would notice.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, test } from "vitest";
import { loadAsPulumi, readProject } from "../../tools/language-host/load";

const root = resolve(__dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-load-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
/**
 * ts-node's compile cache, kept out of the shared temporary directory, and kept between runs as a
 * user's machine keeps it. It cannot hide a broken setup: ts-node files its entries under a digest
 * of the compiler options it derived (the tsconfig.json found in the main directory) and of each
 * source file, so another tsconfig, or none, compiles afresh.
 */
const env = { TS_NODE_CACHE_DIRECTORY: join(root, "node_modules", ".cache", "gitlab-dind", "ts-node") };

test("Pulumi's loader runs the dev stack's program from Pulumi.yaml's main directory and registers its resources", async () => {
  const result = await loadAsPulumi({ root, stack: "dev", env });
  expect(result.stderr).toBe("");
  expect(result.ok).toBe(true);
  expect(result.cwd).toBe(readProject(root).main.replace(/\/$/, ""));
  const types = result.resources.map((r) => r.type);
  expect(types).toContain("aws:ec2/instance:Instance");
  expect(types).toContain("gitlab-dind:index:GitLabServer");
  expect(types).toContain("gitlab-dind:index:GitLabRunner");
  // GitLab, the runner, the Docker Hub pull-through cache, and the holder of the jobs' /etc/docker
  // files (created, never started).
  expect(types.filter((t) => t === "docker:index/container:Container")).toHaveLength(4);
  expect(result.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.name).toBe("gitlab-dind-dev");
});

test("`npm run check:load` reports the local stack's resources as loaded by Pulumi's loader", () => {
  const r = spawnSync("npm", ["run", "-s", "check:load", "--", "--stack", "local"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, TMPDIR: scratch, ...env },
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^local: \d+ resources registered by Pulumi's loader from infra\/entry\/ \(as configured\)/);
});

test("a bad configuration stops Pulumi's loader with the message alone (no stack trace) and nothing registered", async () => {
  const stackFile = join(scratch, "Pulumi.broken.yaml");
  writeFileSync(
    stackFile,
    [
      "config:",
      "  gitlab-dind:team: broken",
      "  gitlab-dind:target: local",
      "  gitlab-dind:runner:",
      "    concurrent: 0",
      "",
    ].join("\n"),
  );
  const result = await loadAsPulumi({ root, stack: "broken", stackFile, env });
  expect(result.ok).toBe(false);
  expect(result.stderr).toContain("gitlab-dind:runner.concurrent: expected an integer from 1 to 64; got 0");
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
});
