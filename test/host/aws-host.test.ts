/**
 * The AWS host under Pulumi's mocks: what AWS, TLS and Docker providers would receive.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { dockerApiWaitProvider } from "../../infra/host/aws/docker-api-wait";
import { AL2023_AMI_PARAMETER } from "../../infra/host/aws/instance";
import { isSecretValue, revealSecrets, valueOf, type RecordedResource } from "../../tools/plan/mocks";
import { parse, settings, sharedAwsHost, type BuiltHost } from "./build-aws-host";

const T = {
  provider: "pulumi:providers:aws",
  docker: "pulumi:providers:docker",
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  instance: "aws:ec2/instance:Instance",
  volume: "aws:ebs/volume:Volume",
  attachment: "aws:ec2/volumeAttachment:VolumeAttachment",
  eip: "aws:ec2/eip:Eip",
  eipAssociation: "aws:ec2/eipAssociation:EipAssociation",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachPolicy: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  profile: "aws:iam/instanceProfile:InstanceProfile",
  parameter: "aws:ssm/parameter:Parameter",
  dlm: "aws:dlm/lifecyclePolicy:LifecyclePolicy",
  wait: "pulumi-nodejs:dynamic/gitlab-dind:DockerApiWait",
};

const one = (b: BuiltHost, type: string): RecordedResource => {
  const found = b.mocks.ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0];
};

/** Ingress as "port cidr" strings. */
function ingress(b: BuiltHost): string[] {
  return b.mocks
    .ofType(T.ingress)
    .map((r) => {
      expect(r.inputs.fromPort).toBe(r.inputs.toPort);
      expect(r.inputs.ipProtocol).toBe("tcp");
      return `${String(r.inputs.fromPort)} ${String(r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6)}`;
    })
    .sort();
}

describe("network", () => {
  it("opens GitLab's ports to webCidrs, 2376 only to adminCidrs, and never port 22", async () => {
    const b = await sharedAwsHost(settings("dev"));
    // HTTP(S) to the operators too: `pulumi up` calls GitLab's API from there.
    expect(ingress(b)).toEqual([
      "10022 0.0.0.0/0",
      "2376 203.0.113.0/24",
      "443 0.0.0.0/0",
      "443 203.0.113.0/24",
      "4567 0.0.0.0/0",
      "80 0.0.0.0/0",
      "80 203.0.113.0/24",
    ]);
    for (const rule of b.mocks.ofType(T.ingress)) {
      expect(Number(rule.inputs.fromPort) <= 22 && Number(rule.inputs.toPort) >= 22).toBe(false);
      expect(rule.inputs.securityGroupId).toBe("dev-host-sg-id");
    }
    const egress = one(b, T.egress);
    expect(egress.inputs).toMatchObject({ ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" });
    // No inline rules that would fight the rule resources.
    expect(one(b, T.sg).inputs.ingress).toBeUndefined();
  });

  it("follows the config: several web and admin CIDRs (the operators reach HTTP(S) too), registry off, another SSH port", async () => {
    const b = await sharedAwsHost(
      settings("dev", {
        "gitlab-dind:network": {
          adminCidrs: ["203.0.113.0/24", "100.64.0.0/10"],
          webCidrs: ["198.51.100.0/24", "192.0.2.0/24"],
        },
        "gitlab-dind:gitlab": { registryPort: 0, sshPort: 2222 },
      }),
    );
    expect(ingress(b)).toEqual([
      "2222 192.0.2.0/24",
      "2222 198.51.100.0/24",
      "2376 100.64.0.0/10",
      "2376 203.0.113.0/24",
      "443 100.64.0.0/10",
      "443 192.0.2.0/24",
      "443 198.51.100.0/24",
      "443 203.0.113.0/24",
      "80 100.64.0.0/10",
      "80 192.0.2.0/24",
      "80 198.51.100.0/24",
      "80 203.0.113.0/24",
    ]);
  });

  it("opens no 443 when GitLab serves plain HTTP (an explicit http:// URL, or gitlab.tls off)", async () => {
    for (const gitlab of [{ externalUrl: "http://gitlab.example.com" }, { tls: "off" }]) {
      const b = await sharedAwsHost(settings("dev", { "gitlab-dind:gitlab": gitlab }));
      expect(ingress(b)).toEqual([
        "10022 0.0.0.0/0",
        "2376 203.0.113.0/24",
        "4567 0.0.0.0/0",
        "80 0.0.0.0/0",
        "80 203.0.113.0/24",
      ]);
      const http = b.mocks.ofType(T.ingress).find((r) => r.inputs.fromPort === 80)!;
      expect(http.inputs.description).toBe("GitLab HTTP from 0.0.0.0/0");
    }
  });

  it("with TLS (stack CA or Let's Encrypt) opens 443 to webCidrs and adminCidrs, and 80 only as the redirect", async () => {
    for (const gitlab of [{}, { externalUrl: "https://gitlab.example.com" }]) {
      const b = await sharedAwsHost(settings("dev", { "gitlab-dind:gitlab": gitlab }));
      expect(ingress(b).filter((r) => r.startsWith("443 "))).toEqual(["443 0.0.0.0/0", "443 203.0.113.0/24"]);
      const http = b.mocks.ofType(T.ingress).filter((r) => r.inputs.fromPort === 80);
      expect(http.map((r) => r.inputs.description)).toEqual([
        "GitLab HTTP (redirect to https) from 0.0.0.0/0",
        "GitLab HTTP (redirect to https) from 203.0.113.0/24",
      ]);
    }
  });

  it("builds a VPC of network.vpcCidr with one public subnet routed to an internet gateway", async () => {
    const b = await sharedAwsHost(
      settings("dev", { "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"], vpcCidr: "10.9.0.0/20" } }),
    );
    expect(one(b, T.vpc).inputs).toMatchObject({ cidrBlock: "10.9.0.0/20", enableDnsHostnames: true });
    expect(one(b, T.subnet).inputs).toMatchObject({
      cidrBlock: "10.9.0.0/24",
      availabilityZone: "eu-central-1a",
      vpcId: "dev-host-vpc-id",
    });
    expect(one(b, "aws:ec2/route:Route").inputs).toMatchObject({
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: "dev-host-igw-id",
    });
    expect(b.options.get("dev-host-public")?.ignoreChanges).toEqual(["availabilityZone"]);
  });

  it("never opens port 22: the config refuses it for GitLab's ports, so no rule can carry it", () => {
    expect(() => parse(settings("dev", { "gitlab-dind:gitlab": { sshPort: 22 } }))).toThrow(
      /gitlab-dind:gitlab\.sshPort: expected a port other than 22/,
    );
  });
});

describe("instance", () => {
  it("runs AL2023 from AWS's public SSM parameter and ignores later AMI changes", async () => {
    const b = await sharedAwsHost(settings("dev"));
    const instance = one(b, T.instance);
    const invoke = b.mocks.invokes.find((i) => i.token === "aws:ssm/getParameter:getParameter");
    expect(invoke?.inputs.name).toBe(AL2023_AMI_PARAMETER);
    expect(instance.inputs.ami).toBe("ami-0a1b2c3d4e5f60718");
    expect(b.options.get("dev-host-instance")?.ignoreChanges).toEqual(["ami"]);
  });

  it("requires IMDSv2 with the configured hop limit and boots from an encrypted gp3 root volume", async () => {
    const b = await sharedAwsHost(
      settings("dev", { "gitlab-dind:host": { imdsHopLimit: 2, rootVolumeGiB: 40, instanceType: "m7i.2xlarge" } }),
    );
    const inputs = one(b, T.instance).inputs;
    expect(inputs.instanceType).toBe("m7i.2xlarge");
    expect(inputs.metadataOptions).toMatchObject({
      httpTokens: "required",
      httpPutResponseHopLimit: 2,
      httpEndpoint: "enabled",
    });
    expect(inputs.rootBlockDevice).toMatchObject({ encrypted: true, volumeType: "gp3", volumeSize: 40 });
    expect(inputs.keyName).toBeUndefined();
    expect(inputs.userDataReplaceOnChange).toBe(true);
    expect(inputs.vpcSecurityGroupIds).toEqual(["dev-host-sg-id"]);
    expect(inputs.iamInstanceProfile).toBe("dev-host-profile-a1b2c3d");
  });

  it("defaults to a hop limit of 1 (job containers cannot reach the role's credentials)", async () => {
    const b = await sharedAwsHost(settings("dev"));
    expect((one(b, T.instance).inputs.metadataOptions as Record<string, unknown>).httpPutResponseHopLimit).toBe(1);
  });

  it("has an Elastic IP associated to it, moved only after leaving a replaced instance", async () => {
    const b = await sharedAwsHost(settings("dev"));
    expect(one(b, T.eip).inputs.domain).toBe("vpc");
    expect(one(b, T.eipAssociation).inputs).toMatchObject({
      allocationId: "eipalloc-0a1b2c3d4e5f60718",
      instanceId: "dev-host-instance-id",
    });
    expect(b.options.get("dev-host-eip-association")?.deleteBeforeReplace).toBe(true);
  });
});

describe("data volume", () => {
  it("is its own encrypted gp3 volume of host.dataVolumeGiB in the subnet's zone, attached to the instance", async () => {
    const b = await sharedAwsHost(settings("dev", { "gitlab-dind:host": { dataVolumeGiB: 250 } }));
    expect(one(b, T.volume).inputs).toMatchObject({
      size: 250,
      type: "gp3",
      encrypted: true,
      availabilityZone: "eu-central-1a",
    });
    expect(one(b, T.attachment).inputs).toMatchObject({
      volumeId: "dev-host-data-id",
      instanceId: "dev-host-instance-id",
      deviceName: "/dev/sdf",
      stopInstanceBeforeDetaching: true,
    });
    expect(b.options.get("dev-host-data-attachment")?.deleteBeforeReplace).toBe(true);
  });

  it("survives a replaced instance: nothing of the instance flows into the volume", async () => {
    const a = await sharedAwsHost(settings("dev"));
    const volume = one(a, T.volume);
    expect(JSON.stringify(volume.inputs)).not.toMatch(/instance/);
    expect(a.dependsOn.get("dev-host-data") ?? []).toEqual([]);
    // What changes the instance — another type (a stop and start), other user data (a
    // replacement) — leaves the volume's inputs as they were: neither replaced nor deleted.
    const b = await sharedAwsHost(
      settings("dev", { "gitlab-dind:host": { instanceType: "c7i.2xlarge", rootVolumeGiB: 64, imdsHopLimit: 2 } }),
    );
    expect(one(b, T.instance).inputs.instanceType).not.toBe(one(a, T.instance).inputs.instanceType);
    expect(one(b, T.volume).inputs).toEqual(volume.inputs);
    // The dependency runs the other way: the user data names the volume, the volume names nothing
    // of the instance, so new user data (a renewed certificate, a changed boot script) replaces the
    // instance and only re-creates the attachment.
    expect(one(a, T.instance).inputs.userData).toContain("DATA_VOLUME_ID='dev-host-data-id'");
    expect(one(a, T.attachment).inputs.instanceId).toBe("dev-host-instance-id");
  });

  it("is kept on destroy by default, and deleted (after a final snapshot) when keepDataOnDestroy is false", async () => {
    const kept = await sharedAwsHost(settings("dev"));
    expect(kept.options.get("dev-host-data")?.retainOnDelete).toBe(true);
    expect(kept.options.get("dev-host-data")?.protect).toBeUndefined();
    const dropped = await sharedAwsHost(settings("dev", { "gitlab-dind:host": { keepDataOnDestroy: false } }));
    expect(dropped.options.get("dev-host-data")?.retainOnDelete).toBe(false);
    expect(one(dropped, T.volume).inputs.finalSnapshot).toBe(true);
  });

  it("is snapshotted daily by a DLM policy keeping host.snapshotRetentionDays", async () => {
    const b = await sharedAwsHost(settings("dev", { "gitlab-dind:host": { snapshotRetentionDays: 14 } }));
    const policy = one(b, T.dlm).inputs as Record<string, any>;
    const volumeName = (one(b, T.volume).inputs.tags as Record<string, string>).Name;
    expect(policy.state).toBe("ENABLED");
    expect(policy.policyDetails).toMatchObject({ resourceTypes: ["VOLUME"], targetTags: { Name: volumeName } });
    expect(policy.policyDetails.schedules).toEqual([
      expect.objectContaining({
        createRule: { interval: 24, intervalUnit: "HOURS", times: "03:00" },
        retainRule: { count: 14 },
        copyTags: true,
      }),
    ]);
    expect(policy.description).toMatch(/^[0-9A-Za-z _-]+$/);
    const dlmRole = b.mocks.get(T.role, "dev-host-dlm-role");
    expect(JSON.parse(String(dlmRole.inputs.assumeRolePolicy)).Statement[0].Principal).toEqual({
      Service: "dlm.amazonaws.com",
    });
    expect(b.mocks.get(T.attachPolicy, "dev-host-dlm-policy").inputs.policyArn).toBe(
      "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole",
    );
    expect(policy.executionRoleArn).toBe("arn:aws:iam::123456789012:role/dev-host-dlm-role-a1b2c3d");
  });

  it("adopts a kept volume (host.dataVolumeId): read, never created or deleted, and the subnet follows its zone", async () => {
    const b = await sharedAwsHost(settings("dev", { "gitlab-dind:host": { dataVolumeId: "vol-0123456789abcdef0" } }));
    const volumes = b.mocks.ofType(T.volume);
    expect(volumes).toHaveLength(1);
    // A read: the existing id, and no inputs that would create (or later replace) a volume.
    expect(volumes[0].existingId).toBe("vol-0123456789abcdef0");
    expect(volumes[0].inputs).toEqual({});
    expect(one(b, T.subnet).inputs.availabilityZone).toBe("eu-central-1b");
    expect(b.mocks.invokes.map((i) => i.token)).not.toContain("aws:index/getAvailabilityZones:getAvailabilityZones");
    expect(one(b, T.attachment).inputs.volumeId).toBe("vol-0123456789abcdef0");
    expect(b.userData).toContain("vol-0123456789abcdef0");
  });

  it("has no snapshot policy when snapshotRetentionDays is 0", async () => {
    const b = await sharedAwsHost(settings("dev", { "gitlab-dind:host": { snapshotRetentionDays: 0 } }));
    expect(b.mocks.ofType(T.dlm)).toEqual([]);
    expect(b.mocks.resources.filter((r) => r.name.includes("dlm"))).toEqual([]);
  });
});

/** The host role's inline policy documents, by resource name. */
interface PolicyDocument {
  Statement: Array<Record<string, any>>;
}
function hostRolePolicies(b: BuiltHost, team = "dev"): Map<string, PolicyDocument> {
  return new Map(
    b.mocks
      .ofType(T.rolePolicy)
      .filter((p) => p.inputs.role === `${team}-host-role-a1b2c3d`)
      .map((p) => [p.name, JSON.parse(String(p.inputs.policy)) as PolicyDocument]),
  );
}

const OWN_PARAMETER_ARN = "arn:aws:ssm:eu-central-1:123456789012:parameter/dev/gitlab-dind/docker/server-key";

describe("identity", () => {
  it("holds no AWS managed policy: the SSM agent's actions named one by one, and GetParameter on its own parameter only", async () => {
    const b = await sharedAwsHost(settings("dev"));
    const role = b.mocks.get(T.role, "dev-host-role");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    // AmazonSSMManagedInstanceCore allowed ssm:GetParameter(s) on "*": every team's Docker key.
    expect(b.mocks.ofType(T.attachPolicy).filter((a) => a.inputs.role === "dev-host-role-a1b2c3d")).toEqual([]);
    const policies = hostRolePolicies(b);
    expect([...policies.keys()].sort()).toEqual(["dev-host-read-params", "dev-host-ssm-agent"]);
    expect(policies.get("dev-host-ssm-agent")?.Statement).toEqual([
      { Sid: "SsmAgentRegistration", Effect: "Allow", Action: ["ssm:UpdateInstanceInformation"], Resource: "*" },
      {
        Sid: "SessionManagerChannels",
        Effect: "Allow",
        Action: [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ],
        Resource: "*",
      },
      {
        Sid: "RunCommandMessages",
        Effect: "Allow",
        Action: [
          "ec2messages:AcknowledgeMessage",
          "ec2messages:DeleteMessage",
          "ec2messages:FailMessage",
          "ec2messages:GetEndpoint",
          "ec2messages:GetMessages",
          "ec2messages:SendReply",
        ],
        Resource: "*",
      },
    ]);
    expect(policies.get("dev-host-read-params")?.Statement).toEqual([
      { Sid: "ReadOwnParameters", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [OWN_PARAMETER_ARN] },
    ]);
    const statements = [...policies.values()].flatMap((d) => d.Statement);
    const actions = statements.flatMap((st) => st.Action as string[]);
    // Every action named: no `service:*`, no wildcard in an action, nothing of KMS (the key policy decides).
    for (const action of actions) expect(action).toMatch(/^[a-z0-9]+:[A-Za-z]+$/);
    expect(actions.filter((a) => a.startsWith("kms:"))).toEqual([]);
    // No parameter read beyond the stack's own parameter ARN.
    const parameterReads = statements.filter((st) =>
      (st.Action as string[]).some((a) => a.startsWith("ssm:GetParameter")),
    );
    expect(parameterReads.map((st) => st.Resource as unknown)).toEqual([[OWN_PARAMETER_ARN]]);
  });

  it("instance boots only after its role's policies exist and it has a route out", async () => {
    const b = await sharedAwsHost(settings("dev"));
    expect(b.dependsOn.get("dev-host-instance")).toEqual(
      expect.arrayContaining(["dev-host-default-route", "dev-host-read-params", "dev-host-ssm-agent"]),
    );
  });

  it("exports the role, so other capabilities can add their own policies to it", async () => {
    const b = await sharedAwsHost(settings("dev"));
    expect(await valueOf(b.host.roleName)).toBe("dev-host-role-a1b2c3d");
    expect(await valueOf(b.host.roleArn)).toBe("arn:aws:iam::123456789012:role/dev-host-role-a1b2c3d");
  });
});

describe("the Docker key's own KMS key", () => {
  const ROLE_ARN = "arn:aws:iam::123456789012:role/dev-host-role-a1b2c3d";
  const ROOT = "arn:aws:iam::123456789012:root";

  it("encrypts the parameter with a per-stack key, rotation on", async () => {
    const b = await sharedAwsHost(settings("dev"));
    const key = one(b, "aws:kms/key:Key");
    expect(key.inputs).toMatchObject({ enableKeyRotation: true, keyUsage: "ENCRYPT_DECRYPT", deletionWindowInDays: 7 });
    expect(one(b, T.parameter).inputs.tier).toBe("Standard");
    expect(one(b, T.parameter).inputs.keyId).toBe(
      "arn:aws:kms:eu-central-1:123456789012:key/0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
    );
    // The account id comes from the stack's own provider, not the default one.
    const identity = b.mocks.invokes.find((i) => i.token === "aws:index/getCallerIdentity:getCallerIdentity");
    expect(identity?.provider).toMatch(/[$:]pulumi:providers:aws::dev-host-aws::/);
  });

  it("lets only the account administer the key and only this host's role decrypt, through SSM, this parameter alone", async () => {
    const b = await sharedAwsHost(settings("dev"));
    const policy = JSON.parse(String(one(b, "aws:kms/key:Key").inputs.policy)) as {
      Statement: Array<Record<string, any>>;
    };
    const onlyThisParameter = {
      StringEquals: {
        "kms:ViaService": "ssm.eu-central-1.amazonaws.com",
        "kms:EncryptionContext:PARAMETER_ARN": OWN_PARAMETER_ARN,
      },
    };
    // The ARN the key policy computes before the parameter exists is the parameter's own ARN
    // (the one the read policy takes from the parameter itself).
    expect(hostRolePolicies(b).get("dev-host-read-params")?.Statement[0].Resource).toEqual([OWN_PARAMETER_ARN]);

    const principals = new Set(policy.Statement.map((st) => st.Principal.AWS as string));
    expect(principals).toEqual(new Set([ROOT, ROLE_ARN]));
    const [admin, accountUse, host] = policy.Statement;
    expect(admin).toMatchObject({ Sid: "AccountAdministersTheKey", Principal: { AWS: ROOT }, Resource: "*" });
    expect(admin.Condition).toBeUndefined();
    expect(admin.Action).toEqual(
      expect.arrayContaining(["kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:ScheduleKeyDeletion"]),
    );
    // Administering is not using: no encryption, decryption or grants in the administration statement.
    for (const action of admin.Action as string[]) {
      expect(action).toMatch(/^kms:[A-Za-z]+$/);
      expect([
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:CreateGrant",
        "kms:ReEncryptFrom",
        "kms:GenerateDataKey",
      ]).not.toContain(action);
    }
    // Pulumi (an account principal allowed by its own IAM policy) writes and reads the parameter through SSM.
    expect(accountUse).toEqual({
      Sid: "AccountUsesTheKeyOnlyForThisParameterThroughSsm",
      Effect: "Allow",
      Principal: { AWS: ROOT },
      Action: ["kms:Encrypt", "kms:Decrypt"],
      Resource: "*",
      Condition: onlyThisParameter,
    });
    expect(host).toEqual({
      Sid: "HostDecryptsOnlyThisParameterThroughSsm",
      Effect: "Allow",
      Principal: { AWS: ROLE_ARN },
      Action: ["kms:Decrypt"],
      Resource: "*",
      Condition: onlyThisParameter,
    });
    expect(policy.Statement).toHaveLength(3);
  });

  it("another team's host cannot decrypt this team's key: its role is not in the key policy and holds no KMS permission", async () => {
    const dev = await sharedAwsHost(settings("dev"));
    const payments = await sharedAwsHost(settings("payments"), "payments");
    const devKeyPolicy = String(one(dev, "aws:kms/key:Key").inputs.policy);
    expect(devKeyPolicy).not.toContain("payments-host-role");
    const paymentsStatements = [...hostRolePolicies(payments, "payments").values()].flatMap((d) => d.Statement);
    expect(paymentsStatements.length).toBeGreaterThan(0);
    expect(JSON.stringify(paymentsStatements)).not.toContain("kms:");
    expect(JSON.stringify(paymentsStatements)).not.toContain("/dev/");
  });
});

describe("a new instance type (the AWS provider stops and starts the same instance)", () => {
  it("gives the Docker API wait a new input that makes it wait again, before the Docker provider and the containers", async () => {
    const before = await sharedAwsHost(settings("dev"));
    const after = await sharedAwsHost(settings("dev", { "gitlab-dind:host": { instanceType: "m7i.2xlarge" } }));
    const waitBefore = one(before, T.wait).inputs;
    const waitAfter = one(after, T.wait).inputs;
    expect(waitBefore.instanceType).toBe("m7i.xlarge");
    expect(waitAfter.instanceType).toBe("m7i.2xlarge");
    // Same instance (same inputs but the type: no user data change, so no replacement) ...
    const { instanceType: typeBefore, ...instanceBefore } = one(before, T.instance).inputs;
    const { instanceType: typeAfter, ...instanceAfter } = one(after, T.instance).inputs;
    expect([typeBefore, typeAfter]).toEqual(["m7i.xlarge", "m7i.2xlarge"]);
    expect(instanceAfter).toEqual(instanceBefore);
    expect(await valueOf(after.host.build.host.generation)).toBe(await valueOf(before.host.build.host.generation));
    // ... but the wait's provider sees a change and waits again, as an update.
    const olds = revealSecrets(waitBefore) as Record<string, unknown>;
    const news = revealSecrets(waitAfter) as Parameters<NonNullable<typeof dockerApiWaitProvider.diff>>[2];
    const diff = await dockerApiWaitProvider.diff!("dev-host-instance-id:2376", olds, news);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    // The Docker provider is configured from the wait's output, and containers depend on the wait.
    expect(after.host.build.host.ready).toHaveLength(1);
    expect(one(after, T.docker).inputs.host).toBe("tcp://198.51.100.7:2376");
  });
});

describe("Docker API and its TLS", () => {
  it("keeps the daemon's private key in an SSM SecureString, as a secret", async () => {
    const b = await sharedAwsHost(settings("dev"));
    const parameter = one(b, T.parameter);
    expect(parameter.inputs.type).toBe("SecureString");
    expect(parameter.inputs.name).toBe("/dev/gitlab-dind/docker/server-key");
    expect(isSecretValue(parameter.inputs.value)).toBe(true);
    expect(String(revealSecrets(parameter.inputs.value))).toContain("MOCK-dev-host-docker-server-key");
  });

  it("puts no private key, password or token in user data", async () => {
    const b = await sharedAwsHost(
      settings("dev", { "gitlab-dind:gitlab": { rootPassword: "correct horse battery" } }),
      "dev",
      ["gitlab-dind:gitlab"],
    );
    expect(b.userData.startsWith("#cloud-config\n")).toBe(true);
    expect(b.userData).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----\n/);
    expect(b.userData).not.toContain("MOCK-dev-host-docker-server-key");
    expect(b.userData).not.toContain("MOCK-dev-host-docker-client-key");
    expect(b.userData).not.toContain("MOCK-dev-host-docker-ca-key");
    expect(b.userData).not.toContain("correct horse battery");
    expect(b.userData).toContain("MOCK-dev-host-docker-ca\n");
    expect(b.userData).toContain("MOCK-dev-host-docker-server-cert\n");
    expect(b.userData).toContain("SERVER_KEY_PARAMETER='/dev/gitlab-dind/docker/server-key'");
    expect(b.userData).toContain("DATA_VOLUME_ID='dev-host-data-id'");
    expect(one(b, T.instance).inputs.userData).toBe(b.userData);
  });

  it("signs the server certificate for the Elastic IP and its DNS name, and keeps keys secret", async () => {
    const b = await sharedAwsHost(settings("dev"));
    const csr = b.mocks.get("tls:index/certRequest:CertRequest", "dev-host-docker-server-csr").inputs;
    expect(csr.ipAddresses).toEqual(["198.51.100.7"]);
    expect(csr.dnsNames).toEqual(["ec2-198-51-100-7.eu-central-1.compute.amazonaws.com"]);
    expect(isSecretValue(csr.privateKeyPem)).toBe(true);
    const server = b.mocks.get("tls:index/locallySignedCert:LocallySignedCert", "dev-host-docker-server-cert").inputs;
    expect(server.allowedUses).toContain("server_auth");
    const client = b.mocks.get("tls:index/locallySignedCert:LocallySignedCert", "dev-host-docker-client-cert").inputs;
    expect(client.allowedUses).toContain("client_auth");
    expect(isSecretValue(client.caPrivateKeyPem)).toBe(true);
    expect(b.mocks.get("tls:index/selfSignedCert:SelfSignedCert", "dev-host-docker-ca").inputs.isCaCertificate).toBe(
      true,
    );
  });

  it("configures the Docker provider only from the wait's endpoint, with the CA and client certificate", async () => {
    const b = await sharedAwsHost(settings("dev"));
    const provider = one(b, T.docker);
    expect(provider.inputs.host).toBe("tcp://198.51.100.7:2376");
    expect(provider.inputs.caMaterial).toContain("MOCK-dev-host-docker-ca\n");
    expect(provider.inputs.certMaterial).toContain("MOCK-dev-host-docker-client-cert");
    expect(isSecretValue(provider.inputs.keyMaterial)).toBe(true);
    const wait = one(b, T.wait);
    expect(wait.inputs).toMatchObject({
      host: "198.51.100.7",
      port: 2376,
      instanceId: "dev-host-instance-id",
      timeoutSeconds: 600,
    });
    expect(isSecretValue(wait.inputs.keyPem)).toBe(true);
    expect(b.dependsOn.get("dev-host-docker-api")).toEqual(["dev-host-eip-association", "dev-host-data-attachment"]);
    const hints = (revealSecrets(wait.inputs.hints) as string[]).join("\n");
    expect(hints).toContain("gitlab-dind:network.adminCidrs (203.0.113.0/24)");
    expect(hints).toContain("aws ec2 get-console-output");
    // How to read the boot unit's log on the instance.
    expect(hints).toContain(
      "`aws ssm start-session --target dev-host-instance-id --region eu-central-1` then `sudo systemctl status gitlab-dind-bootstrap.service` and `sudo journalctl -u gitlab-dind-bootstrap.service --no-pager -n 200`",
    );
    expect(b.host.build.host.ready).toHaveLength(1);
    expect(b.host.build.host.provider).toBeDefined();
  });
});

describe("interface and outputs", () => {
  it("gives the rest of the program the data path, address and DNS name, and the SSM command", async () => {
    const b = await sharedAwsHost(settings("dev"));
    const { host, outputs, files } = b.host.build;
    expect(host.dataPath).toBe("/srv");
    expect(await valueOf(host.publicAddress)).toBe("198.51.100.7");
    expect(await valueOf(host.publicDns)).toBe("ec2-198-51-100-7.eu-central-1.compute.amazonaws.com");
    expect(await valueOf(outputs.instanceId as string)).toBe("dev-host-instance-id");
    expect(await valueOf(outputs.ssmCommand as string)).toBe(
      "aws ssm start-session --target dev-host-instance-id --region eu-central-1",
    );
    expect(Object.keys(files)).toEqual(["user-data.yaml"]);
  });

  it("uses one explicit AWS provider in the stack's region with the common tags, for every AWS resource", async () => {
    const b = await sharedAwsHost(settings("dev"));
    const provider = one(b, T.provider);
    expect(provider.inputs.region).toBe("eu-central-1");
    expect(JSON.parse(String(provider.inputs.defaultTags))).toEqual({
      tags: { Team: "dev", Stack: "dev", ManagedBy: "pulumi/gitlab-dind" },
    });
    for (const r of b.mocks.resources.filter((r) => r.type.startsWith("aws:"))) {
      expect(r.provider, `${r.type} ${r.name}`).toMatch(/[$:]pulumi:providers:aws::dev-host-aws::/);
    }
  });

  it("puts a Name tag that starts with the team on every taggable AWS resource", async () => {
    const b = await sharedAwsHost(settings("dev"));
    const untaggable = new Set([
      "aws:iam/rolePolicy:RolePolicy",
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
      "aws:ec2/route:Route",
      "aws:ec2/routeTableAssociation:RouteTableAssociation",
      "aws:ec2/volumeAttachment:VolumeAttachment",
      "aws:ec2/eipAssociation:EipAssociation",
    ]);
    const taggable = b.mocks.resources.filter((r) => r.type.startsWith("aws:") && !untaggable.has(r.type));
    expect(taggable.length).toBeGreaterThan(15);
    for (const r of taggable)
      expect((r.inputs.tags as Record<string, string> | undefined)?.Name, `${r.type} ${r.name}`).toMatch(/^dev-/);
  });

  it("shares no explicit physical name or Name tag between two teams", async () => {
    const physical = (b: BuiltHost): Set<string> => {
      const out = new Set<string>();
      for (const r of b.mocks.resources.filter((r) => r.type.startsWith("aws:"))) {
        if (typeof r.inputs.name === "string") out.add(`name ${r.inputs.name}`);
        const tag = (r.inputs.tags as Record<string, string> | undefined)?.Name;
        if (tag !== undefined) out.add(`Name ${tag}`);
      }
      return out;
    };
    const dev = physical(await sharedAwsHost(settings("dev"), "dev"));
    const payments = physical(await sharedAwsHost(settings("payments"), "payments"));
    expect(dev.size).toBeGreaterThan(5);
    expect([...dev].filter((n) => payments.has(n))).toEqual([]);
  });
});

describe("what the rest of the program gets", () => {
  it("the instance as the machine containers go with, and its id as the generation that re-creates them", async () => {
    const b = await sharedAwsHost(settings("dev"));
    const host = b.host.build.host;
    expect(host.machine).toBeDefined();
    expect(await valueOf((host.machine as pulumi.CustomResource).id)).toBe("dev-host-instance-id");
    expect(await valueOf(host.generation)).toBe("dev-host-instance-id");
    expect(host.dataPath).toBe("/srv");
  });
});
