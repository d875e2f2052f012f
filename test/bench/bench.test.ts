/**
 * `npm run bench`'s own logic (its figures are measured by running it, never in a test):
 * medians, interleaving, CPU-time parsing, and the command line.
 */
import { describe, expect, it } from "vitest";
import { BenchArgsError, parseBenchArgs } from "../../tools/bench/args";
import { childCpuMs, formatRatio, interleave, measureInterleaved, median } from "../../tools/bench/stats";

describe("bench arithmetic", () => {
  it("takes the median of odd and even counts, unsorted input, and NaN for none", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 1, 4, 3])).toBe(3.5);
    expect(median([5])).toBe(5);
    expect(median([])).toBeNaN();
    // An outlier moves a mean, not the median.
    expect(median([1, 1, 1, 1, 100])).toBe(1);
  });

  it("interleaves variants, alternating which goes first", () => {
    expect(interleave(["a", "b"], 3)).toEqual(["a", "b", "b", "a", "a", "b"]);
    expect(interleave(["x"], 2)).toEqual(["x", "x"]);
  });

  it("runs each variant the given number of times, in interleaved order, keeping values per variant", async () => {
    const order: string[] = [];
    let t = 0;
    const result = await measureInterleaved(
      {
        a: () => (order.push("a"), Promise.resolve(++t)),
        b: () => (order.push("b"), Promise.resolve(++t * 10)),
      },
      2,
    );
    expect(order).toEqual(["a", "b", "b", "a"]);
    expect(result).toEqual({ a: [1, 4], b: [20, 30] });
  });

  it("reads the children's CPU time from bash's `times`, and formats ratios", () => {
    expect(childCpuMs("0m2.310s 0m0.290s")).toBeCloseTo(2600);
    expect(childCpuMs("1m0.500s 0m0.000s")).toBeCloseTo(60_500);
    expect(childCpuMs("garbage")).toBeNaN();
    expect(formatRatio(3, 2)).toBe("1.50×");
  });
});

describe("npm run bench's command line", () => {
  it("defaults to all three figures, 5 interleaved runs, one test run, the dev stack", () => {
    expect(parseBenchArgs([])).toEqual({
      figures: ["preview", "plan", "test"],
      runs: 5,
      testRuns: 1,
      stack: "dev",
      json: undefined,
      help: false,
    });
  });

  it("picks figures (in the printed order) and run counts", () => {
    const a = parseBenchArgs(["--only", "test,plan", "--runs", "3", "--test-runs", "2", "--stack", "local"]);
    expect(a.figures).toEqual(["plan", "test"]);
    expect(a).toMatchObject({ runs: 3, testRuns: 2, stack: "local" });
  });

  it("refuses unknown figures, bad counts and unknown flags, naming each at once", () => {
    let error: unknown;
    try {
      parseBenchArgs(["--only", "plan,speed", "--runs", "0", "--test-runs", "two"]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BenchArgsError);
    const message = (error as Error).message;
    expect(message).toContain('--only: expected a comma-separated list of preview, plan, test; got "plan,speed"');
    expect(message).toContain('--runs: expected an integer from 1 to 100; got "0"');
    expect(message).toContain('--test-runs: expected an integer from 1 to 100; got "two"');
    expect(() => parseBenchArgs(["--fast"])).toThrow(BenchArgsError);
  });
});
