/**
 * The AWS host: the machine GitLab and the runner live on, and the TLS Docker endpoint the rest
 * of the program deploys containers to.
 *
 *   network (VPC, public subnet, security group) → Elastic IP → Docker TLS certificates (SANs:
 *   the Elastic IP and its DNS name) → the daemon's key in SSM → instance role → data volume →
 *   cloud-init → instance → volume attachment, EIP association → wait for the Docker API →
 *   Docker provider.
 */
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config/types";
import type { Naming } from "../../naming";
import type { DockerHost } from "../docker-host";
import type { HostBuild } from "../index";
import { renderCloudInit } from "./cloud-init";
import { attachDataVolume, createDataVolume, DATA_DEVICE_NAME } from "./data-volume";
import { DockerApiWait } from "./docker-api-wait";
import { createDockerTls } from "./docker-tls";
import { createHostIdentity } from "./iam";
import { createInstance } from "./instance";
import { createNetwork, DOCKER_API_PORT, ingressRules } from "./network";
import { createSnapshots } from "./snapshots";

/** Where the data volume is mounted on the host. */
export const DATA_PATH = "/srv";
/** Default of `AwsHostArgs.dockerApiTimeoutSeconds`: ten minutes. */
export const DEFAULT_DOCKER_API_TIMEOUT_SECONDS = 600;

export interface AwsHostArgs {
  /** The parsed stack configuration; `target` must be `aws` and `awsRegion` set. */
  readonly config: StackConfig;
  /** Physical names and tags of the stack's team. */
  readonly names: Naming;
  /** How long `pulumi up` waits for the Docker API to answer over TLS. Default 600 (10 minutes). */
  readonly dockerApiTimeoutSeconds?: number;
}

/** The SSM parameter holding the Docker daemon's TLS private key; starts with the team. */
export function serverKeyParameterName(team: string): string {
  return `/${team}/gitlab-dind/docker/server-key`;
}

export class AwsHost extends pulumi.ComponentResource {
  /** What the rest of the program gets: host, stack outputs, rendered files. */
  readonly build: HostBuild;
  readonly instanceId: pulumi.Output<string>;
  readonly publicIp: pulumi.Output<string>;
  readonly publicDns: pulumi.Output<string>;

  constructor(name: string, args: AwsHostArgs, opts?: pulumi.ComponentResourceOptions) {
    const { config, names } = args;
    // Everything that can be refused is refused before the first resource is registered.
    const region = config.awsRegion;
    if (config.target !== "aws" || region === undefined) {
      throw new Error(
        `AwsHost: needs target aws and aws:region; got target ${config.target}, region ${region ?? "unset"}`,
      );
    }
    ingressRules(config);

    super("gitlab-dind:index:AwsHost", name, {}, opts);

    const provider = new aws.Provider(
      `${name}-aws`,
      { region, defaultTags: { tags: { ...names.commonTags } } },
      { parent: this },
    );
    const child: pulumi.CustomResourceOptions = { parent: this, provider };

    // An adopted volume (host.dataVolumeId) is read, not created: this stack never deletes it, and
    // the subnet goes to its availability zone.
    const adopted =
      config.host.dataVolumeId !== undefined
        ? aws.ebs.Volume.get(`${name}-data`, config.host.dataVolumeId, undefined, child)
        : undefined;
    const network = createNetwork(name, config, names, child, adopted?.availabilityZone);

    // The Elastic IP comes first: the daemon's certificate names it.
    const eip = new aws.ec2.Eip(`${name}-eip`, { domain: "vpc", tags: names.tags("host") }, child);

    const certs = createDockerTls(
      `${name}-docker`,
      { publicIp: eip.publicIp, publicDns: eip.publicDns, organization: `gitlab-dind ${names.team}` },
      { parent: this },
    );

    const serverKeyParameter = new aws.ssm.Parameter(
      `${name}-docker-server-key`,
      {
        name: serverKeyParameterName(names.team),
        description: `TLS private key of the Docker daemon on the gitlab-dind host of team ${names.team}; read by the host at boot`,
        type: "SecureString",
        value: certs.serverKeyPem,
        tags: names.tags("docker-server-key"),
      },
      child,
    );

    const identity = createHostIdentity(name, { parameterArns: [serverKeyParameter.arn] }, names, child);

    const volume =
      adopted ??
      createDataVolume(
        name,
        {
          availabilityZone: network.availabilityZone,
          sizeGiB: config.host.dataVolumeGiB,
          keepOnDestroy: config.host.keepDataOnDestroy,
        },
        names,
        child,
      );
    const snapshots = createSnapshots(
      name,
      { retentionDays: config.host.snapshotRetentionDays, targetTags: { Name: names.name("data") } },
      names,
      child,
    );

    const userData = pulumi
      .all([volume.id, certs.caCertPem, certs.serverCertPem, serverKeyParameter.name])
      .apply(([volumeId, caCertPem, serverCertPem, parameterName]) =>
        renderCloudInit({
          region,
          dataVolumeId: volumeId,
          dataDeviceName: DATA_DEVICE_NAME,
          dataPath: DATA_PATH,
          dockerPort: DOCKER_API_PORT,
          caCertPem,
          serverCertPem,
          serverKeyParameter: parameterName,
        }),
      );

    const instance = createInstance(
      name,
      {
        host: config.host,
        subnetId: network.subnet.id,
        securityGroupId: network.securityGroup.id,
        instanceProfileName: identity.instanceProfile.name,
        userData,
        dependsOn: [network.defaultRoute, identity.parameterPolicy, identity.sessionManager],
      },
      names,
      child,
    );

    const attachment = attachDataVolume(name, { volumeId: volume.id, instanceId: instance.id }, child);
    const association = new aws.ec2.EipAssociation(
      `${name}-eip-association`,
      { allocationId: eip.allocationId, instanceId: instance.id },
      {
        ...child,
        // The address moves to a replacement instance only after leaving the old one.
        deleteBeforeReplace: true,
        // AWS refuses to associate an address in a VPC without an internet gateway.
        dependsOn: [network.internetGateway],
      },
    );

    const ssmCommand = pulumi.interpolate`aws ssm start-session --target ${instance.id} --region ${region}`;
    const consoleCommand = pulumi.interpolate`aws ec2 get-console-output --latest --output text --region ${region} --instance-id ${instance.id}`;
    const ready = new DockerApiWait(
      `${name}-docker-api`,
      {
        host: eip.publicIp,
        port: DOCKER_API_PORT,
        caPem: certs.caCertPem,
        certPem: certs.clientCertPem,
        keyPem: certs.clientKeyPem,
        instanceId: instance.id,
        timeoutSeconds: args.dockerApiTimeoutSeconds ?? DEFAULT_DOCKER_API_TIMEOUT_SECONDS,
        hints: [
          `the security group allows TCP ${DOCKER_API_PORT} from this machine: is its public address inside gitlab-dind:network.adminCidrs (${config.network.adminCidrs.join(", ")})?`,
          pulumi.interpolate`the instance booted and ran cloud-init: \`${consoleCommand}\`, or \`${ssmCommand}\` then \`sudo tail -n 100 /var/log/cloud-init-output.log\``,
          "the data volume attached (the host waits up to 15 minutes for it before it starts Docker)",
        ],
      },
      {
        parent: this,
        // The daemon can only answer once the instance has its address and its data volume.
        dependsOn: [association, attachment],
      },
    );

    const dockerProvider = new docker.Provider(
      `${name}-docker`,
      {
        // The wait's output, not the address itself: the provider pings the daemon when it is
        // configured, so it must not be configured before the daemon answers.
        host: ready.endpoint,
        caMaterial: certs.caCertPem,
        certMaterial: certs.clientCertPem,
        keyMaterial: certs.clientKeyPem,
      },
      { parent: this },
    );

    const host: DockerHost = {
      provider: dockerProvider,
      ready: [ready],
      dataPath: DATA_PATH,
      publicAddress: eip.publicIp,
      publicDns: eip.publicDns,
      // A rebuilt instance (new type, new user data) starts with an empty Docker daemon.
      generation: instance.id,
      machine: instance,
    };
    this.instanceId = instance.id;
    this.publicIp = eip.publicIp;
    this.publicDns = eip.publicDns;
    this.build = {
      host,
      outputs: {
        instanceId: instance.id,
        publicIp: eip.publicIp,
        publicDns: eip.publicDns,
        ssmCommand,
        dataVolumeId: volume.id,
        ...(snapshots === undefined ? {} : { snapshotPolicyId: snapshots.policy.id }),
      },
      files: { "user-data.yaml": userData },
      aws: { roleName: identity.role.name, instanceId: instance.id },
    };

    this.registerOutputs({
      instanceId: this.instanceId,
      publicIp: this.publicIp,
      publicDns: this.publicDns,
      dataVolumeId: volume.id,
    });
  }
}
