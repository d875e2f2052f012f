/**
 * `AssociationRunWait`: `pulumi up` waits, on every change of the backup timer's SSM association
 * (a new installer document version, a replaced instance, a new association), until the instance
 * reports that it ran the association's current version, and fails when it did not succeed.
 *
 * The AWS provider cannot do this: terraform-provider-aws `internal/service/ssm/association.go`
 * waits (`wait_for_success_timeout_seconds`, `waitAssociationCreated`) only in Create, and on
 * the association's aggregate `Overview.Status`; Update calls `UpdateAssociation` and returns. A
 * failed installer on an update or on a replaced instance would leave `pulumi up` green and the host
 * without backups.
 *
 * How: `DescribeAssociation` gives the association's current `AssociationVersion` (every
 * `UpdateAssociation` makes a new one, and State Manager runs it on its targets); then
 * `DescribeInstanceAssociationsStatus` on the instance until its entry for this association
 * carries that version and a final status. The SSM agent reports Success, Failed, TimedOut,
 * Cancelled or Skipped as final (amazon-ssm-agent `agent/runcommand/processor`
 * `associationExecutionReport` callers); only Success passes. The error carries the entry's
 * `Status`, `DetailedStatus`, `ErrorCode` and `ExecutionSummary` (the agent's summary, at most 510
 * characters, `agent/association/service/service.go`).
 *
 * The installer's full output is not written to S3 (no `outputLocation`): the only bucket is the
 * backups' own, where the host may write nothing but backups under its prefix, objects no one
 * may delete stay for the retention period, and the restore tools list that prefix. The error
 * says where to read the output instead (the association's execution history in the console).
 *
 * A Pulumi dynamic resource: the engine runs the serialized provider, which loads the AWS SDK for
 * SSM (a dependency of the program) with `require` inside the functions, as the other waits load
 * Node's modules. Credentials and endpoint come from where the SDK finds them, as for `npm run
 * backup` (AWS_PROFILE, SSO, the environment; `AWS_ENDPOINT_URL_SSM`).
 */
import type * as ssmModule from "@aws-sdk/client-ssm";
import * as pulumi from "@pulumi/pulumi";

/** What the wait reads of SSM: the association's current version and the instance's runs. */
export interface AssociationApi {
  /** The association's name (its document), friendly name and current version. */
  describeAssociation(associationId: string): Promise<AssociationVersionInfo>;
  /** Every association status the instance reports; rejects with `instanceNotRegistered` set while SSM does not know the instance. */
  instanceStatuses(instanceId: string): Promise<InstanceRun[]>;
}

export interface AssociationVersionInfo {
  readonly associationId: string;
  readonly version: string;
  readonly documentName: string;
  readonly associationName?: string;
}

/** One entry of `DescribeInstanceAssociationsStatus`. */
export interface InstanceRun {
  readonly associationId?: string;
  readonly associationVersion?: string;
  readonly documentVersion?: string;
  readonly status?: string;
  readonly detailedStatus?: string;
  readonly errorCode?: string;
  readonly executionSummary?: string;
  readonly executionDate?: Date;
  readonly outputUrl?: string;
}

export interface AssociationRunTarget {
  readonly associationId: string;
  readonly instanceId: string;
  /** The stack's region, named in the hints. */
  readonly region: string;
}

export interface AssociationWaitOptions {
  readonly timeoutMs: number;
  /** Pause between two looks at the instance's status. */
  readonly pollMs: number;
  /** Minimum time between two progress lines. */
  readonly progressEveryMs: number;
  readonly log: (message: string) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface AssociationRunResult {
  readonly version: string;
  readonly detailedStatus: string;
  readonly executionDate?: string;
  readonly elapsedMs: number;
}

/**
 * Final statuses the SSM agent reports for an association run; only Success means installed. An
 * array, not a Set: Pulumi's closure serializer does not carry a Set's entries into the provider.
 */
const FINAL_DETAILED: readonly string[] = ["Success", "Failed", "TimedOut", "Cancelled", "Skipped"];

/**
 * Waits until `target.instanceId` reports the association's current version as run, and returns
 * when it succeeded; rejects with the run's status, detailed status and summary when it did not,
 * or with the last thing seen when `timeoutMs` passes.
 */
export async function waitForAssociationRun(
  api: AssociationApi,
  target: AssociationRunTarget,
  options: AssociationWaitOptions,
): Promise<AssociationRunResult> {
  const now = options.now ?? (() => Date.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const seconds = (ms: number): string => {
    const s = Math.round(ms / 1000);
    return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  };
  const started = now();
  const association = await api.describeAssociation(target.associationId);
  const label = `SSM association ${association.associationName ?? association.documentName} (${target.associationId}) version ${association.version}`;
  const history = `Systems Manager → State Manager → ${association.associationName ?? target.associationId} → Execution history (${target.region})`;
  options.log(`waiting for ${target.instanceId} to run ${label} (at most ${seconds(options.timeoutMs)})`);

  let last = "the instance has not reported this association yet";
  let lastProgress = started;
  for (;;) {
    let runs: InstanceRun[] | undefined;
    try {
      runs = await api.instanceStatuses(target.instanceId);
    } catch (error) {
      if (!(error as { instanceNotRegistered?: boolean }).instanceNotRegistered) throw error;
      last = "the instance is not registered with SSM yet (its agent starts at boot)";
    }
    const run = runs?.find((r) => r.associationId === target.associationId);
    if (runs !== undefined) {
      if (run === undefined) last = "the instance has not reported this association yet";
      else if (run.associationVersion !== association.version)
        last = `the instance last reported version ${run.associationVersion ?? "?"} (${run.detailedStatus ?? run.status ?? "no status"})`;
      else if (!isFinal(run))
        last = `version ${association.version} is ${run.detailedStatus ?? run.status ?? "pending"}`;
    }
    if (run !== undefined && run.associationVersion === association.version && isFinal(run)) {
      const elapsedMs = now() - started;
      if (run.status !== "Failed" && run.detailedStatus === "Success") {
        options.log(`${target.instanceId} ran ${label}: Success after ${seconds(elapsedMs)}`);
        return {
          version: association.version,
          detailedStatus: run.detailedStatus,
          ...(run.executionDate === undefined ? {} : { executionDate: run.executionDate.toISOString() }),
          elapsedMs,
        };
      }
      throw new Error(
        [
          `${label} did not succeed on instance ${target.instanceId}: the backup timer is not installed as this update wants it.`,
          `  Status: ${run.status ?? "(none)"}`,
          `  DetailedStatus: ${run.detailedStatus ?? "(none)"}`,
          ...(run.errorCode ? [`  ErrorCode: ${run.errorCode}`] : []),
          `  ExecutionSummary: ${run.executionSummary?.trim() || "(none)"}`,
          ...(run.executionDate === undefined ? [] : [`  ExecutionDate: ${run.executionDate.toISOString()}`]),
          ...(run.outputUrl ? [`  Output: ${run.outputUrl}`] : []),
          `The installer's output: ${history}, the instance's output.`,
          `Fix the cause and run \`pulumi up\` again (it waits for this association again), or re-run it as is: aws ssm start-associations-once --region ${target.region} --association-ids ${target.associationId}`,
        ].join("\n"),
      );
    }
    const t = now();
    if (t - started >= options.timeoutMs) {
      throw new Error(
        [
          `${label} was not run on instance ${target.instanceId} within ${seconds(options.timeoutMs)}: ${last}.`,
          "Check:",
          `  - the instance is online in Systems Manager → Fleet Manager (${target.region}); its agent needs the SSM endpoints (an internet route) and its role`,
          `  - ${history}`,
          `  - aws ssm describe-instance-associations-status --region ${target.region} --instance-id ${target.instanceId}`,
          "Then run `pulumi up` again: it waits for this association again.",
        ].join("\n"),
      );
    }
    if (t - lastProgress >= options.progressEveryMs) {
      lastProgress = t;
      options.log(`still waiting for ${target.instanceId} to run ${label}: ${seconds(t - started)}, ${last}`);
    }
    await sleep(Math.min(options.pollMs, Math.max(0, started + options.timeoutMs - t)));
  }
}

function isFinal(run: InstanceRun): boolean {
  return run.status === "Failed" || (run.detailedStatus !== undefined && FINAL_DETAILED.includes(run.detailedStatus));
}

/** Client settings a test may give (a local endpoint, static credentials); the SDK's defaults otherwise. */
export type SsmClientSettings = Partial<ssmModule.SSMClientConfig>;

/** The AWS SDK for SSM behind `AssociationApi`, required where it runs (self-contained for serialization). */
export function ssmAssociationApi(region: string, settings: SsmClientSettings = {}): AssociationApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required inside: the serialized provider loads the SDK where it runs
  const sdk = require("@aws-sdk/client-ssm") as typeof ssmModule;
  const client = new sdk.SSMClient({ region, ...settings });
  return {
    async describeAssociation(associationId) {
      const out = await client.send(new sdk.DescribeAssociationCommand({ AssociationId: associationId }));
      const d = out.AssociationDescription;
      if (d?.AssociationVersion === undefined || d.Name === undefined) {
        throw new Error(`SSM DescribeAssociation answered without the version of association ${associationId}`);
      }
      return {
        associationId,
        version: d.AssociationVersion,
        documentName: d.Name,
        ...(d.AssociationName === undefined ? {} : { associationName: d.AssociationName }),
      };
    },
    async instanceStatuses(instanceId) {
      const runs: InstanceRun[] = [];
      let token: string | undefined;
      do {
        let out: ssmModule.DescribeInstanceAssociationsStatusCommandOutput;
        try {
          out = await client.send(
            new sdk.DescribeInstanceAssociationsStatusCommand({ InstanceId: instanceId, NextToken: token }),
          );
        } catch (error) {
          // SSM answers InvalidInstanceId for an instance whose agent has not registered yet.
          if (error instanceof sdk.InvalidInstanceId) throw Object.assign(error, { instanceNotRegistered: true });
          throw error;
        }
        for (const i of out.InstanceAssociationStatusInfos ?? []) {
          runs.push({
            associationId: i.AssociationId,
            associationVersion: i.AssociationVersion,
            documentVersion: i.DocumentVersion,
            status: i.Status,
            detailedStatus: i.DetailedStatus,
            errorCode: i.ErrorCode,
            executionSummary: i.ExecutionSummary,
            executionDate: i.ExecutionDate,
            outputUrl: i.OutputUrl?.S3OutputUrl?.OutputUrl,
          });
        }
        token = out.NextToken || undefined;
      } while (token !== undefined);
      return runs;
    },
  };
}

/** The inputs of the wait, as the dynamic provider receives them. */
interface WaitInputs {
  readonly region: string;
  readonly associationId: string;
  readonly instanceId: string;
  /**
   * What the program gives the association (document, its version, name, targets): any change of
   * it is an `UpdateAssociation`, so a new version to wait for.
   */
  readonly association: Record<string, unknown>;
  readonly timeoutSeconds: number;
}

async function awaitRun(inputs: WaitInputs): Promise<Record<string, unknown>> {
  const result = await waitForAssociationRun(
    ssmAssociationApi(inputs.region),
    { associationId: inputs.associationId, instanceId: inputs.instanceId, region: inputs.region },
    {
      timeoutMs: inputs.timeoutSeconds * 1000,
      pollMs: 10_000,
      progressEveryMs: 30_000,
      // The engine shows a dynamic provider's stdout as info messages (as DockerApiWait's progress).
      log: (message) => console.log(`gitlab-dind: ${message}`),
    },
  );
  return { ...inputs, associationVersion: result.version, detailedStatus: result.detailedStatus };
}

/** The dynamic provider. Exported for tests; self-contained for serialization. */
export const associationRunWaitProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: WaitInputs): Promise<pulumi.dynamic.CreateResult> {
    return { id: `${inputs.associationId}@${inputs.instanceId}`, outs: await awaitRun(inputs) };
  },
  diff(_id: string, olds: WaitInputs, news: WaitInputs): Promise<pulumi.dynamic.DiffResult> {
    // Any change is an update that waits again (nothing depends on this resource's id).
    const changes =
      olds.associationId !== news.associationId ||
      olds.instanceId !== news.instanceId ||
      olds.region !== news.region ||
      olds.timeoutSeconds !== news.timeoutSeconds ||
      JSON.stringify(olds.association) !== JSON.stringify(news.association);
    return Promise.resolve({ changes, replaces: [], deleteBeforeReplace: false });
  },
  async update(_id: string, _olds: WaitInputs, news: WaitInputs): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: await awaitRun(news) };
  },
  async delete(): Promise<void> {
    // Nothing to remove: the wait leaves nothing behind (the association is deleted on its own).
  },
};

export interface AssociationRunWaitArgs {
  /** The association's region (the stack's `aws:region`). */
  readonly region: pulumi.Input<string>;
  /** The association, once created or updated. */
  readonly associationId: pulumi.Input<string>;
  /** The one instance it targets. */
  readonly instanceId: pulumi.Input<string>;
  /** The association's arguments: a change of any of them waits again. */
  readonly association: pulumi.Input<Record<string, pulumi.Input<unknown>>>;
  /** How long to wait. Default 900 (15 minutes: a new instance registers with SSM in a few). */
  readonly timeoutSeconds?: pulumi.Input<number>;
}

/** Exists once the instance ran the association's current version successfully. */
export class AssociationRunWait extends pulumi.dynamic.Resource {
  /** The association version the instance ran. */
  declare readonly associationVersion: pulumi.Output<string>;

  constructor(name: string, args: AssociationRunWaitArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      associationRunWaitProvider,
      name,
      {
        region: args.region,
        associationId: args.associationId,
        instanceId: args.instanceId,
        association: args.association,
        timeoutSeconds: args.timeoutSeconds ?? 900,
        associationVersion: undefined,
        detailedStatus: undefined,
      },
      opts,
      "gitlab-dind",
      "AssociationRunWait",
    );
  }
}
