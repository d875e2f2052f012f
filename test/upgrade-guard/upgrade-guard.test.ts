/**
 * The upgrade guard: its dynamic provider driven as the engine drives it (`check` with the old
 * inputs from the state and the new ones, then `diff`), its serialized form, and its place in the
 * program (before GitLab, which depends on it).
 */
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { buildStack } from "../../infra/program";
import { deployedVersionProvider, upgradeGuardProvider } from "../../infra/upgrade-guard/upgrade-guard";
import { RecordingMocks } from "../../tools/plan/mocks";
import { runUnderMocks } from "../../tools/plan/under-mocks";
import { stackConfig } from "../support/stack-plans";

const GUARD_TYPE = "pulumi-nodejs:dynamic/gitlab-dind:GitLabVersion";
const image = (tag: string) => `gitlab/gitlab-ce:${tag}`;
/** The old inputs as the state holds them: the image and the serialized provider. */
const state = (tag: string) => ({ image: image(tag), __provider: "serialized provider text" });

describe("check: the old image from the state against the new one", () => {
  it("fails on a skipped stop with the whole path on the image property", async () => {
    const result = await upgradeGuardProvider.check!(state("18.9.2-ce.0"), { image: image("19.3.0-ce.0") });
    expect(result.failures).toHaveLength(1);
    const [failure] = result.failures!;
    expect(failure.property).toBe("image");
    expect(failure.reason).toContain("skips GitLab's required upgrade stops");
    expect(failure.reason).toContain("gitlab/gitlab-ce:18.11.11-ce.0");
    expect(failure.reason).toContain("gitlab/gitlab-ce:19.2.4-ce.0");
    expect(failure.reason.indexOf("18.11.11")).toBeLessThan(failure.reason.indexOf("19.2.4"));
  });

  it("the deployed version refuses a downgrade, saying to restore a backup instead", async () => {
    const result = await deployedVersionProvider.check!(state("19.3.0-ce.0"), { image: image("19.2.4-ce.0") });
    expect(result.failures?.[0]).toMatchObject({ property: "image" });
    expect(result.failures?.[0].reason).toMatch(/does not support downgrades.*restore a backup/s);
    // And a skipped stop, with the path.
    const skipped = await deployedVersionProvider.check!(state("18.9.2-ce.0"), { image: image("19.3.0-ce.0") });
    expect(skipped.failures?.[0].reason).toContain("skips GitLab's required upgrade stops after the deployed");
  });

  it("a tag that never deployed (19.3.9) does not lock the stack: the right tag passes both checks", async () => {
    // Deployed 19.2.4. `pulumi up` with the typo: both checks pass (19.2 → 19.3 skips nothing); the
    // first-registered guard records it, the pull fails, and the deployed version's step (after
    // GitLab's readiness) never runs: its state keeps 19.2.4.
    expect((await upgradeGuardProvider.check!(state("19.2.4-ce.0"), { image: image("19.3.9-ce.0") })).failures).toEqual(
      [],
    );
    expect(
      (await deployedVersionProvider.check!(state("19.2.4-ce.0"), { image: image("19.3.9-ce.0") })).failures,
    ).toEqual([]);
    // The right tag next: the guard's state says 19.3.9, the deployed version's 19.2.4. Neither refuses.
    expect((await upgradeGuardProvider.check!(state("19.3.9-ce.0"), { image: image("19.3.0-ce.0") })).failures).toEqual(
      [],
    );
    expect(
      (await deployedVersionProvider.check!(state("19.2.4-ce.0"), { image: image("19.3.0-ce.0") })).failures,
    ).toEqual([]);
    // A real downgrade after the typo is still refused, against what GitLab runs.
    expect(
      (await deployedVersionProvider.check!(state("19.2.4-ce.0"), { image: image("19.2.1-ce.0") })).failures?.[0]
        ?.reason,
    ).toMatch(/does not support downgrades/);
    // The guard still refuses a skipped stop after the last image asked for (pulumi up --skip-preview).
    expect(
      (await upgradeGuardProvider.check!(state("19.3.9-ce.0"), { image: image("19.8.0-ce.0") })).failures?.[0]?.reason,
    ).toContain("skips GitLab's required upgrade stop after the last requested gitlab/gitlab-ce:19.3.9-ce.0");
  });

  it("passes the next stop, a patch, the same image, and a first deployment (no old inputs)", async () => {
    for (const [from, to] of [
      ["18.11.5-ce.0", "19.2.1-ce.0"],
      ["19.2.1-ce.0", "19.3.0-ce.0"],
      ["19.3.0-ce.0", "19.3.1-ce.0"],
      ["19.3.0-ce.0", "19.3.0-ce.0"],
    ]) {
      const result = await upgradeGuardProvider.check!(state(from), { image: image(to) });
      expect(result.failures, `${from} -> ${to}`).toEqual([]);
      expect(result.inputs).toEqual({ image: image(to) });
    }
    expect((await upgradeGuardProvider.check!({}, { image: image("19.3.0-ce.0") })).failures).toEqual([]);
  });
});

describe("diff, create and update", () => {
  it("records a new image in place; refuses a bad change too", async () => {
    const olds = { image: image("19.2.1-ce.0"), version: "19.2.1" };
    expect(await upgradeGuardProvider.diff!("gitlab-version", olds, { image: image("19.3.0-ce.0") })).toMatchObject({
      changes: true,
      replaces: [],
    });
    expect(await upgradeGuardProvider.diff!("gitlab-version", olds, { image: image("19.2.1-ce.0") })).toMatchObject({
      changes: false,
    });
    await expect(
      upgradeGuardProvider.diff!("gitlab-version", { image: image("17.11.7-ce.0") }, { image: image("19.3.0-ce.0") }),
    ).rejects.toThrow(/skips GitLab's required upgrade stops/);
  });

  it("keeps the image and its version in the state", async () => {
    const created = await upgradeGuardProvider.create({ image: image("19.3.0-ce.0") });
    expect(created.outs).toEqual({ image: image("19.3.0-ce.0"), version: "19.3.0" });
    const updated = await upgradeGuardProvider.update!("gitlab-version", created.outs, { image: image("19.3.1-ce.0") });
    expect(updated.outs).toEqual({ image: image("19.3.1-ce.0"), version: "19.3.1" });
  });
});

describe("the serialized provider (what Pulumi stores in the state and the engine runs)", () => {
  it("captures no SDK and still refuses a skipped stop", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => upgradeGuardProvider, { allowSecrets: false });
    expect(serialized.containsSecrets).toBe(false);
    expect(serialized.text).not.toMatch(/node_modules|@pulumi/);
    // The same loader Pulumi's dynamic provider host uses.
    const requireFromString = createRequire(require.resolve("@pulumi/pulumi"))("require-from-string") as (
      code: string,
    ) => { handler: () => pulumi.dynamic.ResourceProvider };
    const provider = requireFromString(serialized.text).handler();
    const refused = await provider.check!(state("18.9.2-ce.0"), { image: image("19.3.0-ce.0") });
    expect(refused.failures?.[0].reason).toContain("gitlab/gitlab-ce:19.2.4-ce.0");
    expect((await provider.check!(state("19.2.1-ce.0"), { image: image("19.3.0-ce.0") })).failures).toEqual([]);
  });
});

describe("in the program", () => {
  it.each(["dev", "local"])(
    "%s: the guard registers before any GitLab resource, which all depend on it",
    async (stack) => {
      const config = stackConfig(stack);
      const run = await runUnderMocks(new RecordingMocks(), "gitlab-dind", stack, () => buildStack(config));
      const order = run.mocks.resources.map((r) => `${r.type}::${r.name}`);
      const guard = order.indexOf(`${GUARD_TYPE}::gitlab-upgrade-guard-version`);
      expect(guard).toBeGreaterThanOrEqual(0);
      expect(run.mocks.get(GUARD_TYPE, "gitlab-upgrade-guard-version").inputs.image).toBe(config.gitlab.image);
      for (const [type, name] of [
        ["docker:index/remoteImage:RemoteImage", "gitlab-image"],
        ["docker:index/container:Container", "gitlab"],
      ]) {
        expect(guard).toBeLessThan(order.indexOf(`${type}::${name}`));
        expect(run.dependsOn.get(name)).toContain("gitlab-upgrade-guard");
      }
    },
  );
});

describe("the deployed version in the program", () => {
  it.each(["dev", "local"])(
    "%s: recorded once GitLab's container runs the image (after the pull; before readiness, since GitLab migrates on start), with the configured image",
    async (stack) => {
      const config = stackConfig(stack);
      const run = await runUnderMocks(new RecordingMocks(), "gitlab-dind", stack, () => buildStack(config));
      const record = run.mocks.get(
        "pulumi-nodejs:dynamic/gitlab-dind:GitLabDeployedVersion",
        "gitlab-deployed-version",
      );
      expect(record.inputs.image).toBe(config.gitlab.image);
      expect(run.dependsOn.get("gitlab-deployed-version")).toEqual(["gitlab"]);
      const serialized = await pulumi.runtime.serializeFunction(() => deployedVersionProvider, { allowSecrets: false });
      expect(serialized.text).not.toMatch(/node_modules|@pulumi/);
    },
  );
});

describe("gitlab.image at the config edge", () => {
  it("refuses a tag the guard cannot read a version from, naming the key", () => {
    expect(() => stackConfig("dev", { "gitlab-dind:gitlab": { image: "gitlab/gitlab-ce:nightly" } })).toThrow(
      /gitlab-dind:gitlab\.image: expected an image tagged with GitLab's version.*got "gitlab\/gitlab-ce:nightly"/,
    );
    expect(
      stackConfig("dev", { "gitlab-dind:gitlab": { image: "mirror.example.com/gitlab/gitlab-ce:19.2.1-ce.0" } }).gitlab
        .image,
    ).toBe("mirror.example.com/gitlab/gitlab-ce:19.2.1-ce.0");
  });
});
