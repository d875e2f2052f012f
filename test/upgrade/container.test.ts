/**
 * The aws channel of the upgrade's checks: SSM Run Command on the host, `docker exec` there. The
 * SDK's own client against a local server speaking SSM's protocol; the line SSM would run is then
 * run by `sh` with a stand-in `docker` that prints the script it was given, proving the quoting.
 */
import { SSMClient } from "@aws-sdk/client-ssm";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { containerExec, MIGRATIONS_SCRIPT, parseMigrations, POSTGRES_SCRIPT } from "../../tools/upgrade/container";
import { fakeSsm } from "../backup/fake-ssm";
import { requireTool } from "../support/tools";

const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-upgrade-ssm-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it("asks GitLab's container through SSM, with the script reaching `sh -c` in the container intact", async () => {
  const ssm = await fakeSsm(() => ({ status: "Success", exitCode: 0, stdout: "remaining=0\nbatched=1\nfailed=0\n" }));
  try {
    const client = new SSMClient({
      region: "eu-west-1",
      endpoint: ssm.url,
      credentials: { accessKeyId: "AKIDFAKEFORTESTS0001", secretAccessKey: "fake-secret-for-tests" },
    });
    const exec = containerExec(
      {
        kind: "aws",
        team: "pay",
        region: "eu-west-1",
        instanceId: "i-0123456789abcdef0",
        bucket: "pay-gitlab-backups-x1",
        gitlabContainer: "pay-gitlab",
        gitlabImage: "gitlab/gitlab-ce:18.8.11-ce.0",
      },
      {},
      { ssm: () => client, follow: { pollMs: 1, sleep: () => Promise.resolve() } },
    );
    const r = await exec(MIGRATIONS_SCRIPT);
    expect(r.ok).toBe(true);
    expect(parseMigrations(r.stdout)).toEqual({ remaining: 0, batched: 1, failed: 0 });
    const sent = ssm.requests.find((q) => q.target.endsWith("SendCommand"))!;
    expect(sent.body.InstanceIds).toEqual(["i-0123456789abcdef0"]);
    expect(sent.body.DocumentName).toBe("AWS-RunShellScript");
    const [line] = sent.body.Parameters.commands;

    // The host's shell runs the line; the stand-in docker shows what the container's `sh -c` gets.
    const bin = mkdtempSync(join(scratch, "bin-"));
    writeFileSync(join(bin, "docker"), '#!/bin/sh\nprintf "%s|%s|%s|%s\\n" "$1" "$2" "$3" "$4"\nprintf "%s" "$5"\n');
    chmodSync(join(bin, "docker"), 0o755);
    const ran = spawnSync("sh", ["-c", line], { env: { PATH: `${bin}${delimiter}/usr/bin:/bin` }, encoding: "utf8" });
    expect(ran.stdout).toBe(`exec|pay-gitlab|sh|-c\n${MIGRATIONS_SCRIPT}`);
  } finally {
    await ssm.close();
  }
});

it("keeps its scripts free of single quotes (they travel inside one) and valid for sh", () => {
  for (const script of [MIGRATIONS_SCRIPT, POSTGRES_SCRIPT]) {
    expect(script).not.toContain("'");
    expect(spawnSync("sh", ["-n", "-c", script]).status).toBe(0);
  }
});

it.skipIf(!requireTool("ruby", "apt-get install ruby"))("asks GitLab in Ruby that parses", () => {
  const ruby = /runner -e production "(.*)"$/.exec(MIGRATIONS_SCRIPT)?.[1] ?? "";
  expect(ruby).toContain("Gitlab::Database::BackgroundMigration::BatchedMigration");
  const file = join(scratch, "migrations.rb");
  writeFileSync(file, ruby);
  const r = spawnSync("ruby", ["-c", file], { encoding: "utf8" });
  expect(r.stdout.trim()).toBe("Syntax OK");
});
