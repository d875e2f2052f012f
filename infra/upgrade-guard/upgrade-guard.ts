/**
 * The upgrade guard: refuses, at `pulumi preview` (and in `pulumi up`'s preview, before anything
 * changes), a change of `gitlab.image` that skips one of GitLab's required upgrade stops or goes
 * back to an older version, with the path to follow in the error.
 *
 * Two dynamic resources, because the version GitLab *runs* is known only once it started with it:
 *
 * - `GitLabDeployedVersion` (`gitlab-deployed-version`, created with `dependsOn` GitLab's readiness)
 *   records the image GitLab became ready with. Its step runs only after the image was pulled and
 *   GitLab answered with it: a tag that does not exist (`19.3.9-ce.0`) fails the pull, the step never
 *   runs, and the state keeps the version GitLab runs. Its `check` compares that recorded image
 *   with the new `gitlab.image`. Pulumi's engine calls `check` with the old inputs from the state
 *   and the new ones for every resource the program registers, at preview too
 *   (pkg/resource/deploy/step_generator.go: `prov.Check(Olds: old.Inputs, News: inputs)`), and at
 *   preview every resource registers at once (nothing waits on a step): a refusal there shows as
 *   `error: pulumi-nodejs:dynamic/gitlab-dind:GitLabDeployedVersion resource 'gitlab-deployed-version': property image value {…} has a problem: <the path>`
 *   and fails the preview, so `pulumi up` stops before its update.
 * - `GitLabVersion` (`gitlab-upgrade-guard-version`, in the `UpgradeGuard` component, registered first;
 *   the GitLab image and container depend on it) records the image last *asked for*. It guards
 *   `pulumi up --skip-preview`, where the deployed version's check comes only after GitLab: it
 *   refuses a skipped stop after the last image asked for, but not a downgrade from it (that image
 *   may be a tag that never deployed; going back from the deployed one is refused at preview).
 *
 * The providers are serialized into the state (Pulumi's closure serialization) and run by the
 * engine: they capture only upgrade-stops.ts, which imports nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkImageChange, formatVersion, parseGitLabVersion } from "./upgrade-stops";

/** The guard's inputs as the provider receives them. */
export interface GuardInputs {
  /** The GitLab image the stack asks for (`gitlab.image`). */
  readonly image: string;
}

/** Its state: the image last applied and its version. */
export interface GuardOutputs extends GuardInputs {
  readonly version: string;
}

function outputsFor(inputs: GuardInputs): GuardOutputs {
  const version = parseGitLabVersion(inputs.image);
  return { image: inputs.image, version: version === undefined ? "unknown" : formatVersion(version) };
}

/**
 * What is wrong with going from `olds.image` (the image last asked for, from the state; absent on
 * create) to `news.image`: a skipped stop. Not a downgrade: the last image asked for may never have
 * deployed (a tag that failed to pull), and the deployed version's own check refuses going back.
 */
function problemWith(olds: Partial<GuardInputs>, news: GuardInputs): string | undefined {
  // On create there is no version in the state: the new image only needs a readable version.
  const from = typeof olds.image === "string" ? olds.image : news.image;
  return checkImageChange(from, news.image, { allowDowngrade: true, fromLabel: "the last requested" });
}

/** The dynamic provider. Exported for tests; self-contained for serialization. */
export const upgradeGuardProvider: pulumi.dynamic.ResourceProvider = {
  check(olds: Partial<GuardInputs>, news: GuardInputs): Promise<pulumi.dynamic.CheckResult> {
    const problem = problemWith(olds, news);
    return Promise.resolve({
      inputs: news,
      failures: problem === undefined ? [] : [{ property: "image", reason: problem }],
    });
  },
  diff(_id: string, olds: Partial<GuardOutputs>, news: GuardInputs): Promise<pulumi.dynamic.DiffResult> {
    // `check` has refused a bad change already; this holds should an engine ever diff without it.
    const problem = problemWith(olds, news);
    if (problem !== undefined) return Promise.reject(new Error(problem));
    return Promise.resolve({ changes: olds.image !== news.image, replaces: [], deleteBeforeReplace: false });
  },
  create(inputs: GuardInputs): Promise<pulumi.dynamic.CreateResult> {
    return Promise.resolve({ id: "gitlab-version", outs: outputsFor(inputs) });
  },
  update(_id: string, _olds: GuardOutputs, news: GuardInputs): Promise<pulumi.dynamic.UpdateResult> {
    return Promise.resolve({ outs: outputsFor(news) });
  },
  delete(): Promise<void> {
    // Nothing outside the state: the record goes with it.
    return Promise.resolve();
  },
};

/** The record of the deployed GitLab image, kept in the stack's state. */
export class GitLabVersionRecord extends pulumi.dynamic.Resource {
  /** The image last applied. */
  declare readonly image: pulumi.Output<string>;
  /** Its GitLab version, `19.3.0`. */
  declare readonly version: pulumi.Output<string>;

  constructor(name: string, args: { readonly image: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
    super(upgradeGuardProvider, name, { image: args.image, version: undefined }, opts, "gitlab-dind", "GitLabVersion");
  }
}

export interface UpgradeGuardArgs {
  /** The GitLab image the stack asks for (`gitlab.image`, a version tag; required). */
  readonly image: string;
}

/**
 * Guards `gitlab.image` changes. Make the GitLab image and container depend on it (`dependsOn`),
 * so that nothing of GitLab changes when it refuses.
 */
export class UpgradeGuard extends pulumi.ComponentResource {
  /** The image the guard let through (known after the update at `pulumi up`). */
  declare readonly image: pulumi.Output<string>;
  /** Its GitLab version. */
  declare readonly version: pulumi.Output<string>;
  /** The dynamic resource whose `check` compares the deployed and the new image. */
  declare readonly record: GitLabVersionRecord;

  constructor(name: string, args: UpgradeGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:UpgradeGuard", name, {}, opts);
    const record = new GitLabVersionRecord(`${name}-version`, { image: args.image }, { parent: this });
    this.record = record;
    this.image = record.image;
    this.version = record.version;
    this.registerOutputs({ image: this.image, version: this.version });
  }
}

/**
 * What is wrong with going from the image GitLab runs (`olds.image`, from the state; absent on
 * create) to `news.image`: a skipped stop or a downgrade.
 */
function deployedProblemWith(olds: Partial<GuardInputs>, news: GuardInputs): string | undefined {
  const from = typeof olds.image === "string" ? olds.image : news.image;
  return checkImageChange(from, news.image);
}

/** The deployed version's dynamic provider. Exported for tests; self-contained for serialization. */
export const deployedVersionProvider: pulumi.dynamic.ResourceProvider = {
  check(olds: Partial<GuardInputs>, news: GuardInputs): Promise<pulumi.dynamic.CheckResult> {
    const problem = deployedProblemWith(olds, news);
    return Promise.resolve({
      inputs: news,
      failures: problem === undefined ? [] : [{ property: "image", reason: problem }],
    });
  },
  diff(_id: string, olds: Partial<GuardOutputs>, news: GuardInputs): Promise<pulumi.dynamic.DiffResult> {
    const problem = deployedProblemWith(olds, news);
    if (problem !== undefined) return Promise.reject(new Error(problem));
    return Promise.resolve({ changes: olds.image !== news.image, replaces: [], deleteBeforeReplace: false });
  },
  create(inputs: GuardInputs): Promise<pulumi.dynamic.CreateResult> {
    return Promise.resolve({ id: "gitlab-deployed-version", outs: outputsFor(inputs) });
  },
  update(_id: string, _olds: GuardOutputs, news: GuardInputs): Promise<pulumi.dynamic.UpdateResult> {
    return Promise.resolve({ outs: outputsFor(news) });
  },
  delete(): Promise<void> {
    return Promise.resolve();
  },
};

/**
 * The GitLab image GitLab last became ready with, in the stack's state. Create it with `dependsOn`
 * GitLab's readiness: its step (and so the recorded version) comes only after the image was pulled
 * and GitLab answered with it; its `check`, at preview, refuses a `gitlab.image` that skips a stop or
 * goes back from that version.
 */
export class GitLabDeployedVersion extends pulumi.dynamic.Resource {
  /** The image GitLab became ready with. */
  declare readonly image: pulumi.Output<string>;
  /** Its GitLab version, `19.3.0`. */
  declare readonly version: pulumi.Output<string>;

  constructor(name: string, args: { readonly image: string }, opts?: pulumi.CustomResourceOptions) {
    super(
      deployedVersionProvider,
      name,
      { image: args.image, version: undefined },
      opts,
      "gitlab-dind",
      "GitLabDeployedVersion",
    );
  }
}
