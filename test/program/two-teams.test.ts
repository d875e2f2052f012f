/**
 * Stacks of several teams share one AWS account (and may share one Docker daemon): planning two
 * teams with the real program finds no explicit physical name or `Name` tag in common.
 */
import { expect, test } from "vitest";
import { parseStackConfig } from "../../infra/config/parse";
import { runPlan, type Plan } from "../../tools/plan/run-plan";

async function planTeam(team: string, target: "aws" | "local"): Promise<Plan> {
  const parsed = parseStackConfig({
    values: {
      "aws:region": "eu-central-1",
      "gitlab-dind:team": team,
      "gitlab-dind:target": target,
      "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
    },
  });
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  return runPlan("gitlab-dind", team, parsed.config);
}

/** Explicit physical names: every `name` input (but image references, which are shared on purpose) and `Name` tag. */
function physicalNames(plan: Plan): string[] {
  const out: string[] = [];
  for (const r of plan.resources) {
    if (r.type === "docker:index/remoteImage:RemoteImage") continue;
    if (typeof r.inputs.name === "string") out.push(`${r.type} name=${r.inputs.name}`);
    const tag = (r.inputs.tags as Record<string, unknown> | undefined)?.Name;
    if (typeof tag === "string") out.push(`${r.type} Name=${tag}`);
  }
  return out;
}

test.each(["aws", "local"] as const)("two teams on %s share no physical name or Name tag", async (target) => {
  const a = physicalNames(await planTeam("payments", target));
  const b = new Set(physicalNames(await planTeam("search", target)));
  expect(a.length).toBeGreaterThan(target === "aws" ? 15 : 4);
  expect(a.filter((n) => b.has(n))).toEqual([]);
  // And each of them says whose it is.
  for (const n of a) expect(n).toMatch(/(name|Name)=(\/)?payments[-/]/);
});
