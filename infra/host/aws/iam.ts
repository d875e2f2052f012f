/**
 * The host's identity: a role and instance profile that hold exactly what the host needs, every
 * action named (no `service:*`, no AWS managed policy):
 *
 *  - the SSM agent, for Session Manager and Run Command: `ssm:UpdateInstanceInformation`, the four
 *    `ssmmessages` channel actions and the six `ec2messages` actions (`SSM_AGENT_ACTIONS`);
 *  - `ssm:GetParameter` on this stack's own parameter ARN (the Docker daemon's TLS key), added
 *    with `allowReadParameters` once the parameter exists;
 *  - `kms:Decrypt` of that parameter is granted by the parameter's own KMS key policy
 *    (server-key-parameter.ts), through SSM and for that parameter only, not here.
 *
 * Nothing else here: no other parameter, no KMS key of another stack (so no other team's Docker
 * key). Features attach their own policies to this role: the backups (their bucket, and the State
 * Manager calls of their association: infra/backup/aws-backups.ts) and the CI workers' manager
 * (infra/autoscaler). Left out on purpose, from what `AmazonSSMManagedInstanceCore`
 * grants: State Manager and Inventory (`ssm:ListAssociations`, `ssm:ListInstanceAssociations`,
 * `ssm:DescribeAssociation`, `ssm:UpdateInstanceAssociationStatus`, `ssm:PutInventory`,
 * `ssm:PutComplianceItems`), Patch Manager and Distributor (`ssm:GetDeployablePatchSnapshotForInstance`,
 * `ssm:GetManifest`, `ssm:PutConfigurePackageResult`), SSM documents (`ssm:GetDocument`,
 * `ssm:DescribeDocument`) and `ssm:GetParameter(s)` on `*`, which let every team's host read every
 * other team's key. Without backups the agent logs AccessDenied for the association calls it still
 * polls; that is expected (docs/pitfalls.md).
 *
 * More role policies (backups, scaling) go on the same role with `rolePolicy`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Naming } from "../../naming";

/**
 * What the SSM agent calls for Session Manager and Run Command, named one by one (AWS's
 * "Reference: ec2messages, ssmmessages, and other API operations", and the same names in
 * `AmazonSSMManagedInstanceCore` v2).
 */
export const SSM_AGENT_ACTIONS = {
  /** The agent's registration and heartbeat: the instance shows as managed. */
  registration: ["ssm:UpdateInstanceInformation"],
  /** Session Manager's control and data channels (and Run Command on recent agents). */
  sessions: [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
  ],
  /** Run Command's message delivery (older agents, and the fallback of recent ones). */
  commands: [
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
  ],
} as const;

/** What the role may do with the parameters named in `allowReadParameters`, and nothing more. */
export const HOST_PARAMETER_ACTIONS = ["ssm:GetParameter"] as const;

/** One statement of an IAM policy document. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: readonly string[];
  readonly Resource: pulumi.Input<string> | pulumi.Input<string>[];
  readonly Condition?: pulumi.Input<Record<string, Record<string, pulumi.Input<string>>>>;
}

export interface HostIdentity {
  readonly role: aws.iam.Role;
  readonly instanceProfile: aws.iam.InstanceProfile;
  /** The role's policies so far; the instance boots after them (add to it with `rolePolicy`). */
  readonly policies: readonly aws.iam.RolePolicy[];
}

/** A trust policy letting one AWS service assume a role. */
export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/** An inline policy of the role named `roleName`: `${name}` is the Pulumi name, the statements its whole grant. */
export function rolePolicy(
  name: string,
  roleName: pulumi.Input<string>,
  statements: readonly PolicyStatement[],
  opts: pulumi.CustomResourceOptions,
): aws.iam.RolePolicy {
  return new aws.iam.RolePolicy(
    name,
    { role: roleName, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) },
    opts,
  );
}

/** The SSM agent's statements. */
export function ssmAgentStatements(): PolicyStatement[] {
  return [
    {
      Sid: "SsmAgentRegistration",
      Effect: "Allow",
      Action: [...SSM_AGENT_ACTIONS.registration],
      // The call is about the instance itself, and the policy must be in place before the
      // instance boots, when its id (so its ARN) does not exist yet: naming the instance would
      // make the role wait for the instance, whose profile names the role, a cycle. So `*`, for
      // this one action: the agent's registration and heartbeat.
      Resource: "*",
    },
    {
      Sid: "SessionManagerChannels",
      Effect: "Allow",
      Action: [...SSM_AGENT_ACTIONS.sessions],
      // ssmmessages defines no resource type (Service Authorization Reference): only `*` is valid.
      Resource: "*",
    },
    {
      Sid: "RunCommandMessages",
      Effect: "Allow",
      Action: [...SSM_AGENT_ACTIONS.commands],
      // ec2messages defines no resource type either.
      Resource: "*",
    },
  ];
}

export function createHostIdentity(name: string, names: Naming, opts: pulumi.CustomResourceOptions): HostIdentity {
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      description: `gitlab-dind host of team ${names.team}: Session Manager and its own Docker TLS key`,
      assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"),
      tags: names.tags("host"),
    },
    opts,
  );
  const ssmAgent = rolePolicy(`${name}-ssm-agent`, role.name, ssmAgentStatements(), opts);
  const instanceProfile = new aws.iam.InstanceProfile(
    `${name}-profile`,
    { role: role.name, tags: names.tags("host") },
    opts,
  );
  return { role, instanceProfile, policies: [ssmAgent] };
}

/** Lets the role read exactly these SSM parameters (their values are decrypted as their keys allow). */
export function allowReadParameters(
  name: string,
  role: aws.iam.Role,
  parameterArns: pulumi.Input<string>[],
  opts: pulumi.CustomResourceOptions,
): aws.iam.RolePolicy {
  return rolePolicy(
    `${name}-read-params`,
    role.name,
    [{ Sid: "ReadOwnParameters", Effect: "Allow", Action: [...HOST_PARAMETER_ACTIONS], Resource: parameterArns }],
    opts,
  );
}
