/**
 * The AWS host: the machine GitLab and the runner live on, and the TLS Docker endpoint the rest
 * of the program deploys containers to.
 *
 *   network (VPC, public subnet, security group) → Elastic IP → Docker TLS certificates (SANs:
 *   the Elastic IP and its DNS name) → instance role → the daemon's key in SSM, under a KMS key
 *   only that role may decrypt with → data volume →
 *   cloud-init → instance → volume attachment, EIP association → wait for the Docker API →
 *   Docker provider.
 */
import { hostDaemonJson } from "../../mirror/daemon-json";
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config/types";
import type { Naming } from "../../naming";
import type { DockerHost } from "../docker-host";
import type { HostBuild } from "../index";
import { BOOTSTRAP_RETRY_SECONDS, BOOTSTRAP_UNIT, renderCloudInit } from "./cloud-init";
import { attachDataVolume, createDataVolume, DATA_DEVICE_NAME } from "./data-volume";
import { DockerApiWait } from "./docker-api-wait";
import { createDockerTls } from "./docker-tls";
import { allowReadParameters, createHostIdentity } from "./iam";
import { createInstance } from "./instance";
import { needsJobImdsBlock } from "./job-imds";
import { createNetwork, DOCKER_API_PORT, ingressRules } from "./network";
import { createServerKeyParameter } from "./server-key-parameter";
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

/**
 * What the CI workers (infra/autoscaler) need from the host: its provider and network, its private
 * address (where jobs on the workers reach GitLab), its security group (the workers' SSH source, and the
 * group that admits them to GitLab) and its role (the runner manager's credentials).
 */
export interface AwsHostNetwork {
  /** The stack's explicit AWS provider (region and default tags). */
  readonly provider: aws.Provider;
  readonly region: string;
  readonly vpcId: pulumi.Output<string>;
  /** `network.vpcCidr`. */
  readonly vpcCidr: string;
  /** The host's public subnet and its availability zone. */
  readonly subnetId: pulumi.Output<string>;
  readonly availabilityZone: pulumi.Output<string>;
  readonly internetGatewayId: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  readonly privateIp: pulumi.Output<string>;
  readonly roleName: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  /** The EC2 instance (SSM associations and Run Command target it). */
  readonly instanceId: pulumi.Output<string>;
}

export class AwsHost extends pulumi.ComponentResource {
  /** What the rest of the program gets: host, stack outputs, rendered files. */
  readonly build: HostBuild;
  /** The host's network, address and role, for the CI workers. */
  readonly network: AwsHostNetwork;
  readonly instanceId: pulumi.Output<string>;
  readonly publicIp: pulumi.Output<string>;
  readonly publicDns: pulumi.Output<string>;
  /**
   * The instance's role. Other capabilities of the host add their own policies to it with
   * `rolePolicy` (iam.ts), listed in the constructor's `hostPolicies` so the instance boots after them.
   */
  readonly role: aws.iam.Role;
  readonly roleName: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;

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

    // The role first: the key's policy names it as the only reader of the daemon's key.
    const identity = createHostIdentity(name, names, child);
    const { parameter: serverKeyParameter } = createServerKeyParameter(
      `${name}-docker-server-key`,
      { privateKeyPem: certs.serverKeyPem, region, readerRole: identity.role },
      names,
      child,
    );
    const hostPolicies = [
      ...identity.policies,
      allowReadParameters(name, identity.role, [serverKeyParameter.arn], child),
    ];

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
          // The pull-through cache (infra/mirror) on the host's loopback, for the images the runner pulls.
          daemonJson: config.mirror.enabled ? hostDaemonJson(config.mirror.port) : undefined,
          // Job containers kept from IMDS when its hop limit lets containers reach it (object storage in S3).
          ...(needsJobImdsBlock(config) ? { blockJobImds: true } : {}),
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
        dependsOn: [network.defaultRoute, ...hostPolicies],
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
        // A new type stops and starts the same instance: the daemon boots again, so the wait runs again.
        instanceType: instance.instanceType,
        timeoutSeconds: args.dockerApiTimeoutSeconds ?? DEFAULT_DOCKER_API_TIMEOUT_SECONDS,
        hints: [
          `the security group allows TCP ${DOCKER_API_PORT} from this machine: is its public address inside gitlab-dind:network.adminCidrs (${config.network.adminCidrs.join(", ")})?`,
          pulumi.interpolate`the host's boot script (the systemd unit ${BOOTSTRAP_UNIT}, retried every ${BOOTSTRAP_RETRY_SECONDS} s and at every boot until it succeeds) and its log: \`${ssmCommand}\` then \`sudo systemctl status ${BOOTSTRAP_UNIT}\` and \`sudo journalctl -u ${BOOTSTRAP_UNIT} --no-pager -n 200\`; without Session Manager, its lines are in the console output too: \`${consoleCommand}\``,
          "the data volume attached (the boot script waits up to 15 minutes for it before it starts Docker)",
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
      // A replaced instance (new user data: a changed boot script, a renewed certificate) starts
      // with an empty Docker daemon. A new type stops and starts the same instance, which keeps
      // its daemon's images and containers: same id, same generation, and the wait runs again.
      generation: instance.id,
      machine: instance,
    };
    this.network = {
      provider,
      region,
      vpcId: network.vpc.id,
      vpcCidr: config.network.vpcCidr,
      subnetId: network.subnet.id,
      availabilityZone: network.availabilityZone,
      internetGatewayId: network.internetGateway.id,
      securityGroupId: network.securityGroup.id,
      privateIp: instance.privateIp,
      roleName: identity.role.name,
      roleArn: identity.role.arn,
      instanceId: instance.id,
    };
    this.role = identity.role;
    this.roleName = identity.role.name;
    this.roleArn = identity.role.arn;
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
      aws: this.network,
    };

    this.registerOutputs({
      instanceId: this.instanceId,
      publicIp: this.publicIp,
      publicDns: this.publicDns,
      dataVolumeId: volume.id,
      roleName: this.roleName,
      roleArn: this.roleArn,
    });
  }
}
