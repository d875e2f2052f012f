/**
 * Issue 10 under mocks, on the shipped stack file Pulumi.dev-autoscale.yaml: the workers (Auto Scaling
 * group, launch template, security groups), the manager's IAM, config.toml, the runner container, and
 * that none of it exists with the autoscaler off.
 */
import * as TOML from "@iarna/toml";
import * as smol from "smol-toml";
import { beforeAll, describe, expect, it } from "vitest";
import { AL2023_AMI_PARAMETER } from "../../infra/host/aws/instance";
import { renderWorkerUserData } from "../../infra/autoscaler";
import { FLEETING_PLUGIN_DIR, MANAGER_START_SCRIPT } from "../../infra/runner";
import { RUNNER_STOP_TIMEOUT_SECONDS } from "../../infra/runner/gitlab-runner";
import { FLEETING_PLUGIN_AWS } from "../../runner-config";
import { revealSecrets, valueOf, type RecordedResource } from "../../tools/plan/mocks";
import { keyProblems, parse } from "../runner-config/key-walk";
import { buildUnderMocks, stackFileValues, type BuiltStack } from "./build-stack";

const T = {
  asg: "aws:autoscaling/group:Group",
  asgPolicy: "aws:autoscaling/policy:Policy",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  instance: "aws:ec2/instance:Instance",
  container: "docker:index/container:Container",
  subnet: "aws:ec2/subnet:Subnet",
  workers: "gitlab-dind:index:RunnerWorkers",
  profile: "aws:iam/instanceProfile:InstanceProfile",
};

const one = (b: BuiltStack, type: string, name?: string): RecordedResource => {
  const found = b.mocks.ofType(type).filter((r) => name === undefined || r.name === name);
  expect(found, `${type} ${name ?? ""}`).toHaveLength(1);
  return found[0];
};
const inputs = (r: RecordedResource): any => revealSecrets(r.inputs);

let on: BuiltStack;
let off: BuiltStack;

beforeAll(async () => {
  on = await buildUnderMocks(stackFileValues("dev-autoscale"));
  const values = { ...stackFileValues("dev-autoscale"), "gitlab-dind:runner": {} };
  off = await buildUnderMocks(values);
});

describe("the Auto Scaling group", () => {
  it("starts empty, is sized by maxInstances, protected from scale-in, AZRebalance suspended, force-deleted", () => {
    const asg = inputs(one(on, T.asg));
    expect(asg).toMatchObject({
      name: "dev-autoscale-ci-workers",
      minSize: 0,
      desiredCapacity: 0,
      maxSize: 5,
      protectFromScaleIn: true,
      suspendedProcesses: ["AZRebalance"],
      capacityRebalance: false,
      forceDelete: true,
      launchTemplate: { id: "ci-workers-lt-id", version: "1" },
    });
    // The host's public subnet and a second one in another zone.
    expect(asg.vpcZoneIdentifiers).toEqual(["dev-autoscale-host-public-id", "ci-workers-subnet-id"]);
    const subnet = inputs(one(on, T.subnet, "ci-workers-subnet"));
    expect(subnet).toMatchObject({
      cidrBlock: "10.42.1.0/24",
      availabilityZone: "eu-central-1b",
      mapPublicIpOnLaunch: true,
    });
    // The runner owns the desired capacity; nothing else scales the group.
    expect(on.options.get("ci-workers-asg")?.ignoreChanges).toEqual(["desiredCapacity"]);
    expect(on.mocks.ofType(T.asgPolicy)).toEqual([]);
  });
});

describe("the launch template", () => {
  it("AL2023, IMDSv2 with hop limit 1, encrypted root, no instance profile, Docker by user data", () => {
    const lt = inputs(one(on, T.lt));
    expect(lt.imageId).toBe("ami-0a1b2c3d4e5f60718");
    expect(
      on.mocks.invokes.some(
        (i) => i.token === "aws:ssm/getParameter:getParameter" && i.inputs.name === AL2023_AMI_PARAMETER,
      ),
    ).toBe(true);
    expect(lt.instanceType).toBe("m7i.large");
    expect(lt.metadataOptions).toEqual({
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: "disabled",
    });
    expect(lt.iamInstanceProfile).toBeUndefined();
    expect(lt.blockDeviceMappings).toEqual([
      {
        deviceName: "/dev/xvda",
        ebs: { volumeSize: 30, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
      },
    ]);
    const userData = Buffer.from(String(lt.userData), "base64").toString("utf8");
    // The pull-through cache is on (the default): its daemon.json files name the host's private address;
    // the stack CA for GitLab's registry at the Elastic IP's registry port.
    expect(userData).toBe(
      renderWorkerUserData({
        username: "ec2-user",
        mirror: { host: "10.42.0.10", port: 5001 },
        dockerFiles: [
          {
            path: "certs.d/198.51.100.7:4567/ca.crt",
            content: "-----BEGIN CERTIFICATE-----\nMOCK-gitlab-tls-ca\n-----END CERTIFICATE-----\n",
          },
        ],
      }),
    );
    expect(on.files["worker-user-data.yaml"]).toBe(userData);
    expect(lt.vpcSecurityGroupIds).toEqual(["ci-workers-sg-id"]);
    // One instance profile in the stack: the host's.
    expect(on.mocks.ofType(T.profile).map((r) => r.name)).toEqual(["dev-autoscale-host-profile"]);
  });
});

describe("security groups", () => {
  it("workers admit only SSH, only from the host's group; the host admits workers on GitLab's ports and the cache's", () => {
    const workerRules = on.mocks.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === "ci-workers-sg-id");
    expect(workerRules.map((r) => revealSecrets(r.inputs))).toEqual([
      expect.objectContaining({
        fromPort: 22,
        toPort: 22,
        ipProtocol: "tcp",
        referencedSecurityGroupId: "dev-autoscale-host-sg-id",
      }),
    ]);
    expect(workerRules[0].inputs.cidrIpv4).toBeUndefined();
    const fromWorkers = on.mocks
      .ofType(T.ingress)
      .filter((r) => r.inputs.referencedSecurityGroupId === "ci-workers-sg-id")
      .map((r) => `${String(r.inputs.securityGroupId)} ${String(r.inputs.fromPort)}`)
      .sort();
    expect(fromWorkers).toEqual([
      "dev-autoscale-host-sg-id 443",
      "dev-autoscale-host-sg-id 4567",
      "dev-autoscale-host-sg-id 5001",
      "dev-autoscale-host-sg-id 80",
    ]);
  });
});

describe("the manager's IAM", () => {
  it("is a policy of its own on the host role: scaling on the group's ARN, Describe on *, SSH keys by the group's tag", () => {
    const policies = on.mocks.ofType(T.rolePolicy).map((r) => r.name);
    // A policy of its own beside the host's (SSM agent, parameter, backups): nothing else changed.
    expect(policies.filter((p) => p.startsWith("ci-workers"))).toEqual(["ci-workers-manager"]);
    const manager = inputs(one(on, T.rolePolicy, "ci-workers-manager"));
    expect(manager.role).toBe("dev-autoscale-host-role-a1b2c3d");
    const doc = JSON.parse(String(manager.policy));
    const asgArn =
      "arn:aws:autoscaling:eu-central-1:123456789012:autoScalingGroup:0a1b2c3d-1111-2222-3333-444455556666:autoScalingGroupName/dev-autoscale-ci-workers";
    expect(doc.Statement).toEqual([
      {
        Sid: "ScaleOwnWorkerGroup",
        Effect: "Allow",
        Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
        Resource: asgArn,
      },
      {
        Sid: "DescribeWorkers",
        Effect: "Allow",
        Action: ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances", "ec2:DescribeSpotInstanceRequests"],
        Resource: "*",
      },
      {
        Sid: "PushSshKeyToOwnWorkers",
        Effect: "Allow",
        Action: ["ec2-instance-connect:SendSSHPublicKey"],
        Resource: "arn:aws:ec2:eu-central-1:123456789012:instance/*",
        // Only the group's workers, and only as the user the runner connects as.
        Condition: {
          StringEquals: {
            "ec2:ResourceTag/aws:autoscaling:groupName": "dev-autoscale-ci-workers",
            "ec2:osuser": "ec2-user",
          },
        },
      },
    ]);
  });

  it("the host reads IMDS with hop limit 2 (the runner container's credentials)", () => {
    expect(inputs(one(on, T.instance)).metadataOptions).toMatchObject({
      httpTokens: "required",
      httpPutResponseHopLimit: 2,
    });
  });
});

describe("config.toml", () => {
  it("two TOML parsers read the same document, with only keys gitlab-runner reads", () => {
    const text = on.files["config.toml"];
    expect(keyProblems(parse(text))).toEqual([]);
    expect(JSON.parse(JSON.stringify(smol.parse(text)))).toEqual(JSON.parse(JSON.stringify(TOML.parse(text))));
  });

  it("one docker-autoscaler runner at the host's private address (by the stack CA's internal name), concurrent = 5 × 1, DinD intact", () => {
    const doc = TOML.parse(on.files["config.toml"]) as any;
    expect(doc.concurrent).toBe(5);
    expect(doc.runners).toHaveLength(1);
    const runner = doc.runners[0];
    expect(runner.executor).toBe("docker-autoscaler");
    // HTTPS with the stack CA (the default on aws): a name its certificate carries, mapped to the
    // host's private address on the workers, and the CA handed to jobs.
    expect(runner.url).toBe("https://gitlab-dind.internal");
    expect(runner.clone_url).toBe("https://gitlab-dind.internal");
    expect(runner.docker.extra_hosts).toEqual(["gitlab-dind.internal:10.42.0.10"]);
    expect(runner["tls-ca-file"]).toBe("/etc/gitlab-runner/certs/gitlab-dind-ca.crt");
    // ... and the stack CA's server certificate names it.
    const request = on.mocks.ofType("tls:index/certRequest:CertRequest").find((r) => r.name.startsWith("gitlab-tls"));
    expect(inputs(request!).dnsNames).toContain("gitlab-dind.internal");
    expect(runner.docker.privileged).toBe(true);
    // ... plus the worker's directory with the DinD daemon.json (the pull-through cache, on by default).
    expect(runner.docker.volumes).toEqual(["/certs/client", "/cache", "/etc/gitlab-dind/dind:/etc/docker:ro"]);
    expect(runner.autoscaler).toMatchObject({
      plugin: FLEETING_PLUGIN_AWS,
      capacity_per_instance: 1,
      max_use_count: 1,
      max_instances: 5,
      plugin_config: { name: "dev-autoscale-ci-workers" },
      connector_config: { username: "ec2-user", use_external_addr: false, use_static_credentials: false },
      policy: [{ idle_count: 0, idle_time: "15m" }],
    });
    expect(JSON.stringify(doc)).not.toMatch(/host\.docker\.internal|host-gateway|docker\.sock/);
  });
});

describe("the runner container, now the manager", () => {
  it("gets AWS_REGION, installs the plugin onto the data volume at start, then runs; no Docker socket", () => {
    const c = inputs(one(on, T.container, "runner"));
    expect(c.envs).toEqual(["AWS_REGION=eu-central-1", `FLEETING_PLUGIN_PATH=${FLEETING_PLUGIN_DIR}`]);
    expect(c.entrypoints).toEqual(["/bin/sh", "-c", MANAGER_START_SCRIPT, "gitlab-runner-manager"]);
    expect(MANAGER_START_SCRIPT).toContain("gitlab-runner fleeting --config /etc/gitlab-runner/config.toml install\n");
    expect(MANAGER_START_SCRIPT).toMatch(
      /\nexec \/entrypoint run --user=gitlab-runner --working-directory=\/home\/gitlab-runner\n$/,
    );
    expect(c.volumes).toEqual([
      { hostPath: "/srv/gitlab-runner/fleeting-plugins", containerPath: FLEETING_PLUGIN_DIR },
    ]);
    expect(JSON.stringify(c)).not.toContain("docker.sock");
    // Started after (and stopped before) the manager's IAM policy.
    expect(on.dependsOn.get("runner")).toContain("ci-workers-manager");
  });
});

describe("pulumi destroy: the manager stops first, removes its workers, then the group goes", () => {
  it("the manager's container is deleted by Pulumi (no deletedWith), gracefully, before its policy, the group and GitLab", () => {
    const opts = on.options.get("runner");
    expect(opts?.deletedWith).toBeUndefined();
    // Pulumi deletes dependents first: the container before each of these.
    expect(on.dependsOn.get("runner")).toEqual(
      expect.arrayContaining(["ci-workers-manager", "ci-workers-asg", "runner-registration"]),
    );
    // The registration goes before GitLab's readiness (and so before GitLab's container).
    expect(on.dependsOn.get("runner-registration")).toEqual(["gitlab-ready"]);
    // The policy names the group's ARN (an input dependency): it goes before the group.
    const policy = inputs(one(on, T.rolePolicy, "ci-workers-manager"));
    expect(String(policy.policy)).toContain(":autoScalingGroupName/dev-autoscale-ci-workers");
    // SIGQUIT (gitlab-runner's graceful stop), and 10 minutes for running jobs before Docker kills it.
    expect(inputs(one(on, T.container, "runner"))).toMatchObject({
      stopSignal: "SIGQUIT",
      stopTimeout: RUNNER_STOP_TIMEOUT_SECONDS,
      destroyGraceSeconds: RUNNER_STOP_TIMEOUT_SECONDS,
    });
    expect(RUNNER_STOP_TIMEOUT_SECONDS).toBe(600);
    // Its fixed name: a replacement removes the old one first.
    expect(opts?.deleteBeforeReplace).toBe(true);
  });

  it("config.toml asks the stopping manager to delete its workers, read back by both TOML parsers and the key walk", () => {
    const text = on.files["config.toml"];
    for (const doc of [TOML.parse(text), smol.parse(text)] as any[]) {
      expect(doc.runners[0].autoscaler.delete_instances_on_shutdown).toBe(true);
    }
    expect(keyProblems(parse(text))).toEqual([]);
  });

  it("the host runner (docker executor) keeps deletedWith the instance: its jobs run on the host's own daemon", async () => {
    const deletedWith = off.options.get("runner")?.deletedWith;
    expect(deletedWith).toBeDefined();
    const instance = one(off, T.instance);
    expect(await valueOf(deletedWith!.urn)).toMatch(new RegExp(`[:$]aws:ec2/instance:Instance::${instance.name}$`));
    expect(off.dependsOn.get("runner")).not.toContain("ci-workers-manager");
  });
});

describe("with the autoscaler off", () => {
  it("none of it exists and the host runner is the docker executor on the host's socket, hop limit 1", () => {
    expect(off.mocks.ofType(T.workers)).toEqual([]);
    expect(off.mocks.ofType(T.asg)).toEqual([]);
    expect(off.mocks.ofType(T.lt)).toEqual([]);
    expect(off.mocks.ofType(T.rolePolicy).map((r) => r.name)).not.toContain("ci-workers-manager");
    expect(off.files["worker-user-data.yaml"]).toBeUndefined();
    const c = inputs(one(off, T.container, "runner"));
    expect(c.envs).toBeUndefined();
    expect(c.entrypoints).toBeUndefined();
    expect(c.volumes).toEqual([{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }]);
    expect((TOML.parse(off.files["config.toml"]) as any).runners[0].executor).toBe("docker");
    expect(inputs(one(off, T.instance)).metadataOptions.httpPutResponseHopLimit).toBe(1);
  });
});

describe("other settings", () => {
  it("an https external URL: jobs keep the name (GitLab's certificate) mapped to the private IP", async () => {
    const b = await buildUnderMocks({
      ...stackFileValues("dev-autoscale"),
      "gitlab-dind:gitlab": { externalUrl: "https://gitlab.example.com" },
    });
    const runner = (TOML.parse(b.files["config.toml"]) as any).runners[0];
    expect(runner.url).toBe("https://gitlab.example.com");
    expect(runner.docker.extra_hosts).toEqual(["gitlab.example.com:10.42.0.10"]);
  });

  it("a /24 VPC has no room for a second subnet: the workers share the host's", async () => {
    const b = await buildUnderMocks({
      ...stackFileValues("dev-autoscale"),
      "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"], vpcCidr: "10.9.8.0/24" },
    });
    expect(inputs(one(b, T.asg)).vpcZoneIdentifiers).toEqual(["dev-autoscale-host-public-id"]);
    expect(b.mocks.ofType(T.subnet).map((r) => r.name)).toEqual(["dev-autoscale-host-public"]);
  });
});
