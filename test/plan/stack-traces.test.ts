/**
 * tools/plan/stack-traces.ts: builds under the mocks run with no stack traces, and the limit comes
 * back afterwards, also when two runs overlap without nesting (test files share their process).
 */
import { expect, it } from "vitest";
import { withoutStackTraces } from "../../tools/plan/stack-traces";

it("sets the limit to 0 while any run is pending, and restores it after the last, whatever the order they end in", async () => {
  const before = Error.stackTraceLimit;
  let endFirst!: () => void;
  let endSecond!: () => void;
  const first = withoutStackTraces(() => new Promise<void>((resolve) => (endFirst = resolve)));
  const second = withoutStackTraces(() => new Promise<void>((resolve) => (endSecond = resolve)));
  expect(Error.stackTraceLimit).toBe(0);
  endFirst();
  await first;
  // The second is still running: still no traces.
  expect(Error.stackTraceLimit).toBe(0);
  endSecond();
  await second;
  expect(Error.stackTraceLimit).toBe(before);
  await expect(withoutStackTraces(() => Promise.reject(new Error("failed build")))).rejects.toThrow("failed build");
  expect(Error.stackTraceLimit).toBe(before);
});
