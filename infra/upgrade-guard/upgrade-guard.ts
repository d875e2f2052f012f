/**
 * `UpgradeGuard`: refuses, at `pulumi preview` (and `up`, before anything changes), a change of
 * `gitlab.image` that skips one of GitLab's required upgrade stops or goes back to an older
 * version, with the path to follow in the error.
 *
 * The deployed version comes from the stack's state, not from anything typed: the guard is a
 * dynamic resource whose only input is the image. Pulumi's engine calls the provider's `check`
 * with the old inputs from the state and the new ones, at preview and at update, before any step
 * (pkg/resource/deploy/step_generator.go: `prov.Check(Olds: old.Inputs, News: inputs)`); a
 * failure it returns is shown as
 * `error: pulumi-nodejs:dynamic/gitlab-dind:GitLabVersion resource 'gitlab-upgrade-guard-version': property image value {…} has a problem: <the path>`
 * and marks the resource invalid, which fails the preview (and the update before its steps).
 * The GitLab image and container depend on the guard, so `pulumi up --skip-preview` does not
 * touch them either.
 *
 * The provider is serialized into the state (Pulumi's closure serialization) and run by the
 * engine: it captures only upgrade-stops.ts, which imports nothing.
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

/** What is wrong with going from `olds.image` (from the state; absent on create) to `news.image`. */
function problemWith(olds: Partial<GuardInputs>, news: GuardInputs): string | undefined {
  // On create there is no deployed version in the state: the new image only needs a readable version.
  const from = typeof olds.image === "string" ? olds.image : news.image;
  return checkImageChange(from, news.image);
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
