/**
 * The program's entry point under the Pulumi runtime: configuration comes from the engine
 * (`PULUMI_CONFIG`), and a bad one stops the program before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, expect, test } from "vitest";
import { RecordingMocks } from "../../tools/plan/mocks";

// The engine's configuration is process-global, and test files share their process.
afterAll(() => pulumi.runtime.setAllConfig({}, []));

test("bad configuration: a RunError listing every problem (printed without a stack trace), and nothing registered", async () => {
  const mocks = new RecordingMocks();
  await pulumi.runtime.setMocks(mocks, "gitlab-dind", "payments");
  pulumi.runtime.setAllConfig(
    {
      "aws:region": "eu-central-1",
      "gitlab-dind:team": "payments",
      "gitlab-dind:runner": JSON.stringify({ concurrent: 0, concurent: 2 }),
      "gitlab-dind:gitlab": JSON.stringify({ rootPassword: "hunter2hunter2" }),
    },
    [],
  );
  const error = await import("../../infra/entry/index").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(pulumi.RunError);
  expect((error as Error).message).toBe(
    [
      "The stack configuration has 4 problems:",
      "  - gitlab-dind:runner.concurent: unknown key; did you mean runner.concurrent?",
      "  - gitlab-dind:network.adminCidrs: required for target aws; it is not set",
      "  - gitlab-dind:gitlab.rootPassword: expected a secret (set it with `pulumi config set --secret --path gitlab.rootPassword …`); got a plain-text value",
      "  - gitlab-dind:runner.concurrent: expected an integer from 1 to 64; got 0",
    ].join("\n"),
  );
  expect((error as Error).message).not.toContain("hunter2");
  expect(mocks.resources).toEqual([]);
});

test("the engine's secret keys are honoured: a secret root password is accepted", async () => {
  const { loadStackConfig } = await import("../../infra/config/load");
  pulumi.runtime.setAllConfig(
    {
      "gitlab-dind:team": "payments",
      "gitlab-dind:target": "local",
      "gitlab-dind:gitlab": JSON.stringify({ rootPassword: "a-long-enough-secret" }),
    },
    ["gitlab-dind:gitlab"],
  );
  const config = loadStackConfig();
  expect(config.gitlab.rootPassword?.reveal()).toBe("a-long-enough-secret");
});
