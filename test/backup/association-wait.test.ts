/**
 * The wait for the backup timer's association run, against a local server speaking the SSM JSON
 * API through the real AWS SDK client: success once the instance ran the current version, failure
 * with the run's status, detailed status and summary, a timeout with progress, and the dynamic
 * provider as the engine runs it (serialized, configured from the environment).
 */
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it } from "vitest";
import {
  associationRunWaitProvider,
  ssmAssociationApi,
  waitForAssociationRun,
  type AssociationWaitOptions,
} from "../../infra/backup/association-wait";
import { fakeClock } from "../support/clock";
import {
  fakeSsmAssociations,
  type FakeSsmAssociations,
  type InstanceAnswer,
  type StatusInfo,
} from "./fake-ssm-associations";

const ASSOCIATION = {
  AssociationId: "3f0c2a1e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
  Name: "payments-backup-installer",
  AssociationName: "payments-backup-timer",
  AssociationVersion: "3",
};
const INSTANCE = "i-0123456789abcdef0";
const REGION = "eu-central-1";
const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

const servers: FakeSsmAssociations[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(answer: (look: number) => InstanceAnswer): Promise<FakeSsmAssociations> {
  const server = await fakeSsmAssociations(ASSOCIATION, INSTANCE, answer);
  servers.push(server);
  return server;
}

/** An entry of DescribeInstanceAssociationsStatus for this association. */
function run(version: string, status: string, detailedStatus: string, extra: StatusInfo = {}): StatusInfo {
  return {
    AssociationId: ASSOCIATION.AssociationId,
    AssociationName: ASSOCIATION.AssociationName,
    Name: ASSOCIATION.Name,
    AssociationVersion: version,
    DocumentVersion: "7",
    InstanceId: INSTANCE,
    Status: status,
    DetailedStatus: detailedStatus,
    ExecutionDate: 1_796_000_000,
    ...extra,
  };
}

const other: StatusInfo = {
  AssociationId: "9e8d7c6b-0000-4000-8000-000000000000",
  AssociationVersion: "1",
  Status: "Failed",
  DetailedStatus: "Failed",
};

function options(log: string[], overrides: Partial<AssociationWaitOptions> = {}): AssociationWaitOptions {
  const clock = fakeClock();
  return {
    timeoutMs: 600_000,
    pollMs: 10_000,
    progressEveryMs: 30_000,
    log: (m) => log.push(m),
    now: clock.now,
    sleep: clock.sleep,
    ...overrides,
  };
}

const target = { associationId: ASSOCIATION.AssociationId, instanceId: INSTANCE, region: REGION };

describe("waitForAssociationRun", () => {
  it("returns once the instance reports the association's current version as Success, not an earlier run's", async () => {
    const answers: InstanceAnswer[] = [
      { error: "InvalidInstanceId", message: "Instances [[i-0123456789abcdef0]] not in a valid state for account" },
      // The previous version's success (before the update) does not count.
      { pages: [[run("2", "Success", "Success")]] },
      { pages: [[run("3", "Pending", "InProgress")]] },
      // The entry on the second page, another association's failure on the first: not ours.
      { pages: [[other], [run("3", "Success", "Success", { ExecutionSummary: "1 out of 1 plugin processed" })]] },
    ];
    const server = await serve((look) => answers[Math.min(look, answers.length) - 1]);
    const log: string[] = [];
    const result = await waitForAssociationRun(
      ssmAssociationApi(REGION, { endpoint: server.url, credentials: CREDENTIALS }),
      target,
      options(log),
    );
    expect(result).toMatchObject({
      version: "3",
      detailedStatus: "Success",
      executionDate: new Date(1_796_000_000_000).toISOString(),
    });
    expect(server.operations).toEqual([
      "DescribeAssociation",
      "DescribeInstanceAssociationsStatus",
      "DescribeInstanceAssociationsStatus",
      "DescribeInstanceAssociationsStatus",
      "DescribeInstanceAssociationsStatus",
      "DescribeInstanceAssociationsStatus",
    ]);
    expect(server.bodies.at(-1)).toMatchObject({ InstanceId: INSTANCE, NextToken: "page-1" });
    expect(log[0]).toContain(`waiting for ${INSTANCE} to run SSM association payments-backup-timer`);
    expect(log.at(-1)).toBe(
      `${INSTANCE} ran SSM association payments-backup-timer (${ASSOCIATION.AssociationId}) version 3: Success after 30s`,
    );
  });

  it("fails with the run's Status, DetailedStatus, ErrorCode and execution summary when the installer failed", async () => {
    const summary =
      "1 out of 1 plugin processed, 0 success, 1 failed, 0 timedout, 0 skipped. The operation aws:runShellScript failed with error: exit status 1";
    const server = await serve((look) =>
      look === 1
        ? { pages: [[run("3", "Pending", "InProgress")]] }
        : { pages: [[run("3", "Failed", "Failed", { ErrorCode: "1", ExecutionSummary: summary })]] },
    );
    const log: string[] = [];
    const error = await waitForAssociationRun(
      ssmAssociationApi(REGION, { endpoint: server.url, credentials: CREDENTIALS }),
      target,
      options(log),
    ).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain(
      `SSM association payments-backup-timer (${ASSOCIATION.AssociationId}) version 3 did not succeed on instance ${INSTANCE}`,
    );
    expect(message).toContain("\n  Status: Failed\n  DetailedStatus: Failed\n  ErrorCode: 1\n");
    expect(message).toContain(`  ExecutionSummary: ${summary}\n`);
    expect(message).toContain(
      "Systems Manager → State Manager → payments-backup-timer → Execution history (eu-central-1)",
    );
    expect(message).toContain(
      `aws ssm start-associations-once --region eu-central-1 --association-ids ${ASSOCIATION.AssociationId}`,
    );
    expect(message).not.toMatch(/\n\s+at /);
  });

  it.each([
    ["TimedOut", "Failed"],
    ["Cancelled", "Failed"],
    // The document's precondition (Linux) not met: nothing was installed.
    ["Skipped", "Success"],
  ])("fails on a %s run too (Status %s)", async (detailed, status) => {
    const server = await serve(() => ({ pages: [[run("3", status, detailed)]] }));
    const error = await waitForAssociationRun(
      ssmAssociationApi(REGION, { endpoint: server.url, credentials: CREDENTIALS }),
      target,
      options([]),
    ).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain(`\n  Status: ${status}\n  DetailedStatus: ${detailed}\n`);
  });

  it("gives up after the timeout, with progress every half minute and the last thing the instance reported", async () => {
    const server = await serve(() => ({ pages: [[run("2", "Success", "Success")]] }));
    const log: string[] = [];
    const error = await waitForAssociationRun(
      ssmAssociationApi(REGION, { endpoint: server.url, credentials: CREDENTIALS }),
      target,
      options(log, { timeoutMs: 120_000 }),
    ).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain(
      `SSM association payments-backup-timer (${ASSOCIATION.AssociationId}) version 3 was not run on instance ${INSTANCE} within 2m00s: the instance last reported version 2 (Success).`,
    );
    expect((error as Error).message).toContain(
      `aws ssm describe-instance-associations-status --region eu-central-1 --instance-id ${INSTANCE}`,
    );
    const progress = log.filter((l) => l.startsWith("still waiting"));
    expect(progress.map((l) => l.replace(/^.*version 3: /, ""))).toEqual(
      ["30s", "1m00s", "1m30s"].map((t) => `${t}, the instance last reported version 2 (Success)`),
    );
    // One look per 10 s poll over 2 minutes, plus the first.
    expect(server.operations.filter((o) => o === "DescribeInstanceAssociationsStatus")).toHaveLength(13);
  });

  it("passes on SSM's other errors at once (an unknown association)", async () => {
    const server = await serve(() => ({ pages: [[]] }));
    const error = await waitForAssociationRun(
      ssmAssociationApi(REGION, { endpoint: server.url, credentials: CREDENTIALS }),
      { ...target, associationId: "00000000-0000-4000-8000-000000000000" },
      options([]),
    ).catch((e: unknown) => e as Error);
    expect((error as Error).name).toBe("AssociationDoesNotExist");
  });
});

describe("the AssociationRunWait dynamic provider", () => {
  const inputs = {
    region: REGION,
    associationId: ASSOCIATION.AssociationId,
    instanceId: INSTANCE,
    association: {
      name: ASSOCIATION.Name,
      documentVersion: "7",
      targets: [{ key: "InstanceIds", values: [INSTANCE] }],
    },
    timeoutSeconds: 60,
  };

  it("waits again on any change of the association (a new document version, another instance), and not otherwise", async () => {
    const diff = (news: typeof inputs) => associationRunWaitProvider.diff!("id", inputs, news);
    expect((await diff(inputs)).changes).toBe(false);
    const newVersion = { ...inputs, association: { ...inputs.association, documentVersion: "8" } };
    expect(await diff(newVersion)).toMatchObject({ changes: true, replaces: [] });
    expect((await diff({ ...inputs, instanceId: "i-0fedcba9876543210" })).changes).toBe(true);
  });

  const saved: Record<string, string | undefined> = {};
  const ENV = [
    "AWS_ENDPOINT_URL_SSM",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
  ];
  afterEach(() => {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it("works once Pulumi has serialized it: create and update wait, a failed run fails the update", async () => {
    for (const k of ENV) saved[k] = process.env[k];
    const serialized = await pulumi.runtime.serializeFunction(() => associationRunWaitProvider, {
      allowSecrets: false,
    });
    expect(serialized.containsSecrets).toBe(false);
    expect(serialized.text).not.toMatch(/node_modules/);
    const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi"));
    const requireFromString = pulumiRequire("require-from-string") as (code: string) => {
      handler: () => pulumi.dynamic.ResourceProvider;
    };
    const provider = requireFromString(serialized.text).handler();

    let failing = false;
    const server = await serve(() => ({
      pages: [
        [
          failing
            ? run("3", "Failed", "Failed", { ExecutionSummary: "exit status 1" })
            : run("3", "Success", "Success"),
        ],
      ],
    }));
    // Where the SDK finds its endpoint and credentials when the engine runs the provider.
    process.env.AWS_ENDPOINT_URL_SSM = server.url;
    process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    const created = await provider.create(inputs);
    expect(created.id).toBe(`${ASSOCIATION.AssociationId}@${INSTANCE}`);
    expect(created.outs).toMatchObject({ associationVersion: "3", detailedStatus: "Success" });
    failing = true;
    await expect(provider.update!(created.id, created.outs, inputs)).rejects.toThrow(
      /version 3 did not succeed on instance i-0123456789abcdef0[^]*DetailedStatus: Failed[^]*ExecutionSummary: exit status 1/,
    );
  });
});
