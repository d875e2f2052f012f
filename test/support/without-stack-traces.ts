/**
 * Runs the program under Pulumi's mocks without recording a stack trace for every promise.
 *
 * Pulumi's SDK wraps each promise it makes in `debuggablePromise` (`runtime/debuggable.js`), which
 * reads `new Error().stack` at once, only for its report of leaked promises at exit. Under vitest
 * every such stack is formatted through the module runner's source maps: measured on the dev
 * stack, ~0.3 s of a ~0.4 s in-process plan, against ~0.12 s without. Nothing the tests assert on
 * comes from those traces (the mocks never see source positions; Pulumi computes a resource's own
 * with a limit of its own).
 *
 * While `run` is pending, `Error.stackTraceLimit` is 0, so an error thrown by the program carries
 * its message and no frames; it is restored afterwards, pass or fail. To see the frames of a
 * failing build, run the test with `GITLAB_DIND_TEST_STACKS=1`.
 */
export async function withoutStackTraces<T>(run: () => Promise<T>): Promise<T> {
  if (process.env.GITLAB_DIND_TEST_STACKS === "1") return run();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await run();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
