/**
 * The setup step's SQL against a real PostgreSQL (Debian's `postgresql`; required under CI=true):
 * it creates every extension GitLab needs and the registry's database, and a second run (a new host,
 * a new instance) changes nothing and fails nothing. The server is a throw-away cluster on a Unix
 * socket in a temporary directory; RDS's own version is 17, Debian's here may be older (the SQL uses
 * nothing newer than PostgreSQL 10).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GITLAB_EXTENSIONS, renderSetupSql } from "../../infra/database/setup";
import { requireTool } from "../support/tools";

/** Debian installs the server's binaries per major version, off the PATH. */
function serverBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb")));
  return majors.length === 0 ? undefined : join(root, majors.sort((a, b) => Number(b) - Number(a))[0], "bin");
}

const bin = serverBin();
const hasPostgres =
  requireTool("psql", "apt-get install postgresql") &&
  (bin !== undefined || requireTool("initdb", "apt-get install postgresql (its server binaries)"));

describe.skipIf(!hasPostgres)("the setup step's SQL on a real PostgreSQL", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  const asRoot = process.getuid?.() === 0;
  // initdb and postgres refuse to run as root: as Debian's postgres user then.
  const run = (command: string, args: string[]): string =>
    execFileSync(asRoot ? "runuser" : command, asRoot ? ["-u", "postgres", "--", command, ...args] : args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  const psql = (args: string[]): string =>
    execFileSync(
      "psql",
      ["--no-psqlrc", "-h", dir, "-p", "54329", "-U", "postgres", "-X", "-v", "ON_ERROR_STOP=1", ...args],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      },
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gitlab-dind-pg-"));
    chmodSync(dir, 0o755);
    const data = join(dir, "data");
    if (asRoot) {
      const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
      chownSync(dir, uid, gid);
    }
    run(join(bin ?? "", "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync"]);
    const postgres = asRoot ? "runuser" : join(bin ?? "", "postgres");
    const args = ["-D", data, "-k", dir, "-p", "54329", "-c", "listen_addresses=", "-c", "fsync=off"];
    server = spawn(postgres, asRoot ? ["-u", "postgres", "--", join(bin ?? "", "postgres"), ...args] : args, {
      stdio: "ignore",
    });
    for (let i = 0; i < 100; i++) {
      try {
        psql(["-d", "postgres", "-c", "select 1"]);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error("the throw-away PostgreSQL did not start");
  }, 60_000);

  afterAll(async () => {
    if (server !== undefined) {
      const exited = new Promise((r) => server?.once("exit", r));
      // pg_ctl as the server's user: a signal to runuser would not reach the server.
      run(join(bin ?? "", "pg_ctl"), ["stop", "-D", join(dir, "data"), "-m", "immediate"]);
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("creates GitLab's extensions and the registry database, twice without a change or an error", () => {
    psql(["-d", "postgres", "-c", "CREATE DATABASE gitlabhq_production"]);
    const file = join(dir, "setup.sql");
    writeFileSync(file, renderSetupSql({ registryDatabase: "registry" }));
    chmodSync(file, 0o644);
    for (let round = 0; round < 2; round++) {
      psql(["-d", "gitlabhq_production", "--file", file]);
      const extensions = psql([
        "-d",
        "gitlabhq_production",
        "-At",
        "-c",
        "SELECT extname FROM pg_extension ORDER BY 1",
      ]);
      expect(extensions.trim().split("\n")).toEqual([...GITLAB_EXTENSIONS].sort());
      const databases = psql([
        "-d",
        "postgres",
        "-At",
        "-c",
        "SELECT datname FROM pg_database WHERE datname = 'registry'",
      ]);
      expect(databases.trim()).toBe("registry");
    }
  });
});
