/**
 * The EC2 instance GitLab and the runner live on: Amazon Linux 2023 (x86_64), IMDSv2 only, an
 * encrypted gp3 root volume, no key pair (shell access is Session Manager), booted by the
 * cloud-init user data. Its data lives on the separate data volume (data-volume.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { HostConfig } from "../../config/types";
import type { Naming } from "../../naming";
import { USER_DATA_LIMIT_BYTES, userDataBytes } from "./cloud-init";

/** AWS's public SSM parameter naming the latest Amazon Linux 2023 AMI for x86_64. */
export const AL2023_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

export interface InstanceArgs {
  readonly host: HostConfig;
  readonly subnetId: pulumi.Input<string>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly instanceProfileName: pulumi.Input<string>;
  /** The rendered cloud-init (`#cloud-config`), plain text. */
  readonly userData: pulumi.Input<string>;
  /** What must exist before the instance boots (its route to the internet, its role's policy). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The user data as given to EC2, refusing what AWS would refuse (over 16 KB). */
export function checkedUserData(text: string): string {
  const bytes = userDataBytes(text);
  if (bytes > USER_DATA_LIMIT_BYTES) {
    throw new Error(
      `the host's cloud-init is ${bytes} bytes, over AWS's user-data limit of ${USER_DATA_LIMIT_BYTES} bytes`,
    );
  }
  return text;
}

export function createInstance(
  name: string,
  args: InstanceArgs,
  names: Naming,
  opts: pulumi.CustomResourceOptions,
): aws.ec2.Instance {
  const ami = aws.ssm.getParameterOutput(
    { name: AL2023_AMI_PARAMETER },
    { provider: opts.provider, parent: opts.parent },
  ).value;
  return new aws.ec2.Instance(
    `${name}-instance`,
    {
      ami,
      instanceType: args.host.instanceType,
      subnetId: args.subnetId,
      vpcSecurityGroupIds: [args.securityGroupId],
      iamInstanceProfile: args.instanceProfileName,
      metadataOptions: {
        httpEndpoint: "enabled",
        // IMDSv2 only. A hop limit of 1 keeps containers on Docker networks away from the role's
        // credentials; a privileged DinD job is root on the host and reaches IMDS anyway, which
        // is why the role holds only Session Manager and this stack's own key (iam.ts).
        httpTokens: "required",
        httpPutResponseHopLimit: args.host.imdsHopLimit,
        instanceMetadataTags: "disabled",
      },
      rootBlockDevice: {
        volumeType: "gp3",
        volumeSize: args.host.rootVolumeGiB,
        encrypted: true,
        deleteOnTermination: true,
        tags: names.tags("root"),
      },
      userData: pulumi.output(args.userData).apply(checkedUserData),
      // New boot configuration means a new host: cloud-init writes its files once per instance,
      // and the boot script stops running once it has succeeded. (Without this, the AWS provider
      // would stop and start the same instance with user data it never reads.) The data volume
      // is separate and survives.
      userDataReplaceOnChange: true,
      tags: names.tags("host"),
    },
    {
      ...opts,
      // A newer Amazon Linux image must not replace the GitLab host: the parameter above moves
      // with every AL2023 release. Rebuild on a new image on purpose (`pulumi up --replace`).
      ignoreChanges: ["ami"],
      // The boot needs the internet route (packages, SSM) and the role's policy (its TLS key).
      dependsOn: args.dependsOn,
    },
  );
}
