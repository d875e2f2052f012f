/**
 * Starts tools/language-host/run-as-pulumi.cjs: the program loaded the way `pulumi preview`/`up`
 * load it, with the stack's configuration handed over as the Pulumi CLI hands it (environment
 * variables), and no engine, credentials or network. Used by the tests, `npm run bench` and CI.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigSecret } from "../../infra/config/types";
import { readStackFile } from "../plan/stack-file";

export interface LoadOptions {
  /** The repository root (where Pulumi.yaml is). */
  readonly root: string;
  readonly stack: string;
  /** The stack's settings; default `Pulumi.<stack>.yaml` in root. */
  readonly stackFile?: string;
  /** `PULUMI_NODEJS_TRANSPILE_ONLY` as a user would set it; unset leaves the tsconfig to decide. */
  readonly transpileOnly?: boolean;
  /** Extra environment, such as TS_NODE_CACHE_DIRECTORY for a cold cache. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface LoadResult {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly stderr: string;
  /** The working directory the program ran in. */
  readonly cwd?: string;
  readonly resources: readonly { readonly type: string; readonly name: string }[];
  /** From process start to the program's first resource (the Stack itself aside). */
  readonly firstRegistrationMs?: number;
  readonly totalMs?: number;
  readonly maxRssBytes?: number;
}

/** The project's name and its `main` directory, from Pulumi.yaml. */
export function readProject(root: string): { name: string; main: string } {
  const doc = parseYaml(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { name?: unknown; main?: unknown };
  if (typeof doc?.name !== "string") throw new Error(`${join(root, "Pulumi.yaml")} has no project name`);
  return { name: doc.name, main: resolve(root, typeof doc.main === "string" ? doc.main : ".") };
}

/**
 * The configuration as the CLI passes it to the program: PULUMI_CONFIG maps each full key to a
 * string (structured values as JSON), PULUMI_CONFIG_SECRET_KEYS lists the secret ones. A
 * `secure:` value cannot be decrypted here and stands in as a placeholder.
 */
export function configEnvironment(stackFile: string): Record<string, string> {
  const { values, secretKeys } = readStackFile(stackFile);
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    const plain = JSON.parse(
      JSON.stringify(value, (_k, v: unknown) => (v instanceof ConfigSecret ? "placeholder-secret-value" : v)),
    ) as unknown;
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
  }
  return { PULUMI_CONFIG: JSON.stringify(config), PULUMI_CONFIG_SECRET_KEYS: JSON.stringify([...secretKeys]) };
}

export function loadAsPulumi(options: LoadOptions): Promise<LoadResult> {
  const project = readProject(options.root);
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...configEnvironment(options.stackFile ?? join(options.root, `Pulumi.${options.stack}.yaml`)),
    PULUMI_NODEJS_TYPESCRIPT: "true",
    ...options.env,
  };
  delete env.PULUMI_NODEJS_TRANSPILE_ONLY;
  delete env.PULUMI_NODEJS_TSCONFIG_PATH;
  if (options.transpileOnly !== undefined) env.PULUMI_NODEJS_TRANSPILE_ONLY = String(options.transpileOnly);
  // No loader of the caller's (tsx, vitest) may leak into the child: NODE_OPTIONS is dropped.
  delete env.NODE_OPTIONS;

  const script = join(options.root, "tools", "language-host", "run-as-pulumi.cjs");
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, project.name, options.stack, project.main], {
      cwd: options.root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", fail);
    child.on("close", (code) => {
      const line = stdout.trim().split("\n").pop() ?? "";
      let report: Partial<LoadResult> = {};
      try {
        report = JSON.parse(line) as Partial<LoadResult>;
      } catch {
        // No report: the load failed before it could print one; stderr says why.
      }
      done({ resources: [], ...report, ok: code === 0, exitCode: code, stderr });
    });
  });
}
