/**
 * GitLab's upgrade stops: the table, the path between two versions, and
 * `npm run upgrade-path` (its function, and once as a user runs it).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  UPGRADE_STOPS,
  checkImageChange,
  describeStop,
  parseGitLabVersion,
  upgradePath,
  type GitLabVersion,
} from "../../infra/upgrade-guard/upgrade-stops";
import { upgradePathCommand } from "../../tools/upgrade-path/main";

const v = (text: string): GitLabVersion => {
  const parsed = parseGitLabVersion(text);
  if (parsed === undefined) throw new Error(`test version ${text} does not parse`);
  return parsed;
};
const minors = (path: ReturnType<typeof upgradePath>) =>
  path.ok ? path.stops.map((s) => `${s.major}.${s.minor}`) : path.reason;

describe("the table", () => {
  it("holds the required stops the Upgrade paths page lists, in order", () => {
    const required = UPGRADE_STOPS.filter((s) => s.kind === "required").map((s) => `${s.major}.${s.minor}`);
    expect(required).toEqual(
      expect.arrayContaining([
        "15.11",
        "16.3",
        "16.7",
        "16.11",
        "17.3",
        "17.5",
        "17.8",
        "17.11",
        "18.2",
        "18.5",
        "18.8",
        "18.11",
        "19.2",
      ]),
    );
    const sorted = [...UPGRADE_STOPS].sort((a, b) => a.major - b.major || a.minor - b.minor);
    expect(UPGRADE_STOPS).toEqual(sorted);
    // From 17.5 on, every stop is on x.2, x.5, x.8 or x.11.
    for (const s of UPGRADE_STOPS.filter((s) => s.major > 17 || (s.major === 17 && s.minor >= 5)))
      expect([2, 5, 8, 11]).toContain(s.minor);
  });

  it('the README\'s "Upgrading GitLab" lists every stop the table enforces, and no other', () => {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Upgrading GitLab"));
    const listed = /is `infra\/upgrade-guard\/upgrade-stops\.ts`\): ([\d., \n]+?), and from 17\.5 on/.exec(
      section,
    )?.[1];
    expect(listed).toBeDefined();
    const enforced = UPGRADE_STOPS.filter((s) => s.kind === "required").map((s) => `${s.major}.${s.minor}`);
    expect(listed!.split(/,\s*/).map((x) => x.trim())).toEqual(enforced);
  });

  it("keeps the conditional stops (16.0, 16.1, 16.2, 17.1) out of what is enforced", () => {
    const path = upgradePath(v("15.11.13"), v("17.3.7"));
    expect(minors(path)).toEqual(["16.3", "16.7", "16.11"]);
    expect(path.ok && path.conditional.map((s) => `${s.major}.${s.minor}`)).toEqual(["16.0", "16.1", "16.2", "17.1"]);
  });
});

describe("versions and image tags", () => {
  it("reads GitLab's version from version strings and image references", () => {
    expect(parseGitLabVersion("19.3.0-ce.0")).toEqual({ major: 19, minor: 3, patch: 0 });
    expect(parseGitLabVersion("gitlab/gitlab-ce:18.11.4-ce.0")).toEqual({ major: 18, minor: 11, patch: 4 });
    expect(
      parseGitLabVersion("registry.example.com:5000/mirror/gitlab-ce:19.2.1-ce.0@sha256:" + "a".repeat(64)),
    ).toEqual({
      major: 19,
      minor: 2,
      patch: 1,
    });
    expect(parseGitLabVersion("19.3")).toEqual({ major: 19, minor: 3, patch: 0 });
  });

  it("reads none from latest, untagged references, a registry port alone, or a minor past 11", () => {
    for (const text of [
      "latest",
      "gitlab/gitlab-ce:latest",
      "gitlab/gitlab-ce",
      "registry:5000/gitlab-ce",
      "nightly",
      "19.12.0",
      "",
    ])
      expect(parseGitLabVersion(text), text).toBeUndefined();
  });
});

describe("the path between two versions", () => {
  it("is empty within a stop's window and for patches", () => {
    expect(minors(upgradePath(v("19.2.4"), v("19.3.0")))).toEqual([]);
    expect(minors(upgradePath(v("18.11.0"), v("19.2.1")))).toEqual([]);
    expect(minors(upgradePath(v("19.3.0"), v("19.3.2")))).toEqual([]);
    expect(minors(upgradePath(v("19.3.0"), v("19.3.0")))).toEqual([]);
  });

  it("lists every stop strictly between, oldest first", () => {
    expect(minors(upgradePath(v("18.9.2"), v("19.3.0")))).toEqual(["18.11", "19.2"]);
    expect(minors(upgradePath(v("16.5.0"), v("18.2.1")))).toEqual(["16.7", "16.11", "17.3", "17.5", "17.8", "17.11"]);
    expect(minors(upgradePath(v("15.4.0"), v("16.3.0")))).toEqual(["15.11"]);
  });

  it("past the table, requires the stops GitLab's x.2/x.5/x.8/x.11 rule schedules, marked as such", () => {
    const path = upgradePath(v("19.2.0"), v("20.3.0"));
    expect(minors(path)).toEqual(["19.5", "19.8", "19.11", "20.2"]);
    expect(path.ok && path.stops.every((s) => s.kind === "scheduled")).toBe(true);
  });

  it("refuses a downgrade, a patch downgrade too, saying to restore a backup", () => {
    for (const [from, to] of [
      ["19.3.0", "19.2.0"],
      ["19.3.2", "19.3.1"],
      ["18.0.0", "17.11.7"],
    ]) {
      const path = upgradePath(v(from), v(to));
      expect(path.ok).toBe(false);
      expect(!path.ok && path.message).toMatch(/does not support downgrades.*restore a backup/s);
    }
  });

  it("refuses a start older than the table covers (before 14.10, the last GitLab 14 stop)", () => {
    expect(minors(upgradePath(v("14.9.5"), v("15.0.5")))).toBe("too-old");
    const path = upgradePath(v("14.9.5"), v("15.0.5"));
    expect(!path.ok && path.message).toContain("up to 14.10 first");
  });

  it("14.10 → 15.0 is one step (the required path), and 14.10 → 15.11 stops at 15.0 and 15.4", () => {
    expect(minors(upgradePath(v("14.10.5"), v("15.0.5")))).toEqual([]);
    expect(minors(upgradePath(v("14.10.5"), v("15.11.13")))).toEqual(["15.0", "15.4"]);
  });

  it("every stop of the table up to 19.2 has its latest known patch: no `.z` in what it prints", () => {
    const path = upgradePath(v("14.10.5"), v("19.3.0"));
    const lines = path.ok ? path.stops.map((s) => describeStop(s)) : [];
    expect(lines.map((l) => l.split(" ")[0]).slice(-5)).toEqual([
      "gitlab/gitlab-ce:18.2.8-ce.0",
      "gitlab/gitlab-ce:18.5.7-ce.0",
      "gitlab/gitlab-ce:18.8.11-ce.0",
      "gitlab/gitlab-ce:18.11.11-ce.0",
      "gitlab/gitlab-ce:19.2.4-ce.0",
    ]);
    expect(lines.join("\n")).not.toMatch(/\.z-ce|not known to this table/);
  });
});

describe("checkImageChange (what the guard refuses)", () => {
  it("lets the same image, a registry move and an upgrade within a window through", () => {
    expect(checkImageChange("gitlab/gitlab-ce:19.3.0-ce.0", "gitlab/gitlab-ce:19.3.0-ce.0")).toBeUndefined();
    expect(
      checkImageChange("gitlab/gitlab-ce:19.3.0-ce.0", "mirror.example.com/gitlab/gitlab-ce:19.3.1-ce.0"),
    ).toBeUndefined();
    expect(checkImageChange("gitlab/gitlab-ce:19.2.4-ce.0", "gitlab/gitlab-ce:19.3.0-ce.0")).toBeUndefined();
  });

  it("names each skipped stop with the image to set, in order, then the target, and says to back up first", () => {
    const problem = checkImageChange("gitlab/gitlab-ce:18.9.2-ce.0", "gitlab/gitlab-ce:19.3.0-ce.0");
    expect(problem).toBeDefined();
    const lines = problem!.split("\n");
    expect(lines[0]).toMatch(
      /skips GitLab's required upgrade stops after the deployed gitlab\/gitlab-ce:18\.9\.2-ce\.0/,
    );
    expect(lines[0]).toContain("npm run backup");
    expect(lines.slice(1).map((l) => l.trim().split(" ")[0])).toEqual([
      "gitlab/gitlab-ce:18.11.11-ce.0",
      "gitlab/gitlab-ce:19.2.4-ce.0",
      "gitlab/gitlab-ce:19.3.0-ce.0",
    ]);
  });

  it("refuses a downgrade and an image without a readable version", () => {
    expect(checkImageChange("gitlab/gitlab-ce:19.3.0-ce.0", "gitlab/gitlab-ce:19.2.4-ce.0")).toMatch(
      /does not support downgrades/,
    );
    expect(checkImageChange("gitlab/gitlab-ce:19.3.0-ce.0", "gitlab/gitlab-ce:nightly")).toMatch(
      /cannot read GitLab's version/,
    );
  });
});

describe("npm run upgrade-path", () => {
  it("prints one line per stop, each starting with the image, then the target", () => {
    const r = upgradePathCommand(["--from", "16.5.0", "--to", "18.2.1"]);
    expect(r.code).toBe(0);
    expect(r.out.map((l) => l.split(" ")[0])).toEqual([
      "gitlab/gitlab-ce:16.7.10-ce.0",
      "gitlab/gitlab-ce:16.11.10-ce.0",
      "gitlab/gitlab-ce:17.3.7-ce.0",
      "gitlab/gitlab-ce:17.5.5-ce.0",
      "gitlab/gitlab-ce:17.8.7-ce.0",
      "gitlab/gitlab-ce:17.11.7-ce.0",
      "gitlab/gitlab-ce:18.2.1-ce.0",
    ]);
    expect(r.out.at(-1)).toMatch(/target 18\.2\.1/);
  });

  it("keeps the target image as given, and its repository for the stops", () => {
    const r = upgradePathCommand([
      "--from",
      "gitlab/gitlab-ce:18.9.2-ce.0",
      "--to",
      "mirror.example.com/gitlab/gitlab-ce:19.3.0-ce.0",
    ]);
    expect(r.out.map((l) => l.split(" ")[0])).toEqual([
      "mirror.example.com/gitlab/gitlab-ce:18.11.11-ce.0",
      "mirror.example.com/gitlab/gitlab-ce:19.2.4-ce.0",
      "mirror.example.com/gitlab/gitlab-ce:19.3.0-ce.0",
    ]);
  });

  it("refuses a downgrade, and versions it cannot read, every one at once", () => {
    const down = upgradePathCommand(["--from", "19.3.0", "--to", "19.2.0"]);
    expect(down.code).toBe(1);
    expect(down.out).toEqual([]);
    expect(down.err.join("\n")).toMatch(/GitLab does not support downgrades.*restore a backup/s);
    const bad = upgradePathCommand(["--from", "latest", "--to", "gitlab/gitlab-ce"]);
    expect(bad.code).toBe(1);
    expect(bad.err.filter((l) => l.includes("cannot read a GitLab version"))).toHaveLength(2);
    expect(upgradePathCommand(["--to", "19.3.0"]).err[0]).toBe("upgrade-path: --from is required");
  });

  it("runs as a user runs it: stops on stdout, exit 0 (spawned); a downgrade on stderr, exit 1 (in-process)", () => {
    const root = join(__dirname, "..", "..");
    const npm = (args: string[]) =>
      spawnSync("npm", ["run", "-s", "upgrade-path", "--", ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
    const ok = npm(["--from", "18.9.2", "--to", "19.3.0"]);
    expect(ok.status).toBe(0);
    expect(
      ok.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]),
    ).toEqual(["gitlab/gitlab-ce:18.11.11-ce.0", "gitlab/gitlab-ce:19.2.4-ce.0", "gitlab/gitlab-ce:19.3.0-ce.0"]);
    // The entry point prints `out` on stdout, `err` on stderr and exits with `code`, as above.
    const down = upgradePathCommand(["--from", "19.3.0", "--to", "18.11.0"]);
    expect(down.code).toBe(1);
    expect(down.out).toEqual([]);
    expect(down.err.join("\n")).toMatch(/does not support downgrades/);
  });
});
