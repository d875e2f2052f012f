/**
 * The alarms in the offline plans of the shipped stack files (issue 25): the recovery alarm with
 * EC2's recover action, the instance-status alarm, the host's disk, memory, readiness,
 * backup-freshness and certificate alarms, the topic and its email subscriptions with
 * alerts.email, the CI-capacity alarm and the group's metrics with the autoscaler, the
 * association that installs the agent and probes, the host's metric permission; none locally.
 */
import { describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../../tools/plan/run-plan";
import { planStack } from "../support/stack-plans";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

const of = (plan: Plan, type: string): PlannedResource[] => plan.resources.filter((r) => r.type === type);
const alarm = (plan: Plan, name: string): Record<string, any> => {
  const found = plan.resources.find((r) => r.type === ALARM && r.name === `alarm-${name}`);
  if (found === undefined) throw new Error(`no alarm ${name}`);
  return found.inputs;
};

describe("dev (defaults: backups, the stack CA, no addresses)", () => {
  it("creates the alarms on what the host publishes only once the installer ran and GitLab answers (no alarm on a first boot); the recovery alarm at once", async () => {
    const plan = await planStack("dev");
    const byName = (name: string) => plan.resources.find((r) => r.type === ALARM && r.name === `alarm-${name}`)!;
    for (const name of ["gitlab-not-ready", "backup-stale", "disk-data", "certificate-expiring"]) {
      expect(byName(name).options?.dependsOn, name).toEqual(
        expect.arrayContaining(["dev-monitoring-installed", "gitlab-ready"]),
      );
    }
    expect(byName("host-recover").options?.dependsOn ?? []).not.toContain("gitlab-ready");
  });

  it("warns of a Let's Encrypt certificate three weeks ahead, of the stack CA's 10 days ahead (pulumi up renews it from 14)", async () => {
    const letsencrypt = await planStack("dev-letsencrypt");
    expect(alarm(letsencrypt, "certificate-expiring")).toMatchObject({ threshold: 21 });
    expect(alarm(await planStack("dev"), "certificate-expiring")).toMatchObject({ threshold: 10 });
  });

  it("recovers the host on a failed system status check and notifies on a failed instance check", async () => {
    const plan = await planStack("dev");
    expect(alarm(plan, "host-recover")).toMatchObject({
      name: "dev-host-recover",
      namespace: "AWS/EC2",
      metricName: "StatusCheckFailed_System",
      dimensions: { InstanceId: "dev-host-instance-id" },
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      period: 60,
      evaluationPeriods: 2,
      alarmActions: ["arn:aws:automate:eu-central-1:ec2:recover"],
    });
    expect(alarm(plan, "host-instance-status")).toMatchObject({
      metricName: "StatusCheckFailed_Instance",
      alarmActions: [],
    });
  });

  it("alarms on disk (at alerts.diskPercent), memory, readiness, backup age and the certificate, in the stack's namespace", async () => {
    const plan = await planStack("dev");
    expect(
      of(plan, ALARM)
        .map((r) => r.name)
        .sort(),
    ).toEqual(
      [
        "alarm-backup-stale",
        "alarm-certificate-expiring",
        "alarm-disk-data",
        "alarm-disk-root",
        "alarm-gitlab-not-ready",
        "alarm-host-instance-status",
        "alarm-host-recover",
        "alarm-memory",
      ].sort(),
    );
    expect(alarm(plan, "disk-data")).toMatchObject({
      namespace: "gitlab-dind/dev",
      metricName: "disk_used_percent",
      dimensions: { InstanceId: "dev-host-instance-id", path: "/srv" },
      threshold: 85,
    });
    expect(alarm(plan, "disk-root").dimensions).toEqual({ InstanceId: "dev-host-instance-id", path: "/" });
    expect(alarm(plan, "gitlab-not-ready")).toMatchObject({
      metricName: "GitLabReady",
      period: 60,
      evaluationPeriods: 5,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
    });
    // The default schedule is daily: 24 hours plus the 6-hour margin.
    expect(alarm(plan, "backup-stale")).toMatchObject({
      metricName: "BackupAgeHours",
      threshold: 30,
      treatMissingData: "breaching",
    });
    expect(alarm(plan, "certificate-expiring")).toMatchObject({ metricName: "CertificateDaysLeft", threshold: 10 });
    expect(of(plan, "aws:sns/topic:Topic")).toEqual([]);
    expect(plan.outputs.metricNamespace).toBe("gitlab-dind/dev");
  });

  it("installs the agent and probes by an association (user data unchanged), and lets the host publish in its namespace only", async () => {
    const plan = await planStack("dev");
    const documents = of(plan, "aws:ssm/document:Document").filter((d) => d.name.endsWith("monitoring-installer"));
    expect(documents).toHaveLength(1);
    const content = JSON.parse(String(documents[0].inputs.content)) as {
      mainSteps: { inputs: { runCommand: string[] } }[];
    };
    const installer = content.mainSteps[0].inputs.runCommand.join("\n");
    expect(installer).toContain("dnf install -y amazon-cloudwatch-agent");
    expect(installer).toContain("systemctl restart gitlab-dind-probe-readiness.timer");
    expect(plan.files["user-data.yaml"]).not.toMatch(/cloudwatch|gitlab-dind-probe/i);
    type Statement = { Action: string[] };
    const policies = of(plan, "aws:iam/rolePolicy:RolePolicy").map(
      (p) => JSON.parse(String(p.inputs.policy)) as { Statement: Statement[] },
    );
    const metric = policies
      .flatMap((p) => p.Statement)
      .filter((s) => s.Action.some((a) => a.startsWith("cloudwatch:")));
    expect(metric).toEqual([
      {
        Sid: "PutMetricDataInOwnNamespace",
        Effect: "Allow",
        Action: ["cloudwatch:PutMetricData"],
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": "gitlab-dind/dev" } },
      },
    ]);
  });

  it("without backups or TLS: no backup-age or certificate alarm", async () => {
    const plan = await planStack("dev", {
      "gitlab-dind:backup": { enabled: false },
      "gitlab-dind:gitlab": { tls: "off" },
    });
    const names = of(plan, ALARM).map((r) => r.name);
    expect(names).not.toContain("alarm-backup-stale");
    expect(names).not.toContain("alarm-certificate-expiring");
    expect(plan.files["alarms.env"]).toContain("READINESS_URL=http://127.0.0.1/-/readiness");
  });
});

describe("alerts.email and alerts.diskPercent", () => {
  it("a topic CloudWatch may publish to, an email subscription per address, every alarm notifying it", async () => {
    const plan = await planStack("dev", {
      "gitlab-dind:alerts": { email: ["ops@example.com", "oncall@example.com"], diskPercent: 70 },
    });
    const [topic] = of(plan, "aws:sns/topic:Topic");
    expect(topic.inputs.name).toBe("dev-alarms");
    // Not encrypted with the AWS-managed key (CloudWatch cannot publish to it).
    expect(topic.inputs.kmsMasterKeyId).toBeUndefined();
    const topicArn = "arn:aws:sns:eu-central-1:123456789012:dev-alarms";
    expect(
      of(plan, "aws:sns/topicSubscription:TopicSubscription").map((s) => [
        s.inputs.protocol,
        s.inputs.endpoint,
        s.inputs.topic,
      ]),
    ).toEqual([
      ["email", "ops@example.com", topicArn],
      ["email", "oncall@example.com", topicArn],
    ]);
    const [policy] = of(plan, "aws:sns/topicPolicy:TopicPolicy");
    expect(JSON.parse(String(policy.inputs.policy)).Statement).toEqual([
      {
        Sid: "CloudWatchAlarmsOfThisStack",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:dev-*" },
        },
      },
    ]);
    for (const a of of(plan, ALARM)) {
      expect(a.inputs.alarmActions, a.name).toContain(topicArn);
      expect(a.inputs.okActions, a.name).toEqual([topicArn]);
    }
    expect(alarm(plan, "host-recover").alarmActions).toEqual(["arn:aws:automate:eu-central-1:ec2:recover", topicArn]);
    expect(alarm(plan, "disk-root").threshold).toBe(70);
    expect(plan.outputs).toMatchObject({
      alarmTopic: topicArn,
      alarmEmails: ["ops@example.com", "oncall@example.com"],
    });
    expect(plan.warnings.join("\n")).toMatch(/gitlab-dind:alerts\.email: AWS mails each address/);
  });

  it("a host type without the recover action: the system-status alarm only notifies", async () => {
    const plan = await planStack("dev", { "gitlab-dind:host": { instanceType: "m6i.metal" } });
    expect(alarm(plan, "host-recover").alarmActions).toEqual([]);
  });
});

describe("dev-autoscale: the CI workers' capacity", () => {
  it("enables the group's metrics and alarms when it stays at maxInstances for 30 minutes", async () => {
    const plan = await planStack("dev-autoscale");
    const [group] = of(plan, "aws:autoscaling/group:Group");
    expect(group.inputs.enabledMetrics).toEqual(["GroupInServiceInstances", "GroupDesiredCapacity", "GroupMaxSize"]);
    expect(alarm(plan, "ci-capacity")).toMatchObject({
      namespace: "AWS/AutoScaling",
      metricName: "GroupInServiceInstances",
      dimensions: { AutoScalingGroupName: group.inputs.name },
      statistic: "Minimum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: group.inputs.maxSize,
      period: 300,
      evaluationPeriods: 6,
    });
  });
});

describe("local", () => {
  it("has no alarm, topic, agent or metric permission", async () => {
    const plan = await planStack("local");
    expect(plan.resources.filter((r) => /cloudwatch|sns|ssm/.test(r.type))).toEqual([]);
    expect(plan.resources.map((r) => r.type)).not.toContain("gitlab-dind:index:HostMonitoring");
    expect(plan.outputs.metricNamespace).toBeUndefined();
  });
});
