/**
 * The Docker daemon's TLS private key on its way to the host: an SSM SecureString parameter
 * encrypted with a KMS key of this stack alone.
 *
 * Under the account's default `aws/ssm` key, whose key policy lets every principal of the account
 * decrypt through SSM, any role allowed `ssm:GetParameter` on the parameter could read it. Under
 * this key, the key policy decides, and it names:
 *
 *  - the account (`root`), which administers the key, and — through the account's own IAM
 *    policies, as KMS delegates to them — may encrypt and decrypt, only through SSM and only this
 *    parameter: what `pulumi up` needs to write the parameter and read it back;
 *  - this host's role, which may only decrypt, only through SSM and only this parameter.
 *
 * No other team's host role is named, and none holds a KMS permission in its IAM policies, so no
 * other team's host can decrypt this key, even holding `ssm:GetParameter` on it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Naming } from "../../naming";

/** The SSM parameter holding the Docker daemon's TLS private key; starts with the team. */
export function serverKeyParameterName(team: string): string {
  return `/${team}/gitlab-dind/docker/server-key`;
}

/**
 * What the account may do to administer the key, named one by one: read it, change its policy,
 * description, rotation, state and tags, and delete it (what Pulumi's AWS provider calls on a
 * key). Not `kms:*`, and no use of the key here: use is the next statement's, through SSM.
 */
export const KEY_ADMIN_ACTIONS = [
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "kms:PutKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:EnableKeyRotation",
  "kms:DisableKeyRotation",
  "kms:ListKeyRotations",
  "kms:RotateKeyOnDemand",
  "kms:UpdateKeyDescription",
  "kms:EnableKey",
  "kms:DisableKey",
  "kms:ListResourceTags",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ListGrants",
  "kms:RevokeGrant",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
] as const;

/** What SSM does with the key for a standard SecureString: `Encrypt` on write, `Decrypt` on read. */
export const PARAMETER_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt"] as const;

export interface KeyPolicyInput {
  readonly partition: string;
  readonly accountId: string;
  /** The AWS region of the parameter (SSM's endpoint in the `kms:ViaService` condition). */
  readonly region: string;
  /** The partition's DNS suffix (`amazonaws.com`, `amazonaws.com.cn`). */
  readonly dnsSuffix: string;
  /** The one parameter the key encrypts: SSM passes its ARN as the encryption context. */
  readonly parameterArn: string;
  /** The host's role, the only principal named to decrypt. */
  readonly readerRoleArn: string;
}

/** The key policy, as a plain document (pure: tested on its own). */
export function serverKeyPolicy(input: KeyPolicyInput): Record<string, unknown> {
  // Parameter Store calls KMS with the encryption context {PARAMETER_ARN: <the parameter's ARN>}
  // (AWS KMS Developer Guide, "How AWS Systems Manager Parameter Store uses AWS KMS").
  const throughSsmForThisParameter = {
    StringEquals: {
      "kms:ViaService": `ssm.${input.region}.${input.dnsSuffix}`,
      "kms:EncryptionContext:PARAMETER_ARN": input.parameterArn,
    },
  };
  const account = `arn:${input.partition}:iam::${input.accountId}:root`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersTheKey",
        Effect: "Allow",
        Principal: { AWS: account },
        Action: [...KEY_ADMIN_ACTIONS],
        // In a key policy, `*` is the key itself.
        Resource: "*",
      },
      {
        Sid: "AccountUsesTheKeyOnlyForThisParameterThroughSsm",
        Effect: "Allow",
        Principal: { AWS: account },
        Action: [...PARAMETER_USE_ACTIONS],
        Resource: "*",
        Condition: throughSsmForThisParameter,
      },
      {
        Sid: "HostDecryptsOnlyThisParameterThroughSsm",
        Effect: "Allow",
        Principal: { AWS: input.readerRoleArn },
        Action: ["kms:Decrypt"],
        Resource: "*",
        Condition: throughSsmForThisParameter,
      },
    ],
  };
}

export interface ServerKeyParameterArgs {
  /** The daemon's TLS private key (PEM), a secret. */
  readonly privateKeyPem: pulumi.Input<string>;
  /** The region the parameter lives in (the stack's `aws:region`). */
  readonly region: string;
  /** The host's role: the only principal the key policy lets decrypt. */
  readonly readerRole: aws.iam.Role;
}

export interface ServerKeyParameter {
  readonly key: aws.kms.Key;
  readonly parameter: aws.ssm.Parameter;
}

/** Days a destroyed key waits before KMS deletes it; the parameter it encrypted is gone already. */
export const KEY_DELETION_WINDOW_DAYS = 7;

export function createServerKeyParameter(
  name: string,
  args: ServerKeyParameterArgs,
  names: Naming,
  opts: pulumi.CustomResourceOptions,
): ServerKeyParameter {
  const invokeOpts = { provider: opts.provider, parent: opts.parent };
  const partition = aws.getPartitionOutput({}, invokeOpts);
  const caller = aws.getCallerIdentityOutput({}, invokeOpts);
  const parameterName = serverKeyParameterName(names.team);
  // The parameter's ARN is known before the parameter exists (the key must exist first).
  const parameterArn = pulumi.interpolate`arn:${partition.partition}:ssm:${args.region}:${caller.accountId}:parameter${parameterName}`;

  const key = new aws.kms.Key(
    `${name}-kms`,
    {
      description: `gitlab-dind team ${names.team}: encrypts ${parameterName}, which only the team's host may decrypt`,
      keyUsage: "ENCRYPT_DECRYPT",
      customerMasterKeySpec: "SYMMETRIC_DEFAULT",
      enableKeyRotation: true,
      deletionWindowInDays: KEY_DELETION_WINDOW_DAYS,
      policy: pulumi
        .all([partition.partition, partition.dnsSuffix, caller.accountId, parameterArn, args.readerRole.arn])
        .apply(([partitionName, dnsSuffix, accountId, arn, readerRoleArn]) =>
          JSON.stringify(
            serverKeyPolicy({
              partition: partitionName,
              accountId,
              region: args.region,
              dnsSuffix,
              parameterArn: arn,
              readerRoleArn,
            }),
          ),
        ),
      tags: names.tags("docker-server-key-kms"),
    },
    opts,
  );

  const parameter = new aws.ssm.Parameter(
    name,
    {
      name: parameterName,
      description: `TLS private key of the Docker daemon on the gitlab-dind host of team ${names.team}; read by the host at boot`,
      type: "SecureString",
      // Standard: SSM encrypts the value with the key directly (kms:Encrypt), as the key policy
      // expects; an Advanced parameter would need kms:GenerateDataKey, which it does not allow.
      tier: "Standard",
      keyId: key.arn,
      value: pulumi.secret(args.privateKeyPem),
      tags: names.tags("docker-server-key"),
    },
    opts,
  );
  return { key, parameter };
}
