/**
 * The docs' internal links: every relative link in the project's Markdown (README, DEVELOPERS,
 * docs/, examples/) names a file that exists, and every `#anchor` one of the target's headings, as
 * GitHub renders them (its heading slugs). And every `npm run` command is in docs/commands.md.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ingressRules } from "../../infra/host/aws/network";
import { stackConfig } from "../support/stack-plans";

const root = join(__dirname, "..", "..");

function markdownFiles(): string[] {
  const top = ["README.md", "DEVELOPERS.md"].map((f) => join(root, f));
  const under = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) return under(path);
          return name.endsWith(".md") ? [path] : [];
        })
      : [];
  return [...top, ...under(join(root, "docs")), ...under(join(root, "examples"))];
}

/** GitHub's heading ids: lower case, punctuation dropped (not `-` or `_`), spaces to `-`, repeats numbered. */
export function headingSlugs(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const slugs = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const base = (m[1] ?? "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    slugs.add(n === 0 ? base : `${base}-${n}`);
  }
  return slugs;
}

/** `[text](target)` links outside code, with their line numbers. */
function links(markdown: string): { target: string; line: number }[] {
  const found: { target: string; line: number }[] = [];
  let fenced = false;
  markdown.split("\n").forEach((text, i) => {
    if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
    if (fenced) return;
    const prose = text.replace(/`[^`]*`/g, "");
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) found.push({ target: m[1] ?? "", line: i + 1 });
  });
  return found;
}

describe("the docs' internal links", () => {
  const files = markdownFiles();

  it("finds the project's Markdown files", () => {
    expect(files.map((f) => relative(root, f))).toEqual(
      expect.arrayContaining(["README.md", "docs/operations.md", "docs/commands.md"]),
    );
  });

  it("every relative link names an existing file, and every anchor one of its headings", () => {
    const broken: string[] = [];
    for (const file of files) {
      for (const { target, line } of links(readFileSync(file, "utf8"))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = "", anchor] = target.split("#", 2);
        const resolved = path === "" ? file : join(dirname(file), decodeURIComponent(path));
        const where = `${relative(root, file)}:${line}: (${target})`;
        if (!existsSync(resolved)) {
          broken.push(`${where} no such file`);
          continue;
        }
        if (anchor !== undefined && anchor !== "" && resolved.endsWith(".md")) {
          if (!headingSlugs(readFileSync(resolved, "utf8")).has(anchor))
            broken.push(`${where} no heading #${anchor} in ${relative(root, resolved)}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("computes GitHub's heading ids (so a broken anchor is caught)", () => {
    const slugs = headingSlugs(
      "# Time to green\n## `npm run smoke`: exit codes\n## Backups\n## Backups\n```\n# not a heading\n```\n",
    );
    expect([...slugs]).toEqual(["time-to-green", "npm-run-smoke-exit-codes", "backups", "backups-1"]);
  });
});

describe("docs/commands.md", () => {
  it("lists every npm run command of package.json, with its exit codes", () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts,
    );
    const doc = readFileSync(join(root, "docs", "commands.md"), "utf8");
    const rows = doc.split("\n").filter((l) => l.startsWith("| `npm "));
    const missing = scripts.filter(
      (name) => !rows.some((r) => r.includes(name === "test" ? "`npm test`" : `npm run ${name}`)),
    );
    expect(missing).toEqual([]);
    for (const row of rows) expect(row, row).toMatch(/`0` /);
  });
});

describe("the README's diagram", () => {
  it("labels the users' arrow with every port the dev stack opens to them (443 included)", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const diagram = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const userEdge = diagram.split("\n").find((l) => l.includes("user(")) ?? "";
    const ports = [
      ...new Set(
        ingressRules(stackConfig("dev"))
          .filter((r) => r.key !== "gitlab-dind:network.adminCidrs")
          .map((r) => r.port),
      ),
    ];
    expect(ports).toContain(443);
    for (const port of ports) expect(userEdge, `port ${port}`).toMatch(new RegExp(`\\b${port}\\b`));
  });
});
