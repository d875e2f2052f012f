/**
 * The SES SMTP user's rights, measured with the IAM policy evaluator (`@cloud-copilot/iam-simulate`)
 * on the policy the program plans (Pulumi.dev-letsencrypt.yaml with email on): it may send through
 * SES (SMTP performs `ses:SendRawEmail`) from its own identity as GitLab's sender, and nothing else:
 * not as another sender of the domain, not from another identity, no other SES action, no IAM, no S3.
 */
import { createRequire } from "node:module";
import type * as IamSimulate from "@cloud-copilot/iam-simulate";
import { beforeAll, describe, expect, it } from "vitest";
import { planStack } from "../support/stack-plans";

const cjs = createRequire(__filename);
const { runSimulation } = cjs("@cloud-copilot/iam-simulate") as typeof IamSimulate;

const ACCOUNT = "123456789012";
const REGION = "eu-central-1";
const DOMAIN = "gitlab.dev.example.com";
const FROM = `gitlab@${DOMAIN}`;
const IDENTITY = `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${DOMAIN}`;

/** Stands for the user's own ARN in the table below (known once the plan ran). */
const USER_PLACEHOLDER = "<the user itself>";

let userArn: string;
let policies: { name: string; policy: unknown }[];

beforeAll(async () => {
  const plan = await planStack("dev-letsencrypt", { "gitlab-dind:email": { enabled: true } });
  const users = plan.resources.filter((r) => r.type === "aws:iam/user:User");
  expect(users).toHaveLength(1);
  userArn = `arn:aws:iam::${ACCOUNT}:user${String(users[0].inputs.path)}${String(users[0].inputs.name)}`;
  // Every policy attached to the user: its inline ones, and no managed policy attachment exists.
  expect(plan.resources.filter((r) => r.type.startsWith("aws:iam/userPolicyAttachment"))).toEqual([]);
  expect(plan.resources.filter((r) => r.type.startsWith("aws:iam/policyAttachment"))).toEqual([]);
  policies = plan.resources
    .filter((r) => r.type === "aws:iam/userPolicy:UserPolicy" && r.inputs.user === users[0].inputs.name)
    .map((r) => ({ name: r.name, policy: JSON.parse(String(r.inputs.policy)) as unknown }));
  expect(policies).toHaveLength(1);
});

async function decide(action: string, resource: string, context: Record<string, string> = {}): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: userArn,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { "aws:SecureTransport": "true", "aws:PrincipalArn": userArn, ...context },
      },
      identityPolicies: policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: undefined,
    },
    {},
  );
  if (result.resultType === "error")
    throw new Error(`the evaluator refused ${action}: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== "single") throw new Error(`${action}: expected one resource, got ${result.resultType}`);
  return result.overallResult;
}

describe("the SES SMTP user", () => {
  it("may send from its identity as GitLab's sender", async () => {
    expect(await decide("ses:SendRawEmail", IDENTITY, { "ses:FromAddress": FROM })).toBe("Allowed");
  });

  it.each([
    ["as another sender of the same domain", "ses:SendRawEmail", IDENTITY, { "ses:FromAddress": `ceo@${DOMAIN}` }],
    [
      "from another identity",
      "ses:SendRawEmail",
      `arn:aws:ses:${REGION}:${ACCOUNT}:identity/example.org`,
      { "ses:FromAddress": "gitlab@example.org" },
    ],
    ["through SES's other send action", "ses:SendEmail", IDENTITY, { "ses:FromAddress": FROM }],
    ["an identity of its own", "ses:VerifyDomainIdentity", "*", {}],
    ["on identities (deleting one)", "ses:DeleteIdentity", "*", {}],
    ["a new key for itself", "iam:CreateAccessKey", USER_PLACEHOLDER, {}],
    ["any bucket", "s3:ListAllMyBuckets", "*", {}],
  ])("may not send or act %s", async (_what, action, resource, context) => {
    const resolved = resource === USER_PLACEHOLDER ? userArn : resource;
    expect(await decide(action, resolved, context)).toBe("ImplicitlyDenied");
  });
});
