/**
 * `RunnerWorkers`: the throw-away EC2 workers CI jobs run on when `runner.autoscaler.enabled` is set.
 * GitLab Runner's docker-autoscaler executor (the runner container on the GitLab host, now only a
 * manager) scales them through the fleeting AWS plugin:
 *
 *   worker security group (SSH from the host's group only) ─┐
 *   launch template (AL2023, Docker by user data, IMDSv2 hop 1, encrypted root, no instance profile)
 *   Auto Scaling group (0…maxInstances, scale-in protected, AZRebalance suspended, no scaling policy;
 *   with runner.autoscaler.spot a mixed-instances policy: spot workers above onDemandBase)
 *   the manager's IAM policy on the host role; the host's group admitting the workers on GitLab's ports
 *   (and on the Docker Hub pull-through cache's port, which the workers' daemon.json files name)
 *
 * Sources: GitLab Runner v19.3.0 `docs/executors/docker_autoscaler.md` ("Example: AWS autoscaling for 1
 * job per instance": scaling policy none, scale-in protection on, AZRebalance off); the fleeting AWS
 * plugin's README ("Autoscaling Group Setup": desired and minimum 0, maximum ≥ max_instances; "Recommended
 * IAM Policy"); cattle-ops/terraform-aws-gitlab-runner `docker_autoscaler.tf` (ignore_changes on
 * desired_capacity, suspended AZRebalance).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AutoscalerConfig } from "../config/types";
import type { AwsHostNetwork } from "../host/aws/aws-host";
import { AL2023_AMI_PARAMETER } from "../host/aws/instance";
import { resolvedJobDockerFiles, type PendingJobDockerFile } from "../job-docker/job-docker-config";
import type { Naming } from "../naming";
import { WORKER_USERNAME } from "../../runner-config";
import { managerPolicyDocument } from "./manager-policy";
import { renderWorkerUserData, WORKER_DIND_JOB_VOLUME } from "./worker-user-data";

/** Size of a worker's encrypted gp3 root volume: the AMI, Docker, a job's images and its DinD layers. */
export const WORKER_ROOT_VOLUME_GIB = 30;
/** The root device of the Amazon Linux 2023 AMIs. */
export const AL2023_ROOT_DEVICE = "/dev/xvda";
/** The worker's SSH port: the manager's only way in. */
export const WORKER_SSH_PORT = 22;

export interface RunnerWorkersArgs {
  /** `runner.autoscaler.*`, fully defaulted; `enabled` is true. */
  readonly settings: AutoscalerConfig;
  /** The AWS host's provider, network, private address, security group and role. */
  readonly host: AwsHostNetwork;
  /** GitLab's ports on the host the workers' jobs reach (HTTP, HTTPS, the registry's when on). */
  readonly gitlabPorts: readonly number[];
  /**
   * The Docker Hub pull-through cache's port on the host's private address (`mirror.port`): the host
   * admits the workers there, and the workers' daemon and their jobs' DinD daemons use it as their
   * registry mirror. Default: unset, no cache (no rule, no daemon.json).
   */
  readonly mirrorPort?: number;
  /**
   * More files of /etc/docker for the workers' daemons and their jobs' DinD daemons (infra/job-docker),
   * such as the stack CA for GitLab's registry; written by the user data (public text only).
   * Default: none.
   */
  readonly dockerFiles?: readonly PendingJobDockerFile[];
  /** Physical names and tags: the group is `<team>-ci-workers`. */
  readonly names: Naming;
}

export class RunnerWorkers extends pulumi.ComponentResource {
  /** The Auto Scaling group's name: `[runners.autoscaler.plugin_config] name`. */
  declare readonly autoScalingGroupName: pulumi.Output<string>;
  declare readonly autoScalingGroupArn: pulumi.Output<string>;
  declare readonly securityGroupId: pulumi.Output<string>;
  declare readonly launchTemplateId: pulumi.Output<string>;
  /** The rendered worker user data (no secrets), for the offline plan. */
  declare readonly userData: pulumi.Output<string>;
  /**
   * `[runners.docker] volumes` entries for the autoscaled runner: the worker's directory with the jobs'
   * /etc/docker files, read-only at /etc/docker. Empty when there is no file (no cache, no registry CA).
   */
  readonly jobVolumes: readonly string[];
  /**
   * What the runner container needs before it starts: the manager's IAM policy (the plugin describes
   * the group at once). On destroy the container goes first, then the policy, then the group.
   */
  declare readonly managerPolicy: aws.iam.RolePolicy;
  /** The workers' Auto Scaling group: the runner container depends on it too, so destroy stops the manager first. */
  declare readonly group: aws.autoscaling.Group;

  constructor(name: string, args: RunnerWorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:RunnerWorkers", name, {}, opts);
    const { settings, host, names } = args;
    const child: pulumi.CustomResourceOptions = { parent: this, provider: host.provider };
    const invoke = { parent: this, provider: host.provider };

    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: host.vpcId,
        description: `gitlab-dind CI workers of team ${names.team}: SSH from the GitLab host only`,
        tags: names.tags("ci-workers"),
      },
      child,
    );
    // What the workers' network needs besides the group's own inputs: the group depends on all of it,
    // so a destroy keeps it until the group is gone (the manager's graceful stop, before the group,
    // still reaches its workers and their jobs still reach GitLab), and no first worker boots
    // before its route and rules exist.
    const network: pulumi.Resource[] = [];
    const sshIn = new aws.vpc.SecurityGroupIngressRule(
      `${name}-in-ssh-from-host`,
      {
        securityGroupId: securityGroup.id,
        ipProtocol: "tcp",
        fromPort: WORKER_SSH_PORT,
        toPort: WORKER_SSH_PORT,
        referencedSecurityGroupId: host.securityGroupId,
        description: "SSH from the GitLab host (the runner manager)",
        tags: names.tags("ci-workers-in-ssh"),
      },
      child,
    );
    network.push(sshIn);
    // Egress open: Docker and its packages, job images, GitLab at the host's private address.
    const egress = new aws.vpc.SecurityGroupEgressRule(
      `${name}-out-all`,
      {
        securityGroupId: securityGroup.id,
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
        description: "all egress",
        tags: names.tags("ci-workers-out"),
      },
      child,
    );
    network.push(egress);
    // The host admits the workers' jobs on GitLab's ports (clone, API, artifacts, registry), and the
    // workers' daemons on the pull-through cache's port (published on the host's private address).
    const hostPorts = new Map<number, string>();
    for (const port of args.gitlabPorts) hostPorts.set(port, `GitLab port ${port} from the CI workers`);
    if (args.mirrorPort !== undefined && !hostPorts.has(args.mirrorPort)) {
      hostPorts.set(args.mirrorPort, `Docker Hub pull-through cache (port ${args.mirrorPort}) from the CI workers`);
    }
    for (const [port, description] of hostPorts) {
      const hostIn = new aws.vpc.SecurityGroupIngressRule(
        `${name}-host-in-${port}-from-workers`,
        {
          securityGroupId: host.securityGroupId,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          referencedSecurityGroupId: securityGroup.id,
          description,
          tags: names.tags(`host-in-${port}-workers`),
        },
        child,
      );
      network.push(hostIn);
    }

    const subnetIds: pulumi.Input<string>[] = [host.subnetId];
    const second = secondSubnetCidr(host.vpcCidr);
    if (second !== undefined) {
      const extra = this.secondSubnet(name, args, second, child, invoke);
      subnetIds.push(extra.subnetId);
      network.push(...extra.ready);
    }

    const mirrorPort = args.mirrorPort;
    const dockerFiles = args.dockerFiles ?? [];
    // With the cache, the user data names the host's private address (known once the host exists).
    const userData = pulumi.all([host.privateIp, resolvedJobDockerFiles(dockerFiles)]).apply(([privateIp, files]) =>
      renderWorkerUserData({
        username: WORKER_USERNAME,
        ...(mirrorPort === undefined ? {} : { mirror: { host: privateIp, port: mirrorPort } }),
        dockerFiles: files,
      }),
    );
    const ami = aws.ssm.getParameterOutput({ name: AL2023_AMI_PARAMETER }, invoke).value;
    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      {
        name: names.name("ci-worker"),
        description: `gitlab-dind CI worker of team ${names.team}: Docker, no credentials`,
        // The current AL2023 image: a worker lives for a job or a few, so it may as well be patched.
        imageId: ami,
        instanceType: settings.instanceType,
        vpcSecurityGroupIds: [securityGroup.id],
        // No iamInstanceProfile, on purpose: a privileged job is root on its worker, so nothing there
        // may carry AWS credentials.
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          // 1: a job's containers (one hop further) cannot reach IMDS at all.
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        },
        blockDeviceMappings: [
          {
            deviceName: AL2023_ROOT_DEVICE,
            ebs: {
              volumeSize: WORKER_ROOT_VOLUME_GIB,
              volumeType: "gp3",
              encrypted: "true",
              deleteOnTermination: "true",
            },
          },
        ],
        userData: userData.apply((text) => Buffer.from(text, "utf8").toString("base64")),
        updateDefaultVersion: true,
        tagSpecifications: [{ resourceType: "volume", tags: names.tags("ci-worker-root") }],
        tags: names.tags("ci-worker"),
      },
      child,
    );

    const group = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        name: names.name("ci-workers"),
        minSize: 0,
        maxSize: settings.maxInstances,
        desiredCapacity: 0,
        // The runner scales the group itself: no scaling policy, and instances are protected from
        // any scale-in but its own TerminateInstanceInAutoScalingGroup calls.
        protectFromScaleIn: true,
        // Rebalancing would terminate instances the runner is using ("unable to acquire instance:
        // context deadline exceeded", GitLab's troubleshooting section).
        suspendedProcesses: ["AZRebalance"],
        capacityRebalance: false,
        vpcZoneIdentifiers: subnetIds,
        // With runner.autoscaler.spot the template goes into a mixed-instances policy instead (the two
        // are exclusive in the API); without it the group is as it always was.
        ...(settings.spot
          ? { mixedInstancesPolicy: spotInstancesPolicy(settings, launchTemplate.id, launchTemplate.latestVersion) }
          : {
              launchTemplate: { id: launchTemplate.id, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
            }),
        // `pulumi destroy` reaches the group last: the manager's container goes first (its graceful
        // stop removes the workers it knows: delete_instances_on_shutdown), then its IAM policy, so
        // nothing scales the group any more. forceDelete: DeleteAutoScalingGroup with ForceDelete
        // terminates every instance left, scale-in protected or not, and the provider still waits
        // until the group is gone (terraform-provider-aws `resourceGroupDelete`). Without it the
        // provider drains instead (`drainGroup`): capacity to 0, then scale-in protection removed
        // only from the instances of the list it read before that, then a wait for none to be left.
        // An instance the group launched after that read (a launch still under way for a capacity
        // the manager asked for before it stopped) keeps its protection, and the drain waits out
        // its timeout and fails.
        forceDelete: true,
        // The group's own metrics in CloudWatch (AWS/AutoScaling, per minute), which exist only once
        // enabled: the CI-capacity alarm (infra/alarms) watches GroupInServiceInstances against the
        // group's maximum.
        enabledMetrics: ["GroupInServiceInstances", "GroupDesiredCapacity", "GroupMaxSize"],
        metricsGranularity: "1Minute",
        tags: Object.entries(names.tags("ci-worker")).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      },
      {
        ...child,
        // The workers' rules, route and route-table association (above): created before the first
        // worker can launch, deleted only after the group, so that a destroy's graceful stop of the
        // manager (which goes before the group) runs while jobs still reach GitLab and the internet.
        dependsOn: network,
        // The runner sets the desired capacity at run time (SetDesiredCapacity); an update must not
        // put it back to 0 under running jobs.
        ignoreChanges: ["desiredCapacity"],
        // The delete waits until every worker has terminated (a job's VM can take minutes to shut
        // down); the provider's default is 10 minutes.
        customTimeouts: { delete: "20m" },
      },
    );

    const partition = aws.getPartitionOutput({}, invoke).partition;
    const accountId = aws.getCallerIdentityOutput({}, invoke).accountId;
    const managerPolicy = new aws.iam.RolePolicy(
      `${name}-manager`,
      {
        role: host.roleName,
        policy: pulumi
          .all([partition, accountId, group.arn, group.name])
          .apply(([partitionName, account, arn, groupName]) =>
            managerPolicyDocument({
              partition: partitionName,
              region: host.region,
              accountId: account,
              autoScalingGroupArn: arn,
              autoScalingGroupName: groupName,
              osUser: WORKER_USERNAME,
            }),
          ),
      },
      child,
    );

    this.autoScalingGroupName = group.name;
    this.autoScalingGroupArn = group.arn;
    this.securityGroupId = securityGroup.id;
    this.launchTemplateId = launchTemplate.id;
    this.userData = userData;
    this.jobVolumes = mirrorPort === undefined && dockerFiles.length === 0 ? [] : [WORKER_DIND_JOB_VOLUME];
    this.managerPolicy = managerPolicy;
    this.group = group;
    this.registerOutputs({
      autoScalingGroupName: this.autoScalingGroupName,
      autoScalingGroupArn: this.autoScalingGroupArn,
      securityGroupId: this.securityGroupId,
      launchTemplateId: this.launchTemplateId,
    });
  }

  /**
   * A second public subnet in another availability zone: the group can launch there when the host's
   * zone has no capacity for the instance type. Its own route table to the stack's internet gateway.
   */
  private secondSubnet(
    name: string,
    args: RunnerWorkersArgs,
    cidrBlock: string,
    child: pulumi.CustomResourceOptions,
    invoke: pulumi.InvokeOptions,
  ): { readonly subnetId: pulumi.Output<string>; readonly ready: pulumi.Resource[] } {
    const { host, names } = args;
    const zones = aws.getAvailabilityZonesOutput({ state: "available" }, invoke).names;
    const zone = pulumi.all([zones, host.availabilityZone]).apply(([all, hostZone]) => {
      const other = all.find((z) => z !== hostZone);
      if (other === undefined) throw new Error(`the region has no available zone other than ${hostZone}`);
      return other;
    });
    const subnet = new aws.ec2.Subnet(
      `${name}-subnet`,
      {
        vpcId: host.vpcId,
        cidrBlock,
        availabilityZone: zone,
        mapPublicIpOnLaunch: true,
        tags: names.tags("ci-workers"),
      },
      {
        ...child,
        // Should the list of available zones change, a subnet with workers in it must not be replaced.
        ignoreChanges: ["availabilityZone"],
      },
    );
    const routeTable = new aws.ec2.RouteTable(
      `${name}-rt`,
      { vpcId: host.vpcId, tags: names.tags("ci-workers") },
      child,
    );
    const route = new aws.ec2.Route(
      `${name}-default-route`,
      { routeTableId: routeTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: host.internetGatewayId },
      child,
    );
    const association = new aws.ec2.RouteTableAssociation(
      `${name}-rta`,
      { subnetId: subnet.id, routeTableId: routeTable.id },
      child,
    );
    return { subnetId: subnet.id, ready: [route, association] };
  }
}

/**
 * How spot capacity allocates its pools: `price-capacity-optimized`, AWS's recommendation for Auto
 * Scaling groups ("Allocation strategies for multiple instance types", EC2 Auto Scaling user guide): the
 * pools with the most spare capacity, and among those the cheapest. Reclaims are what cost a CI job
 * (it fails and reruns), so capacity comes first; plain `capacity-optimized` would ignore price
 * altogether, `lowest-price` ignores capacity and is reclaimed most.
 */
export const SPOT_ALLOCATION_STRATEGY = "price-capacity-optimized";

/**
 * The group's mixed-instances policy with runner.autoscaler.spot: the workers' launch template,
 * `instanceType` then `extraInstanceTypes` as overrides (no weightedCapacity: each worker is one unit,
 * as the runner counts it, and the config checks every type has instanceType's vCPUs and memory), the
 * first `onDemandBase` workers on demand and every other one spot (`onDemandPercentageAboveBaseCapacity`
 * 0, set explicitly: AWS's default is 100, all on demand). cattle-ops/terraform-aws-gitlab-runner's
 * docker-autoscaler group does the same (`docker_autoscaler.tf`, `mixed_instances_policy`). Scale-in
 * protection, the suspended AZRebalance and capacityRebalance false stay on the group: the runner alone
 * decides which worker goes, and a rebalancing launch would replace a worker under a running job.
 */
export function spotInstancesPolicy(
  settings: Pick<AutoscalerConfig, "instanceType" | "extraInstanceTypes" | "onDemandBase">,
  launchTemplateId: pulumi.Input<string>,
  launchTemplateVersion: pulumi.Input<number>,
): aws.types.input.autoscaling.GroupMixedInstancesPolicy {
  return {
    instancesDistribution: {
      onDemandBaseCapacity: settings.onDemandBase,
      onDemandPercentageAboveBaseCapacity: 0,
      spotAllocationStrategy: SPOT_ALLOCATION_STRATEGY,
    },
    launchTemplate: {
      launchTemplateSpecification: {
        launchTemplateId,
        version: pulumi.interpolate`${launchTemplateVersion}`,
      },
      overrides: [settings.instanceType, ...settings.extraInstanceTypes].map((instanceType) => ({ instanceType })),
    },
  };
}

/**
 * The VPC's second /24 (`10.42.0.0/16` → `10.42.1.0/24`; the host's subnet is the first), or undefined
 * when the VPC is a single /24 and has no room: the workers then share the host's subnet.
 */
export function secondSubnetCidr(vpcCidr: string): string | undefined {
  const [address, prefixText] = vpcCidr.split("/");
  const prefix = Number(prefixText);
  if (!(prefix >= 16 && prefix <= 23)) return undefined;
  const octets = address.split(".").map(Number);
  const value = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const base = (value & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
  const next = base + 256;
  return `${[next >>> 24, (next >>> 16) & 255, (next >>> 8) & 255, next & 255].join(".")}/24`;
}
