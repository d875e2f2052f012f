/**
 * The renderers' error is a Pulumi RunError, which `pulumi up` prints as its message alone (no stack
 * trace): `@pulumi/pulumi/cmd/run/run.js` asks `RunError.isInstance(err)` of `@pulumi/pulumi/errors`,
 * the module `runner-config/errors.ts` takes the class from (the package index re-exports it).
 */
import { RunError } from "@pulumi/pulumi/errors";
import { expect, it } from "vitest";
import { RunnerConfigError } from "../../runner-config";

it("a RunnerConfigError is a RunError to Pulumi's runner, listing every problem", () => {
  const error = new RunnerConfigError("config.toml", ["concurrent: expected ≥ 1", "check_interval: expected ≥ 1"]);
  expect(RunError.isInstance(error)).toBe(true);
  expect(error).toBeInstanceOf(RunError);
  expect(error.message).toBe(
    "config.toml cannot be rendered, 2 problems:\n  - concurrent: expected ≥ 1\n  - check_interval: expected ≥ 1",
  );
});
