/**
 * `npm run e2e`, against stand-ins: a fake `pulumi` and `aws` on PATH (test/e2e/fake-cli.ts) and
 * the fake GitLab for the smoke pipeline. One real spawn of the command end to end; its parts
 * (arguments, event log, leftover check) in-process.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { E2eArgsError, parseE2eArgs } from "../../tools/e2e/args";
import { failures, parseEventLog, registrationDeleted, upPhases } from "../../tools/e2e/events";
import { checkLeftovers, type StackIdentity } from "../../tools/e2e/leftovers";
import { main } from "../../tools/e2e/main";
import type { CommandRunner } from "../../tools/smoke/stack-outputs";
import { startFakeGitLab } from "../support/fake-gitlab";
import { FAKE_UP_SECONDS, writeFakeClis } from "./fake-cli";

const root = resolve(__dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-e2e-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe("npm run e2e's command line", () => {
  it("refuses to run without --yes (billable resources), and without --stack, naming both at once", () => {
    expect(() => parseE2eArgs(["--stack", "dev"])).toThrow(/--yes is required: this creates billable resources/);
    let error: unknown;
    try {
      parseE2eArgs([]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(E2eArgsError);
    expect((error as Error).message).toContain("--stack <name> is required");
    expect((error as Error).message).toContain("--yes is required");
    expect(parseE2eArgs(["--stack", "dev", "--yes"])).toMatchObject({ stack: "dev", out: "e2e-dev-timeline.json" });
  });

  it("without --yes it exits 2 before running anything", async () => {
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
    const out = vi.spyOn(console, "log").mockImplementation(() => undefined);
    expect(await main(["--stack", "dev"])).toBe(2);
    expect(err.join("\n")).toContain("--yes is required");
    // Nothing ran: not a line of progress, no timeline.
    expect(out).not.toHaveBeenCalled();
  });
});

describe("the timeline from pulumi's event log", () => {
  const start = Date.UTC(2026, 0, 1, 12, 0, 0);
  const at = (s: number) => start / 1000 + s;
  const step = (kind: string, s: number, op: string, type: string) =>
    JSON.stringify({ sequence: s, timestamp: at(s), [kind]: { metadata: { op, type, urn: `urn:x::${type}` } } });
  const log = [
    step("resourcePreEvent", 2, "create", "aws:ec2/instance:Instance"),
    step("resOutputsEvent", 70, "create", "aws:ec2/instance:Instance"),
    step("resOutputsEvent", 130, "create", "pulumi-nodejs:dynamic/gitlab-dind:DockerApiWait"),
    step("resOutputsEvent", 200, "create", "docker:index/remoteImage:RemoteImage"),
    step("resOutputsEvent", 240, "create", "docker:index/remoteImage:RemoteImage"),
    step("resourcePreEvent", 240, "create", "pulumi-nodejs:dynamic/gitlab-dind:GitLabReadiness"),
    step("resOutputsEvent", 540, "create", "pulumi-nodejs:dynamic/gitlab-dind:GitLabReadiness"),
    step("resOutputsEvent", 555, "create", "pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration"),
    '{"sequence": 99, "timestamp": 17', // cut off by a crash
  ].join("\n");

  it("takes each phase from the step that ends it: the first instance, the last image pulled", () => {
    const phases = upPhases(parseEventLog(log), start);
    expect(phases.map((p) => [p.phase, p.atSeconds])).toEqual([
      ["instance running", 70],
      ["Docker API answering", 130],
      ["images pulled", 240],
      ["GitLab ready", 540],
      ["runner registered", 555],
    ]);
    expect(phases.find((p) => p.phase === "GitLab ready")?.startedAtSeconds).toBe(240);
    expect(phases.find((p) => p.phase === "instance running")?.startedAtSeconds).toBe(2);
  });

  it("leaves out what a local stack does not have, and reports failed steps and errors", () => {
    const local = parseEventLog(
      [
        step("resOutputsEvent", 30, "create", "docker:index/remoteImage:RemoteImage"),
        JSON.stringify({
          timestamp: at(40),
          resOpFailedEvent: { metadata: { op: "create", urn: "urn:x::gitlab-ready" }, status: 1, steps: 1 },
        }),
        JSON.stringify({
          timestamp: at(40),
          diagnosticEvent: { severity: "error", message: "GitLab was not ready\n" },
        }),
      ].join("\n"),
    );
    const phases = upPhases(local, start);
    expect(phases.find((p) => p.phase === "instance running")?.atSeconds).toBeUndefined();
    expect(phases.find((p) => p.phase === "images pulled")?.atSeconds).toBe(30);
    expect(failures(local)).toEqual(["create urn:x::gitlab-ready failed", "GitLab was not ready"]);
    expect(registrationDeleted(local)).toBe(false);
    expect(
      registrationDeleted(
        parseEventLog(step("resOutputsEvent", 5, "delete", "pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration")),
      ),
    ).toBe(true);
  });
});

describe("the leftover check", () => {
  const aws: StackIdentity = {
    stack: "payments",
    team: "payments",
    target: "aws",
    region: "eu-west-1",
    keepDataOnDestroy: true,
  };
  const answering =
    (answers: Record<string, unknown>, calls: string[][] = []): CommandRunner =>
    (command, args) => {
      calls.push([command, ...args]);
      const key = command === "aws" ? args[1] : `${args[0]} ${args[1]}`;
      const value = answers[key] ?? (command === "aws" ? [] : "");
      return Promise.resolve({
        code: 0,
        stdout: typeof value === "string" ? value : JSON.stringify(value),
        stderr: "",
      });
    };

  it("AWS: asks for the stack's tagged instances, groups, addresses, security groups, volumes and buckets in its region", async () => {
    const calls: string[][] = [];
    const r = await checkLeftovers(aws, answering({}, calls));
    expect(r).toEqual({ leftovers: [], kept: [] });
    expect(calls.map((c) => c.slice(0, 3).join(" ")).sort()).toEqual([
      "aws autoscaling describe-auto-scaling-groups",
      "aws ec2 describe-addresses",
      "aws ec2 describe-instances",
      "aws ec2 describe-security-groups",
      "aws ec2 describe-volumes",
      "aws resourcegroupstaggingapi get-resources",
    ]);
    for (const c of calls) {
      expect(c.join(" ")).toContain("--region eu-west-1");
      expect(c.join(" ")).toMatch(/Name=tag:Stack,Values=payments|Key=Stack,Values=payments/);
      expect(c.join(" ")).toMatch(/ManagedBy,Values=pulumi\/gitlab-dind/);
    }
    // A terminated instance is gone; one still shutting down is not.
    const instances = calls.find((c) => c[2] === "describe-instances")!.join(" ");
    expect(instances).toContain("Values=pending,running,shutting-down,stopping,stopped");
  });

  it("AWS: names what is left, and lists the kept data volume and a backup bucket as kept", async () => {
    const r = await checkLeftovers(
      aws,
      answering({
        "describe-instances": ["i-0123"],
        "describe-auto-scaling-groups": ["payments-asg"],
        "describe-addresses": ["eipalloc-1"],
        "describe-security-groups": ["sg-1"],
        "describe-volumes": ["vol-1"],
        "get-resources": ["arn:aws:s3:::payments-gitlab-backups"],
      }),
    );
    expect(r.leftovers).toEqual([
      "EC2 instance i-0123",
      "Auto Scaling group payments-asg",
      "Elastic IP eipalloc-1",
      "security group sg-1",
    ]);
    expect(r.kept).toEqual(["data volume vol-1 (host.keepDataOnDestroy)", "backup bucket payments-gitlab-backups"]);
    const notKept = await checkLeftovers(
      { ...aws, keepDataOnDestroy: false },
      answering({ "describe-volumes": ["vol-1"] }),
    );
    expect(notKept.leftovers).toEqual(["EBS volume vol-1 (host.keepDataOnDestroy is off)"]);
  });

  it("local: the team's containers are leftovers, its GitLab volumes kept", async () => {
    const r = await checkLeftovers(
      { stack: "local", team: "local", target: "local", keepDataOnDestroy: true },
      answering({ "ps -a": "local-runner\n", "volume ls": "local-gitlab-data\nlocal-gitlab-config\n" }),
    );
    expect(r.leftovers).toEqual(["container local-runner"]);
    expect(r.kept).toEqual([
      "Docker volume local-gitlab-data (host.keepDataOnDestroy)",
      "Docker volume local-gitlab-config (host.keepDataOnDestroy)",
    ]);
  });

  it("a failing aws call is an error, not an empty answer", async () => {
    const failing: CommandRunner = () =>
      Promise.resolve({ code: 255, stdout: "", stderr: "Unable to locate credentials" });
    await expect(checkLeftovers(aws, failing)).rejects.toThrow(/Unable to locate credentials/);
  });
});

describe("npm run e2e, spawned, against a fake pulumi, a fake aws and the fake GitLab", () => {
  it("runs up, the smoke pipeline, destroy and the leftover check, and writes the timeline", async () => {
    const bin = join(scratch, "bin");
    mkdirSync(bin);
    writeFakeClis(bin);
    const gitlab = await startFakeGitLab({ runners: [{ description: "dev-runner", tag_list: ["docker", "dind"] }] });
    const calls = join(scratch, "calls.jsonl");
    const out = join(scratch, "timeline.json");
    try {
      const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        // As a user runs it: npm puts node_modules/.bin (the pulumi npm package's shim) first on
        // PATH, and the command still finds the stand-in `pulumi` installed on PATH.
        const child = spawn(
          "npm",
          ["run", "-s", "e2e", "--", "--stack", "dev", "--yes", "--out", out, "--poll", "20ms"],
          {
            cwd: root,
            env: {
              ...process.env,
              PATH: `${bin}${delimiter}${process.env.PATH}`,
              PULUMI_CLI: "",
              FAKE_CLI_LOG: calls,
              FAKE_UP_SECONDS: JSON.stringify(FAKE_UP_SECONDS),
              FAKE_GITLAB_URL: gitlab.url,
              FAKE_GITLAB_TOKEN: gitlab.token,
              FAKE_RUNNER_ID: String(gitlab.state.runners[0].id),
              FAKE_PIPELINE: join(root, "examples", "dind", ".gitlab-ci.yml"),
            },
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        let stdout = "";
        let stderr = "";
        const kill = setTimeout(() => child.kill("SIGKILL"), 50_000);
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => {
          clearTimeout(kill);
          done({ code, stdout, stderr });
        });
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Updating (dev):");
      expect(r.stdout).toContain("Docker-in-Docker works");
      expect(r.stdout).toContain("e2e passed");
      expect(r.stdout).not.toContain(gitlab.token);

      const recorded = readFileSync(calls, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as string[]);
      const pulumi = recorded.filter((c) => c[0] === "pulumi").map((c) => c.slice(1, 3).join(" "));
      expect(pulumi).toEqual(["up --stack", "stack output", "destroy --stack"]);
      const up = recorded.find((c) => c[1] === "up")!;
      expect(up).toEqual(expect.arrayContaining(["--yes", "--skip-preview", "--event-log"]));
      expect(recorded.filter((c) => c[0] === "aws")).toHaveLength(6);
      expect(gitlab.state.projects).toEqual([]);

      const timeline = JSON.parse(readFileSync(out, "utf8")) as {
        ok: boolean;
        phases: { phase: string; atSeconds: number }[];
        kept: string[];
        leftovers: string[];
        problems: string[];
      };
      expect(timeline.ok).toBe(true);
      expect(timeline.phases.map((p) => p.phase)).toEqual([
        "instance running",
        "Docker API answering",
        "images pulled",
        "GitLab ready",
        "runner registered",
        "pulumi up done",
        "pipeline green",
        "destroyed",
      ]);
      const fromLog = timeline.phases.slice(0, 5).map((p) => p.atSeconds);
      const expected = [
        FAKE_UP_SECONDS.instance,
        FAKE_UP_SECONDS.dockerApi,
        FAKE_UP_SECONDS.runnerImage,
        FAKE_UP_SECONDS.gitlabReady,
        FAKE_UP_SECONDS.registration,
      ];
      // Event timestamps are whole seconds, read against this run's own start.
      fromLog.forEach((s, i) => expect(Math.abs(s - expected[i])).toBeLessThanOrEqual(5));
      expect(timeline.kept).toEqual(["data volume vol-0aaaabbbbccccdddd (host.keepDataOnDestroy)"]);
      expect(timeline.leftovers).toEqual([]);
      expect(r.stdout).toMatch(/\+\s*9:\d\d {2}GitLab ready/);
    } finally {
      await gitlab.close();
    }
  });
});
