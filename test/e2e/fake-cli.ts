/**
 * Stand-ins for the Pulumi and AWS CLIs, written as executables into a folder put first on PATH.
 * Each records its command line (one JSON array per line in $FAKE_CLI_LOG) and prints what the
 * real CLI prints. The fake `pulumi up` writes an engine event log (`--event-log`) whose
 * timestamps lie ahead of the real clock, as a 10-minute `pulumi up` would have written them.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Seconds after `pulumi up` starts at which the fake's resources finish (create). */
export const FAKE_UP_SECONDS = {
  instance: 60,
  dockerApi: 150,
  gitlabImage: 200,
  runnerImage: 260,
  gitlabReady: 560,
  registration: 575,
  summary: 600,
} as const;

const PULUMI = String.raw`#!/usr/bin/env node
"use strict";
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_CLI_LOG, JSON.stringify(["pulumi", ...args]) + "\n");
const stack = args[args.indexOf("--stack") + 1];
const project = "gitlab-dind";
const urn = (type, name) => "urn:pulumi:" + stack + "::" + project + "::" + type + "::" + name;
const T = JSON.parse(process.env.FAKE_UP_SECONDS);
const base = Math.floor(Date.now() / 1000);
let sequence = 0;
const event = (offset, body) => JSON.stringify({ sequence: sequence++, timestamp: base + offset, ...body });
const step = (kind, offset, op, type, name) =>
  event(offset, { [kind]: { metadata: { op, urn: urn(type, name), type } } });
const log = args[args.indexOf("--event-log") + 1];

if (args[0] === "up") {
  const lines = [
    event(0, { preludeEvent: { config: {} } }),
    step("resourcePreEvent", 1, "create", "aws:ec2/instance:Instance", stack + "-host-instance"),
    step("resOutputsEvent", T.instance, "create", "aws:ec2/instance:Instance", stack + "-host-instance"),
    step("resourcePreEvent", T.instance, "create", "pulumi-nodejs:dynamic/gitlab-dind:DockerApiWait", stack + "-host-docker-api"),
    step("resOutputsEvent", T.dockerApi, "create", "pulumi-nodejs:dynamic/gitlab-dind:DockerApiWait", stack + "-host-docker-api"),
    step("resOutputsEvent", T.gitlabImage, "create", "docker:index/remoteImage:RemoteImage", "gitlab-image"),
    step("resOutputsEvent", T.runnerImage, "create", "docker:index/remoteImage:RemoteImage", "runner-image"),
    step("resourcePreEvent", T.runnerImage, "create", "pulumi-nodejs:dynamic/gitlab-dind:GitLabReadiness", "gitlab-ready"),
    step("resOutputsEvent", T.gitlabReady, "create", "pulumi-nodejs:dynamic/gitlab-dind:GitLabReadiness", "gitlab-ready"),
    step("resOutputsEvent", T.registration, "create", "pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration", "runner-registration"),
    event(T.summary, { summaryEvent: { maybeCorrupt: false, durationSeconds: T.summary, resourceChanges: { create: 52 } } }),
  ];
  fs.writeFileSync(log, lines.join("\n") + "\n");
  process.stdout.write("Updating (" + stack + "):\n\n     Type                 Name             Status\n +   pulumi:pulumi:Stack  gitlab-dind-" + stack + "  created (600s)\n\nResources:\n    + 52 created\n\nDuration: 10m0s\n\n");
} else if (args[0] === "destroy") {
  const lines = [
    event(0, { preludeEvent: { config: {} } }),
    step("resourcePreEvent", 1, "delete", "pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration", "runner-registration"),
    step("resOutputsEvent", 2, "delete", "pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration", "runner-registration"),
    event(90, { summaryEvent: { maybeCorrupt: false, durationSeconds: 90, resourceChanges: { delete: 52 } } }),
  ];
  fs.writeFileSync(log, lines.join("\n") + "\n");
  process.stdout.write("Destroying (" + stack + "):\n\nResources:\n    - 52 deleted\n\nDuration: 1m30s\n\nThe resources in the stack have been deleted, but the history and configuration associated with the stack are still maintained.\n");
} else if (args[0] === "stack" && args[1] === "output") {
  process.stdout.write(JSON.stringify({
    gitlabUrl: process.env.FAKE_GITLAB_URL,
    adminToken: process.env.FAKE_GITLAB_TOKEN,
    runnerId: Number(process.env.FAKE_RUNNER_ID),
    runnerTags: ["docker", "dind"],
    examplePipeline: fs.readFileSync(process.env.FAKE_PIPELINE, "utf8"),
  }, null, 2) + "\n");
} else {
  process.stderr.write("error: the fake pulumi does not know: " + args.join(" ") + "\n");
  process.exit(255);
}
`;

const AWS = String.raw`#!/usr/bin/env node
"use strict";
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_CLI_LOG, JSON.stringify(["aws", ...args]) + "\n");
const answers = { "describe-volumes": ["vol-0aaaabbbbccccdddd"] };
process.stdout.write(JSON.stringify(answers[args[1]] ?? [], null, 4) + "\n");
`;

/** Writes the fake `pulumi` and `aws` into `dir`; put `dir` first on PATH. */
export function writeFakeClis(dir: string): void {
  for (const [name, text] of [
    ["pulumi", PULUMI],
    ["aws", AWS],
  ] as const) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
}
