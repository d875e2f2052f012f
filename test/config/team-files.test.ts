/**
 * Two stack files of one project with the same gitlab-dind:team take the same physical names: a
 * warning naming both files, at preview (the entry point) and in the offline plan.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { findProjectDir, sameTeamWarning, stackFilesOfTeam } from "../../infra/config/team-files";
import { cli } from "../../tools/plan/main";
import { inProcess } from "../support/command";

const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-team-files-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(scratch, "p-"));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: gitlab-dind\nruntime: nodejs\n");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const stack = (team: string, target?: string) =>
  `config:\n  gitlab-dind:team: ${team}\n${target === undefined ? "" : `  gitlab-dind:target: ${target}\n`}`;

describe("stack files of one team", () => {
  test("a copied Pulumi.dev.yaml: the warning names both files and the team", () => {
    const dir = project({
      "Pulumi.dev.yaml": stack("dev"),
      "Pulumi.copy.yaml": stack("dev"),
      "Pulumi.ops.yaml": stack("ops"),
    });
    const warning = sameTeamWarning(dir, "copy", "dev", "aws", join(dir, "Pulumi.copy.yaml"));
    expect(warning).toMatch(
      /^gitlab-dind:team is "dev" in Pulumi\.copy\.yaml and in Pulumi\.dev\.yaml \(same target aws\): /,
    );
    expect(warning).toContain("pulumi config set gitlab-dind:team <team> --stack copy");
    expect(sameTeamWarning(dir, "ops", "ops", "aws", join(dir, "Pulumi.ops.yaml"))).toBeUndefined();
  });

  test("another target does not clash (an AWS account and a Docker daemon); an unreadable file is skipped", () => {
    const dir = project({
      "Pulumi.dev.yaml": stack("dev"),
      "Pulumi.dev-local.yaml": stack("dev", "local"),
      "Pulumi.broken.yaml": "config: [",
    });
    expect(stackFilesOfTeam(dir, "dev", "aws", join(dir, "Pulumi.dev.yaml"))).toEqual([]);
  });

  test("the project directory: Pulumi's root directory, else up from the main directory", () => {
    const dir = project({});
    mkdirSync(join(dir, "infra", "entry"), { recursive: true });
    expect(findProjectDir("", join(dir, "infra", "entry"))).toBe(dir);
    expect(findProjectDir(dir, "/")).toBe(dir);
  });

  test("`npm run plan` of a stack file with the team of this project's Pulumi.dev.yaml warns, naming both", async () => {
    const file = join(scratch, "Pulumi.dev-copy.yaml");
    writeFileSync(
      file,
      `config:\n  gitlab-dind:team: dev\n  gitlab-dind:target: aws\n  aws:region: eu-central-1\n  gitlab-dind:network:\n    adminCidrs: [203.0.113.0/24]\n`,
    );
    const run = await inProcess(cli, ["--stack", "dev-copy", "--config-file", file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `warning: gitlab-dind:team is "dev" in ${file} and in Pulumi.dev.yaml (same target aws)`,
    );
  });
});
