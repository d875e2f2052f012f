/**
 * GitLab's database on RDS (gitlab.database rds), built by the real program under the recording
 * mocks: the inputs AWS and Docker would receive, the gitlab.rb GitLab gets (read back by Ruby, the
 * password from its file and never in the text), the setup step GitLab starts after, and the config
 * refusals, each naming its key.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";
import { rdsGitLabRbSettings } from "../../infra/database/gitlab-rb";
import { privateSubnetCidrs } from "../../infra/host/aws/private-subnets";
import { renderPgpass, renderSetupSql } from "../../infra/database/setup";
import {
  freeStorageAlarm,
  PASSWORD_SPECIALS,
  setupFailure,
  storageAutoscaling,
} from "../../infra/database/rds-database";
import { firstSubnet } from "../../infra/host/aws/network";
import { secondSubnetCidr } from "../../infra/autoscaler";
import { renderGitLabRb } from "../../infra/gitlab/gitlab-rb";
import { isSecretValue, revealSecrets, valueOf, type RecordedResource } from "../../tools/plan/mocks";
import { buildUnderMocks, stackFileValues, type BuiltStack } from "../autoscaler/build-stack";
import { nodeRun } from "../support/command";
import { requireTool } from "../support/tools";

const INSTANCE = "aws:rds/instance:Instance";
const CONTAINER = "docker:index/container:Container";

function withRds(extra: Record<string, unknown> = {}, base: RawConfig = stackFileValues("dev")): RawConfig {
  return { ...base, "gitlab-dind:gitlab": { database: "rds" }, ...extra };
}

function envOf(r: RecordedResource): string[] {
  return revealSecrets(r.inputs.envs) as string[];
}

function gitlabRbOf(built: BuiltStack): string {
  const env = envOf(built.mocks.get(CONTAINER, "gitlab")).find((e) => e.startsWith("GITLAB_OMNIBUS_CONFIG="));
  return env!.slice("GITLAB_OMNIBUS_CONFIG=".length);
}

describe("an AWS stack with gitlab.database rds", () => {
  let built: BuiltStack;
  beforeAll(async () => {
    built = await buildUnderMocks(
      withRds({ "gitlab-dind:rds": { multiAz: "true", backupRetentionDays: "14" } }),
      "dev",
    );
  });

  it("creates PostgreSQL 17, encrypted gp3, private, Multi-AZ and backed up as configured, kept with a final snapshot", () => {
    const db = built.mocks.get(INSTANCE, "gitlab-db");
    const inputs = revealSecrets(db.inputs) as Record<string, unknown>;
    expect(inputs).toMatchObject({
      identifier: "dev-gitlab-db",
      engine: "postgres",
      engineVersion: "17",
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      instanceClass: "db.m7g.large",
      allocatedStorage: 50,
      // Storage autoscaling up to four times the allocated storage.
      maxAllocatedStorage: 200,
      storageType: "gp3",
      storageEncrypted: true,
      publiclyAccessible: false,
      multiAz: true,
      backupRetentionPeriod: 14,
      dbName: "gitlabhq_production",
      username: "gitlab",
      port: 5432,
      caCertIdentifier: "rds-ca-rsa2048-g1",
      // host.keepDataOnDestroy defaults to true: nothing deletes the database by accident.
      deletionProtection: true,
      skipFinalSnapshot: false,
      deleteAutomatedBackups: false,
      dbSubnetGroupName: "dev-gitlab-db",
      parameterGroupName: "dev-gitlab-db-pg17",
    });
    expect(inputs.finalSnapshotIdentifier).toMatch(/^dev-gitlab-db-final-[0-9a-f]{8}$/);
    expect(inputs.snapshotIdentifier).toBeUndefined();
    // The private subnets' second zone is one of the region's Availability Zones, never an opted-in Local Zone.
    const zoneQueries = built.mocks.invokes.filter(
      (i) => i.token === "aws:index/getAvailabilityZones:getAvailabilityZones",
    );
    expect(zoneQueries.map((i) => i.inputs)).toContainEqual({
      state: "available",
      filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
    });
    // The final snapshot's suffix is drawn again when the instance is restored from a snapshot.
    expect(built.mocks.get("random:index/randomId:RandomId", "gitlab-db-final-snapshot").inputs.keepers).toEqual({
      restoredFrom: "",
    });
    // The password is a secret on the wire, and has none of the characters RDS refuses.
    expect(isSecretValue(db.inputs.password)).toBe(true);
    expect(String(inputs.password)).not.toMatch(/[/@" :\\']/);
    expect(db.options?.ignoreChanges).toEqual(["snapshotIdentifier"]);
    expect(db.provider).toMatch(/dev-host-aws|host-aws/);
  });

  it("puts it in two private subnets of two zones that overlap neither the host's nor the CI workers' subnet", () => {
    const group = built.mocks.get("aws:rds/subnetGroup:SubnetGroup", "gitlab-db-subnets");
    expect(group.inputs.subnetIds).toEqual(["dev-private-1-id", "dev-private-2-id"]);
    const subnets = [1, 2].map((i) => built.mocks.get("aws:ec2/subnet:Subnet", `dev-private-${i}`).inputs);
    expect(subnets.map((s) => s.cidrBlock)).toEqual(["10.42.2.0/24", "10.42.3.0/24"]);
    expect(new Set(subnets.map((s) => s.availabilityZone)).size).toBe(2);
    expect(subnets.every((s) => s.mapPublicIpOnLaunch === false)).toBe(true);
    const taken = built.mocks.ofType("aws:ec2/subnet:Subnet").filter((s) => !s.name.startsWith("dev-private-"));
    expect(taken.map((s) => s.inputs.cidrBlock)).toEqual(["10.42.0.0/24"]);
    // Their route table has no route: nothing in them reaches or is reached from the internet.
    expect(built.mocks.ofType("aws:ec2/route:Route").map((r) => r.inputs.routeTableId)).not.toContain(
      "dev-private-rt-id",
    );
    const associations = built.mocks.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation");
    expect(
      associations.filter((a) => a.inputs.routeTableId === "dev-private-rt-id").map((a) => a.inputs.subnetId),
    ).toEqual(["dev-private-1-id", "dev-private-2-id"]);
  });

  it("admits PostgreSQL from the host's security group only", () => {
    const db = revealSecrets(built.mocks.get(INSTANCE, "gitlab-db").inputs) as Record<string, unknown>;
    expect(db.vpcSecurityGroupIds).toEqual(["gitlab-db-sg-id"]);
    const rules = [
      ...built.mocks.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
      ...built.mocks.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"),
    ].filter((r) => r.inputs.securityGroupId === "gitlab-db-sg-id");
    expect(rules.map((r) => r.inputs)).toEqual([
      expect.objectContaining({
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        referencedSecurityGroupId: "dev-host-sg-id",
      }),
    ]);
    expect(rules[0].inputs.cidrIpv4).toBeUndefined();
    expect(rules[0].type).toBe("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
  });

  it("sets GitLab's floors in a postgres17 parameter group, static ones at the next reboot, and TLS only", () => {
    const group = built.mocks.get("aws:rds/parameterGroup:ParameterGroup", "gitlab-db-params").inputs;
    expect(group.family).toBe("postgres17");
    const byName = Object.fromEntries(
      (group.parameters as { name: string; value: string; applyMethod: string }[]).map((p) => [p.name, p]),
    );
    expect(byName.max_connections).toEqual({
      name: "max_connections",
      value: "GREATEST({DBInstanceClassMemory/9531392},400)",
      applyMethod: "pending-reboot",
    });
    expect(Number(byName.work_mem.value)).toBeGreaterThanOrEqual(8 * 1024);
    expect(Number(byName.maintenance_work_mem.value)).toBeGreaterThanOrEqual(64 * 1024);
    expect(Number(byName.statement_timeout.value)).toBeGreaterThanOrEqual(15_000);
    expect(Number(byName.statement_timeout.value)).toBeLessThanOrEqual(60_000);
    expect(byName["rds.force_ssl"].value).toBe("1");
    for (const p of ["work_mem", "maintenance_work_mem", "statement_timeout", "rds.force_ssl"]) {
      expect(byName[p].applyMethod).toBe("immediate");
    }
  });

  it("gives GitLab a gitlab.rb without the bundled PostgreSQL and without the password, which is a root-only file", () => {
    const rb = gitlabRbOf(built);
    const password = String(revealSecrets(built.mocks.get(INSTANCE, "gitlab-db").inputs.password));
    expect(rb).not.toContain(password);
    expect(rb).toContain("postgresql['enable'] = false");
    expect(rb).toContain("gitlab_rails['db_host'] = 'dev-gitlab-db.c0a1b2c3d4e5.eu-central-1.rds.amazonaws.com'");
    expect(rb).toContain("gitlab_rails['db_password'] = File.read('/opt/gitlab-dind/rds/db-password').chomp");
    expect(rb).toContain("gitlab_rails['db_sslmode'] = 'verify-full'");
    expect(rb).toContain("registry['database']['enabled'] = true");
    // The registry database's backup roles need SUPERUSER, which RDS does not grant: off.
    expect(rb).not.toContain("backup_role");
    const gitlab = built.mocks.get(CONTAINER, "gitlab");
    const uploads = revealSecrets(gitlab.inputs.uploads) as Record<string, unknown>[];
    expect(uploads.find((u) => u.file === "/opt/gitlab-dind/rds/db-password")).toEqual({
      file: "/opt/gitlab-dind/rds/db-password",
      content: password,
      permissions: "0600",
      owner: "0",
      group: "0",
    });
    // Nowhere else in the clear: not in the host's user data, not in a stack output.
    expect(built.files["user-data.yaml"]).not.toContain(password);
    expect(JSON.stringify(built.files)).not.toContain(password);
  });

  it("runs the setup step on the host before GitLab first starts, with the password in a root-only pgpass file", async () => {
    expect(built.dependsOn.get("gitlab")).toContain("gitlab-db-setup");
    const setup = built.mocks.get(CONTAINER, "gitlab-db-setup");
    expect(setup.inputs).toMatchObject({ attach: true, logs: true, mustRun: false, name: "dev-rds-setup" });
    expect(built.mocks.get("docker:index/remoteImage:RemoteImage", "gitlab-db-setup-image").inputs.name).toBe(
      "gitlab/gitlab-ce:19.3.0-ce.0",
    );
    const env = envOf(setup);
    expect(env).toContain("PGSSLMODE=verify-full");
    expect(env).toContain("PGHOST=dev-gitlab-db.c0a1b2c3d4e5.eu-central-1.rds.amazonaws.com");
    const password = String(revealSecrets(built.mocks.get(INSTANCE, "gitlab-db").inputs.password));
    expect(env.join("\n")).not.toContain(password);
    const uploads = revealSecrets(setup.inputs.uploads) as Record<string, unknown>[];
    expect(uploads.find((u) => u.file === "/opt/gitlab-dind/rds-setup/pgpass")).toMatchObject({
      content: `*:*:*:gitlab:${password}\n`,
      permissions: "0600",
      owner: "0",
    });
    // The CA bundle lands in GitLab's config directory on the data volume (/etc/gitlab in its container).
    expect(setup.inputs.volumes).toEqual([{ hostPath: "/srv/gitlab/config/rds", containerPath: "/out" }]);
    expect(built.files["rds-setup.sql"]).toContain('CREATE EXTENSION IF NOT EXISTS "amcheck";');
    expect(await valueOf(built.result.outputs.databaseEndpoint)).toBe(
      "dev-gitlab-db.c0a1b2c3d4e5.eu-central-1.rds.amazonaws.com:5432",
    );
  });
});

describe("gitlab.database rds with host.keepDataOnDestroy false", () => {
  it("lets the instance go with the stack: no deletion protection, no final snapshot, no kept backups", async () => {
    const built = await buildUnderMocks(withRds({ "gitlab-dind:host": { keepDataOnDestroy: "false" } }), "dev");
    const inputs = built.mocks.get(INSTANCE, "gitlab-db").inputs;
    expect(inputs).toMatchObject({ deletionProtection: false, skipFinalSnapshot: true, deleteAutomatedBackups: true });
    expect(inputs.finalSnapshotIdentifier).toBeUndefined();
  });

  it("restores from rds.snapshotIdentifier with the snapshot's own database and user", async () => {
    const built = await buildUnderMocks(
      withRds({ "gitlab-dind:rds": { snapshotIdentifier: "dev-gitlab-db-final-5eed0000" } }),
      "dev",
    );
    const inputs = built.mocks.get(INSTANCE, "gitlab-db").inputs;
    expect(inputs.snapshotIdentifier).toBe("dev-gitlab-db-final-5eed0000");
    // A new snapshot to restore from draws a new final snapshot name: the instance destroyed and
    // created again by the point-in-time restore would otherwise reuse the taken one at its next deletion.
    expect(built.mocks.get("random:index/randomId:RandomId", "gitlab-db-final-snapshot").inputs.keepers).toEqual({
      restoredFrom: "dev-gitlab-db-final-5eed0000",
    });
    expect(inputs.dbName).toBeUndefined();
    expect(inputs.username).toBeUndefined();
    expect(isSecretValue(inputs.password)).toBe(true);
  });
});

describe("a failed setup step", () => {
  it("fails the deployment at GitLab's container, with the step's log, before GitLab starts", async () => {
    // In a process of its own, as the plan runs (an error inside an Output callback is an unhandled
    // rejection there); the mocked setup container exits with 2.
    const script = `
      const mocks = require("./tools/plan/mocks.ts");
      const ran = mocks.COMPUTED["docker:index/container:Container"];
      mocks.COMPUTED["docker:index/container:Container"] = (i, name, ctx) => ({ ...ran(i, name, ctx),
        ...(i.attach === true ? { exitCode: 2, containerLogs: "psql: error: certificate verify failed" } : {}) });
      const { parseStackConfig } = require("./infra/config/parse.ts");
      const { runPlan } = require("./tools/plan/run-plan.ts");
      const parsed = parseStackConfig({ values: { "aws:region": "eu-central-1", "gitlab-dind:team": "dev",
        "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] }, "gitlab-dind:gitlab": { database: "rds" } } });
      runPlan("gitlab-dind", "dev", parsed.config).then(
        () => { console.log("planned"); process.exit(0); },
        (e) => { console.log("failed: " + e.message); process.exit(1); });
    `;
    const run = await nodeRun(["--require", "./tools/ts-register.cjs", "-e", script], []);
    expect(run.stdout).toMatch(
      /^failed: error serializing property "uploads": the RDS setup step \(container rds-setup on the host\) exited with 2; GitLab was not started against the database\.\nIts log:\npsql: error: certificate verify failed\n/,
    );
    expect(run.code).toBe(1);
  });

  it("says how to run it again", () => {
    expect(setupFailure(1, "")).toMatch(/pulumi up --replace/);
    expect(setupFailure(undefined, undefined)).toMatch(/no exit code/);
  });
});

describe("the shipped stacks", () => {
  it("create nothing of RDS (gitlab.database defaults to bundled)", async () => {
    const built = await buildUnderMocks(stackFileValues("dev"), "dev");
    expect(
      built.mocks.resources.filter((r) => r.type.startsWith("aws:rds/") || r.name.startsWith("gitlab-db")),
    ).toEqual([]);
    expect(gitlabRbOf(built)).not.toContain("postgresql['enable']");
    expect(built.result.outputs.databaseEndpoint).toBeUndefined();
  });
});

describe("the rds configuration", () => {
  const problems = (values: RawConfig): readonly string[] => {
    const parsed = parseStackConfig({ values });
    return parsed.ok ? [] : parsed.problems;
  };

  it("refuses rds on the local target, naming gitlab-dind:gitlab.database", () => {
    expect(problems(withRds({}, stackFileValues("local")))).toEqual([
      'gitlab-dind:gitlab.database: expected bundled on the local target (RDS is an AWS service in the stack\'s VPC); got "rds"',
    ]);
  });

  it("refuses every rds.* key set without gitlab.database rds, each by name", () => {
    expect(
      problems({ ...stackFileValues("dev"), "gitlab-dind:rds": { multiAz: "true", instanceClass: "db.r7g.large" } }),
    ).toEqual([
      "gitlab-dind:rds.instanceClass: only used with gitlab.database rds (it configures GitLab's database on Amazon RDS), but gitlab.database is bundled; unset it, or set gitlab.database to rds",
      "gitlab-dind:rds.multiAz: only used with gitlab.database rds (it configures GitLab's database on Amazon RDS), but gitlab.database is bundled; unset it, or set gitlab.database to rds",
    ]);
  });

  it("refuses a VPC without room for the private subnets, bad classes, ranges and snapshot names, all at once", () => {
    expect(
      problems(
        withRds({
          "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"], vpcCidr: "10.42.0.0/23" },
          "gitlab-dind:rds": {
            instanceClass: "db.t4g.micro",
            allocatedStorageGiB: "10",
            backupRetentionDays: "0",
            snapshotIdentifier: "bad_name",
          },
        }),
      ),
    ).toEqual([
      'gitlab-dind:rds.instanceClass: expected a class of size large or bigger such as db.m7g.large (a micro class has less than the 8 GiB GitLab\'s database needs); got "db.t4g.micro"',
      'gitlab-dind:rds.allocatedStorageGiB: expected an integer from 20 to 65536; got "10"',
      'gitlab-dind:rds.backupRetentionDays: expected an integer from 1 to 35; got "0"',
      'gitlab-dind:rds.snapshotIdentifier: expected an RDS DB snapshot identifier such as gitlab-final-2026-12-01 (letters, digits and single hyphens, starting with a letter) or a snapshot ARN; got "bad_name"',
      "gitlab-dind:network.vpcCidr: expected a /22 or wider block with gitlab.database rds (their two private subnets are the VPC's third and fourth /24, after the host's and the CI workers'); got \"10.42.0.0/23\"",
    ]);
  });

  it("takes RDS class shapes and snapshot forms", () => {
    for (const instanceClass of [
      "db.m7g.large",
      "db.r6i.2xlarge",
      "db.m6gd.metal",
      "db.t4g.large",
      "db.x2iedn.32xlarge",
    ]) {
      expect(problems(withRds({ "gitlab-dind:rds": { instanceClass } }))).toEqual([]);
    }
    for (const instanceClass of ["m7g.large", "db.serverless", "db.m7g", "db.m7g.huge", "db.m7g.medium"]) {
      expect(problems(withRds({ "gitlab-dind:rds": { instanceClass } }))).toHaveLength(1);
    }
    for (const snapshotIdentifier of [
      "rds:dev-gitlab-db-2026-12-01-03-10",
      "arn:aws:rds:eu-central-1:123456789012:snapshot:dev-gitlab-db-final-5eed0000",
    ]) {
      expect(problems(withRds({ "gitlab-dind:rds": { snapshotIdentifier } }))).toEqual([]);
    }
  });
});

describe("pure parts", () => {
  it("the private subnets follow the host's and the workers' /24s in every VPC size that has room", () => {
    for (const vpc of ["10.42.0.0/16", "172.16.8.0/21", "192.168.4.0/22"]) {
      const [a, b] = privateSubnetCidrs(vpc);
      expect(new Set([firstSubnet(vpc), secondSubnetCidr(vpc), a, b]).size).toBe(4);
    }
    expect(privateSubnetCidrs("192.168.4.0/22")).toEqual(["192.168.6.0/24", "192.168.7.0/24"]);
    expect(() => privateSubnetCidrs("10.0.0.0/23")).toThrow(/gitlab-dind:network.vpcCidr/);
  });

  it("escapes the pgpass line as libpq reads it, and creates the registry database only with the registry", () => {
    expect(renderPgpass("gitlab", "a:b\\c")).toBe("*:*:*:gitlab:a\\:b\\\\c\n");
    expect(renderSetupSql({ registryDatabase: undefined })).not.toContain("CREATE DATABASE");
    expect(renderSetupSql({ registryDatabase: "registry" })).toContain(
      "SELECT 'CREATE DATABASE ' || quote_ident('registry') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'registry')\\gexec",
    );
    expect(PASSWORD_SPECIALS).not.toMatch(/[/@" :\\'$`]/);
  });

  it("alarms below 10% free storage of the allocated size", () => {
    const alarm = freeStorageAlarm("dev-gitlab-db", 50);
    expect(alarm).toMatchObject({
      namespace: "AWS/RDS",
      metricName: "FreeStorageSpace",
      comparisonOperator: "LessThanThreshold",
      threshold: 5 * 1024 ** 3,
      dimensions: { DBInstanceIdentifier: "dev-gitlab-db" },
    });
    // It says what grows the storage now: a raised key alone waits for the maintenance window.
    expect(alarm.description).toContain("up to 200 GiB");
    expect(alarm.description).toContain(
      "aws rds modify-db-instance --db-instance-identifier dev-gitlab-db --allocated-storage <GiB> --apply-immediately",
    );
    expect(alarm.description.length).toBeLessThanOrEqual(1024); // CloudWatch's AlarmDescription limit
    expect(freeStorageAlarm("dev-gitlab-db", 65536).description).not.toContain("autoscaling");
  });

  it("lets storage autoscale to four times its size, at most gp3's largest, and not at all at the largest", () => {
    expect(storageAutoscaling(50)).toEqual({ maxAllocatedStorage: 200 });
    expect(storageAutoscaling(20000)).toEqual({ maxAllocatedStorage: 65536 });
    expect(storageAutoscaling(65536)).toEqual({});
  });
});

// Ruby (`apt-get install ruby`; required under CI=true): the settings parse, and the password reads back from its file.
const hasRuby = requireTool("ruby", "apt-get install ruby");
describe.skipIf(!hasRuby)("with Ruby", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "gitlab-dind-rds-rb-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads every database setting back, the password from its file", () => {
    const file = join(dir, "db-password");
    const password = "Ab1-_.!*+=()x#{y}";
    writeFileSync(file, `${password}\n`);
    const rb = renderGitLabRb(
      rdsGitLabRbSettings({
        host: "dev-gitlab-db.c0a1b2c3d4e5.eu-central-1.rds.amazonaws.com",
        port: 5432,
        database: "gitlabhq_production",
        username: "gitlab",
        passwordFile: file,
        caBundleFile: "/etc/gitlab/rds/rds-ca-bundle.pem",
        registryDatabase: "registry",
      }),
    );
    expect(rb).not.toContain(password);
    const stub = [
      "require 'json'",
      "$set = {}",
      'class Scope; def initialize(n); @n = n; end; def []=(k, v); $set["#{@n}[#{k}]"] = v; end; def [](k); Scope.new("#{@n}[#{k}]"); end; end',
      "%w[gitlab_rails postgresql registry].each { |n| Object.send(:define_method, n) { (@scopes ||= {})[n] ||= Scope.new(n) } }",
    ].join("\n");
    const out = execFileSync("ruby", ["-e", `${stub}\neval(STDIN.read)\nputs JSON.generate($set)`], { input: rb });
    expect(JSON.parse(out.toString())).toEqual({
      "postgresql[enable]": false,
      "gitlab_rails[db_adapter]": "postgresql",
      "gitlab_rails[db_encoding]": "unicode",
      "gitlab_rails[db_host]": "dev-gitlab-db.c0a1b2c3d4e5.eu-central-1.rds.amazonaws.com",
      "gitlab_rails[db_port]": 5432,
      "gitlab_rails[db_database]": "gitlabhq_production",
      "gitlab_rails[db_username]": "gitlab",
      "gitlab_rails[db_password]": password,
      "gitlab_rails[db_sslmode]": "verify-full",
      "gitlab_rails[db_sslrootcert]": "/etc/gitlab/rds/rds-ca-bundle.pem",
      "registry[database][enabled]": true,
      "registry[database][host]": "dev-gitlab-db.c0a1b2c3d4e5.eu-central-1.rds.amazonaws.com",
      "registry[database][port]": 5432,
      "registry[database][user]": "gitlab",
      "registry[database][password]": password,
      "registry[database][dbname]": "registry",
      "registry[database][sslmode]": "verify-full",
      "registry[database][sslrootcert]": "/etc/gitlab/rds/rds-ca-bundle.pem",
    });
  });
});
