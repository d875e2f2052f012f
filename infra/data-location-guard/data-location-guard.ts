/**
 * The data location guard: refuses, at `pulumi preview` (and in `pulumi up`'s preview, before
 * anything changes), turning `gitlab.objectStorage`, `gitlab.database` or `gitlab.redis` back to the
 * box (s3 → local, rds → bundled, elasticache → bundled) unless the key is listed in
 * `gitlab.dataMovedBack`, with how to move the data back in the error.
 *
 * Like the upgrade guard (infra/upgrade-guard): a dynamic resource records the three settings last
 * applied, and its `check`, which the engine calls with the state's inputs and the new ones for
 * every registered resource at preview too, compares them. A refusal fails the preview, so
 * `pulumi up` stops before its update. GitLab's container starts after it (its contribution's
 * `gitlabStartAfter`), so with `--skip-preview` nothing of GitLab changes before the check either;
 * the buckets, the RDS instance or the replication group would only be deleted at the update's end.
 *
 * The provider is serialized into the state and run by the engine: it captures only data-moves.ts,
 * which imports nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { dataMoveProblems, type DataLocations } from "./data-moves";

/** The guard's inputs as the provider receives them. */
export interface DataGuardInputs extends DataLocations {
  /** `gitlab.dataMovedBack`: keys allowed back to the box in this update. */
  readonly movedBack: readonly string[];
}

function locations(inputs: Partial<DataGuardInputs>): Partial<DataLocations> {
  return { objectStorage: inputs.objectStorage, database: inputs.database, redis: inputs.redis };
}

/** The dynamic provider. Exported for tests; self-contained for serialization. */
export const dataLocationGuardProvider: pulumi.dynamic.ResourceProvider = {
  check(olds: Partial<DataGuardInputs>, news: DataGuardInputs): Promise<pulumi.dynamic.CheckResult> {
    // On create the state holds nothing: olds is empty, and there is nothing to compare.
    const before =
      olds.redis === undefined && olds.database === undefined && olds.objectStorage === undefined
        ? undefined
        : locations(olds);
    const problems = dataMoveProblems(before, news, news.movedBack ?? []);
    return Promise.resolve({
      inputs: news,
      failures: problems.map((reason) => ({ property: "locations", reason })),
    });
  },
  diff(_id: string, olds: Partial<DataGuardInputs>, news: DataGuardInputs): Promise<pulumi.dynamic.DiffResult> {
    // `check` has refused a bad change already; this holds should an engine ever diff without it.
    const problems = dataMoveProblems(locations(olds), news, news.movedBack ?? []);
    if (problems.length > 0) return Promise.reject(new Error(problems.join("\n")));
    const changed =
      olds.objectStorage !== news.objectStorage ||
      olds.database !== news.database ||
      olds.redis !== news.redis ||
      JSON.stringify(olds.movedBack ?? []) !== JSON.stringify(news.movedBack ?? []);
    return Promise.resolve({ changes: changed, replaces: [], deleteBeforeReplace: false });
  },
  create(inputs: DataGuardInputs): Promise<pulumi.dynamic.CreateResult> {
    return Promise.resolve({ id: "gitlab-data-locations", outs: inputs });
  },
  update(_id: string, _olds: DataGuardInputs, news: DataGuardInputs): Promise<pulumi.dynamic.UpdateResult> {
    return Promise.resolve({ outs: news });
  },
  delete(): Promise<void> {
    // Nothing outside the state: the record goes with it.
    return Promise.resolve();
  },
};

/** The record of where GitLab's data lives, kept in the stack's state. */
export class DataLocationGuard extends pulumi.dynamic.Resource {
  declare readonly objectStorage: pulumi.Output<string>;
  declare readonly database: pulumi.Output<string>;
  declare readonly redis: pulumi.Output<string>;

  constructor(name: string, args: DataGuardInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      dataLocationGuardProvider,
      name,
      { objectStorage: args.objectStorage, database: args.database, redis: args.redis, movedBack: [...args.movedBack] },
      opts,
      "gitlab-dind",
      "DataLocationGuard",
    );
  }
}
