import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { parseArgs, parseDuration } from "../../tools/smoke/args";
import { Interrupted, onInterrupt } from "../../tools/smoke/cleanup";
import type { SignalSource } from "../../tools/smoke/cleanup";
import { diagnose } from "../../tools/smoke/diagnose";
import type { RunnerInfo } from "../../tools/smoke/diagnose";
import {
  cleanLog,
  extractMirrors,
  extractProof,
  extractPulledImageOutput,
  extractPush,
  logTail,
} from "../../tools/smoke/job-log";
import { describePipeline } from "../../tools/smoke/pipeline";
import { readStackOutputs } from "../../tools/smoke/stack-outputs";
import type { CommandRunner } from "../../tools/smoke/stack-outputs";
import { DIND_SUCCESS_TRACE } from "../support/fake-gitlab";

describe("smoke command line", () => {
  it("reads --stack with defaults", () => {
    expect(parseArgs(["--stack", "team-a"], {})).toEqual({
      ok: true,
      args: {
        source: { kind: "stack", stack: "team-a" },
        pipelineFile: undefined,
        keep: false,
        timeoutMs: 600_000,
        pendingTimeoutMs: 180_000,
        pollMs: 5_000,
        connectTimeoutMs: 30_000,
      },
    });
  });

  it("reads --url with GITLAB_TOKEN and every option", () => {
    const r = parseArgs(
      [
        "--url=https://gitlab.example.com/",
        "--keep",
        "--timeout",
        "15m",
        "--pending-timeout",
        "90s",
        "--poll",
        "500ms",
        "--pipeline",
        "ci.yml",
        "--connect-timeout",
        "2m",
      ],
      { GITLAB_TOKEN: "glpat-x" },
    );
    expect(r).toEqual({
      ok: true,
      args: {
        source: { kind: "url", url: "https://gitlab.example.com", token: "glpat-x" },
        pipelineFile: "ci.yml",
        keep: true,
        timeoutMs: 900_000,
        pendingTimeoutMs: 90_000,
        pollMs: 500,
        connectTimeoutMs: 120_000,
      },
    });
  });

  it("reports every problem at once", () => {
    const r = parseArgs(["--url", "gitlab.example.com", "--timeout", "soon", "--frobnicate", "--poll"], {});
    expect(r).toEqual({
      ok: false,
      help: false,
      errors: [
        'unknown argument "--frobnicate"',
        "--poll needs a value",
        '--timeout expects a positive duration like 90s or 10m, got "soon"',
        '--url expects an http:// or https:// URL, got "gitlab.example.com"',
        "--url needs an administrator's token with the api scope in the GITLAB_TOKEN environment variable",
      ],
    });
    expect(parseArgs(["--stack", "a", "--url", "http://x"], {})).toMatchObject({
      errors: ["give either --stack <name> or --url <gitlab url>, not both"],
    });
    expect(parseArgs(["-h"], {})).toEqual({ ok: false, help: true, errors: [] });
  });

  it("parses durations", () => {
    expect([
      parseDuration("600"),
      parseDuration("2m"),
      parseDuration("1.5h"),
      parseDuration("250ms"),
      parseDuration("ten"),
    ]).toEqual([600_000, 120_000, 5_400_000, 250, undefined]);
  });
});

describe("stack outputs", () => {
  const good = {
    gitlabUrl: "http://gitlab.example.com/",
    adminToken: "glpat-secret-admin-token",
    rootPassword: "hunter2hunter2",
    runnerId: 7,
    runnerTags: ["docker", "dind"],
    examplePipeline: "job:\n  script: [true]\n",
  };
  const answering =
    (result: { code: number; stdout: string; stderr: string }, calls: string[][] = []): CommandRunner =>
    async (command, args) => {
      calls.push([command, ...args]);
      return result;
    };

  it("runs pulumi stack output --json --show-secrets --stack and validates the outputs", async () => {
    const calls: string[][] = [];
    const outputs = await readStackOutputs("team-a", {
      run: answering({ code: 0, stdout: JSON.stringify(good), stderr: "" }, calls),
      env: {},
      cwd: "/nonexistent",
    });
    expect(calls).toEqual([["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", "team-a"]]);
    expect(outputs).toEqual({
      gitlabUrl: "http://gitlab.example.com",
      adminToken: "glpat-secret-admin-token",
      runnerId: 7,
      runnerTags: ["docker", "dind"],
      examplePipeline: good.examplePipeline,
    });
  });

  it("uses PULUMI_CLI when given (e.g. npx pulumi)", async () => {
    const calls: string[][] = [];
    await readStackOutputs("s", {
      cli: "npx pulumi",
      run: answering({ code: 0, stdout: JSON.stringify(good), stderr: "" }, calls),
      env: {},
      cwd: "/nonexistent",
    });
    expect(calls[0]?.slice(0, 3)).toEqual(["npx", "pulumi", "stack"]);
  });

  it("says clearly when the CLI is missing", async () => {
    const missing: CommandRunner = async (command) => {
      if (command === "pulumi") throw Object.assign(new Error("spawn pulumi ENOENT"), { code: "ENOENT" });
      return { code: 1, stdout: "", stderr: "npm ERR! could not determine executable to run" };
    };
    const message = await readStackOutputs("s", { run: missing, env: {}, cwd: "/nonexistent" }).catch(
      (e: Error) => e.message,
    );
    expect(message).toContain("The Pulumi CLI was not found (tried: pulumi; npx --no-install pulumi).");
    expect(message).toContain("GITLAB_TOKEN=<admin token> npm run smoke -- --url <gitlab url>");
    // The README's install steps, not a bare error.
    expect(message).toContain(`Install the Pulumi CLI ahead of time (README, "The Pulumi CLI")`);
    expect(message).toContain("curl -fsSL https://get.pulumi.com | sh -s -- --version 3.250.0");
  });

  it("says what the README says when the npm package cannot download the CLI (offline), not a bare `fetch failed`", async () => {
    const offline: CommandRunner = async (command) => {
      if (command === "pulumi") throw Object.assign(new Error("spawn pulumi ENOENT"), { code: "ENOENT" });
      // What node_modules/pulumi/run.js prints when get.pulumi.com cannot be reached.
      return { code: 1, stdout: "", stderr: "Downloading pulumi v3.250.0...\npulumi: fetch failed\n" };
    };
    const message = await readStackOutputs("s", { run: offline, env: {}, cwd: "/nonexistent" }).catch(
      (e: Error) => e.message,
    );
    expect(message).toContain(
      "No Pulumi CLI is installed, and the pinned pulumi npm package could not download one (pulumi: fetch failed).",
    );
    expect(message).toContain(`Install the Pulumi CLI ahead of time (README, "The Pulumi CLI")`);
    expect(message).not.toMatch(/failed \(exit 1\)/);
  });

  it("says when the stack does not exist", async () => {
    const run = answering({ code: 255, stdout: "", stderr: "error: no stack named 'nope' found" });
    await expect(readStackOutputs("nope", { run, env: {}, cwd: "/nonexistent" })).rejects.toThrow(
      'There is no stack "nope" in this backend',
    );
  });

  it("says when the stack has no outputs yet", async () => {
    await expect(
      readStackOutputs("s", { run: answering({ code: 0, stdout: "{}", stderr: "" }), env: {}, cwd: "/nonexistent" }),
    ).rejects.toThrow('Stack "s" has no outputs yet: run `pulumi up --stack s` first (or wait for it to finish).');
  });

  it("lists every missing or wrong output without printing any value", async () => {
    const stdout = JSON.stringify({
      gitlabUrl: "http://g",
      adminToken: 42,
      runnerTags: "docker",
      rootPassword: "hunter2hunter2",
    });
    const error = await readStackOutputs("s", {
      run: answering({ code: 0, stdout, stderr: "" }),
      env: {},
      cwd: "/nonexistent",
    }).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      'Stack "s" outputs are not what smoke needs (is the stack up to date? run `pulumi up`):\n' +
        "  - adminToken: expected a non-empty string, got a number\n" +
        "  - examplePipeline: expected a non-empty string, got nothing (missing)\n" +
        "  - runnerId: expected a positive integer, got nothing (missing)\n" +
        "  - runnerTags: expected a list of strings, got a string",
    );
    expect((error as Error).message).not.toContain("hunter2");
  });
});

describe("job log", () => {
  it("cleans ANSI codes and section markers", () => {
    expect(cleanLog("section_start:1731000000:step_script\r\x1b[0K\x1b[32;1m$ docker version\x1b[0;m\nok\r\n")).toEqual(
      ["$ docker version", "ok", ""],
    );
    expect(logTail("a\nb\nc\n\n", 2)).toEqual(["b", "c"]);
  });

  it("extracts the Server section and the container rows", () => {
    const proof = extractProof(DIND_SUCCESS_TRACE.replace("Server:", "\x1b[0KServer:"));
    expect(proof.server[0]).toBe("Server: Docker Engine - Community");
    expect(proof.server).toContain("  Version:          29.7.2");
    expect(proof.server.some((l) => l.includes("docker run"))).toBe(false);
    expect(proof.containers[0]).toBe("$ docker container ls");
    expect(proof.containers).toHaveLength(4);
  });

  it("reads the job daemon's registry mirrors from the example's line or from docker info's section", () => {
    expect(extractMirrors(DIND_SUCCESS_TRACE)).toEqual(["http://host.docker.internal:5001/"]);
    expect(extractMirrors("$ docker info --format x\nRegistry Mirrors: \n$ docker run\n")).toEqual([]);
    expect(
      extractMirrors(" Registry Mirrors:\n  http://a:5001/\n  https://b/\n Live Restore Enabled: false\n"),
    ).toEqual(["http://a:5001/", "https://b/"]);
    expect(extractMirrors("$ docker version\nServer:\n")).toBeUndefined();
  });

  it("finds no proof when the daemon was unreachable or nothing ran", () => {
    expect(
      extractProof(
        "$ docker version\nClient:\n Version: 27\nCannot connect to the Docker daemon at tcp://docker:2375.\n",
      ),
    ).toEqual({ server: [], containers: [] });
    expect(
      extractProof("Server:\n Engine:\n$ docker container ls\nCONTAINER ID   IMAGE\n$ echo done\n").containers,
    ).toEqual([]);
  });
});

describe("diagnosis table", () => {
  const runner = (over: Partial<RunnerInfo>): RunnerInfo => ({
    id: 7,
    description: "dind",
    status: "online",
    paused: false,
    tag_list: ["docker", "dind"],
    run_untagged: false,
    ...over,
  });
  const ids = (e: Parameters<typeof diagnose>[0]) => diagnose(e).map((d) => d.id);

  it.each([
    ["Cannot connect to the Docker daemon at tcp://docker:2375. Is the docker daemon running?", "docker-tcp-2375"],
    ["mount: permission denied (are you root?)", "not-privileged"],
    ["x509: certificate signed by unknown authority", "docker-certificate"],
    ["open /certs/client/ca.pem: no such file or directory", "certs-volume-missing"],
    [
      "fatal: unable to access 'https://g/x.git/': server certificate verification failed. CAfile: none",
      "gitlab-certificate",
    ],
    ["toomanyrequests: You have reached your pull rate limit.", "pull-rate-limit"],
    ["dial tcp: lookup docker on 10.0.0.2:53: no such host", "dind-unreachable"],
  ])("reads %j as %s", (log, id) => {
    expect(ids({ stage: "failed", log })[0]).toBe(id);
  });

  it("tells no runner online, tags mismatch, paused runner and a busy runner apart", () => {
    expect(ids({ stage: "pending", jobTags: ["docker", "dind"], runners: [runner({ status: "offline" })] })).toEqual([
      "no-runner-online",
    ]);
    expect(ids({ stage: "pending", jobTags: ["docker", "dind"], runners: [runner({ tag_list: ["docker"] })] })).toEqual(
      ["tags-mismatch"],
    );
    expect(ids({ stage: "pending", jobTags: [], runners: [runner({})] })).toEqual(["tags-mismatch"]);
    expect(
      ids({ stage: "runner", jobTags: ["docker"], runners: [runner({ paused: true })], expectedRunnerId: 7 }),
    ).toEqual(["runner-paused", "no-runner-online"]);
    expect(ids({ stage: "pending", jobTags: ["docker", "dind"], runners: [runner({})] })).toEqual([
      "pending-with-runner",
    ]);
  });

  it("falls back to a generic reading, and to a timeout reading", () => {
    expect(ids({ stage: "failed", log: "something odd" })).toEqual(["unknown"]);
    expect(ids({ stage: "timeout", log: "still running" })).toEqual(["timeout"]);
    expect(ids({ stage: "failed", failureReason: "stuck_or_timeout_failure", log: "" })).toEqual(["job-timeout"]);
  });
});

describe("pipeline file", () => {
  it("learns each job's tags from the example pipeline shape", () => {
    const p = describePipeline(
      "variables: {A: b}\n.hidden: {script: [x]}\ndind:\n  tags: [docker, dind]\n  script: [docker version]\nplain:\n  script: [true]\n",
      "f.yml",
    );
    expect(p.jobTags).toEqual({ dind: ["docker", "dind"], plain: [] });
    expect(() => describePipeline("a: [", "f.yml")).toThrow(/^f\.yml is not valid YAML/);
    expect(() => describePipeline("variables: {}\n", "f.yml")).toThrow("f.yml defines no jobs");
  });
});

describe("Ctrl-C handling", () => {
  it("first signal aborts the run, a second forces exit naming what is left", () => {
    const source = new EventEmitter() as EventEmitter & SignalSource;
    const controller = new AbortController();
    const lines: string[] = [];
    let forced = 0;
    const remove = onInterrupt(
      source,
      controller,
      (l) => lines.push(l),
      () => forced++,
      () => "root/dind-smoke-1 (http://g/root/dind-smoke-1)",
    );
    source.emit("SIGINT");
    expect(controller.signal.reason).toBeInstanceOf(Interrupted);
    expect(forced).toBe(0);
    source.emit("SIGINT");
    expect(forced).toBe(1);
    expect(lines[1]).toBe(
      "SIGINT again: exiting without cleanup; delete root/dind-smoke-1 (http://g/root/dind-smoke-1) yourself",
    );
    remove();
    expect(source.listenerCount("SIGINT")).toBe(0);
  });
});

describe("the registry jobs' logs", () => {
  const digest = `sha256:${"ab".repeat(32)}`;
  const push = [
    'section_start:1731000000:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting "step_script" stage\x1b[0;m',
    '\x1b[32;1m$ docker push "$PUSHED_IMAGE"\x1b[0;m',
    "The push refers to repository [198.51.100.7:4567/root/p/smoke]",
    "418dccb7d85a: Preparing\r418dccb7d85a: Pushed",
    `4711: digest: ${digest} size: 528`,
  ].join("\n");

  it("a completed push: the repository, the tag and the manifest digest, through colours and redraws", () => {
    expect(extractPush(push)).toEqual({ repository: "198.51.100.7:4567/root/p/smoke", tag: "4711", digest });
  });

  it("no digest line (the push failed half-way) or no repository line: no proof", () => {
    expect(extractPush(push.replace(/^4711: digest.*$/m, "error parsing HTTP 413 response body"))).toBeUndefined();
    expect(extractPush(push.replace(/^The push refers.*$/m, ""))).toBeUndefined();
  });

  it("the pulled image's output counts for its own pipeline only, never the echoed command", () => {
    const pull = [
      '$ printf \'FROM %s\\nCMD ["echo", "%s %s"]\\n\' alpine:3.22 "gitlab-dind smoke image built by pipeline" "$CI_PIPELINE_ID"',
      '$ docker run --rm "$PUSHED_IMAGE"',
      "\x1b[0Kgitlab-dind smoke image built by pipeline 4711",
    ].join("\n");
    expect(extractPulledImageOutput(pull, 4711)).toBe("gitlab-dind smoke image built by pipeline 4711");
    expect(extractPulledImageOutput(pull, 4712)).toBeUndefined();
    expect(extractPulledImageOutput(pull.split("\n").slice(0, 2).join("\n"), 4711)).toBeUndefined();
  });
});
