/**
 * No error raised while the program builds reaches the user as a crash or a stack trace: in
 * `pulumi up`/`preview` and `check:load` (Pulumi's language host prints a RunError's message
 * alone) and in the offline plan (the error fails the plan: `plan failed: <message>`).
 */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, expect, test } from "vitest";
import { DEBUG_HINT, asRunError, reportBuildErrorsAsMessages } from "../../infra/entry/build-errors";
import { nodeRun } from "../support/command";

let undo: (() => void) | undefined;
afterEach(() => {
  undo?.();
  undo = undefined;
});

test("an error from an Output callback becomes, in place, a RunError the language host prints without its stack", () => {
  const error = new Error('error serializing property "userData": cloud-init: region: expected an AWS region');
  asRunError(error);
  expect(pulumi.RunError.isInstance(error)).toBe(true);
  expect(error.message).toBe(
    `error serializing property "userData": cloud-init: region: expected an AWS region\n${DEBUG_HINT}`,
  );
  // Once only, and a RunError of the program (a bad configuration) is left as it is.
  asRunError(error);
  expect(error.message.split(DEBUG_HINT)).toHaveLength(2);
  const config = new pulumi.RunError("The stack configuration has 1 problem");
  asRunError(config);
  expect(config.message).toBe("The stack configuration has 1 problem");
});

test("the listener runs before the language host's (prepended), and GITLAB_DIND_DEBUG=1 keeps the traces", () => {
  undo = reportBuildErrorsAsMessages();
  const [first] = process.listeners("unhandledRejection");
  const error = new Error("boom");
  (first as (e: unknown) => void)(error);
  expect(pulumi.RunError.isInstance(error)).toBe(true);
  expect(process.listeners("uncaughtException")[0]).toBe(first);
  undo();
  undo = undefined;
  expect(process.listeners("unhandledRejection")).not.toContain(first);

  const before = process.listeners("unhandledRejection").length;
  process.env.GITLAB_DIND_DEBUG = "1";
  try {
    undo = reportBuildErrorsAsMessages();
    expect(process.listeners("unhandledRejection")).toHaveLength(before);
  } finally {
    delete process.env.GITLAB_DIND_DEBUG;
  }
});

test("the offline plan: an error raised inside an Output callback fails the plan with its message, no crash", async () => {
  // A configuration the parser would refuse (it checks aws:region), handed to the build directly:
  // the cloud-init renderer throws inside `apply`. In a process of its own, as the plan runs.
  const script = `
    const { parseStackConfig } = require("./infra/config/parse.ts");
    const { runPlan } = require("./tools/plan/run-plan.ts");
    const parsed = parseStackConfig({ values: { "aws:region": "eu-central-1", "gitlab-dind:team": "dev",
      "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] } } });
    runPlan("gitlab-dind", "dev", { ...parsed.config, awsRegion: "eu-central" }).then(
      () => { console.log("planned"); process.exit(0); },
      (e) => { console.log("failed: " + e.message); process.exit(1); });
  `;
  const run = await nodeRun(["--require", "./tools/ts-register.cjs", "-e", script], []);
  expect(run.stdout).toBe(
    'failed: error serializing property "userData": cloud-init: region: expected an AWS region; got "eu-central"\n',
  );
  expect(run.stderr).not.toContain("triggerUncaughtException");
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.code).toBe(1);
});
