/**
 * What one capability adds to the components that receive it, in one shape.
 *
 * A capability (object storage, the RDS database, ElastiCache, email, extra gitlab.rb settings,
 * alarms, ...) lives in its own folder under `infra/` and returns a `Contribution`. The program
 * collects them into a list and hands the list to the receiving components: GitLab's server takes
 * the gitlab.rb settings, the root-only files and what its container must start after; the host's
 * role takes the statements (`grantHostRole`); the outputs and rendered files go to the stack. So
 * `infra/program.ts` stays a short top-down read however many capabilities there are, with no
 * conditional spreads per capability.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { GitLabRbSetting } from "./gitlab/gitlab-rb";
import type { AwsHostNetwork } from "./host/aws/aws-host";
import { rolePolicy, type PolicyStatement } from "./host/aws/iam";

/** A root-only file (0600, root:root) in GitLab's container: a secret gitlab.rb reads with `File.read`. */
export interface GitLabSecretFile {
  /** Absolute path in the container, outside every mounted directory (Pulumi owns it). */
  readonly path: string;
  /** Its contents; a Pulumi secret. */
  readonly content: pulumi.Input<string>;
}

/**
 * A CloudWatch alarm a capability wants on its own resources (RDS free storage, ElastiCache memory):
 * the alarms capability (infra/alarms) creates one `aws.cloudwatch.MetricAlarm` per spec on the
 * stack's provider, named `<team>-<name>`, notifying the stack's alarm topic when there is one.
 */
export interface AlarmSpec {
  /** Unique in the stack: the alarm is `<team>-<name>` and the Pulumi resource `alarm-<name>`. */
  readonly name: string;
  /** One sentence for the alarm's description and the runbook: what it means, what to do. */
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, pulumi.Input<string>>>;
  readonly statistic: "Average" | "Minimum" | "Maximum" | "Sum" | "SampleCount";
  readonly comparisonOperator:
    "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";
  readonly threshold: number;
  /** Seconds per datapoint (60 or a multiple of it). */
  readonly periodSeconds: number;
  /** Datapoints that must breach (out of as many evaluated) before the alarm fires. */
  readonly evaluationPeriods: number;
  /** Default `missing` (CloudWatch's own default). */
  readonly treatMissingData?: "missing" | "ignore" | "breaching" | "notBreaching";
  /**
   * What must exist before the alarm (what first publishes its metric), so that an alarm treating
   * missing data as breaching does not fire while its publisher is still being installed. Default none.
   */
  readonly after?: readonly pulumi.Resource[];
}

/** What a capability adds to the others. Every field is optional: an empty contribution adds nothing. */
export interface Contribution {
  /** A short name (`object-storage`, `rds`): names the host role policy it gets (`<host>-<name>`). */
  readonly name: string;
  /** Settings appended to gitlab.rb, after the program's own (never a secret in their text). Default none. */
  readonly gitlabRb?: readonly GitLabRbSetting[];
  /**
   * Settings whose values exist only once the capability's resources do (bucket names, endpoints),
   * appended after `gitlabRb` in the same order rules (never a secret in their text). Default none.
   */
  readonly gitlabRbOutput?: pulumi.Output<readonly GitLabRbSetting[]>;
  /** Root-only files uploaded into GitLab's container (the secrets `gitlabRb` reads). Default none. */
  readonly gitlabSecretFiles?: readonly GitLabSecretFile[];
  /**
   * Host names GitLab's container maps to the Docker host's gateway (`host-gateway`), for a service a
   * capability publishes on the bridge gateway's address (the local Mailpit's SMTP port). Default none.
   */
  readonly gitlabHostGatewayNames?: readonly string[];
  /** What GitLab's container must wait for before it first starts (a database, its extensions). Default none. */
  readonly gitlabStartAfter?: readonly pulumi.Resource[];
  /** Statements for the host's role (AWS only), exactly scoped; one inline policy per contribution. Default none. */
  readonly hostRoleStatements?: readonly PolicyStatement[];
  /** Alarms on the capability's own resources (AWS only). Default none. */
  readonly alarms?: readonly AlarmSpec[];
  /** Stack outputs (never a secret in plain text). Default none. */
  readonly outputs?: Readonly<Record<string, pulumi.Input<unknown>>>;
  /** Files the offline plan writes, by file name. Default none. */
  readonly files?: Readonly<Record<string, pulumi.Output<string>>>;
  /**
   * GitLab's PostgreSQL is this capability's (RDS), not the image's own: GitLab's server then turns
   * off what only the bundled database has (the registry database's backup roles). Default false.
   */
  readonly externalDatabase?: boolean;
}

/** Every contribution's gitlab.rb settings, in list order. */
export function gitlabRbOf(contributions: readonly Contribution[]): GitLabRbSetting[] {
  return contributions.flatMap((c) => c.gitlabRb ?? []);
}

/** Where GitLab's PostgreSQL runs: `external` when a contribution brings it (RDS); two that do are a program error. */
export function gitlabDatabaseOf(contributions: readonly Contribution[]): "bundled" | "external" {
  const external = contributions.filter((c) => c.externalDatabase === true);
  if (external.length > 1) {
    throw new Error(`contributions: ${external.map((c) => c.name).join(" and ")} both bring GitLab's database`);
  }
  return external.length === 1 ? "external" : "bundled";
}

/**
 * Every contribution's gitlab.rb settings, in list order, each contribution's `gitlabRb` then its
 * `gitlabRbOutput`, once the latter are known.
 */
export function gitlabRbOutputOf(contributions: readonly Contribution[]): pulumi.Output<GitLabRbSetting[]> {
  // Through `unknown`: the settings' recursive value type is too deep for Output's unwrapping types.
  const late = pulumi.all(
    contributions.map((c): pulumi.Output<unknown> => c.gitlabRbOutput ?? pulumi.output<unknown>([])),
  );
  return late.apply((values): unknown =>
    contributions.flatMap((c, i) => [...(c.gitlabRb ?? []), ...(values[i] as readonly GitLabRbSetting[])]),
  ) as pulumi.Output<GitLabRbSetting[]>;
}

/** Every contribution's root-only files for GitLab's container; a path given twice is a program error. */
export function gitlabSecretFilesOf(contributions: readonly Contribution[]): GitLabSecretFile[] {
  const files = contributions.flatMap((c) => c.gitlabSecretFiles ?? []);
  const seen = new Set<string>();
  for (const f of files) {
    if (!f.path.startsWith("/")) throw new Error(`contributions: ${JSON.stringify(f.path)} is not an absolute path`);
    if (seen.has(f.path)) throw new Error(`contributions: two capabilities upload ${f.path} into GitLab's container`);
    seen.add(f.path);
  }
  return files;
}

/** Every contribution's alarms; a name given twice is a program error. */
export function alarmsOf(contributions: readonly Contribution[]): AlarmSpec[] {
  const alarms = contributions.flatMap((c) => c.alarms ?? []);
  const seen = new Set<string>();
  for (const a of alarms) {
    if (seen.has(a.name)) throw new Error(`contributions: two capabilities define the alarm ${a.name}`);
    seen.add(a.name);
  }
  return alarms;
}

/** The host names GitLab's container maps to the Docker host's gateway, from every contribution (each once). */
export function gitlabHostGatewayNamesOf(contributions: readonly Contribution[]): string[] {
  return [...new Set(contributions.flatMap((c) => c.gitlabHostGatewayNames ?? []))];
}

/** What GitLab's container waits for, from every contribution. */
export function gitlabStartAfterOf(contributions: readonly Contribution[]): pulumi.Resource[] {
  return contributions.flatMap((c) => [...(c.gitlabStartAfter ?? [])]);
}

/** Every contribution's stack outputs and files, merged (a name given twice is a program error). */
export function stackPartsOf(contributions: readonly Contribution[]): {
  outputs: Record<string, pulumi.Input<unknown>>;
  files: Record<string, pulumi.Output<string>>;
} {
  const outputs: Record<string, pulumi.Input<unknown>> = {};
  const files: Record<string, pulumi.Output<string>> = {};
  for (const c of contributions) {
    for (const [k, v] of Object.entries(c.outputs ?? {})) {
      if (k in outputs) throw new Error(`contributions: two capabilities export the output ${k}`);
      outputs[k] = v;
    }
    for (const [k, v] of Object.entries(c.files ?? {})) {
      if (k in files) throw new Error(`contributions: two capabilities render the file ${k}`);
      files[k] = v;
    }
  }
  return { outputs, files };
}

/**
 * The host role's inline policies, one per contribution with statements (`<hostName>-<name>`), on
 * the stack's provider. Locally (no AWS host) a contribution with statements is a program error:
 * the config refuses AWS-only options on the local target before this runs. GitLab's container
 * should start after these (its first boot uses them, e.g. object storage through the instance profile).
 */
export function grantHostRole(
  hostName: string,
  host: AwsHostNetwork | undefined,
  contributions: readonly Contribution[],
  parent?: pulumi.Resource,
): aws.iam.RolePolicy[] {
  const granting = contributions.filter((c) => (c.hostRoleStatements ?? []).length > 0);
  if (granting.length === 0) return [];
  if (host === undefined) {
    throw new Error(`contributions: ${granting.map((c) => c.name).join(", ")} grant the host role, which only AWS has`);
  }
  return granting.map((c) =>
    rolePolicy(`${hostName}-${c.name}`, host.roleName, c.hostRoleStatements ?? [], {
      provider: host.provider,
      ...(parent === undefined ? {} : { parent }),
    }),
  );
}
