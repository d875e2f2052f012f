/**
 * `RdsDatabase`: GitLab's PostgreSQL 17 on Amazon RDS, in the stack's VPC.
 *
 *   two private subnets (two zones, no route out) → DB subnet group; a security group admitting
 *   5432 from the host's security group only; the parameter group (GitLab's floors, TLS only);
 *   the master password (a Pulumi secret) → the DB instance (encrypted gp3, automated backups,
 *   Multi-AZ per config, deletion protection and a final snapshot with host.keepDataOnDestroy) →
 *   the setup step on the host (the RDS CA bundle, GitLab's extensions, the registry database) →
 *   what GitLab gets: gitlab.rb settings, the password as a root-only file, the step to start after.
 */
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AlarmSpec, Contribution } from "../contributions";
import type { RdsConfig } from "../config/types";
import { gitlabHostPath } from "../gitlab/gitlab-server";
import { HOST_GENERATION_LABEL, type DockerHost } from "../host/docker-host";
import type { AwsHostNetwork } from "../host/aws/aws-host";
import type { Naming } from "../naming";
import { ENGINE_MAJOR_VERSION } from "./engine";
import { rdsGitLabRbSettings } from "./gitlab-rb";
import { gitlabDbParameters, PARAMETER_GROUP_FAMILY } from "./parameters";
import { privateSubnetCidrs, privateSubnets } from "../host/aws/private-subnets";
import {
  GITLAB_RDS_CA_BUNDLE_PATH,
  RDS_CONFIG_SUBDIR,
  renderPgpass,
  renderSetupScript,
  renderSetupSql,
  SETUP_OUT_DIR,
  SETUP_PGPASS_PATH,
  SETUP_SCRIPT_PATH,
  SETUP_SQL_PATH,
} from "./setup";

/** PostgreSQL's port; RDS's default for the engine. */
export const POSTGRES_PORT = 5432;
/** GitLab's database, created with the instance (omnibus's default name). */
export const GITLAB_DATABASE = "gitlabhq_production";
/** The registry's metadata database (omnibus's default name), created by the setup step. */
export const REGISTRY_DATABASE = "registry";
/** The master user, GitLab's own (omnibus's default db_username). */
export const MASTER_USERNAME = "gitlab";
/** The engine's major version (in ./engine so the upgrade tool reads it without Pulumi). */
export { ENGINE_MAJOR_VERSION } from "./engine";
/** The CA that signs the instance's certificate (RSA 2048, valid to 2061; in Amazon's bundle). */
export const CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1";
/** The password file in GitLab's container (root-only; not under a mounted path: Pulumi owns it). */
export const DB_PASSWORD_FILE = "/opt/gitlab-dind/rds/db-password";
/**
 * Characters RDS accepts in a master password besides letters and digits: none of `/`, `@`, `"`
 * and space (RDS refuses them), nor `:` and `\` (libpq's password file escapes them), nor `'`, `$`
 * or backquotes (no shell or Ruby quoting can bite anywhere the password passes through).
 */
export const PASSWORD_SPECIALS = "-_.!*+=()";

export interface RdsDatabaseArgs {
  /** `rds.*`, defaults applied. */
  readonly settings: RdsConfig;
  /** The AWS host: its provider, VPC, zone and security group. */
  readonly network: AwsHostNetwork;
  /** The host's Docker endpoint, where the setup step runs; must have a data path (AWS: /srv). */
  readonly host: DockerHost;
  /** GitLab's image (`gitlab.image`): the setup step runs its psql. */
  readonly gitlabImage: string;
  /** Whether the container registry is on: then its metadata database is created and configured. */
  readonly registryEnabled: boolean;
  /** `host.keepDataOnDestroy`: deletion protection and a final snapshot; else the instance goes with the stack. */
  readonly keepDataOnDestroy: boolean;
  readonly names: Naming;
}

export class RdsDatabase extends pulumi.ComponentResource {
  declare readonly instance: aws.rds.Instance;
  /** `<address>:<port>`. */
  declare readonly endpoint: pulumi.Output<string>;
  /** The setup step's container (exists once it ran; GitLab starts after it). */
  declare readonly setup: docker.Container;
  /** What GitLab and the stack get (infra/contributions.ts). */
  readonly contribution: Contribution;

  constructor(name: string, args: RdsDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    const { settings, network, host, names } = args;
    // Refused before anything is registered (the config refuses these first, naming the keys).
    // Throws, naming the key, for a VPC without room for the private subnets (needs /22 or wider).
    privateSubnetCidrs(network.vpcCidr);
    const dataPath = host.dataPath;
    if (dataPath === undefined)
      throw new Error("RdsDatabase: the setup step needs a host with a data path (the AWS host)");
    super("gitlab-dind:index:RdsDatabase", name, {}, opts);
    const child: pulumi.CustomResourceOptions = { parent: this, provider: network.provider };
    const keep = args.keepDataOnDestroy;

    // Two private subnets in two zones, shared with ElastiCache (infra/host/aws/private-subnets.ts).
    const subnets = privateSubnets(network, names);
    const subnetGroup = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      {
        name: names.name("gitlab-db"),
        description: `GitLab's database of team ${names.team}: private subnets in two zones`,
        subnetIds: subnets.subnetIds,
        tags: names.tags("gitlab-db"),
      },
      child,
    );

    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: network.vpcId,
        description: `gitlab-dind database of team ${names.team}: PostgreSQL from the host only`,
        tags: names.tags("gitlab-db"),
      },
      child,
    );
    // The only way in; no egress rule: the database starts no connection.
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-in-${POSTGRES_PORT}-host`,
      {
        securityGroupId: securityGroup.id,
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        referencedSecurityGroupId: network.securityGroupId,
        description: "PostgreSQL from the GitLab host's security group",
        tags: names.tags("gitlab-db-in"),
      },
      child,
    );

    const parameterGroup = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        name: names.name("gitlab-db-pg17"),
        family: PARAMETER_GROUP_FAMILY,
        description: `GitLab's database of team ${names.team}: GitLab's floors, TLS only`,
        parameters: gitlabDbParameters().map((p) => ({ ...p })),
        tags: names.tags("gitlab-db"),
      },
      child,
    );

    // random marks `result` secret in the engine; wrapping says so in the program too (and under mocks).
    const password = pulumi.secret(
      new random.RandomPassword(
        `${name}-password`,
        { length: 40, special: true, overrideSpecial: PASSWORD_SPECIALS, minLower: 1, minUpper: 1, minNumeric: 1 },
        { parent: this },
      ).result,
    );
    const identifier = names.name("gitlab-db");
    const fromSnapshot = settings.snapshotIdentifier;
    // A final snapshot name no earlier destroy of this team's stack has taken. The suffix lives as
    // long as the stack, but an instance destroyed and created again within it (the point-in-time
    // restore of docs/operations.md) would take a second final snapshot under the first one's name
    // (DBSnapshotAlreadyExists). That flow always sets a new rds.snapshotIdentifier, so the
    // suffix is drawn again with it (keepers). Only the snapshot's name changes, in place: RDS
    // reads finalSnapshotIdentifier at deletion; the instance is not replaced by it.
    const finalSnapshotSuffix = keep
      ? new random.RandomId(
          `${name}-final-snapshot`,
          { byteLength: 4, keepers: { restoredFrom: fromSnapshot ?? "" } },
          { parent: this },
        )
      : undefined;

    const instance = new aws.rds.Instance(
      name,
      {
        identifier,
        engine: "postgres",
        // The major version only, with automatic minor upgrades: GitLab supports every 17.x, minor
        // releases are security and bug fixes, and RDS retires old minors anyway. A pinned minor
        // would drift from what RDS runs after its upgrades. Never a major upgrade unasked.
        engineVersion: ENGINE_MAJOR_VERSION,
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: false,
        instanceClass: settings.instanceClass,
        allocatedStorage: settings.allocatedStorageGiB,
        // Storage autoscaling: RDS grows the storage by itself when it runs low, up to this ceiling,
        // without downtime and without waiting for the maintenance window (a raised allocatedStorage
        // does wait for it: no applyImmediately, so that an instanceClass change never reboots the
        // database in the middle of a pulumi up). The provider ignores the grown allocatedStorage.
        ...storageAutoscaling(settings.allocatedStorageGiB),
        storageType: "gp3",
        storageEncrypted: true,
        // A restored snapshot brings its database and master user (this program's `gitlab`); the
        // password below is set on it after the restore.
        ...(fromSnapshot === undefined
          ? { dbName: GITLAB_DATABASE, username: MASTER_USERNAME }
          : { snapshotIdentifier: fromSnapshot }),
        password,
        port: POSTGRES_PORT,
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: [securityGroup.id],
        parameterGroupName: parameterGroup.name,
        publiclyAccessible: false,
        multiAz: settings.multiAz,
        backupRetentionPeriod: settings.backupRetentionDays,
        copyTagsToSnapshot: true,
        caCertIdentifier: CA_CERT_IDENTIFIER,
        deletionProtection: keep,
        skipFinalSnapshot: !keep,
        ...(finalSnapshotSuffix === undefined
          ? {}
          : { finalSnapshotIdentifier: pulumi.interpolate`${identifier}-final-${finalSnapshotSuffix.hex}` }),
        // Kept, the automated backups outlive the instance for their retention: a point-in-time restore still works.
        deleteAutomatedBackups: !keep,
        tags: names.tags("gitlab-db"),
      },
      {
        ...child,
        // snapshotIdentifier is read only when the instance is created: unsetting it after a
        // restore (or a later drill value) must not replace, and so empty, the live database.
        ignoreChanges: ["snapshotIdentifier"],
      },
    );

    const registryDatabase = args.registryEnabled ? REGISTRY_DATABASE : undefined;
    const image = new docker.RemoteImage(
      `${name}-setup-image`,
      // keepLocally: GitLab's container uses the same image. triggers: a rebuilt host has no image yet.
      { name: args.gitlabImage, keepLocally: true, triggers: { hostGeneration: host.generation } },
      { parent: this, provider: host.provider, dependsOn: [...host.ready] },
    );
    const setup = new docker.Container(
      `${name}-setup`,
      {
        name: names.name("rds-setup"),
        image: image.imageId,
        entrypoints: ["/bin/bash"],
        command: [SETUP_SCRIPT_PATH],
        // Runs once to its end: the provider waits for it (attach) and records its exit code and logs.
        attach: true,
        logs: true,
        mustRun: false,
        restart: "no",
        envs: [
          pulumi.interpolate`PGHOST=${instance.address}`,
          pulumi.interpolate`PGPORT=${instance.port}`,
          // From the instance: a restored snapshot's master user.
          pulumi.interpolate`PGUSER=${instance.username}`,
          `PGDATABASE=${GITLAB_DATABASE}`,
          "PGSSLMODE=verify-full",
          `PGPASSFILE=${SETUP_PGPASS_PATH}`,
          "PGCONNECT_TIMEOUT=10",
          "PGAPPNAME=gitlab-dind-rds-setup",
        ],
        // GitLab's config directory on the host (its container's /etc/gitlab): the CA bundle goes there.
        volumes: [
          { hostPath: `${gitlabHostPath(dataPath, "config")}/${RDS_CONFIG_SUBDIR}`, containerPath: SETUP_OUT_DIR },
        ],
        uploads: [
          { file: SETUP_SCRIPT_PATH, content: renderSetupScript(), permissions: "0755" },
          { file: SETUP_SQL_PATH, content: renderSetupSql({ registryDatabase }), permissions: "0644" },
          // Root-only: libpq reads it (a password file readable by others is ignored).
          {
            file: SETUP_PGPASS_PATH,
            content: pulumi.secret(pulumi.all([instance.username, password]).apply(([u, p]) => renderPgpass(u, p))),
            permissions: "0600",
            owner: "0",
            group: "0",
          },
        ],
        labels: [{ label: HOST_GENERATION_LABEL, value: host.generation }],
      },
      // Fixed name: the old container goes before its replacement. deletedWith: on a host being
      // rebuilt it goes with the machine. dependsOn the instance: it must exist (its address is an
      // input too, so a replaced instance runs the step again).
      {
        parent: this,
        provider: host.provider,
        dependsOn: [...host.ready, instance],
        deleteBeforeReplace: true,
        deletedWith: host.machine,
      },
    );

    // The password file GitLab reads exists only once the step succeeded: a failed step stops the
    // deployment here, before GitLab's container starts against an unprepared database.
    const gitlabPassword = pulumi.secret(
      pulumi.all([password, setup.exitCode, setup.containerLogs]).apply(([p, code, logs]) => {
        if (code !== 0) throw new Error(setupFailure(code, logs));
        return p;
      }),
    );

    const endpoint = pulumi.interpolate`${instance.address}:${instance.port}`;
    const gitlabRb = pulumi.all([instance.address, instance.port, instance.username]).apply(([address, port, user]) =>
      rdsGitLabRbSettings({
        host: address,
        port,
        database: GITLAB_DATABASE,
        username: user,
        passwordFile: DB_PASSWORD_FILE,
        caBundleFile: GITLAB_RDS_CA_BUNDLE_PATH,
        registryDatabase,
      }),
    ) as unknown as Contribution["gitlabRbOutput"];

    const alarms: AlarmSpec[] = [freeStorageAlarm(identifier, settings.allocatedStorageGiB)];
    this.instance = instance;
    this.endpoint = endpoint;
    this.setup = setup;
    this.contribution = {
      name: "rds",
      externalDatabase: true,
      gitlabRbOutput: gitlabRb,
      gitlabSecretFiles: [{ path: DB_PASSWORD_FILE, content: gitlabPassword }],
      gitlabStartAfter: [setup],
      alarms,
      outputs: { databaseEndpoint: endpoint },
      files: {
        "rds-setup.sh": pulumi.output(renderSetupScript()),
        "rds-setup.sql": pulumi.output(renderSetupSql({ registryDatabase })),
      },
    };
    this.registerOutputs({ endpoint, instanceId: instance.identifier });
  }
}

/** The alarm's threshold: free storage under this share of the allocated storage. */
export const FREE_STORAGE_ALARM_SHARE = 0.1;

/** gp3's largest RDS for PostgreSQL volume, GiB (the limit of rds.allocatedStorageGiB too). */
export const MAX_STORAGE_GIB = 65536;
/** Storage autoscaling's ceiling as a multiple of the allocated storage. */
export const STORAGE_AUTOSCALING_FACTOR = 4;

/**
 * `maxAllocatedStorage` for storage autoscaling: four times the allocated storage, at most gp3's
 * largest volume; none when the allocated storage is already there (RDS needs a ceiling above it).
 */
export function storageAutoscaling(allocatedGiB: number): { maxAllocatedStorage?: number } {
  const ceiling = Math.min(allocatedGiB * STORAGE_AUTOSCALING_FACTOR, MAX_STORAGE_GIB);
  return ceiling > allocatedGiB ? { maxAllocatedStorage: ceiling } : {};
}

/** RDS free storage under 10% of the allocated size (AWS/RDS `FreeStorageSpace`, bytes). */
export function freeStorageAlarm(identifier: string, allocatedGiB: number): AlarmSpec {
  const ceiling = storageAutoscaling(allocatedGiB).maxAllocatedStorage;
  const grow = `aws rds modify-db-instance --db-instance-identifier ${identifier} --allocated-storage <GiB> --apply-immediately, then set gitlab-dind:rds.allocatedStorageGiB to the same <GiB> and run pulumi up (a raised key alone waits for the maintenance window)`;
  return {
    name: "rds-free-storage",
    description:
      ceiling === undefined
        ? `GitLab's RDS database has less than ${FREE_STORAGE_ALARM_SHARE * 100}% of its ${allocatedGiB} GiB free, at gp3's largest size: find what grew.`
        : `GitLab's RDS database has less than ${FREE_STORAGE_ALARM_SHARE * 100}% of its first ${allocatedGiB} GiB free. Storage autoscaling grows it by itself up to ${ceiling} GiB (at most once in 6 hours); if it is at that ceiling or filling faster: ${grow}; or find what grew.`,
    namespace: "AWS/RDS",
    metricName: "FreeStorageSpace",
    dimensions: { DBInstanceIdentifier: identifier },
    statistic: "Minimum",
    comparisonOperator: "LessThanThreshold",
    threshold: Math.round(allocatedGiB * 1024 ** 3 * FREE_STORAGE_ALARM_SHARE),
    periodSeconds: 300,
    evaluationPeriods: 2,
  };
}

/** What `pulumi up` says when the setup step failed: its exit code, its log (it prints no secret) and how to retry. */
export function setupFailure(code: number | undefined, logs: string | undefined): string {
  return [
    `the RDS setup step (container rds-setup on the host) exited with ${code ?? "no exit code"}; GitLab was not started against the database.`,
    ...(logs === undefined || logs.trim() === "" ? [] : ["Its log:", logs.trimEnd()]),
    "Fix the cause, then run it again with `pulumi up --replace <its URN>` (`pulumi stack --show-urns | grep rds-setup`).",
  ].join("\n");
}
