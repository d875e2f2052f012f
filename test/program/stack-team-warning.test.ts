/**
 * Physical names come from the team, not the stack: `pulumi up` of a stack whose name does not
 * contain its team warns (a copied, unedited `Pulumi.dev.yaml` would reuse team dev's names).
 */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, expect, test, vi } from "vitest";
import { parseStackConfig } from "../../infra/config/parse";
import { buildStack, stackTeamWarning } from "../../infra/program";
import { RecordingMocks } from "../../tools/plan/mocks";
import { runUnderMocks } from "../../tools/plan/under-mocks";

afterEach(() => {
  vi.restoreAllMocks();
});

async function up(stack: string, team: string): Promise<{ warnings: string[]; resources: number }> {
  const parsed = parseStackConfig({ values: { "gitlab-dind:team": team, "gitlab-dind:target": "local" } });
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  const config = parsed.config;
  const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue(undefined);
  const run = await runUnderMocks(new RecordingMocks(), "gitlab-dind", stack, () => buildStack(config));
  return { warnings: warn.mock.calls.map((c) => c[0]), resources: run.mocks.resources.length };
}

test("Pulumi.dev.yaml copied to Pulumi.payments.yaml unedited: the program warns, and still builds", async () => {
  const { warnings, resources } = await up("payments", "dev");
  expect(warnings).toEqual([stackTeamWarning("payments", "dev")]);
  expect(warnings[0]).toContain('stack "payments" does not contain its team "dev" (gitlab-dind:team)');
  expect(warnings[0]).toContain("pulumi config set gitlab-dind:team <that team> --stack payments");
  expect(resources).toBeGreaterThan(5);
});

test.each([
  ["dev", "dev"],
  ["payments-prod", "payments"],
  ["Payments", "payments"],
])("stack %s of team %s: no warning", async (stack, team) => {
  expect((await up(stack, team)).warnings).toEqual([]);
});
