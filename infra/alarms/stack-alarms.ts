/**
 * `StackAlarms`: every CloudWatch alarm of an AWS stack, and who hears of them.
 *
 *   with alerts.email, an SNS topic and an email subscription per address (AWS mails each a
 *   confirmation link) → the host's recovery alarm (StatusCheckFailed_System → EC2's recover
 *   action, where the instance type supports it) and its instance-status alarm → one alarm per
 *   `AlarmSpec` the contributions bring (the host's disk, memory, readiness, backup age and
 *   certificate; RDS, ElastiCache, ...) → with the autoscaler, the CI-capacity alarm.
 *
 * The topic is not encrypted. CloudWatch cannot publish to a topic encrypted with the AWS-managed
 * key (alias/aws/sns: its key policy cannot be changed to let cloudwatch.amazonaws.com use it);
 * a customer-managed key would work, at a key per stack and a key policy to keep right, for
 * messages that hold no secret (an alarm's name, state, threshold and the metric's value).
 * The topic policy lets CloudWatch publish for this account's alarms of this stack only.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmsOf, type AlarmSpec, type Contribution } from "../contributions";
import type { AlertsConfig } from "../config/types";
import { recoverActionSupported } from "../config/instance-types";
import type { AwsHostNetwork } from "../host/aws/aws-host";
import type { Naming } from "../naming";

export interface CiWorkersAlarmInput {
  /** The workers' Auto Scaling group (its metrics enabled: infra/autoscaler/runner-workers.ts). */
  readonly autoScalingGroupName: pulumi.Input<string>;
  /** `runner.autoscaler.maxInstances`. */
  readonly maxInstances: number;
}

export interface StackAlarmsArgs {
  readonly names: Naming;
  readonly alerts: AlertsConfig;
  /** The AWS host (its provider, region and instance). */
  readonly host: AwsHostNetwork;
  /** `host.instanceType`: whether the recovery alarm may use the recover action. */
  readonly instanceType: string;
  /** Every capability's contribution: their `alarms` become alarms here. */
  readonly contributions: readonly Contribution[];
  /**
   * GitLab's readiness wait: the contributions' alarms (GitLab's readiness, backups, the data
   * services) are created once GitLab answers, not while it first boots. Default none.
   */
  readonly gitlabReady?: readonly pulumi.Resource[];
  /** With the autoscaler: the CI-capacity alarm. Default none. */
  readonly ciWorkers?: CiWorkersAlarmInput;
}

/** The host's recovery alarm: two failed system status checks in a row (AWS's suggested setting). */
export function recoverySpec(instanceId: pulumi.Input<string>): AlarmSpec {
  return {
    name: "host-recover",
    description:
      'The host\'s system status check failed for 2 minutes (AWS hardware, power or network): EC2 recovers the instance onto other hardware (same id, addresses and volumes). See docs/operations.md, "Alarms".',
    namespace: "AWS/EC2",
    metricName: "StatusCheckFailed_System",
    dimensions: { InstanceId: instanceId },
    statistic: "Maximum",
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    periodSeconds: 60,
    evaluationPeriods: 2,
  };
}

/** The host's instance status check (the OS: kernel, memory, file systems, network config): notify only. */
export function instanceStatusSpec(instanceId: pulumi.Input<string>): AlarmSpec {
  return {
    name: "host-instance-status",
    description:
      'The host\'s instance status check failed for 3 minutes (its operating system: kernel, memory, file system, network). Nothing acts on its own. See docs/operations.md, "Alarms".',
    namespace: "AWS/EC2",
    metricName: "StatusCheckFailed_Instance",
    dimensions: { InstanceId: instanceId },
    statistic: "Maximum",
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    periodSeconds: 60,
    evaluationPeriods: 3,
  };
}

/** The CI workers' group at its maximum for 30 minutes: jobs are queueing. */
export function ciCapacitySpec(input: CiWorkersAlarmInput): AlarmSpec {
  return {
    name: "ci-capacity",
    description: `The CI workers' group has stayed at runner.autoscaler.maxInstances (${input.maxInstances}) for 30 minutes: jobs are queueing. See docs/operations.md, "Alarms".`,
    namespace: "AWS/AutoScaling",
    metricName: "GroupInServiceInstances",
    dimensions: { AutoScalingGroupName: input.autoScalingGroupName },
    statistic: "Minimum",
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    threshold: input.maxInstances,
    periodSeconds: 300,
    evaluationPeriods: 6,
    treatMissingData: "notBreaching",
  };
}

export class StackAlarms extends pulumi.ComponentResource {
  /** The alarm topic's ARN; undefined without alerts.email. */
  declare readonly topicArn: pulumi.Output<string> | undefined;
  /** Every alarm's name (`<team>-<name>`). */
  declare readonly alarmNames: pulumi.Output<string[]>;
  /** Whether the recovery alarm has the recover action (the instance type supports it). */
  declare readonly recovers: boolean;
  /** The stack outputs it adds (the topic, the addresses waiting for confirmation). */
  readonly contribution: Contribution;

  constructor(name: string, args: StackAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:StackAlarms", name, {}, opts);
    const { names, host, alerts } = args;
    const child: pulumi.CustomResourceOptions = { parent: this, provider: host.provider };
    const invoke = { parent: this, provider: host.provider };
    const partition = aws.getPartitionOutput({}, invoke).partition;
    const accountId = aws.getCallerIdentityOutput({}, invoke).accountId;

    let topic: aws.sns.Topic | undefined;
    if (alerts.email.length > 0) {
      topic = new aws.sns.Topic(
        `${name}-topic`,
        // Unencrypted on purpose: see the file's comment (CloudWatch cannot use alias/aws/sns).
        { name: names.name("alarms"), displayName: `gitlab-dind ${names.team}`, tags: names.tags("alarms") },
        child,
      );
      new aws.sns.TopicPolicy(
        `${name}-topic-policy`,
        {
          arn: topic.arn,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "CloudWatchAlarmsOfThisStack",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: {
                  StringEquals: { "aws:SourceAccount": accountId },
                  ArnLike: {
                    "aws:SourceArn": pulumi.interpolate`arn:${partition}:cloudwatch:${host.region}:${accountId}:alarm:${names.team}-*`,
                  },
                },
              },
            ],
          }),
        },
        child,
      );
      alerts.email.forEach((address, i) => {
        new aws.sns.TopicSubscription(
          `${name}-email-${i}`,
          { topic: topic!.arn, protocol: "email", endpoint: address },
          // AWS mails the address a confirmation link; until it is followed the subscription is
          // pending, and the provider cannot unsubscribe a pending one on destroy (it leaves it,
          // and the topic's deletion removes it).
          child,
        );
      });
    }
    const actions = topic === undefined ? [] : [topic.arn];

    const alarm = (
      spec: AlarmSpec,
      extraActions: pulumi.Input<string>[] = [],
      after: readonly pulumi.Resource[] = [],
    ): aws.cloudwatch.MetricAlarm =>
      new aws.cloudwatch.MetricAlarm(
        `alarm-${spec.name}`,
        {
          name: names.name(spec.name),
          alarmDescription: spec.description,
          namespace: spec.namespace,
          metricName: spec.metricName,
          dimensions: { ...spec.dimensions },
          statistic: spec.statistic,
          comparisonOperator: spec.comparisonOperator,
          threshold: spec.threshold,
          period: spec.periodSeconds,
          evaluationPeriods: spec.evaluationPeriods,
          treatMissingData: spec.treatMissingData ?? "missing",
          alarmActions: [...extraActions, ...actions],
          // Back to OK is news too (the disk was cleaned, GitLab answers again); the recover
          // action belongs to the alarm state only.
          okActions: actions,
          tags: names.tags(`alarm-${spec.name}`),
        },
        // dependsOn: created once what publishes the metric runs (and GitLab answers), so that an
        // alarm treating missing data as breaching does not fire on a first deployment.
        { ...child, dependsOn: [...(spec.after ?? []), ...after] },
      );

    const recovers = recoverActionSupported(args.instanceType);
    const recoverArn = pulumi.interpolate`arn:${partition}:automate:${host.region}:ec2:recover`;
    const created = [
      alarm(recoverySpec(host.instanceId), recovers ? [recoverArn] : []),
      alarm(instanceStatusSpec(host.instanceId)),
      ...alarmsOf(args.contributions).map((spec) => alarm(spec, [], args.gitlabReady ?? [])),
      ...(args.ciWorkers === undefined ? [] : [alarm(ciCapacitySpec(args.ciWorkers))]),
    ];
    this.topicArn = topic?.arn;
    this.recovers = recovers;
    this.alarmNames = pulumi.all(created.map((a) => a.name));
    this.contribution = {
      name: "alarms",
      outputs: {
        alarmNames: this.alarmNames,
        ...(topic === undefined
          ? {}
          : {
              alarmTopic: topic.arn,
              // Each address must follow the link AWS mails it before any alarm reaches it (the
              // stack's warning says so at every preview and up).
              alarmEmails: [...alerts.email],
            }),
      },
    };
    this.registerOutputs({ topicArn: this.topicArn, alarmNames: this.alarmNames });
  }
}
