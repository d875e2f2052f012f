/**
 * What `pulumi destroy` keeps and removes, and in which order, read from the options each resource
 * reaches the engine with (the offline plan's `options`, as the mock monitor receives them):
 * - kept: GitLab's data (the AWS data volume, the local Docker volumes) and the backup bucket with
 *   its protections, while `host.keepDataOnDestroy` (the default) says so; otherwise a final
 *   snapshot of the volume, an emptied bucket;
 * - gone: the runner registration (unregistered from GitLab), and with the autoscaler the manager's
 *   policy, the launch template and the group (which drains the workers); nothing is `protect`ed;
 * - the order of README.md "Destroy, and keeping the data" and docs/operations.md "Destroying a stack
 *   and keeping the data": the runner stops, then the registration goes while GitLab still runs, then
 *   GitLab and the host. The engine deletes a resource before everything in its `dependencies`.
 */
import { describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../../tools/plan/run-plan";
import { planStack } from "../support/stack-plans";

const CONTAINER = "docker:index/container:Container";
const REGISTRATION = "pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration";

/** The one planned resource named `name` (of `type`, when the name is shared). */
function get(plan: Plan, name: string, type?: string): PlannedResource {
  const found = plan.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
  if (found.length !== 1) throw new Error(`${found.length} resources named ${name} (${type ?? "any type"})`);
  return found[0];
}

/** How resources.json names a resource in another's options. */
function refOf(plan: Plan, r: PlannedResource): string {
  return plan.resources.filter((o) => o.name === r.name).length > 1 ? `${r.type}::${r.name}` : r.name;
}

/** Whether the engine deletes `first` before `then`: `then` is among `first`'s dependencies, directly or not. */
function deletedBefore(plan: Plan, first: PlannedResource, then: PlannedResource): boolean {
  const byRef = new Map(plan.resources.map((r) => [refOf(plan, r), r]));
  const target = refOf(plan, then);
  const seen = new Set<string>();
  const walk = (r: PlannedResource): boolean =>
    (r.options?.dependencies ?? []).some((d) => {
      if (d === target) return true;
      if (seen.has(d)) return false;
      seen.add(d);
      const next = byRef.get(d);
      return next !== undefined && walk(next);
    });
  return walk(first);
}

const AWS_STACKS = ["dev", "dev-autoscale", "dev-letsencrypt"];
const STACKS = [...AWS_STACKS, "local"];

describe("kept on destroy", () => {
  it("AWS, keepDataOnDestroy (the default): the data volume, the backup bucket and its protections are retained", async () => {
    for (const stack of AWS_STACKS) {
      const plan = await planStack(stack);
      expect(get(plan, `${stack}-host-data`).options?.retainOnDelete, stack).toBe(true);
      for (const part of ["bucket", "encryption", "versioning", "public-access", "policy", "expiry"])
        expect(get(plan, `${stack}-backups-${part}`).options?.retainOnDelete, `${stack} ${part}`).toBe(true);
      // A kept bucket is never emptied by the destroy.
      expect(get(plan, `${stack}-backups-bucket`).inputs.forceDestroy).toBe(false);
    }
  });

  it("AWS, keepDataOnDestroy false: the volume goes after a final snapshot, the bucket is emptied and goes", async () => {
    const plan = await planStack("dev", { "gitlab-dind:host": { keepDataOnDestroy: false } });
    const volume = get(plan, "dev-host-data");
    expect(volume.options?.retainOnDelete).toBe(false);
    expect(volume.inputs.finalSnapshot).toBe(true);
    expect(get(plan, "dev-backups-bucket").options?.retainOnDelete).toBe(false);
    expect(get(plan, "dev-backups-bucket").inputs.forceDestroy).toBe(true);
  });

  it("AWS: an adopted volume and bucket are reads, never deleted by this stack", async () => {
    const plan = await planStack("dev", {
      "gitlab-dind:host": { dataVolumeId: "vol-0a1b2c3d4e5f60718", keepDataOnDestroy: false },
      "gitlab-dind:backup": { bucketName: "dev-gitlab-backups-0a1b2c3d" },
    });
    expect(get(plan, "dev-host-data").existingId).toBe("vol-0a1b2c3d4e5f60718");
    expect(get(plan, "dev-backups-bucket").existingId).toBe("dev-gitlab-backups-0a1b2c3d");
  });

  it("local: GitLab's three Docker volumes follow keepDataOnDestroy", async () => {
    for (const keep of [true, false]) {
      const plan = await planStack("local", { "gitlab-dind:host": { keepDataOnDestroy: keep } });
      for (const volume of ["gitlab-config", "gitlab-logs", "gitlab-data"])
        expect(get(plan, volume).options?.retainOnDelete, `${volume} keep=${keep}`).toBe(keep);
    }
  });
});

describe("removed on destroy", () => {
  it("the runner registration is deleted on every stack (its delete unregisters the runner): never retained, never skipped", async () => {
    for (const stack of STACKS) {
      for (const keep of [true, false]) {
        const plan = await planStack(stack, { "gitlab-dind:host": { keepDataOnDestroy: keep } });
        const registration = get(plan, "runner-registration", REGISTRATION);
        // retainOnDelete would leave the runner registered in GitLab; deletedWith would skip its
        // delete whenever that resource goes too; protect would refuse the destroy.
        expect(registration.options, `${stack} keep=${keep}`).toMatchObject({
          retainOnDelete: false,
          protect: false,
          deletedWith: null,
        });
      }
    }
  });

  it("nothing is protect: a destroy is never refused", async () => {
    for (const stack of STACKS) {
      const plan = await planStack(stack);
      expect(
        plan.resources.filter((r) => r.options?.protect).map((r) => r.name),
        stack,
      ).toEqual([]);
    }
  });

  it("autoscaler: the manager's policy, the launch template and the group go, and the group's delete terminates every worker", async () => {
    const plan = await planStack("dev-autoscale");
    for (const name of ["ci-workers-manager", "ci-workers-lt", "ci-workers-asg", "ci-workers-sg", "ci-workers-subnet"])
      expect(get(plan, name).options, name).toMatchObject({ retainOnDelete: false, protect: false, deletedWith: null });
    const group = get(plan, "ci-workers-asg");
    // forceDelete true: AWS terminates every instance, scale-in protected or not; the provider's drain
    // unprotects only the instances it listed, so a worker launched after that would hold the delete.
    expect(group.inputs.forceDelete).toBe(true);
    expect(group.options?.customTimeouts.delete).toBe("20m");
  });
});

describe("the destroy order the docs describe", () => {
  it("the runner container stops before its registration goes, which goes while GitLab and the host still run", async () => {
    for (const stack of STACKS) {
      const plan = await planStack(stack);
      const runner = get(plan, "runner", CONTAINER);
      const registration = get(plan, "runner-registration", REGISTRATION);
      const gitlab = get(plan, "gitlab", CONTAINER);
      expect(deletedBefore(plan, runner, registration), `${stack}: runner before registration`).toBe(true);
      expect(
        deletedBefore(plan, registration, get(plan, "gitlab-ready")),
        `${stack}: registration before readiness`,
      ).toBe(true);
      expect(deletedBefore(plan, registration, gitlab), `${stack}: registration before GitLab`).toBe(true);
      expect(deletedBefore(plan, registration, runner), `${stack}: not the other way round`).toBe(false);
      if (stack !== "local") {
        // On AWS the containers go with the instance (deletedWith): the registration is deleted
        // before the instance is terminated.
        const instance = get(plan, `${stack}-host-instance`);
        expect(deletedBefore(plan, registration, instance), `${stack}: registration before the instance`).toBe(true);
        expect(gitlab.options?.deletedWith).toBe(instance.name);
      }
    }
  });

  it("autoscaler: the manager container is deleted (no deletedWith) before its IAM policy, the policy before the group, and the group before the workers' network", async () => {
    const plan = await planStack("dev-autoscale");
    const runner = get(plan, "runner", CONTAINER);
    const policy = get(plan, "ci-workers-manager");
    const group = get(plan, "ci-workers-asg");
    // Deleted for real, so its graceful stop runs (a container deletedWith the instance never is).
    expect(runner.options?.deletedWith).toBe(null);
    expect(deletedBefore(plan, runner, policy)).toBe(true);
    expect(deletedBefore(plan, policy, group)).toBe(true);
    // While the manager stops, its workers keep their rules and route: jobs still reach GitLab, the
    // manager still reaches them over SSH.
    const network = plan.resources.filter((r) =>
      /^ci-workers-(in-ssh-from-host|out-all|host-in-\d+-from-workers|default-route|rta)$/.test(r.name),
    );
    expect(network.map((r) => r.name).sort()).toEqual(
      expect.arrayContaining([
        "ci-workers-default-route",
        "ci-workers-in-ssh-from-host",
        "ci-workers-out-all",
        "ci-workers-rta",
      ]),
    );
    for (const r of network) expect(deletedBefore(plan, group, r), `group before ${r.name}`).toBe(true);
    expect(deletedBefore(plan, runner, network[0])).toBe(true);
  });
});
