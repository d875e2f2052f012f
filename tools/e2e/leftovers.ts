/**
 * After `pulumi destroy`: what the stack left behind, and what it keeps on purpose.
 *
 * AWS: every resource the program creates carries the tags `Stack=<stack>` and
 * `ManagedBy=pulumi/gitlab-dind` (infra/naming.ts); instances (not yet terminated), Auto Scaling
 * groups, Elastic IPs and security groups with those tags are leftovers. The data volume is kept
 * when `host.keepDataOnDestroy` is on (a leftover otherwise); an S3 bucket with the tags (a backup
 * bucket) is listed as kept. Local: the team's containers are leftovers; its GitLab volumes are
 * kept or leftovers in the same way.
 */
import { MANAGED_BY } from "../../infra/naming";
import type { CommandRunner } from "../smoke/stack-outputs";

export interface LeftoverCheck {
  /** What is still there and should not be, e.g. "EC2 instance i-0abc". */
  readonly leftovers: readonly string[];
  /** What is still there on purpose, e.g. "data volume vol-0abc (host.keepDataOnDestroy)". */
  readonly kept: readonly string[];
}

export interface StackIdentity {
  readonly stack: string;
  readonly team: string;
  readonly target: "aws" | "local";
  /** AWS only. */
  readonly region?: string;
  readonly keepDataOnDestroy: boolean;
}

async function listJson(run: CommandRunner, command: string, args: readonly string[]): Promise<string[]> {
  const r = await run(command, args, process.env);
  if (r.code !== 0) {
    throw new Error(
      `${command} ${args.slice(0, 2).join(" ")} failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-3).join(" ")}`,
    );
  }
  const text = r.stdout.trim();
  if (text === "" || text === "null") return [];
  const value = JSON.parse(text) as unknown;
  if (!Array.isArray(value)) throw new Error(`${command} ${args.slice(0, 2).join(" ")} did not print a JSON list`);
  return value.flat().map(String);
}

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

export async function checkLeftovers(id: StackIdentity, run: CommandRunner): Promise<LeftoverCheck> {
  return id.target === "aws" ? checkAws(id, run) : checkLocal(id, run);
}

async function checkAws(id: StackIdentity, run: CommandRunner): Promise<LeftoverCheck> {
  const region = ["--region", id.region ?? ""];
  const tagFilters = ["Name=tag:Stack,Values=" + id.stack, `Name=tag:ManagedBy,Values=${MANAGED_BY}`];
  const out = ["--output", "json"];
  const [instances, groups, addresses, securityGroups, volumes, buckets] = await Promise.all([
    listJson(run, "aws", [
      "ec2",
      "describe-instances",
      ...region,
      "--filters",
      ...tagFilters,
      "Name=instance-state-name,Values=pending,running,shutting-down,stopping,stopped",
      "--query",
      "Reservations[].Instances[].InstanceId",
      ...out,
    ]),
    listJson(run, "aws", [
      "autoscaling",
      "describe-auto-scaling-groups",
      ...region,
      "--filters",
      ...tagFilters,
      "--query",
      "AutoScalingGroups[].AutoScalingGroupName",
      ...out,
    ]),
    listJson(run, "aws", [
      "ec2",
      "describe-addresses",
      ...region,
      "--filters",
      ...tagFilters,
      "--query",
      "Addresses[].AllocationId",
      ...out,
    ]),
    listJson(run, "aws", [
      "ec2",
      "describe-security-groups",
      ...region,
      "--filters",
      ...tagFilters,
      "--query",
      "SecurityGroups[].GroupId",
      ...out,
    ]),
    listJson(run, "aws", [
      "ec2",
      "describe-volumes",
      ...region,
      "--filters",
      ...tagFilters,
      "--query",
      "Volumes[].VolumeId",
      ...out,
    ]),
    listJson(run, "aws", [
      "resourcegroupstaggingapi",
      "get-resources",
      ...region,
      "--resource-type-filters",
      "s3",
      "--tag-filters",
      `Key=Stack,Values=${id.stack}`,
      `Key=ManagedBy,Values=${MANAGED_BY}`,
      "--query",
      "ResourceTagMappingList[].ResourceARN",
      ...out,
    ]),
  ]);
  const leftovers = [
    ...instances.map((i) => `EC2 instance ${i}`),
    ...groups.map((g) => `Auto Scaling group ${g}`),
    ...addresses.map((a) => `Elastic IP ${a}`),
    ...securityGroups.map((g) => `security group ${g}`),
  ];
  const kept: string[] = [];
  for (const v of volumes) {
    if (id.keepDataOnDestroy) kept.push(`data volume ${v} (host.keepDataOnDestroy)`);
    else leftovers.push(`EBS volume ${v} (host.keepDataOnDestroy is off)`);
  }
  for (const arn of buckets) kept.push(`backup bucket ${arn.replace(/^arn:aws:s3:::/, "")}`);
  return { leftovers, kept };
}

async function checkLocal(id: StackIdentity, run: CommandRunner): Promise<LeftoverCheck> {
  const containers = await run(
    "docker",
    [
      "ps",
      "-a",
      "--filter",
      `name=^${id.team}-gitlab$`,
      "--filter",
      `name=^${id.team}-runner$`,
      "--format",
      "{{.Names}}",
    ],
    process.env,
  );
  if (containers.code !== 0) throw new Error(`docker ps failed (exit ${containers.code}): ${containers.stderr.trim()}`);
  const volumes = await run(
    "docker",
    [
      "volume",
      "ls",
      "--filter",
      `label=managed-by=${MANAGED_BY}`,
      "--filter",
      `name=${id.team}-gitlab-`,
      "--format",
      "{{.Name}}",
    ],
    process.env,
  );
  if (volumes.code !== 0) throw new Error(`docker volume ls failed (exit ${volumes.code}): ${volumes.stderr.trim()}`);
  const leftovers = lines(containers.stdout).map((c) => `container ${c}`);
  const kept: string[] = [];
  for (const v of lines(volumes.stdout)) {
    if (id.keepDataOnDestroy) kept.push(`Docker volume ${v} (host.keepDataOnDestroy)`);
    else leftovers.push(`Docker volume ${v} (host.keepDataOnDestroy is off)`);
  }
  return { leftovers, kept };
}
