/**
 * Loads the Pulumi program exactly as `pulumi preview`/`up` do, with no engine: Pulumi's own
 * `@pulumi/pulumi/cmd/run` (what the Node.js language host starts, which registers the TypeScript
 * loader in `run.js`) with the language host's arguments, under the recording mocks instead of a
 * resource monitor.
 *
 * Plain JavaScript on purpose: started with a bare `node` (no tsx, no ts-node), so that the only
 * TypeScript loader in the process is the one Pulumi registers itself, with the options it
 * derives from the tsconfig.json it finds in the working directory.
 *
 * The parent (tools/language-host/load.ts) sets what the CLI and the language host would:
 *   - PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS: the stack's configuration;
 *   - PULUMI_NODEJS_TYPESCRIPT=true: Pulumi.yaml's `runtime.options.typescript`;
 *   - argv: <project> <stack> <main directory>; Pulumi switches to that directory (`--pwd`) and
 *     loads the entry point ".", as the language host does for a `main` that is a directory.
 *
 * Prints one JSON line on stdout when the program is done: the resources registered, and the time
 * and memory it took. A program that fails prints what the CLI would show, and exits non-zero.
 */
"use strict";
const { performance } = require("node:perf_hooks");
const path = require("node:path");

const started = performance.now();
const [project, stack, mainDirectory] = process.argv.slice(2);
if (!project || !stack || !mainDirectory) {
  console.error("usage: node run-as-pulumi.cjs <project> <stack> <main directory>");
  process.exit(2);
}

const pulumi = require("@pulumi/pulumi");

// The recording mocks are TypeScript (tools/plan/mocks.ts). They are loaded on the first
// registration, through the loader Pulumi has registered by then, never through one of ours.
let recording;
let firstRegistration;
const recorder = () => (recording ??= new (require(path.join(__dirname, "..", "plan", "mocks.ts")).RecordingMocks)());

pulumi.runtime
  .setMocks(
    {
      newResource: (args) => {
        // The Stack resource is registered before the program is even loaded.
        if (args.type !== "pulumi:pulumi:Stack") firstRegistration ??= performance.now();
        return recorder().newResource(args);
      },
      call: (args) => recorder().call(args),
    },
    project,
    stack,
    true,
  )
  .then(() => {
    // At the end the runner tells the engine it is done (SignalAndWaitForShutdown); the mock
    // monitor has no such call, and a real engine just answers.
    const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
    monitor.signalAndWaitForShutdown ??= (_request, callback) => callback(null, {});
    // The language host's command line for a `main` directory: the program ".", run from there.
    // `--monitor=mock` is the address the SDK itself gives the mock monitor.
    process.argv = [
      process.argv[0],
      require.resolve("@pulumi/pulumi/cmd/run"),
      "--monitor=mock",
      `--project=${project}`,
      `--stack=${stack}`,
      "--dry-run",
      `--pwd=${mainDirectory}`,
      ".",
    ];
    require("@pulumi/pulumi/cmd/run");
  });

// The event loop drains once the program and every registration it started are done.
let reported = false;
process.on("beforeExit", () => {
  if (reported) return;
  reported = true;
  const resources = (recording?.resources ?? []).map((r) => ({ type: r.type, name: r.name }));
  process.stdout.write(
    `${JSON.stringify({
      cwd: process.cwd(),
      resources,
      firstRegistrationMs: firstRegistration === undefined ? undefined : Math.round(firstRegistration - started),
      totalMs: Math.round(performance.now() - started),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    })}\n`,
  );
});
