/**
 * The data location guard (infra/data-location-guard): its check refuses turning a data location
 * key back to the box unless gitlab.dataMovedBack lists it, with the key and the way back in the
 * message; the GitLab container starts after it on aws; none locally.
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../../infra/config/parse";
import { dataLocationGuardProvider, dataMoveProblems, type DataGuardInputs } from "../../infra/data-location-guard";
import { planStack } from "../support/stack-plans";

const OFF_BOX: DataGuardInputs = { objectStorage: "s3", database: "rds", redis: "elasticache", movedBack: [] };
const ON_BOX: DataGuardInputs = { objectStorage: "local", database: "bundled", redis: "bundled", movedBack: [] };

describe("the guard's check", () => {
  it("refuses each key that goes back to the box, naming it and saying how to move the data back", async () => {
    const result = await dataLocationGuardProvider.check!(OFF_BOX, ON_BOX);
    const reasons = (result.failures ?? []).map((f) => f.reason);
    expect(reasons).toHaveLength(3);
    expect(reasons[0]).toMatch(/^gitlab-dind:gitlab\.objectStorage: going from s3 back to local is refused/);
    expect(reasons[0]).toContain("gitlab:artifacts:migrate_to_local");
    expect(reasons[1]).toMatch(/^gitlab-dind:gitlab\.database: going from rds back to bundled is refused/);
    expect(reasons[1]).toContain("gitlab-backup create");
    // After a move out the old bundled database is still on the volume: stale, not empty.
    expect(reasons[1]).toContain("as it was before the move to RDS");
    expect(reasons[1]).toContain("metadata database `registry`");
    expect(reasons[2]).toMatch(/^gitlab-dind:gitlab\.redis: going from elasticache back to bundled is refused/);
    expect(reasons[2]).toContain("drain Sidekiq");
    for (const r of reasons) expect(r).toContain("gitlab.dataMovedBack");
  });

  it("lets a key listed in gitlab.dataMovedBack go back, and only that key", async () => {
    const result = await dataLocationGuardProvider.check!(OFF_BOX, { ...ON_BOX, movedBack: ["gitlab.redis"] });
    const reasons = (result.failures ?? []).map((f) => f.reason);
    expect(reasons.map((r) => r.split(":")[1])).toEqual(["gitlab.objectStorage", "gitlab.database"]);
  });

  it("allows creating, moving off the box and staying put", async () => {
    for (const [olds, news] of [
      [{}, ON_BOX],
      [{}, OFF_BOX],
      [ON_BOX, OFF_BOX],
      [OFF_BOX, OFF_BOX],
      [ON_BOX, ON_BOX],
    ] as const) {
      const result = await dataLocationGuardProvider.check!(olds, news);
      expect(result.failures).toEqual([]);
      expect(result.inputs).toEqual(news);
    }
  });

  it("refuses in diff too, should an engine diff without checking", async () => {
    await expect(dataLocationGuardProvider.diff!("id", OFF_BOX, { ...OFF_BOX, redis: "bundled" })).rejects.toThrow(
      /gitlab\.redis/,
    );
    expect(await dataLocationGuardProvider.diff!("id", ON_BOX, OFF_BOX)).toMatchObject({ changes: true });
    expect(await dataLocationGuardProvider.diff!("id", ON_BOX, ON_BOX)).toMatchObject({ changes: false });
  });

  it("says nothing without a recorded state", () => {
    expect(dataMoveProblems(undefined, ON_BOX, [])).toEqual([]);
  });
});

describe("in the program", () => {
  it("records the three keys on aws, and GitLab's container starts after it", async () => {
    const plan = await planStack("dev");
    const guard = plan.resources.find((r) => r.type === "pulumi-nodejs:dynamic/gitlab-dind:DataLocationGuard")!;
    expect(guard.inputs).toMatchObject({
      objectStorage: "local",
      database: "bundled",
      redis: "bundled",
      movedBack: [],
    });
    const container = plan.resources.find((r) => r.type === "docker:index/container:Container" && r.name === "gitlab")!;
    expect(container.options?.dependsOn).toContain(guard.name);
  });

  it("is not there on the local target", async () => {
    const plan = await planStack("local");
    expect(plan.resources.filter((r) => r.type.endsWith(":DataLocationGuard"))).toEqual([]);
  });
});

describe("gitlab.dataMovedBack", () => {
  it("takes the data location keys, each once, and refuses anything else naming the key", () => {
    const parsed = parseStackConfig({
      values: {
        "gitlab-dind:team": "dev",
        "gitlab-dind:target": "local",
        "gitlab-dind:gitlab.dataMovedBack": JSON.stringify(["gitlab.redis", "gitlab.cache", "gitlab.redis"]),
      },
    });
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.problems;
    expect(problems.every((p) => p.startsWith("gitlab-dind:gitlab.dataMovedBack"))).toBe(true);
    expect(problems.join("\n")).toContain('"gitlab.cache"');
  });
});
