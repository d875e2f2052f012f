/**
 * The one shape capabilities add to GitLab and the host in (infra/contributions.ts): GitLab's server
 * appends their gitlab.rb settings, uploads their secrets root-only and starts after what they name;
 * the host role gets one scoped inline policy per contribution; clashes are refused.
 */
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { describe, expect, it } from "vitest";
import { gitlabSecretFilesOf, grantHostRole, stackPartsOf, type Contribution } from "../../infra/contributions";
import { DEFAULT_GITLAB_IMAGE } from "../../infra/config/schema";
import { GitLabServer } from "../../infra/gitlab";
import { naming } from "../../infra/naming";
import { RecordingMocks, isSecretValue, revealSecrets } from "../../tools/plan/mocks";
import { runUnderMocks } from "../../tools/plan/under-mocks";

const CONTAINER = "docker:index/container:Container";

describe("contributions to GitLab's server", () => {
  it("appends their settings after the program's, uploads their secrets root-only (never in the text) and starts after what they name", async () => {
    const mocks = new RecordingMocks();
    const run = await runUnderMocks(mocks, "gitlab-dind", "dev", () => {
      const databaseReady = new random.RandomId("database-ready", { byteLength: 4 });
      const contribution: Contribution = {
        name: "database",
        gitlabRb: [
          { kind: "assign", scope: "postgresql", key: "enable", value: false },
          { kind: "assign", scope: "gitlab_rails", key: "db_password", value: { fileContents: "/opt/x/db-password" } },
        ],
        gitlabSecretFiles: [{ path: "/opt/x/db-password", content: pulumi.secret("S3cretDbPassw0rd") }],
        gitlabStartAfter: [databaseReady],
      };
      return new GitLabServer("gitlab", {
        names: naming("dev", "s"),
        target: "aws",
        gitlab: {
          image: DEFAULT_GITLAB_IMAGE,
          tls: "off",
          tlsMode: "off",
          letsencryptEmail: undefined,
          externalUrl: undefined,
          httpPort: 80,
          sshPort: 10022,
          registryPort: 0,
          shmSizeMiB: 512,
          rootPassword: undefined,
          allowSignup: false,
          objectStorage: "local",
          database: "bundled",
          redis: "bundled",
          dataMovedBack: [],
          omnibus: {},
          omnibusSecrets: {},
        },
        host: {
          machine: new random.RandomId("host-instance", { byteLength: 4 }),
          provider: new docker.Provider("aws-docker", { host: "tcp://3.120.0.10:2376" }),
          ready: [],
          dataPath: "/srv",
          publicAddress: pulumi.output("3.120.0.10"),
          publicDns: pulumi.output("ec2-3-120-0-10.eu-central-1.compute.amazonaws.com"),
          generation: pulumi.output("i-0123456789abcdef0"),
        },
        keepDataOnDestroy: true,
        contributions: [contribution],
      });
    });
    const container = mocks.get(CONTAINER, "gitlab");
    const envs = revealSecrets(container.inputs.envs) as string[];
    const rb = envs.find((e) => e.startsWith("GITLAB_OMNIBUS_CONFIG="))!;
    const lines = rb.split("\n");
    expect(lines.at(-2)).toBe("gitlab_rails['db_password'] = File.read('/opt/x/db-password').chomp");
    expect(lines.indexOf("postgresql['enable'] = false")).toBeGreaterThan(
      lines.findIndex((l) => l.startsWith("gitlab_rails['initial_root_password']")),
    );
    expect(rb).not.toContain("S3cretDbPassw0rd");
    expect(isSecretValue(container.inputs.uploads)).toBe(true);
    const uploads = revealSecrets(container.inputs.uploads) as Record<string, unknown>[];
    const file = uploads.find((u) => u.file === "/opt/x/db-password");
    expect(file).toEqual({
      file: "/opt/x/db-password",
      content: "S3cretDbPassw0rd",
      permissions: "0600",
      owner: "0",
      group: "0",
    });
    expect(run.dependsOn.get("gitlab")).toContain("database-ready");
  });
});

describe("contributions to the host role", () => {
  it("one inline policy per contribution with statements, on the host's role and provider", async () => {
    const mocks = new RecordingMocks();
    await runUnderMocks(mocks, "gitlab-dind", "dev", () => {
      const provider = new aws.Provider("host-aws", {
        region: "eu-central-1",
      });
      const host = { provider, roleName: pulumi.output("dev-host-role") } as unknown as Parameters<
        typeof grantHostRole
      >[1];
      return grantHostRole("dev-host", host, [
        { name: "empty" },
        {
          name: "objects",
          hostRoleStatements: [
            { Sid: "Objects", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::dev-a/*" },
          ],
        },
      ]);
    });
    const policies = mocks.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy");
    expect(policies.map((p) => p.name)).toEqual(["dev-host-objects"]);
    expect(policies[0].inputs.role).toBe("dev-host-role");
    expect(JSON.parse(policies[0].inputs.policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Sid: "Objects", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::dev-a/*" }],
    });
    expect(policies[0].provider).toMatch(/host-aws/);
  });

  it("refuses statements without an AWS host, and nothing is granted without statements", () => {
    expect(() =>
      grantHostRole("local-host", undefined, [
        {
          name: "objects",
          hostRoleStatements: [{ Sid: "X", Effect: "Allow", Action: ["s3:GetObject"], Resource: "a" }],
        },
      ]),
    ).toThrow(/objects grant the host role, which only AWS has/);
    expect(grantHostRole("local-host", undefined, [{ name: "mailpit" }])).toEqual([]);
  });
});

describe("clashes between contributions", () => {
  it("refuses the same file, output or rendered file from two capabilities", () => {
    const f = { path: "/opt/a", content: "x" };
    expect(() =>
      gitlabSecretFilesOf([
        { name: "a", gitlabSecretFiles: [f] },
        { name: "b", gitlabSecretFiles: [f] },
      ]),
    ).toThrow(/two capabilities upload \/opt\/a/);
    expect(() => gitlabSecretFilesOf([{ name: "a", gitlabSecretFiles: [{ path: "rel", content: "x" }] }])).toThrow(
      /not an absolute path/,
    );
    expect(() =>
      stackPartsOf([
        { name: "a", outputs: { x: 1 } },
        { name: "b", outputs: { x: 2 } },
      ]),
    ).toThrow(/output x/);
    expect(
      stackPartsOf([
        { name: "a", outputs: { x: 1 } },
        { name: "b", outputs: { y: 2 } },
      ]).outputs,
    ).toEqual({
      x: 1,
      y: 2,
    });
  });
});
