/**
 * The host's identity: a role and instance profile with only what the host needs. Session
 * Manager (AWS's managed policy, so shell access works without port 22) and reading its own
 * SSM parameter (the Docker daemon's TLS key), named exactly: no wildcard actions or resources.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Naming } from "../../naming";

/** What the instance role may do in our own policy document, and nothing more. */
export const HOST_PARAMETER_ACTIONS = ["ssm:GetParameter"] as const;

export interface HostIdentity {
  readonly role: aws.iam.Role;
  readonly instanceProfile: aws.iam.InstanceProfile;
  /** The role's own policy; the instance needs it before it boots, so it is a dependency. */
  readonly parameterPolicy: aws.iam.RolePolicy;
  readonly sessionManager: aws.iam.RolePolicyAttachment;
}

export interface HostIdentityArgs {
  /** ARNs of the SSM parameters the host reads at boot. */
  readonly parameterArns: pulumi.Input<string>[];
}

/** A trust policy letting one AWS service assume a role. */
export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

export function createHostIdentity(
  name: string,
  args: HostIdentityArgs,
  names: Naming,
  opts: pulumi.CustomResourceOptions,
): HostIdentity {
  const partition = aws.getPartitionOutput({}, { provider: opts.provider, parent: opts.parent }).partition;
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      description: `gitlab-dind host of team ${names.team}: Session Manager and its Docker TLS key`,
      assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"),
      tags: names.tags("host"),
    },
    opts,
  );
  const sessionManager = new aws.iam.RolePolicyAttachment(
    `${name}-ssm-core`,
    { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore` },
    opts,
  );
  // The parameter is a SecureString under the AWS managed key aws/ssm, whose key policy lets
  // every principal of the account decrypt through SSM: ssm:GetParameter on the exact ARN is
  // the whole grant, and no kms:Decrypt statement is needed.
  const parameterPolicy = new aws.iam.RolePolicy(
    `${name}-read-params`,
    {
      role: role.name,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "ReadOwnParameters",
            Effect: "Allow",
            Action: [...HOST_PARAMETER_ACTIONS],
            Resource: args.parameterArns,
          },
        ],
      }),
    },
    opts,
  );
  const instanceProfile = new aws.iam.InstanceProfile(
    `${name}-profile`,
    { role: role.name, tags: names.tags("host") },
    opts,
  );
  return { role, instanceProfile, parameterPolicy, sessionManager };
}
