/**
 * Errors raised while the program builds reach the user as a message, never as a stack trace.
 *
 * Most of the program's work happens in Output callbacks (the renderers of cloud-init, gitlab.rb,
 * config.toml run inside `apply`), so an error there does not stop `buildStack`: it rejects the
 * registration of the resource that needed the value, and Pulumi's language host reports it from
 * its `unhandledRejection`/`uncaughtException` handlers (`@pulumi/pulumi` `cmd/run/run.js`). That
 * handler prints the message alone for a `RunError` and "Running program … failed with an
 * unhandled exception" with the stack for anything else. The configuration is checked before the
 * build (a `StackConfigError` is a RunError), so such an error is a gap in that check or a bug;
 * either way the user needs the message, and the stack helps only whoever fixes the program.
 *
 * `reportBuildErrorsAsMessages` puts a listener in front of the language host's (prepended, so it
 * runs first, on the same error object) that makes the error a RunError by the mark the SDK's
 * `RunError.isInstance` reads (`__pulumiRunError`, the SDK's own cross-copy check, see
 * `@pulumi/pulumi` errors.js) and says where the stack can be had. GITLAB_DIND_DEBUG=1 leaves
 * every error as it is.
 */
import * as pulumi from "@pulumi/pulumi";

/** The hint appended to every error made a message. */
export const DEBUG_HINT =
  "(an error while the program built the stack; rerun with GITLAB_DIND_DEBUG=1 for its stack trace)";

/** Turns one error into a RunError in place (same object: the language host dedupes by identity). */
export function asRunError(error: unknown): void {
  if (!(error instanceof Error) || isRunError(error)) return;
  error.message = `${error.message}\n${DEBUG_HINT}`;
  Object.defineProperty(error, "__pulumiRunError", { value: true, enumerable: false });
}

/** The SDK's check, without its type guard (which would narrow every Error to a RunError). */
function isRunError(error: Error): boolean {
  const candidate: unknown = error;
  return pulumi.RunError.isInstance(candidate);
}

/**
 * Installs the listener (unless GITLAB_DIND_DEBUG=1); returns the function that removes it.
 * Call it once, before the program builds.
 */
export function reportBuildErrorsAsMessages(): () => void {
  if (process.env.GITLAB_DIND_DEBUG === "1") return () => undefined;
  const listener = (error: unknown): void => asRunError(error);
  process.prependListener("uncaughtException", listener);
  process.prependListener("unhandledRejection", listener);
  return () => {
    process.removeListener("uncaughtException", listener);
    process.removeListener("unhandledRejection", listener);
  };
}
