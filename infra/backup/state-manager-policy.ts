/**
 * What the host's SSM agent may call to run the backup timer's State Manager association, and on
 * what (see the comment at its use in aws-backups.ts for why each is scoped so). No statement
 * writes on `*`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PolicyStatement } from "../host/aws/iam";

/** The tag every resource of a stack carries with its team (`Naming.commonTags`). */
export const TEAM_TAG = "Team";

export interface AssociationStatementsInput {
  /** `arn:<partition>:ec2:<region>:<account>:instance/<id>`: the host. */
  readonly instanceArn: pulumi.Input<string>;
  /** `arn:<partition>:ssm:<region>:<account>:association/*`: narrowed by the team's tag. */
  readonly associationArns: pulumi.Input<string>;
  /** The installer document. */
  readonly documentArn: pulumi.Input<string>;
  readonly team: string;
}

export function ssmAgentAssociationStatements(input: AssociationStatementsInput): PolicyStatement[] {
  return [
    {
      Sid: "ListOwnInstanceAssociations",
      Effect: "Allow",
      Action: ["ssm:ListInstanceAssociations"],
      Resource: input.instanceArn,
    },
    { Sid: "ReadInstaller", Effect: "Allow", Action: ["ssm:GetDocument"], Resource: input.documentArn },
    {
      Sid: "ReportOwnAssociationRuns",
      Effect: "Allow",
      Action: ["ssm:UpdateInstanceAssociationStatus"],
      Resource: input.associationArns,
      Condition: { StringEquals: { [`aws:ResourceTag/${TEAM_TAG}`]: input.team } },
    },
    {
      Sid: "ReportOnOwnInstance",
      Effect: "Allow",
      Action: ["ssm:UpdateInstanceAssociationStatus", "ssm:PutComplianceItems"],
      Resource: input.instanceArn,
    },
  ];
}
