/**
 * The offline plan records each resource's options as the engine receives them (the
 * RegisterResourceRequest the mock monitor gets, tools/plan/request-options.ts): every option
 * reaches resources.json, other resources by name, for what the program creates, reads and imports.
 */
import * as random from "@pulumi/random";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { RecordingMocks } from "../../tools/plan/mocks";
import { plannedOptions, referenceNamer, type Plan, type PlannedResource } from "../../tools/plan/run-plan";
import { runUnderMocks } from "../../tools/plan/under-mocks";
import { planStack } from "../support/stack-plans";

const OPTION_KEYS = [
  "customTimeouts",
  "deleteBeforeReplace",
  "deletedWith",
  "dependencies",
  "dependsOn",
  "ignoreChanges",
  "import",
  "protect",
  "provider",
  "replaceOnChanges",
  "retainOnDelete",
];

function resource(plan: Plan, name: string, type?: string): PlannedResource {
  const found = plan.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
  if (found.length !== 1) throw new Error(`${found.length} resources named ${name} in the plan`);
  return found[0];
}

class Part extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Part", name, {}, opts);
    new random.RandomId(`${name}-a`, { byteLength: 2 }, { parent: this });
    new random.RandomId(`${name}-b`, { byteLength: 2 }, { parent: this });
    this.registerOutputs({});
  }
}

describe("the options of every planned resource", () => {
  it("every resource of each shipped stack file carries every option, references naming planned resources", async () => {
    for (const stack of ["dev", "local", "dev-autoscale", "dev-letsencrypt"]) {
      const plan = await planStack(stack);
      const names = new Set(plan.resources.flatMap((r) => [r.name, `${r.type}::${r.name}`]));
      for (const r of plan.resources) {
        expect(Object.keys(r.options ?? {}), `${stack} ${r.name}`).toEqual(OPTION_KEYS);
        const o = r.options!;
        for (const ref of [...o.dependencies, ...o.dependsOn, o.deletedWith, o.provider])
          if (ref !== null) expect(names.has(ref), `${stack} ${r.name} names ${ref}`).toBe(true);
        // What dependsOn adds is a part of all the dependencies.
        for (const d of o.dependsOn) expect(o.dependencies).toContain(d);
      }
    }
  });

  it("dev: the options the program sets, as the engine receives them", async () => {
    const dev = await planStack("dev");
    expect(resource(dev, "dev-host-instance").options).toMatchObject({
      ignoreChanges: ["ami"],
      provider: "dev-host-aws",
      retainOnDelete: false,
      deletedWith: null,
    });
    expect(resource(dev, "gitlab", "docker:index/container:Container").options).toMatchObject({
      deleteBeforeReplace: true,
      deletedWith: "dev-host-instance",
      provider: "dev-host-docker",
    });
    // The registration's input comes from GitLab's readiness (an input), and nothing else is added.
    expect(resource(dev, "runner-registration").options).toMatchObject({
      deleteBeforeReplace: true,
      dependsOn: ["gitlab-ready"],
      provider: null,
      retainOnDelete: false,
    });
    // Two resources named alike are named with their type.
    expect(resource(dev, "dev-host-docker-server-key", "aws:ssm/parameter:Parameter").options!.dependencies).toContain(
      "tls:index/privateKey:PrivateKey::dev-host-docker-server-key",
    );
  });

  it("dev-autoscale: the group's custom timeout and ignored field", async () => {
    const plan = await planStack("dev-autoscale");
    expect(resource(plan, "ci-workers-asg").options).toMatchObject({
      customTimeouts: { delete: "20m" },
      ignoreChanges: ["desiredCapacity"],
      provider: "dev-autoscale-host-aws",
    });
  });

  it("an adopted data volume is a read: its id and provider, nothing to import", async () => {
    const plan = await planStack("dev", { "gitlab-dind:host": { dataVolumeId: "vol-0a1b2c3d4e5f60718" } });
    const volume = resource(plan, "dev-host-data");
    expect(volume.existingId).toBe("vol-0a1b2c3d4e5f60718");
    expect(volume.options).toMatchObject({ import: null, provider: "dev-host-aws", retainOnDelete: false });
  });

  it("each option set on a resource reaches the plan, a component in dependsOn expanded to its resources", async () => {
    const mocks = new RecordingMocks();
    await runUnderMocks(mocks, "gitlab-dind", "t", () => {
      const part = new Part("part");
      const first = new random.RandomId("first", { byteLength: 2 });
      const keeper = new random.RandomId("keeper", { byteLength: 2, keepers: { from: first.hex } });
      new random.RandomId(
        "subject",
        { byteLength: 2, keepers: { from: keeper.hex } },
        {
          import: "AAAA",
          protect: true,
          retainOnDelete: true,
          deleteBeforeReplace: true,
          replaceOnChanges: ["byteLength"],
          ignoreChanges: ["prefix"],
          dependsOn: [part, first],
          deletedWith: first,
          customTimeouts: { create: "1m", delete: "2h" },
        },
      );
    });
    const refer = referenceNamer(mocks.resources);
    const subject = mocks.get("random:index/randomId:RandomId", "subject");
    expect(subject.existingId).toBe("AAAA");
    expect(plannedOptions(subject, refer)).toEqual({
      protect: true,
      retainOnDelete: true,
      deleteBeforeReplace: true,
      deletedWith: "first",
      replaceOnChanges: ["byteLength"],
      ignoreChanges: ["prefix"],
      // `first` is named in dependsOn; `keeper` only feeds an input.
      dependsOn: ["first", "part-a", "part-b"],
      dependencies: ["first", "keeper", "part-a", "part-b"],
      import: "AAAA",
      provider: null,
      customTimeouts: { create: "1m", delete: "2h" },
    });
    // Unset, the engine's defaults.
    expect(plannedOptions(mocks.get("random:index/randomId:RandomId", "first"), refer)).toEqual({
      protect: false,
      retainOnDelete: false,
      deleteBeforeReplace: false,
      deletedWith: null,
      replaceOnChanges: [],
      ignoreChanges: [],
      dependsOn: [],
      dependencies: [],
      import: null,
      provider: null,
      customTimeouts: {},
    });
    // protect is inherited from the parent, as the SDK sends it.
    const protectedMocks = new RecordingMocks();
    await runUnderMocks(protectedMocks, "gitlab-dind", "t", () => new Part("kept", { protect: true }));
    expect(protectedMocks.get("random:index/randomId:RandomId", "kept-a").options?.protect).toBe(true);
  });
});
