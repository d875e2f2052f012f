/**
 * GitLab's data: its own encrypted gp3 EBS volume, created in the subnet's availability zone and
 * attached to the instance by a separate attachment. Nothing of the volume comes from the
 * instance, so replacing the instance (a new type, new user data) neither replaces nor deletes it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Naming } from "../../naming";

/** The device name the volume is attached under; on Nitro instances only a hint (NVMe). */
export const DATA_DEVICE_NAME = "/dev/sdf";

export interface DataVolumeArgs {
  /** The subnet's availability zone (never the instance's: that would tie the volume to it). */
  readonly availabilityZone: pulumi.Input<string>;
  readonly sizeGiB: number;
  /** Keep the volume (and so GitLab's data) on `pulumi destroy`. */
  readonly keepOnDestroy: boolean;
}

export function createDataVolume(
  name: string,
  args: DataVolumeArgs,
  names: Naming,
  opts: pulumi.CustomResourceOptions,
): aws.ebs.Volume {
  return new aws.ebs.Volume(
    `${name}-data`,
    {
      availabilityZone: args.availabilityZone,
      size: args.sizeGiB,
      type: "gp3",
      encrypted: true,
      // A last snapshot when the volume is deleted (keepDataOnDestroy false): data is never
      // lost by a destroy alone.
      finalSnapshot: !args.keepOnDestroy,
      tags: names.tags("data"),
    },
    {
      ...opts,
      // host.keepDataOnDestroy: `pulumi destroy` leaves the volume (and GitLab's data) in the
      // account; the README says how to adopt it again (`pulumi import`). Not `protect`: that
      // would refuse the whole destroy instead of keeping the data.
      retainOnDelete: args.keepOnDestroy,
    },
  );
}

export interface AttachmentArgs {
  readonly volumeId: pulumi.Input<string>;
  readonly instanceId: pulumi.Input<string>;
}

export function attachDataVolume(
  name: string,
  args: AttachmentArgs,
  opts: pulumi.CustomResourceOptions,
): aws.ec2.VolumeAttachment {
  return new aws.ec2.VolumeAttachment(
    `${name}-data-attachment`,
    {
      deviceName: DATA_DEVICE_NAME,
      volumeId: args.volumeId,
      instanceId: args.instanceId,
      // Stop the instance before detaching: GitLab shuts down and the filesystem is unmounted
      // cleanly, instead of a volume pulled from under a running database.
      stopInstanceBeforeDetaching: true,
    },
    {
      ...opts,
      // A volume attaches to one instance at a time: when the instance is replaced, detach
      // from the old one before attaching to the new one (the new host waits for it at boot).
      deleteBeforeReplace: true,
    },
  );
}
