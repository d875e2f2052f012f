/**
 * The operator's documentation says what the host's role can do and what the IMDS hop limit does
 * and does not protect (issue 9, items 1 and 2), in step with the role the program builds.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { KEYS_BY_PATH } from "../../infra/config/schema";
import { buildAwsHost, settings } from "../host/build-aws-host";

const root = join(__dirname, "..", "..");
const operations = readFileSync(join(root, "docs", "operations.md"), "utf8");

/** One bullet of docs/operations.md, from its bold title to the next bullet or heading. */
function bullet(title: string): string {
  const start = operations.indexOf(`- **${title}`);
  expect(start, `docs/operations.md has a bullet "${title}"`).toBeGreaterThanOrEqual(0);
  const rest = operations.slice(start + 2);
  const end = rest.search(/\n- \*\*|\n#/);
  return end < 0 ? rest : rest.slice(0, end);
}

test("host.imdsHopLimit's description says what it does not protect, and why that is acceptable", () => {
  const description = KEYS_BY_PATH.get("host.imdsHopLimit")?.description ?? "";
  expect(description).toMatch(/does not stop a privileged DinD job/);
  expect(description).toMatch(/root on the host/);
  expect(description).toMatch(/whatever the limit/);
  expect(description).toMatch(/holds nothing another team could use/);
  const hop = bullet("What `host.imdsHopLimit` protects, and what it does not");
  expect(hop).toMatch(/does\s+not stop a privileged DinD job/);
  // The old claim, that the hop limit keeps jobs from the credentials, is gone.
  expect(operations).not.toMatch(/hop limit keeps jobs from the instance's AWS credentials/);
});

test("docs/operations.md names every action the host's role is granted, and its one parameter", async () => {
  const b = await buildAwsHost(settings("dev"));
  const actions = b.mocks
    .ofType("aws:iam/rolePolicy:RolePolicy")
    .filter((p) => p.inputs.role === "dev-host-role-a1b2c3d")
    .flatMap((p) => (JSON.parse(String(p.inputs.policy)) as { Statement: Array<{ Action: string[] }> }).Statement)
    .flatMap((st) => st.Action);
  expect(actions.length).toBeGreaterThan(10);
  const role = bullet("What the host's role can do");
  for (const action of actions) {
    const [service, name] = action.split(":");
    expect(role, action).toContain(`${service}:`);
    expect(role, action).toContain(name);
  }
  expect(role).toContain("/<team>/gitlab-dind/docker/server-key");
  expect(role).toMatch(/no AWS managed policy/);
  expect(role).toMatch(/decrypt it, which the parameter's KMS key allows to\s+this role only/);
});
