/**
 * The error the renderers throw for bad input. A Pulumi RunError, so that `pulumi up` prints the
 * message alone, without a stack trace. The message lists every problem; none contains the token.
 */
// From `@pulumi/pulumi/errors`, not the package index: the same class (`pulumi.RunError` is this
// export), without loading the whole SDK into every pure renderer and its tests.
import { RunError } from "@pulumi/pulumi/errors";

export class RunnerConfigError extends RunError {
  readonly problems: readonly string[];
  constructor(what: string, problems: readonly string[]) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`${what} cannot be rendered, ${count}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "RunnerConfigError";
    this.problems = problems;
  }
}
