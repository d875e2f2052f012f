import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { cli } from "../../tools/upgrade/main";
import { PG_REQUIRED_MAJOR, RDS_ENGINE_MAJOR, planWalk, walkRefusals } from "../../tools/upgrade/plan";
import { ENGINE_MAJOR_VERSION } from "../../infra/database/engine";
import { parseMigrations, parsePostgres, roomForCopy } from "../../tools/upgrade/container";
import { runnerImageFor } from "../../tools/upgrade/runner-images";
import { parseGitLabVersion } from "../../infra/upgrade-guard/upgrade-stops";
import { inProcess, npmRun } from "../support/command";
import { writeFakes } from "./fakes";

const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-upgrade-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const v = (text: string) => parseGitLabVersion(text)!;

function stackFile(dir: string, image: string, runner?: string): string {
  const file = join(dir, "Pulumi.pay.yaml");
  writeFileSync(
    file,
    [
      "config:",
      "  gitlab-dind:team: pay",
      "  gitlab-dind:target: local",
      "  gitlab-dind:gitlab:",
      `    image: ${image}`,
      ...(runner === undefined ? [] : ["  gitlab-dind:runner:", `    image: ${runner}`]),
      "",
    ].join("\n"),
  );
  return file;
}

describe("npm run upgrade --dry-run", () => {
  it("prints the path from a stack several stops behind, with backups, images, runner images and waits", async () => {
    const dir = mkdtempSync(join(scratch, "dry-"));
    const file = stackFile(dir, "gitlab/gitlab-ce:18.5.7-ce.0");
    // No Pulumi CLI on PATH: the dry run must not need one.
    const r = await inProcess(
      (argv) => cli(argv, { root: dir, env: { PATH: "/nonexistent" } }),
      ["--stack", "pay", "--config-file", file, "--to", "19.3.0", "--dry-run"],
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const stops = [...r.stdout.matchAll(/^Stop (\d)\/4: GitLab (\S+) \((.+)\)$/gm)].map((m) => `${m[2]} ${m[3]}`);
    expect(stops).toEqual([
      "18.8.11 required stop 18.8",
      "18.11.11 required stop 18.11",
      "19.2.4 required stop 19.2",
      "19.3.0 target",
    ]);
    expect(r.stdout).toContain(
      `pulumi config set --path gitlab.image gitlab/gitlab-ce:18.11.11-ce.0 --stack pay --config-file ${file}`,
    );
    expect(r.stdout).toContain("pulumi config set --path runner.image gitlab/gitlab-runner:v18.11.4");
    expect(r.stdout).toContain("upgrades its bundled PostgreSQL to 17 at start");
    expect(r.stdout).toContain("check the bundled PostgreSQL is 17 or later");
    expect(r.stdout.match(/back up: npm run backup -- --stack pay/g)).toHaveLength(4);
    expect(r.stdout.match(/wait for background migrations to finish \(every 30s, at most 12h00m\)/g)).toHaveLength(4);
    expect(r.stdout.match(/npm run smoke -- --stack pay/g)).toHaveLength(4);
    expect(r.stdout).toContain("Dry run: nothing changed.");
  });

  it("leaves a runner pinned to another release alone, and keeps the runner image's flavour", async () => {
    const dir = mkdtempSync(join(scratch, "pin-"));
    const pinned = stackFile(dir, "gitlab/gitlab-ce:18.9.2-ce.0", "gitlab/gitlab-runner:v18.6.6");
    const r = await inProcess(
      (argv) => cli(argv, { root: dir, env: {} }),
      ["--stack", "pay", "--config-file", pinned, "--to", "19.2.4", "--dry-run"],
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("runner.image stays at gitlab/gitlab-runner:v18.6.6");
    expect(r.stdout).not.toContain("--path runner.image");
    expect(runnerImageFor(v("18.11.11"), "registry.example.com/gitlab/gitlab-runner:alpine-v18.8.0")).toBe(
      "registry.example.com/gitlab/gitlab-runner:alpine-v18.11.4",
    );
  });

  it("prints conditional stops on the way as notes, and walks through those named by --include-conditional", async () => {
    const dir = mkdtempSync(join(scratch, "cond-"));
    const file = stackFile(dir, "gitlab/gitlab-ce:16.11.10-ce.0");
    const run = (...more: string[]) =>
      inProcess(
        (argv) => cli(argv, { root: dir, env: {} }),
        ["--stack", "pay", "--config-file", file, "--to", "17.3.7", "--dry-run", ...more],
      );
    const plain = await run();
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(
      "note: conditional stop 17.1 is on the way and not walked (only with a large ci_pipeline_messages table;",
    );
    expect(plain.stdout).toContain("add --include-conditional 17.1");
    expect(plain.stdout).not.toContain("GitLab 17.1.8");
    const through = await run("--include-conditional", "17.1");
    expect(through.code).toBe(0);
    expect(through.stdout).not.toContain("note: conditional stop 17.1");
    expect(through.stdout).toContain("Stop 1/2: GitLab 17.1.8 (conditional stop 17.1)");
    expect(through.stdout).toContain("pulumi config set --path gitlab.image gitlab/gitlab-ce:17.1.8-ce.0");
    expect(through.stdout).toContain("Stop 2/2: GitLab 17.3.7 (target)");
    const wrong = await run("--include-conditional", "17.2", "--include-conditional", "x");
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--include-conditional: expected a stop as major.minor (e.g. 17.1); got "x"');
    const notOnTheWay = await run("--include-conditional", "17.2");
    expect(notOnTheWay.code).toBe(1);
    expect(notOnTheWay.stderr).toContain(
      "--include-conditional 17.2: not a conditional stop between 16.11.10 and 17.3.7 (those are 17.1)",
    );
  });

  it("refuses a downgrade and a version it cannot read, like upgrade-path, and a real walk without --yes", async () => {
    const dir = mkdtempSync(join(scratch, "bad-"));
    const file = stackFile(dir, "gitlab/gitlab-ce:19.2.4-ce.0");
    const down = await inProcess(
      (argv) => cli(argv, { root: dir, env: {} }),
      ["--stack", "pay", "--config-file", file, "--to", "18.11.11", "--dry-run"],
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("18.11.11 is older than 19.2.4: GitLab does not support downgrades");
    const same = await inProcess(
      (argv) => cli(argv, { root: dir, env: {} }),
      ["--stack", "pay", "--config-file", file, "--to", "19.2.4", "--dry-run"],
    );
    expect(same.code).toBe(0);
    expect(same.stdout).toContain(
      "runs GitLab 19.2.4 (the stack file's gitlab.image (gitlab/gitlab-ce:19.2.4-ce.0)) already: nothing to do",
    );
    const unreadable = await inProcess(
      (argv) => cli(argv, { root: dir, env: {} }),
      ["--stack", "pay", "--config-file", file, "--to", "nightly"],
    );
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('--to: cannot read a GitLab version from "nightly"');
    // Every problem at once: the version and the missing consent.
    expect(unreadable.stderr).toContain("--yes is required for a real walk");
  });

  it("refuses a start older than the oldest supported GitLab, a scheduled stop with no known patch, and RDS across 19.0 only if its engine were older than 17", () => {
    const old = planWalk({
      from: v("15.11.13"),
      to: v("16.3.9"),
      gitlabImage: "gitlab/gitlab-ce:15.11.13-ce.0",
      runnerImage: "gitlab/gitlab-runner:v15.11.1",
      runnerPinned: false,
    });
    expect(old.ok).toBe(false);
    expect(!old.ok && old.message).toContain("older than 16.0.0, the oldest this program supports");
    const far = planWalk({
      from: v("19.3.0"),
      to: v("19.6.0"),
      gitlabImage: "gitlab/gitlab-ce:19.3.0-ce.0",
      runnerImage: "gitlab/gitlab-runner:v19.3.0",
      runnerPinned: false,
    });
    expect(far.ok && walkRefusals(far.steps, false)).toEqual([
      expect.stringContaining("does not know the latest 19.5 patch"),
    ]);
    const cross = planWalk({
      from: v("18.11.11"),
      to: v("19.2.4"),
      gitlabImage: "gitlab/gitlab-ce:18.11.11-ce.0",
      runnerImage: "gitlab/gitlab-runner:v18.11.4",
      runnerPinned: false,
    });
    // The program's RDS runs PostgreSQL 17 (created at that major, no major upgrades): no refusal.
    expect(RDS_ENGINE_MAJOR).toBe(Number(ENGINE_MAJOR_VERSION));
    expect(RDS_ENGINE_MAJOR).toBeGreaterThanOrEqual(PG_REQUIRED_MAJOR);
    expect(cross.ok && walkRefusals(cross.steps, true)).toEqual([]);
    // Were the engine older, crossing 19.0 on RDS would be refused, naming the key.
    expect(cross.ok && walkRefusals(cross.steps, true, 16)).toEqual([
      expect.stringContaining("gitlab-dind:gitlab.database is rds"),
    ]);
    expect(cross.ok && walkRefusals(cross.steps, false)).toEqual([]);
  });

  it("reads GitLab's migration counts and PostgreSQL's facts, and knows when there is room for the copy", () => {
    expect(parseMigrations("noise\nremaining=0\nbatched=3\nfailed=1\n")).toEqual({
      remaining: 0,
      batched: 3,
      failed: 1,
    });
    expect(parseMigrations("remaining=0\n")).toBeUndefined();
    const pg = parsePostgres("pg_version=16\ndata_kb=1000\nfree_kb=1099\n")!;
    expect(pg.major).toBe(16);
    expect(roomForCopy(pg)).toBe(false);
    expect(roomForCopy({ ...pg, freeKb: 1100 })).toBe(true);
  });
});

describe("npm run upgrade --yes against stand-ins", () => {
  let dir: string;
  let bin: string;
  let tools: { backup: string; smoke: string };
  let file: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    dir = mkdtempSync(join(scratch, "walk-"));
    bin = join(dir, "bin");
    mkdirSync(bin);
    tools = writeFakes(bin);
    file = stackFile(dir, "gitlab/gitlab-ce:18.5.7-ce.0");
    writeFileSync(join(dir, "deployed"), "gitlab/gitlab-ce:18.5.7-ce.0");
    mkdirSync(join(dir, "config"));
    writeFileSync(join(dir, "config", "gitlab.image"), "gitlab/gitlab-ce:18.5.7-ce.0");
    env = {
      PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
      FAKE_DIR: dir,
      FAKE_LOG: join(dir, "calls.log"),
      FAKE_MIGRATION_POLLS: "3",
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const walk = (more: NodeJS.ProcessEnv = {}, { to = "19.3.0", timeout = "5s" } = {}) =>
    inProcess(
      (argv) =>
        cli(argv, {
          root: dir,
          env: { ...env, ...more },
          backupCommand: [tools.backup],
          smokeCommand: [tools.smoke],
          sleep: () => Promise.resolve(),
        }),
      ["--stack", "pay", "--config-file", file, "--to", to, "--yes", "--poll", "10ms", "--migrations-timeout", timeout],
    );
  const calls = () =>
    readFileSync(join(dir, "calls.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as string[]);
  const config = () =>
    Object.fromEntries(readdirSync(join(dir, "config")).map((k) => [k, readFileSync(join(dir, "config", k), "utf8")]));
  const timeline = () =>
    JSON.parse(readFileSync(join(dir, "upgrade-pay-timeline.json"), "utf8")) as {
      ok: boolean;
      events: { stop: string; phase: string; ok: boolean }[];
      backups: Record<string, string>;
      failed?: { stop: string; phase: string };
    };

  it("walks every stop: backup, gitlab.image, up, migrations (polled until done), runner in step, up, smoke", async () => {
    const r = await walk();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const pulumi = calls()
      .filter((c) => c[0] === "pulumi")
      .map((c) => c.slice(1, 5).join(" "));
    expect(pulumi.slice(0, 2)).toEqual(["stack export --stack pay", "stack output --json --stack"]);
    expect(pulumi.slice(2, 6)).toEqual([
      "config set --path gitlab.image",
      "up --yes --stack pay",
      "config set --path runner.image",
      "up --yes --stack pay",
    ]);
    const images = calls()
      .filter((c) => c[0] === "pulumi" && c[1] === "config")
      .map((c) => c[5]);
    expect(images).toEqual([
      "gitlab/gitlab-ce:18.8.11-ce.0",
      "gitlab/gitlab-runner:v18.8.0",
      "gitlab/gitlab-ce:18.11.11-ce.0",
      "gitlab/gitlab-runner:v18.11.4",
      "gitlab/gitlab-ce:19.2.4-ce.0",
      "gitlab/gitlab-runner:v19.2.2",
      "gitlab/gitlab-ce:19.3.0-ce.0",
      "gitlab/gitlab-runner:v19.3.0",
    ]);
    expect(config()).toEqual({
      "gitlab.image": "gitlab/gitlab-ce:19.3.0-ce.0",
      "runner.image": "gitlab/gitlab-runner:v19.3.0",
    });
    // Three checks per stop until the fake's migrations are done, each one reported.
    expect(calls().filter((c) => c[0] === "docker" && c[5].includes("gitlab-rails runner"))).toHaveLength(12);
    expect(r.stdout).toContain("background migrations: 2 batched and 0 other background migration(s) still running");
    expect(r.stdout).toContain("background migrations finished");
    // PostgreSQL checked before 18.11 (room for its copy) and before 19.2 (17 by then).
    expect(r.stdout).toContain("PostgreSQL 16: data 2000 MiB");
    expect(r.stdout).toContain("PostgreSQL 17: data 2000 MiB");
    const t = timeline();
    expect(t.ok).toBe(true);
    expect(Object.keys(t.backups)).toEqual(["18.8.11", "18.11.11", "19.2.4", "19.3.0"]);
    expect(t.backups["18.11.11"]).toBe("20261202T040000Z_18.8.11");
    expect(r.stdout).toContain("upgrade done; timeline written to");
  });

  it("times out on migrations that never finish, says so, puts the stack file back and prints the way back", async () => {
    const r = await walk({ FAKE_MIGRATION_POLLS: "never" }, { to: "18.8.11", timeout: "1s" });
    expect(r.code).toBe(1);
    // Timed by the real clock (1 s here); the sleep between polls is a stand-in, so they run flat out.
    expect(r.stderr).toContain('Stop 1/1: GitLab 18.8.11 failed at "background migrations": timed out after');
    expect(r.stderr).toContain("2 batched and 0 other background migration(s) still running");
    expect(r.stderr).toContain("rerun the same command: it resumes with this wait");
    // The rerun it prints repeats every option given.
    expect(r.stderr).toContain(
      `npm run upgrade -- --stack pay --to 18.8.11 --yes --config-file ${file} --poll 10ms --migrations-timeout 1s\n`,
    );
    expect(config()["gitlab.image"]).toBe("gitlab/gitlab-ce:18.5.7-ce.0");
    expect(r.stderr).toContain(
      "npx pulumi up --stack pay --config-file " +
        file +
        " --replace 'urn:pulumi:pay::gitlab-dind::pulumi-nodejs:dynamic/gitlab-dind:GitLabDeployedVersion::gitlab-deployed-version'",
    );
    expect(r.stderr).toContain("npm run restore -- --stack pay --backup 20261201T040000Z_18.5.7");
    expect(timeline().failed).toEqual(expect.objectContaining({ stop: "18.8.11", phase: "background migrations" }));
  }, 20_000);

  it("writes no timeline when the walk cannot start (the stack's outputs unreadable)", async () => {
    const r = await walk({ FAKE_OUTPUTS_FAIL: "1" }, { to: "18.8.11" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the walk backs up before every stop");
    expect(readdirSync(dir)).not.toContain("upgrade-pay-timeline.json");
  });

  it("stops at a failing backup with nothing changed", async () => {
    const r = await walk({ FAKE_BACKUP_FAIL_AT: "2" }, { to: "18.11.11" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Stop 2/2: GitLab 18.11.11 failed at "backup"');
    expect(r.stderr).toContain("Nothing of GitLab changed.");
    expect(r.stderr).not.toContain("--replace");
    expect(config()["gitlab.image"]).toBe("gitlab/gitlab-ce:18.8.11-ce.0");
  });

  it("fails half-way at the smoke pipeline, prints the way back, and a rerun resumes from the timeline", async () => {
    const first = await walk({ FAKE_SMOKE_FAIL_AT: "2" }, { to: "19.2.4" });
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('Stop 2/3: GitLab 18.11.11 failed at "smoke": the smoke pipeline failed (exit 1)');
    expect(first.stderr).toContain("The stack file is at gitlab/gitlab-ce:18.8.11-ce.0, the last version that passed.");
    expect(first.stderr).toContain("npm run restore -- --stack pay --backup 20261202T040000Z_18.8.11");
    expect(config()).toEqual({
      "gitlab.image": "gitlab/gitlab-ce:18.8.11-ce.0",
      "runner.image": "gitlab/gitlab-runner:v18.8.0",
    });
    const before = calls().length;

    const second = await walk({}, { to: "19.2.4" });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("Resuming the walk recorded in");
    expect(second.stdout).toContain("Stop 1/3: GitLab 18.8.11: done in an earlier run");
    const rerun = calls().slice(before);
    // Stop 2 resumes at its smoke: its backup, up and migrations are not done again.
    expect(rerun.filter((c) => c[0] === "fake-backup")).toHaveLength(1);
    expect(rerun.filter((c) => c[0] === "fake-smoke")).toHaveLength(2);
    expect(rerun.filter((c) => c[0] === "pulumi" && c[1] === "up")).toHaveLength(2);
    expect(rerun.find((c) => c[0] === "pulumi" && c[1] === "config")?.[5]).toBe("gitlab/gitlab-ce:18.11.11-ce.0");
    expect(config()["gitlab.image"]).toBe("gitlab/gitlab-ce:19.2.4-ce.0");
    expect(timeline().ok).toBe(true);
  });

  it("goes back from the first stop to the image the state runs, not the stack file's", async () => {
    // The file lags behind what GitLab runs: the walk starts from the state, and its way back is there.
    writeFileSync(join(dir, "deployed"), "gitlab/gitlab-ce:18.8.11-ce.0");
    const r = await walk({ FAKE_SMOKE_FAIL_AT: "1" }, { to: "18.11.11" });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "from GitLab 18.8.11 (the stack's state (gitlab-deployed-version: gitlab/gitlab-ce:18.8.11-ce.0))",
    );
    expect(r.stderr).toContain('Stop 1/1: GitLab 18.11.11 failed at "smoke"');
    expect(r.stderr).toContain("The stack file is at gitlab/gitlab-ce:18.8.11-ce.0, the last version that passed.");
    expect(config()["gitlab.image"]).toBe("gitlab/gitlab-ce:18.8.11-ce.0");
  });

  it("says so, with the commands to run, when the stack file cannot be put back", async () => {
    // Sets: gitlab.image (1), runner.image (2), then the put-back's gitlab.image (3) fails.
    const r = await walk({ FAKE_SMOKE_FAIL_AT: "1", FAKE_SET_FAIL_AT: "3" }, { to: "18.8.11" });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain("The stack file is at");
    expect(r.stderr).toContain(
      "The stack file could NOT be put back at gitlab/gitlab-ce:18.5.7-ce.0, the last version that passed",
    );
    expect(r.stderr).toContain(
      `  npx pulumi config set --path gitlab.image gitlab/gitlab-ce:18.5.7-ce.0 --stack pay --config-file ${file}\n`,
    );
    expect(r.stderr).not.toContain("# done already");
    expect(config()["gitlab.image"]).toBe("gitlab/gitlab-ce:18.8.11-ce.0");
    // The runner's put-back worked: it is not among the commands to run.
    expect(r.stderr).not.toContain("npx pulumi config rm --path runner.image");
  });

  it("resumes against the state: redoes a stop whose way back was taken, refuses a timeline the state contradicts", async () => {
    const first = await walk({ FAKE_SMOKE_FAIL_AT: "2" }, { to: "19.2.4" });
    expect(first.code).toBe(1);
    // The way back: GitLab restored to 18.8.11 (the stop before the failed 18.11.11).
    writeFileSync(join(dir, "deployed"), "gitlab/gitlab-ce:18.8.11-ce.0");
    const before = calls().length;
    const second = await walk({}, { to: "19.2.4" });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("stop 18.11.11 is done again from its backup");
    const rerun = calls().slice(before);
    // Stop 2 from its start (a backup, its up) and stop 3: two backups, and four ups (GitLab and runner each).
    expect(rerun.filter((c) => c[0] === "fake-backup")).toHaveLength(2);
    expect(rerun.filter((c) => c[0] === "pulumi" && c[1] === "up")).toHaveLength(4);
    expect(timeline().ok).toBe(true);

    rmSync(join(dir, "upgrade-pay-timeline.json"));
    writeFileSync(join(dir, "deployed"), "gitlab/gitlab-ce:18.5.7-ce.0");
    writeFileSync(join(dir, "config", "gitlab.image"), "gitlab/gitlab-ce:18.5.7-ce.0");
    rmSync(join(dir, "smokes"), { force: true });
    const failed = await walk({ FAKE_SMOKE_FAIL_AT: "2" }, { to: "19.2.4" });
    expect(failed.code).toBe(1);
    // Someone moved GitLab elsewhere meanwhile: the timeline no longer describes the stack.
    writeFileSync(join(dir, "deployed"), "gitlab/gitlab-ce:18.5.7-ce.0");
    const upsBefore = calls().filter((c) => c[0] === "pulumi" && c[1] === "up").length;
    const refused = await walk({}, { to: "19.2.4" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("the stack's state says GitLab runs gitlab/gitlab-ce:18.5.7-ce.0");
    expect(refused.stderr).toContain(`remove ${join(dir, "upgrade-pay-timeline.json")} and start a new walk`);
    expect(calls().filter((c) => c[0] === "pulumi" && c[1] === "up")).toHaveLength(upsBefore);
  });

  it("refuses to cross 19.0 while PostgreSQL is older than 17, and an auto-upgrade without room for the copy", async () => {
    const noAuto = await walk({ FAKE_PG_NO_AUTO: "1" }, { to: "19.2.4" });
    expect(noAuto.code).toBe(1);
    expect(noAuto.stderr).toContain(
      'Stop 3/3: GitLab 19.2.4 failed at "postgres check": the bundled PostgreSQL is 16; GitLab 19.2.4 needs 17',
    );
    expect(config()["gitlab.image"]).toBe("gitlab/gitlab-ce:18.11.11-ce.0");

    rmSync(join(dir, "upgrade-pay-timeline.json"));
    writeFileSync(join(dir, "deployed"), "gitlab/gitlab-ce:18.8.11-ce.0");
    writeFileSync(join(dir, "pg"), "16");
    const full = await walk({ FAKE_FREE_KB: "1000000" }, { to: "18.11.11" });
    expect(full.code).toBe(1);
    expect(full.stderr).toContain(
      "upgrades PostgreSQL 16 to 17 at start with a copy of the data (2000 MiB), and only 977 MiB are free",
    );
  });
});

describe("npm run upgrade (the entry point)", () => {
  it("runs through npm with --dry-run and no Pulumi CLI", async () => {
    const dir = mkdtempSync(join(scratch, "npm-"));
    const file = stackFile(dir, "gitlab/gitlab-ce:17.9.2-ce.0");
    const r = await npmRun("upgrade", ["--stack", "pay", "--config-file", file, "--to", "19.3.0", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Stop 1/7: GitLab 17.11.7 (required stop 17.11)");
    expect(r.stdout).toContain("this image upgrades its bundled PostgreSQL to 16 at start");
  });
});
