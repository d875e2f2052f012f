/**
 * The runner manager's rights over its workers: the fleeting AWS plugin's "Recommended IAM Policy"
 * (plugin README; `ec2:DescribeSpotInstanceRequests` since plugin 1.1.0, cattle-ops/terraform-aws-gitlab-runner#1319),
 * narrowed to this stack's Auto Scaling group wherever AWS can scope the action:
 * - SetDesiredCapacity and TerminateInstanceInAutoScalingGroup on the group's ARN only;
 * - the Describe calls on `*`: AWS supports no resource-level permission for them;
 * - SendSSHPublicKey (a key per connection, `use_static_credentials = false`) only on instances carrying
 *   the group's `aws:autoscaling:groupName` tag, and only for the workers' user (`ec2:osuser`, the
 *   action's own condition key in the Service Authorization Reference): a key for `root` or another
 *   account on a worker is refused.
 * `ec2:GetPasswordData` (Windows only) is left out: the workers are Amazon Linux.
 */
import type { PolicyStatement } from "../host/aws/iam";

export interface ManagerPolicyInput {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly autoScalingGroupArn: string;
  readonly autoScalingGroupName: string;
  /** The Linux user the runner connects to the workers as (`WORKER_USERNAME`, `ec2-user`). */
  readonly osUser: string;
}

export function managerPolicyStatements(input: ManagerPolicyInput): PolicyStatement[] {
  return [
    {
      Sid: "ScaleOwnWorkerGroup",
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: input.autoScalingGroupArn,
    },
    {
      Sid: "DescribeWorkers",
      Effect: "Allow",
      Action: ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances", "ec2:DescribeSpotInstanceRequests"],
      // These Describe actions take no resource-level permissions in IAM.
      Resource: "*",
    },
    {
      Sid: "PushSshKeyToOwnWorkers",
      Effect: "Allow",
      Action: ["ec2-instance-connect:SendSSHPublicKey"],
      Resource: `arn:${input.partition}:ec2:${input.region}:${input.accountId}:instance/*`,
      Condition: {
        StringEquals: {
          "ec2:ResourceTag/aws:autoscaling:groupName": input.autoScalingGroupName,
          "ec2:osuser": input.osUser,
        },
      },
    },
  ];
}

export function managerPolicyDocument(input: ManagerPolicyInput): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: managerPolicyStatements(input) });
}
