/**
 * `npm run local:up` / `npm run local:destroy` (tools/local-up.sh, tools/local-destroy.sh), run for
 * real with stand-ins: a `docker` that answers `docker info`, and a `pulumi` that records how it was
 * called. They must use a `pulumi` already on PATH (as `npm run smoke` does) and fall back to the
 * pinned `pulumi` npm package, which is run for real here: its cached-binary path
 * ($PULUMI_HOME/versions/<version>/bin/pulumi) holds the stand-in, so nothing is downloaded.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { haveTool } from "../support/tools";

const root = join(__dirname, "..", "..");
const npmPulumiVersion = (
  JSON.parse(readFileSync(join(root, "node_modules", "pulumi", "package.json"), "utf8")) as {
    version: string;
  }
).version;
const work = mkdtempSync(join(tmpdir(), "gitlab-dind-local-scripts-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The system directories the scripts need (bash, dirname, mkdir, env); they must hold no `pulumi`. */
const SYSTEM_PATH = ["/usr/bin", "/bin"];
const systemHasPulumi = SYSTEM_PATH.some((d) => existsSync(join(d, "pulumi")));

let counter = 0;
/** A fresh sandbox: a bin dir with `docker` (and `pulumi` when asked), node and npx, a log, a state dir. */
function sandbox(withPulumiOnPath: boolean, { npmCliCached = true } = {}) {
  const dir = join(work, String(++counter));
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const log = join(dir, "calls.log");
  writeFileSync(log, "");
  const recorder = (who: string) =>
    `#!/bin/sh\nprintf '%s|%s|backend=%s|passphrase=%s\\n' "${who}" "$*" "$PULUMI_BACKEND_URL" "\${PULUMI_CONFIG_PASSPHRASE+set}" >> "${log}"\n`;
  const script = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    chmodSync(path, 0o755);
  };
  script(join(bin, "docker"), "#!/bin/sh\nexit 0\n");
  if (withPulumiOnPath) script(join(bin, "pulumi"), recorder("path-pulumi"));
  // The npm package's own cache: what `npx pulumi` runs once it has downloaded the CLI.
  const pulumiHome = join(dir, "pulumi-home");
  if (npmCliCached) script(join(pulumiHome, "versions", npmPulumiVersion, "bin", "pulumi"), recorder("npm-pulumi"));
  // node and npx only, not the directory they live in (which might hold a real pulumi).
  for (const tool of ["node", "npx"]) symlinkSync(join(dirname(process.execPath), tool), join(bin, tool));
  return {
    log,
    env: {
      PATH: [bin, ...SYSTEM_PATH].join(":"),
      HOME: dir,
      PULUMI_HOME: pulumiHome,
      PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
      npm_config_cache: join(dir, "npm-cache"),
    },
  };
}

function runScript(name: string, env: Record<string, string>, ...args: string[]) {
  const r = spawnSync("bash", [join(root, "tools", name), ...args], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const calls = (log: string) => readFileSync(log, "utf8").trim().split("\n").filter(Boolean);

describe.skipIf(systemHasPulumi)("local:up and local:destroy pick the Pulumi CLI like smoke does", () => {
  it("use a pulumi already on PATH, with the stack, the state and the extra arguments", () => {
    const s = sandbox(true);
    const up = runScript("local-up.sh", s.env, "--skip-preview");
    expect(up.stderr).toContain(`local:up: Pulumi CLI on PATH: ${s.env.PATH.split(":")[0]}/pulumi`);
    expect(up.code).toBe(0);
    const down = runScript("local-destroy.sh", s.env);
    expect(down.code).toBe(0);
    const backend = s.env.PULUMI_BACKEND_URL;
    expect(calls(s.log)).toEqual([
      `path-pulumi|stack select --create local|backend=${backend}|passphrase=set`,
      `path-pulumi|up --yes --stack local --skip-preview|backend=${backend}|passphrase=set`,
      `path-pulumi|destroy --yes --stack local|backend=${backend}|passphrase=set`,
    ]);
    // A backend of the user's choice: the default state folder is not created in the repo for it.
    expect(up.stderr).not.toContain("npm package");
  });

  it("without pulumi on PATH: the pinned npm package's CLI, run through npx (no download: it is cached)", () => {
    const s = sandbox(false);
    const up = runScript("local-up.sh", s.env);
    expect(up.stderr).toContain("local:up: no pulumi on PATH; using the pulumi npm package");
    expect(up.stderr).not.toContain("Downloading pulumi");
    expect(up.code).toBe(0);
    const down = runScript("local-destroy.sh", s.env, "--refresh");
    expect(down.code).toBe(0);
    expect(calls(s.log).map((l) => l.split("|").slice(0, 2).join("|"))).toEqual([
      "npm-pulumi|stack select --create local",
      "npm-pulumi|up --yes --stack local",
      "npm-pulumi|destroy --yes --stack local --refresh",
    ]);
  });

  it("offline, without pulumi on PATH: the npm package cannot download its CLI, and the scripts say what the README says", () => {
    const s = sandbox(false, { npmCliCached: false });
    // Node's fetch as it fails with no network (undici's TypeError), for the package's download.
    const offline = join(dirname(s.log), "offline-fetch.cjs");
    writeFileSync(offline, `globalThis.fetch = async () => { throw new TypeError("fetch failed"); };\n`);
    for (const name of ["local-up.sh", "local-destroy.sh"]) {
      const run = runScript(name, { ...s.env, NODE_OPTIONS: `--require ${offline}` });
      const label = name === "local-up.sh" ? "local:up" : "local:destroy";
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `${label}: no Pulumi CLI is installed, and the pinned pulumi npm package could not download one (pulumi: fetch failed).`,
      );
      expect(run.stderr).toContain(readFileSync(join(root, "tools", "cli", "pulumi-cli-missing.txt"), "utf8"));
    }
    // Nothing was run against a stack.
    expect(calls(s.log)).toEqual([]);
  });

  it("an installed pulumi wins over the npm package's shim that `npm run` puts first on PATH", () => {
    const s = sandbox(true);
    // As `npm run local:up` starts the script: the project's node_modules/.bin first.
    const shim = join(dirname(s.log), "project", "node_modules", ".bin");
    mkdirSync(shim, { recursive: true });
    writeFileSync(join(shim, "pulumi"), `#!/bin/sh\necho "shim|$*" >> "${s.log}"\n`);
    chmodSync(join(shim, "pulumi"), 0o755);
    const down = runScript("local-destroy.sh", { ...s.env, PATH: `${shim}:${s.env.PATH}` });
    expect(down.stderr).toContain(`local:destroy: Pulumi CLI on PATH: ${s.env.PATH.split(":")[0]}/pulumi`);
    expect(down.code).toBe(0);
    expect(calls(s.log).map((l) => l.split("|").slice(0, 2).join("|"))).toEqual([
      "path-pulumi|destroy --yes --stack local",
    ]);
  });

  it("PULUMI_CLI wins over PATH, as for smoke", () => {
    const s = sandbox(true);
    const alt = join(dirname(s.log), "alt-pulumi");
    writeFileSync(alt, `#!/bin/sh\necho "alt|$*" >> "${s.log}"\n`);
    chmodSync(alt, 0o755);
    const down = runScript("local-destroy.sh", { ...s.env, PULUMI_CLI: `${alt}` });
    expect(down.code).toBe(0);
    expect(calls(s.log)).toEqual(["alt|destroy --yes --stack local"]);
  });

  it("a failing pulumi stops local:up with its exit code", () => {
    const s = sandbox(true);
    writeFileSync(join(s.env.PATH.split(":")[0], "pulumi"), "#!/bin/sh\nexit 3\n");
    const up = runScript("local-up.sh", s.env);
    expect(up.code).toBe(3);
  });
});

describe.skipIf(!haveTool("shellcheck"))("shellcheck", () => {
  it("local-up.sh, local-destroy.sh and the CLI choice they share are clean", () => {
    const r = spawnSync("shellcheck", ["-x", "tools/local-up.sh", "tools/local-destroy.sh", "tools/pulumi-cli.sh"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("what every command says when the Pulumi CLI cannot be had", () => {
  it("is the README's install steps, for the CLI version the npm package pins", () => {
    const steps = readFileSync(join(root, "tools", "cli", "pulumi-cli-missing.txt"), "utf8");
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const commands = steps.split("\n").filter((l) => /^\s+(curl|npx) /.test(l));
    expect(commands).toHaveLength(2);
    for (const line of commands) expect(readme).toContain(line.trim());
    expect(steps).toContain(`--version ${npmPulumiVersion} `);
    expect(steps).toContain(`"The Pulumi CLI"`);
    expect(readme).toContain("**The Pulumi CLI.**");
  });
});
