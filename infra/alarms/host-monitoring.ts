/**
 * `HostMonitoring`: what the AWS host measures about itself, and the alarms on it.
 *
 *   the CloudWatch agent (disk use of `/` and the data volume, memory use) and the probes
 *   (GitLab's readiness every minute, the hours since the last good backup every hour, the days
 *   left on GitLab's certificate every day), installed by an SSM State Manager association —
 *   never through user data, so a change never replaces the instance — publishing in the stack's
 *   own namespace `gitlab-dind/<team>` → the host role's `cloudwatch:PutMetricData`, in that
 *   namespace only → an `AlarmSpec` per measurement, which `StackAlarms` creates.
 *
 * Its `contribution` goes into the program's contribution list: the metric permission (granted by
 * `grantHostRole`), the alarms, and the rendered files for the offline plan.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AssociationRunWait } from "../backup/association-wait";
import { ssmAgentAssociationStatements } from "../backup/state-manager-policy";
import type { AlarmSpec, Contribution } from "../contributions";
import type { AlertsConfig } from "../config/types";
import type { AwsHostNetwork } from "../host/aws/aws-host";
import { rolePolicy, type PolicyStatement } from "../host/aws/iam";
import type { Naming } from "../naming";
import { backupAgeThresholdHours } from "./backup-age";
import {
  HOST_METRICS,
  renderAlarmDocument,
  renderAlarmHostFiles,
  renderAlarmInstaller,
  type AlarmHostFiles,
} from "./host-files";

/** The stack's CloudWatch namespace: the host publishes here and nowhere else. */
export function metricNamespace(team: string): string {
  return `gitlab-dind/${team}`;
}

/**
 * Days of certificate left below which the certificate alarm fires: 21 for Let's Encrypt (omnibus's
 * auto-renewal runs well before that, so 21 means it has been failing); 10 for the stack CA,
 * whose certificate `pulumi up` renews only in its last 14 days (infra/tls/pki.ts), so that an alarm
 * always means a renewal the operator can do now.
 */
export const CERTIFICATE_DAYS_ALARM = { letsencrypt: 21, selfSigned: 10 } as const;
/** Memory use, in percent, that the memory alarm fires at (sustained 10 minutes). */
export const MEMORY_PERCENT_ALARM = 90;

/** `PutMetricData` in the stack's namespace only (the action has no resource type: `*`). */
export function metricStatements(namespace: string): PolicyStatement[] {
  return [
    {
      Sid: "PutMetricDataInOwnNamespace",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
    },
  ];
}

/**
 * The alarms on what the host publishes. `instanceId` is the InstanceId dimension of every metric.
 */
export function hostAlarmSpecs(input: {
  readonly namespace: string;
  readonly instanceId: pulumi.Input<string>;
  readonly alerts: AlertsConfig;
  readonly dataPath: string;
  /** `backup.schedule` when backups are on; undefined otherwise. */
  readonly backupSchedule: string | undefined;
  /** GitLab's TLS mode when it serves a certificate; undefined for plain HTTP (no certificate alarm). */
  readonly certificate: "letsencrypt" | "selfSigned" | undefined;
  /** What first publishes the host's metrics (the installer's run); the alarms wait for it. Default none. */
  readonly after?: readonly pulumi.Resource[];
}): AlarmSpec[] {
  const { namespace, instanceId, alerts } = input;
  const disk = (name: string, path: string, what: string): AlarmSpec => ({
    name,
    description: `${what} (${path}) is at least ${alerts.diskPercent}% full (alerts.diskPercent) for 10 minutes. See docs/operations.md, "Alarms": find what grows (du -xh --max-depth=2 ${path}), prune Docker's unused images (docker image prune -a; not docker system prune, which removes the stopped setup containers Pulumi manages), or grow the volume.`,
    namespace,
    metricName: HOST_METRICS.disk,
    dimensions: { InstanceId: instanceId, path },
    statistic: "Maximum",
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    threshold: alerts.diskPercent,
    periodSeconds: 300,
    evaluationPeriods: 2,
  });
  const threshold = input.backupSchedule === undefined ? undefined : backupAgeThresholdHours(input.backupSchedule);
  const after = input.after ?? [];
  const certificateDays = input.certificate === undefined ? undefined : CERTIFICATE_DAYS_ALARM[input.certificate];
  const specs: AlarmSpec[] = [
    disk("disk-root", "/", "The host's root filesystem"),
    disk("disk-data", input.dataPath, "The data volume (GitLab's repositories, database, registry)"),
    {
      name: "memory",
      description: `The host's memory is at least ${MEMORY_PERCENT_ALARM}% used for 10 minutes: GitLab slows down and the kernel may kill processes. See docs/operations.md, "Alarms".`,
      namespace,
      metricName: HOST_METRICS.memory,
      dimensions: { InstanceId: instanceId },
      statistic: "Average",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: MEMORY_PERCENT_ALARM,
      periodSeconds: 300,
      evaluationPeriods: 2,
    },
    {
      name: "gitlab-not-ready",
      description:
        'GitLab has not answered /-/readiness for 5 minutes (or the probe stopped publishing). Notify only: nothing restarts it. See docs/operations.md, "Alarms".',
      namespace,
      metricName: HOST_METRICS.ready,
      dimensions: { InstanceId: instanceId },
      statistic: "Maximum",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      periodSeconds: 60,
      evaluationPeriods: 5,
      // A host that stopped publishing is no healthier than one that publishes 0.
      treatMissingData: "breaching",
    },
    ...(threshold === undefined
      ? []
      : [
          {
            name: "backup-stale",
            description: `No backup has succeeded for over ${threshold} hours (backup.schedule's longest gap plus a margin). See docs/operations.md, "Alarms": systemctl status gitlab-dind-backup.service.`,
            namespace,
            metricName: HOST_METRICS.backupAge,
            dimensions: { InstanceId: instanceId },
            statistic: "Maximum",
            comparisonOperator: "GreaterThanThreshold",
            threshold,
            periodSeconds: 3600,
            evaluationPeriods: 1,
            // The host publishes every hour: silence means the probe (or the host) is down.
            treatMissingData: "breaching",
          } satisfies AlarmSpec,
        ]),
    ...(certificateDays !== undefined
      ? [
          {
            name: "certificate-expiring",
            description: `GitLab's server certificate expires in under ${certificateDays} days. ${input.certificate === "selfSigned" ? "Stack CA: run pulumi up (it renews in the last 14 days)" : 'Let\'s Encrypt: renewals are failing, see docs/operations.md, "Alarms"'}.`,
            namespace,
            metricName: HOST_METRICS.certificateDays,
            dimensions: { InstanceId: instanceId },
            statistic: "Minimum",
            comparisonOperator: "LessThanThreshold",
            threshold: certificateDays,
            periodSeconds: 86400,
            evaluationPeriods: 1,
          } satisfies AlarmSpec,
        ]
      : []),
  ];
  return after.length === 0 ? specs : specs.map((spec) => ({ ...spec, after }));
}

export interface HostMonitoringArgs {
  readonly names: Naming;
  readonly alerts: AlertsConfig;
  /** The AWS host: its provider, region, role and instance. */
  readonly host: AwsHostNetwork;
  /** The data volume's mount point (`/srv`). */
  readonly dataPath: string;
  /** GitLab's container on the host (`<team>-gitlab`). */
  readonly gitlabContainer: string;
  /** Whether GitLab serves TLS on 443 (the certificate probe and alarm). */
  /** GitLab's TLS mode when it serves a certificate (the certificate probe and alarm); undefined for plain HTTP. */
  readonly tls: "letsencrypt" | "selfSigned" | undefined;
  /** The name GitLab's certificate is for (the external URL's host, or the host's public DNS name). */
  readonly tlsServerName: pulumi.Input<string>;
  /** `backup.schedule` when backups are on; undefined when they are off (no backup-age probe). */
  readonly backupSchedule: string | undefined;
  /** What must be up before the installer runs (the host has booted). Default none. */
  readonly hostReady?: pulumi.Input<pulumi.Resource>[];
}

export class HostMonitoring extends pulumi.ComponentResource {
  /** What the program collects: the metric permission, the alarms, the rendered files. */
  readonly contribution: Contribution;
  declare readonly associationId: pulumi.Output<string>;

  constructor(name: string, args: HostMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:HostMonitoring", name, {}, opts);
    const { names, host } = args;
    const child: pulumi.CustomResourceOptions = { parent: this, provider: host.provider };
    const namespace = metricNamespace(names.team);

    const files = pulumi.all([host.instanceId, pulumi.output(args.tlsServerName)]).apply(([instanceId, serverName]) =>
      renderAlarmHostFiles({
        namespace,
        region: host.region,
        instanceId,
        gitlabContainer: args.gitlabContainer,
        readinessUrl: args.tls ? "https://127.0.0.1/-/readiness" : "http://127.0.0.1/-/readiness",
        tlsServerName: args.tls ? serverName : undefined,
        dataPath: args.dataPath,
        backups: args.backupSchedule !== undefined,
      }),
    );
    const installer = files.apply((f: AlarmHostFiles) => renderAlarmInstaller(f));
    // SSM reserves the prefixes aws, amazon and amzn for its own documents; a team name may start so.
    const documentName = /^(aws|amazon|amzn)/i.test(names.name("alarm-probes"))
      ? `gitlab-dind-${names.name("alarm-probes")}`
      : names.name("alarm-probes");
    const document = new aws.ssm.Document(
      `${name}-installer`,
      {
        name: documentName,
        documentType: "Command",
        documentFormat: "JSON",
        content: installer.apply((text) => renderAlarmDocument(text, names.team)),
        tags: names.tags("alarm-probes"),
      },
      child,
    );

    // The SSM agent's calls to run this association (infra/backup/aws-backups.ts explains each):
    // its own policy, which the association waits for (the agent lists the instance's associations
    // as soon as it is created).
    const invoke = { provider: host.provider, parent: this };
    const partition = aws.getPartitionOutput({}, invoke).partition;
    const accountId = aws.getCallerIdentityOutput({}, invoke).accountId;
    const agent = rolePolicy(
      `${name}-host-state-manager`,
      host.roleName,
      ssmAgentAssociationStatements({
        instanceArn: pulumi.interpolate`arn:${partition}:ec2:${host.region}:${accountId}:instance/${host.instanceId}`,
        associationArns: pulumi.interpolate`arn:${partition}:ssm:${host.region}:${accountId}:association/*`,
        documentArn: document.arn,
        team: names.team,
      }),
      child,
    );
    // Pinning the document version makes every change of the files an update of the association,
    // hence a re-run (as the backup timer's). No schedule: the files only change with `pulumi up`.
    const associationArgs = {
      name: document.name,
      documentVersion: document.latestVersion,
      associationName: names.name("alarm-probes"),
      targets: [{ key: "InstanceIds", values: [host.instanceId] }],
      complianceSeverity: "MEDIUM",
    };
    const association = new aws.ssm.Association(
      `${name}-install`,
      { ...associationArgs, tags: names.tags("alarm-probes") },
      // The installer needs a booted host whose role may already run the association. (The metric
      // permission comes with the contribution, through grantHostRole: until it is there the agent
      // retries and a probe's publish fails, to succeed on its next run.)
      { ...child, dependsOn: [...(args.hostReady ?? []), agent] },
    );
    // `pulumi up` fails, with the installer's status, when the instance did not run it.
    const installed = new AssociationRunWait(
      `${name}-installed`,
      {
        region: host.region,
        associationId: association.associationId,
        instanceId: host.instanceId,
        association: associationArgs,
      },
      { parent: this },
    );
    this.associationId = pulumi.all([association.associationId, installed.associationVersion]).apply(([id]) => id);

    this.contribution = {
      name: "alarms-host",
      hostRoleStatements: metricStatements(namespace),
      alarms: hostAlarmSpecs({
        namespace,
        instanceId: host.instanceId,
        alerts: args.alerts,
        dataPath: args.dataPath,
        backupSchedule: args.backupSchedule,
        certificate: args.tls,
        // Installed and run once before the alarms exist: the readiness and backup alarms treat
        // missing data as breaching, and would fire while the probes were still being installed.
        after: [installed],
      }),
      outputs: { metricNamespace: namespace },
      files: {
        "cloudwatch-agent.json": files.apply((f) => f.agentConfig),
        "alarms.env": files.apply((f) => f.env),
        "alarms-installer.sh": installer,
      },
    };
    this.registerOutputs({ associationId: this.associationId });
  }
}
