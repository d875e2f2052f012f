/**
 * Daily snapshots of the data volume by AWS Data Lifecycle Manager, keeping
 * `host.snapshotRetentionDays` of them. None when that is 0.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Naming } from "../../naming";
import { assumeRolePolicy } from "./iam";

export interface SnapshotArgs {
  /** Days (= daily snapshots) to keep; 0 creates nothing. */
  readonly retentionDays: number;
  /** The tags that pick the data volume out (DLM targets volumes by tag). */
  readonly targetTags: Readonly<Record<string, string>>;
}

export interface Snapshots {
  readonly policy: aws.dlm.LifecyclePolicy;
  readonly role: aws.iam.Role;
}

/** When the daily snapshot starts (UTC), a quiet hour for most teams in Europe and America. */
export const SNAPSHOT_TIME_UTC = "03:00";

export function createSnapshots(
  name: string,
  args: SnapshotArgs,
  names: Naming,
  opts: pulumi.CustomResourceOptions,
): Snapshots | undefined {
  if (args.retentionDays === 0) return undefined;
  const partition = aws.getPartitionOutput({}, { provider: opts.provider, parent: opts.parent }).partition;
  const role = new aws.iam.Role(
    `${name}-dlm-role`,
    {
      description: `gitlab-dind team ${names.team}: Data Lifecycle Manager snapshots of the data volume`,
      assumeRolePolicy: assumeRolePolicy("dlm.amazonaws.com"),
      tags: names.tags("snapshots"),
    },
    opts,
  );
  const attachment = new aws.iam.RolePolicyAttachment(
    `${name}-dlm-policy`,
    {
      role: role.name,
      policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole`,
    },
    opts,
  );
  const policy = new aws.dlm.LifecyclePolicy(
    `${name}-snapshots`,
    {
      // DLM allows only letters, digits, spaces, "_" and "-" in descriptions and schedule names.
      description: `${names.name("data")} daily snapshots keep ${args.retentionDays}`,
      executionRoleArn: role.arn,
      state: "ENABLED",
      policyDetails: {
        policyType: "EBS_SNAPSHOT_MANAGEMENT",
        resourceTypes: ["VOLUME"],
        targetTags: { ...args.targetTags },
        schedules: [
          {
            name: `daily keep ${args.retentionDays}`,
            createRule: { interval: 24, intervalUnit: "HOURS", times: SNAPSHOT_TIME_UTC },
            // One snapshot a day: keeping N snapshots keeps N days.
            retainRule: { count: args.retentionDays },
            copyTags: true,
          },
        ],
      },
      tags: names.tags("snapshots"),
    },
    // DLM checks that it may assume the role when the policy is created.
    { ...opts, dependsOn: [attachment] },
  );
  return { policy, role };
}
