/**
 * Runs a build of the program under Pulumi's mocks without recording a stack trace for every promise.
 *
 * Pulumi's SDK wraps each promise it makes in `debuggablePromise` (`runtime/debuggable.js`), which
 * reads `new Error().stack` at once, for its report of promises left pending at exit (which shows
 * the traces only with PULUMI_DEBUG_PROMISE_LEAKS). Where stack traces are source-mapped (vitest's
 * module runner, tsx) formatting them is most of a build's time: measured on the dev stack in a
 * test, ~0.3 s of a ~0.4 s plan, against ~0.12 s without. Nothing a plan shows comes from those
 * traces (the mocks never see source positions; Pulumi computes a resource's own with a limit of
 * its own).
 *
 * While `run` is pending, `Error.stackTraceLimit` is 0, so an error thrown by the program carries
 * its message and no frames; it is restored afterwards, pass or fail. `PLAN_DEBUG=1` keeps the
 * frames (and makes `npm run plan` print them).
 */
export async function withoutStackTraces<T>(run: () => Promise<T>): Promise<T> {
  if (process.env.PLAN_DEBUG === "1") return run();
  // Counted, not saved per call: runs that overlap without nesting (two builds awaited together)
  // must not leave the limit at 0 for whatever runs after them.
  if (active++ === 0) {
    savedLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
  }
  try {
    return await run();
  } finally {
    if (--active === 0) Error.stackTraceLimit = savedLimit;
  }
}

let active = 0;
let savedLimit = Error.stackTraceLimit;
