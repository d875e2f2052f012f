import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, newestKnown } from "../../tools/fleet/main";
import { formatVersion } from "../../infra/upgrade-guard/upgrade-stops";
import { inProcess, npmRun } from "../support/command";

const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-fleet-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const NOW = Date.parse("2026-12-06T04:00:00Z");

/** Three teams: one behind on AWS, one up to date locally, one never deployed; and their stack files. */
function project(): string {
  const dir = mkdtempSync(join(scratch, "project-"));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: gitlab-dind\nruntime: nodejs\n");
  const file = (stack: string, lines: string[]) =>
    writeFileSync(join(dir, `Pulumi.${stack}.yaml`), ["config:", ...lines, ""].join("\n"));
  file("payments", [
    "  aws:region: eu-west-1",
    "  gitlab-dind:team: payments",
    "  gitlab-dind:network:",
    "    adminCidrs: [203.0.113.0/24]",
    "  gitlab-dind:gitlab:",
    "    image: gitlab/gitlab-ce:18.5.7-ce.0",
    "  gitlab-dind:runner:",
    "    image: gitlab/gitlab-runner:v18.5.0",
  ]);
  file("local", ["  gitlab-dind:team: local", "  gitlab-dind:target: local"]);
  file("search", [
    "  aws:region: us-east-1",
    "  gitlab-dind:team: search",
    "  gitlab-dind:network:",
    "    adminCidrs: [203.0.113.0/24]",
  ]);
  return dir;
}

/**
 * A fake `pulumi` for the Automation API: `version` (its version check), `stack select`, `stack
 * output`, `stack history`, each answered from files under $FAKE_DIR/<stack>/; calls recorded.
 */
const PULUMI = `#!/usr/bin/env bash
set -euo pipefail
# The Automation API's version check runs before the workspace's environment applies (no FAKE_DIR yet).
if [[ $1 == version ]]; then echo "v3.250.0"; exit 0; fi
printf '%s\\n' "$*" >>"$FAKE_DIR/calls.log"
stack=""
for ((i = 1; i <= $#; i++)); do if [[ \${!i} == --stack ]]; then j=$((i + 1)); stack=\${!j}; fi; done
case "$1 $2" in
  "stack select")
    [[ -d $FAKE_DIR/$stack ]] || { echo "error: no stack named '$stack' found" >&2; exit 255; } ;;
  "stack output") cat "$FAKE_DIR/$stack/outputs.json" ;;
  "stack history") cat "$FAKE_DIR/$stack/history.json" ;;
  *) echo "error: the fake pulumi does not know: $*" >&2; exit 255 ;;
esac
`;

describe("npm run fleet", () => {
  it("lists every stack file offline: team, target, region, versions and the stops still to go", async () => {
    const dir = project();
    const r = await inProcess((argv) => cli(argv, { root: dir, env: { PATH: "/nonexistent" } }), []);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("the files alone: no Pulumi CLI found");
    const row = (stack: string) => r.stdout.split("\n").find((l) => l.startsWith(`${stack} `)) ?? "";
    expect(row("payments")).toMatch(
      /payments\s+payments\s+aws\s+eu-west-1\s+18\.5\.7\s+18\.5\.0\s+4 \(18\.8 > 18\.11 > 19\.2 > 19\.3\.0\)\s+behind/,
    );
    expect(row("local")).toMatch(/local\s+local\s+local\s+-\s+19\.3\.0\s+19\.3\.0\s+up to date\s+ok/);
    expect(formatVersion(newestKnown())).toBe("19.3.0");
  });

  it("adds URL, last update, certificate expiry and last backup through the Automation API, marking each stack", async () => {
    const dir = project();
    const fake = join(dir, "fake");
    const bin = join(fake, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "pulumi"), PULUMI);
    chmodSync(join(bin, "pulumi"), 0o755);
    writeFileSync(
      join(bin, "aws"),
      `#!/usr/bin/env bash\nprintf 'aws %s\\n' "$*" >>"$FAKE_DIR/calls.log"\nprintf '                           PRE 20261201T023000Z_18.5.7/\\n                           PRE 20261130T023000Z_18.5.7/\\n'\n`,
    );
    chmodSync(join(bin, "aws"), 0o755);
    const stack = (name: string, outputs: object, history: object[]) => {
      mkdirSync(join(fake, name));
      writeFileSync(join(fake, name, "outputs.json"), JSON.stringify(outputs));
      writeFileSync(join(fake, name, "history.json"), JSON.stringify(history));
    };
    stack(
      "payments",
      {
        team: "payments",
        target: "aws",
        gitlabUrl: "https://gitlab.payments.example.com",
        gitlabImage: "gitlab/gitlab-ce:18.5.7-ce.0",
        gitlabCertificateExpiry: "2026-12-12T00:00:00Z",
        awsRegion: "eu-west-1",
        backupTarget: "s3://payments-gitlab-backups-x1/payments",
      },
      [
        {
          version: 7,
          kind: "update",
          startTime: "2026-12-05T10:00:00Z",
          endTime: "2026-12-05T10:12:00Z",
          result: "succeeded",
          message: "",
          environment: {},
          config: {},
        },
      ],
    );
    mkdirSync(join(dir, "backups", "local", "20261206T030000Z_19.3.0"), { recursive: true });
    stack(
      "local",
      {
        team: "local",
        target: "local",
        gitlabUrl: "http://localhost:8080",
        gitlabImage: "gitlab/gitlab-ce:19.3.0-ce.0",
        backupLocalDir: "./backups/local",
      },
      [
        {
          version: 2,
          kind: "update",
          startTime: "2026-12-06T01:00:00Z",
          endTime: "2026-12-06T01:09:00Z",
          result: "failed",
          message: "",
          environment: {},
          config: {},
        },
      ],
    );
    const env = { PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`, FAKE_DIR: fake, HOME: process.env.HOME ?? dir };
    const r = await inProcess((argv) => cli(argv, { root: dir, env, now: () => NOW }), ["--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      online: boolean;
      stacks: { stack: string; marks: string[]; live?: Record<string, unknown> }[];
    };
    expect(out.online).toBe(true);
    const by = Object.fromEntries(out.stacks.map((s) => [s.stack, s]));
    expect(by["payments"].live).toEqual({
      deployed: true,
      url: "https://gitlab.payments.example.com",
      deployedGitLab: "18.5.7",
      lastUpdate: "2026-12-05T10:12:00.000Z",
      lastResult: "succeeded",
      certificateExpiry: "2026-12-12T00:00:00Z",
      lastBackup: "20261201T023000Z_18.5.7",
    });
    expect(by["payments"].marks).toEqual([
      "unhealthy: certificate expires 2026-12-12",
      "unhealthy: last backup 121h old",
      "behind",
    ]);
    expect(by["local"].live).toEqual(
      expect.objectContaining({ lastBackup: "20261206T030000Z_19.3.0", lastResult: "failed" }),
    );
    expect(by["local"].marks).toEqual(["unhealthy: last update failed"]);
    expect(by["search"].marks).toEqual(["never deployed"]);
    const calls = readFileSync(join(fake, "calls.log"), "utf8");
    expect(calls).toContain("aws s3 ls s3://payments-gitlab-backups-x1/payments/ --region eu-west-1");
    expect(calls).toMatch(/stack history --json --page-size 1 --page 1 --stack payments/);
  });

  it("runs through npm, offline", async () => {
    const r = await npmRun("fleet", ["--offline"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dev\s+dev\s+aws\s+eu-central-1\s/m);
    expect(r.stdout).toMatch(/^local\s+local\s+local\s/m);
  });
});
