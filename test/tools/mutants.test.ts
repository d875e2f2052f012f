import { describe, expect, it } from "vitest";
import { plant, summarize } from "../../tools/mutants/main";
import { PLANTED_DEFECTS } from "../../tools/mutants/script-defects";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { npmRun } from "../support/command";

const root = join(__dirname, "..", "..");

describe("npm run mutants", () => {
  it("prints its usage with --help (as npm runs it) and runs nothing", async () => {
    const r = await npmRun("mutants", ["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: npm run mutants");
  });

  it("scores Stryker's report as Stryker does and lists every survivor", () => {
    const at = (line: number) => ({ start: { line, column: 3 } });
    const s = summarize({
      files: {
        "b.ts": {
          mutants: [{ mutatorName: "BooleanLiteral", replacement: "false", status: "Survived", location: at(9) }],
        },
        "a.ts": {
          mutants: [
            { mutatorName: "EqualityOperator", replacement: "a !== b", status: "Killed", location: at(1) },
            { mutatorName: "StringLiteral", replacement: '""', status: "Timeout", location: at(2) },
            { mutatorName: "ConditionalExpression", replacement: "true", status: "NoCoverage", location: at(4) },
            { mutatorName: "BlockStatement", replacement: "{}", status: "CompileError", location: at(5) },
          ],
        },
      },
    });
    expect(s.score).toBe(50);
    expect(s.survivors).toEqual([
      "a.ts:4:3 ConditionalExpression → true (NoCoverage)",
      "b.ts:9:3 BooleanLiteral → false (Survived)",
    ]);
  });

  it("every planted defect finds its target exactly once in today's code", () => {
    for (const defect of PLANTED_DEFECTS) {
      const text = readFileSync(join(root, defect.file), "utf8");
      expect(plant(text, defect), defect.id).not.toBe(text);
    }
    expect(() => plant("x x", { ...PLANTED_DEFECTS[0], find: "x" })).toThrow(/exactly once/);
  });
});
