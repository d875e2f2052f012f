/**
 * Claims about upstream behaviour that were once written here and are wrong for the versions this
 * project pins (gitlab-runner v19.3.0, omnibus-gitlab 19.3): no shipped file or doc may make them
 * again. Each entry says what is true instead, and where upstream shows it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, test } from "vitest";

const root = resolve(__dirname, "..", "..");
const SHIPPED = ["infra", "runner-config", "tools", "docs", "examples", "README.md", "DEVELOPERS.md"];

function files(path: string): string[] {
  const full = join(root, path);
  if (statSync(full).isFile()) return [full];
  return readdirSync(full).flatMap((entry) => (entry === "node_modules" ? [] : files(join(path, entry))));
}

const texts = SHIPPED.flatMap(files)
  .filter((f) => /\.(ts|md|ya?ml|sh)$/.test(f) || f.endsWith(".gitlab-ci.yml"))
  .map((f) => ({ file: relative(root, f), text: readFileSync(f, "utf8") }));

const WRONG: { claim: string; pattern: RegExp; truth: string }[] = [
  {
    claim: "disable_cache = true skips the /certs/client volume",
    pattern:
      /(disable_cache|with it true)[^\n]*skips?[^\n]*(\/certs\/client|CERTS_CLIENT_VOLUME|container-path volumes)/,
    truth:
      "it makes a throwaway volume per job for each container-path volume (gitlab-runner v19.3.0 executors/docker/internal/volumes/manager.go addCacheVolume)",
  },
  {
    claim: "the image runs GITLAB_POST_RECONFIGURE_SCRIPT from docker/assets/wrapper",
    pattern: /omnibus-gitlab's docker\/assets\/wrapper|image's wrapper|the wrapper (runs|`eval`s)/,
    truth: "the file is docker/assets/init-container since 17.10 (omnibus-gitlab commit 2f7c4ceb6, in 17.10.0+ce.0)",
  },
];

describe("no shipped file repeats a wrong upstream claim", () => {
  test.each(WRONG)("$claim", ({ pattern, truth }) => {
    const offenders = texts.filter((t) => pattern.test(t.text)).map((t) => t.file);
    expect(offenders, `wrong: ${truth}`).toEqual([]);
  });

  test("the scan reads the files the claims were found in", () => {
    const scanned = texts.map((t) => t.file);
    expect(scanned).toEqual(
      expect.arrayContaining([
        "infra/gitlab/bootstrap-token.ts",
        "runner-config/model.ts",
        "runner-config/validate-model.ts",
      ]),
    );
  });
});
