/**
 * Email in the offline plan (the real program under the recording mocks): an AWS stack with SES
 * (identity, DKIM records in the zone, the sending-only IAM user, gitlab.rb's SMTP settings with the
 * user name and password read from root-only files), SES without a zone (the records an output),
 * an identity of someone else's (read, never created), an SMTP relay, and the local Mailpit.
 */
import { describe, expect, it } from "vitest";
import { planStack, stackConfig } from "../support/stack-plans";
import { runPlan } from "../../tools/plan/run-plan";
import type { Plan, PlannedResource } from "../../tools/plan/run-plan";
import { MAILPIT_IMAGE } from "../../infra/email";
import { SMTP_PASSWORD_PATH, SMTP_USER_NAME_PATH } from "../../infra/email/smtp-settings";

const ON = { "gitlab-dind:email": { enabled: true } };

const of = (plan: Plan, type: string): PlannedResource[] => plan.resources.filter((r) => r.type === type);
const rbLines = (plan: Plan, prefix: string): string[] =>
  plan.files["gitlab.rb"].split("\n").filter((l) => l.startsWith(prefix));

describe("email through SES on aws", () => {
  it("verifies the sending domain with DKIM records in the zone, and a sending-only IAM user whose key GitLab reads from files", async () => {
    // dev-letsencrypt: https://gitlab.dev.example.com, dns.zoneId Z0123456789ABCDEFGHIJ, eu-central-1.
    const plan = await planStack("dev-letsencrypt", ON);
    const [identity] = of(plan, "aws:ses/domainIdentity:DomainIdentity");
    expect(identity.inputs.domain).toBe("gitlab.dev.example.com");
    expect(identity.options?.provider).toBe("dev-letsencrypt-host-aws");
    expect(of(plan, "aws:ses/domainDkim:DomainDkim")).toHaveLength(1);
    // Kept on destroy: another stack or team may send from the same domain.
    expect(identity.options?.retainOnDelete).toBe(true);
    expect(of(plan, "aws:ses/domainDkim:DomainDkim")[0].options?.retainOnDelete).toBe(true);

    const records = of(plan, "aws:route53/record:Record").filter((r) => r.name.startsWith("email-ses-"));
    expect(records.map((r) => [r.inputs.type, r.inputs.name, r.inputs.records, r.inputs.zoneId])).toEqual([
      ...["a", "b", "c"].map((t) => [
        "CNAME",
        `dkimtoken${t}1b2c3d4e5f6a7b8c9d0e1f2a3._domainkey.gitlab.dev.example.com`,
        [`dkimtoken${t}1b2c3d4e5f6a7b8c9d0e1f2a3.dkim.amazonses.com`],
        "Z0123456789ABCDEFGHIJ",
      ]),
      ["TXT", "_dmarc.gitlab.dev.example.com", ["v=DMARC1; p=none;"], "Z0123456789ABCDEFGHIJ"],
    ]);
    // The DKIM CNAMEs stay with the kept identity (and a stack made again overwrites them with the same
    // values); the DMARC record of GitLab's own host goes with the stack.
    expect(records.map((r) => [r.options?.retainOnDelete, r.inputs.allowOverwrite])).toEqual([
      [true, true],
      [true, true],
      [true, true],
      [false, undefined],
    ]);

    const [user] = of(plan, "aws:iam/user:User");
    expect(user.inputs.name).toBe("dev-letsencrypt-ses-smtp");
    const [policy] = of(plan, "aws:iam/userPolicy:UserPolicy");
    expect(JSON.parse(String(policy.inputs.policy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "SendAsGitLabOnly",
          Effect: "Allow",
          Action: ["ses:SendRawEmail"],
          Resource: "arn:aws:ses:eu-central-1:123456789012:identity/gitlab.dev.example.com",
          Condition: { StringEquals: { "ses:FromAddress": "gitlab@gitlab.dev.example.com" } },
        },
      ],
    });
    expect(of(plan, "aws:iam/accessKey:AccessKey").map((k) => k.inputs.user)).toEqual(["dev-letsencrypt-ses-smtp"]);

    expect(rbLines(plan, "gitlab_rails['smtp_").concat(rbLines(plan, "gitlab_rails['gitlab_email"))).toEqual([
      "gitlab_rails['smtp_enable'] = true",
      "gitlab_rails['smtp_address'] = 'email-smtp.eu-central-1.amazonaws.com'",
      "gitlab_rails['smtp_port'] = 587",
      "gitlab_rails['smtp_domain'] = 'gitlab.dev.example.com'",
      `gitlab_rails['smtp_user_name'] = File.read('${SMTP_USER_NAME_PATH}').chomp`,
      `gitlab_rails['smtp_password'] = File.read('${SMTP_PASSWORD_PATH}').chomp`,
      "gitlab_rails['smtp_authentication'] = 'login'",
      "gitlab_rails['smtp_enable_starttls_auto'] = true",
      "gitlab_rails['smtp_tls'] = false",
      "gitlab_rails['smtp_openssl_verify_mode'] = 'peer'",
      "gitlab_rails['gitlab_email_from'] = 'gitlab@gitlab.dev.example.com'",
      "gitlab_rails['gitlab_email_reply_to'] = 'noreply@gitlab.dev.example.com'",
    ]);
    // Neither the key id nor the password is anywhere in the plan's text: files, outputs.
    const everything = JSON.stringify([plan.files, plan.outputs]);
    expect(everything).not.toContain("email-ses-key-id");
    expect(everything).not.toContain("[ses smtp password]");
    expect(plan.outputs).toMatchObject({ emailProvider: "ses", emailSesDomain: "gitlab.dev.example.com" });
    expect(plan.outputs).not.toHaveProperty("emailDnsRecords");
    // The files reach the container as secret uploads.
    const gitlab = plan.resources.find((r) => r.type === "docker:index/container:Container" && r.name === "gitlab");
    expect(gitlab?.inputs.uploads).toBe("[secret]");
  });

  it("publishes no DMARC for a sending domain above GitLab's host (a company's apex)", async () => {
    const plan = await planStack("dev-letsencrypt", {
      "gitlab-dind:email": { enabled: true, from: "gitlab@dev.example.com" },
    });
    const records = of(plan, "aws:route53/record:Record").filter((r) => r.name.startsWith("email-ses-"));
    expect(records.map((r) => r.inputs.type)).toEqual(["CNAME", "CNAME", "CNAME"]);
    expect(records.map((r) => String(r.inputs.name))).not.toContain("_dmarc.dev.example.com");
  });

  it("without a zone lists the DKIM records as an output (no DMARC for example.com) and creates none", async () => {
    const plan = await planStack("dev", { "gitlab-dind:email": { enabled: true, from: "gitlab@example.com" } });
    expect(of(plan, "aws:route53/record:Record")).toEqual([]);
    expect(of(plan, "aws:ses/domainIdentity:DomainIdentity").map((r) => r.inputs.domain)).toEqual(["example.com"]);
    expect(plan.outputs.emailDnsRecords).toEqual([
      ...["a", "b", "c"].map((t) => ({
        name: `dkimtoken${t}1b2c3d4e5f6a7b8c9d0e1f2a3._domainkey.example.com`,
        type: "CNAME",
        value: `dkimtoken${t}1b2c3d4e5f6a7b8c9d0e1f2a3.dkim.amazonses.com`,
      })),
    ]);
  });

  it("uses an identity that already exists without creating, changing or deleting it", async () => {
    const plan = await planStack("dev-letsencrypt", {
      "gitlab-dind:email": { enabled: true, from: "gitlab@example.com", sesExistingIdentity: true },
    });
    expect(of(plan, "aws:ses/domainIdentity:DomainIdentity")).toEqual([]);
    expect(of(plan, "aws:ses/domainDkim:DomainDkim")).toEqual([]);
    expect(of(plan, "aws:route53/record:Record").filter((r) => r.name.startsWith("email-"))).toEqual([]);
    const [policy] = of(plan, "aws:iam/userPolicy:UserPolicy");
    expect(String(policy.inputs.policy)).toContain("arn:aws:ses:eu-central-1:123456789012:identity/example.com");
    expect(plan.outputs).not.toHaveProperty("emailDnsRecords");
  });
});

describe("email through an SMTP relay", () => {
  it("signs in as the configured user with the password from a root-only file", async () => {
    const config = stackConfig(
      "dev",
      {
        "gitlab-dind:email": {
          enabled: true,
          provider: "smtp",
          from: "gitlab@example.com",
          smtpHost: "smtp.example.com",
          smtpPort: 465,
          smtpUser: "relay-user",
        },
        "gitlab-dind:email.smtpPassword": "Relay-Passw0rd-Never-Shown",
      },
      ["gitlab-dind:email.smtpPassword"],
    );
    const plan = await runPlan("gitlab-dind", "dev", config);
    expect(of(plan, "aws:iam/user:User")).toEqual([]);
    const rb = plan.files["gitlab.rb"];
    expect(rb).toContain("gitlab_rails['smtp_address'] = 'smtp.example.com'");
    expect(rb).toContain("gitlab_rails['smtp_port'] = 465");
    expect(rb).toContain("gitlab_rails['smtp_user_name'] = 'relay-user'");
    expect(rb).toContain(`gitlab_rails['smtp_password'] = File.read('${SMTP_PASSWORD_PATH}').chomp`);
    // 465 is implicit TLS: omnibus refuses smtp_tls together with STARTTLS.
    expect(rb).toContain("gitlab_rails['smtp_tls'] = true");
    expect(rb).toContain("gitlab_rails['smtp_enable_starttls_auto'] = false");
    expect(JSON.stringify([plan.files, plan.outputs, plan.resources])).not.toContain("Relay-Passw0rd-Never-Shown");
  });
});

describe("email on the local stack", () => {
  it("runs a pinned Mailpit with its page on loopback and its SMTP on the bridge gateway, which GitLab reaches by name", async () => {
    const plan = await planStack("local", ON);
    const mailpit = plan.resources.find((r) => r.type === "docker:index/container:Container" && r.name === "mailpit");
    expect(mailpit?.inputs).toMatchObject({
      name: "local-mailpit",
      restart: "always",
      ports: [
        { internal: 8025, external: 8025, ip: "127.0.0.1" },
        { internal: 1025, external: 1025, ip: "172.17.0.1" },
      ],
    });
    const image = plan.resources.find(
      (r) => r.type === "docker:index/remoteImage:RemoteImage" && r.name === "mailpit-image",
    );
    expect(image?.inputs.name).toBe(MAILPIT_IMAGE);
    expect(MAILPIT_IMAGE).toMatch(/^axllent\/mailpit:v\d+\.\d+\.\d+$/);
    expect(mailpit?.options?.provider).toBe("local-host-docker");

    const gitlab = plan.resources.find((r) => r.type === "docker:index/container:Container" && r.name === "gitlab");
    expect(gitlab?.inputs.hosts).toEqual([{ host: "host.docker.internal", ip: "host-gateway" }]);
    const rb = plan.files["gitlab.rb"];
    expect(rb).toContain("gitlab_rails['smtp_address'] = 'host.docker.internal'");
    expect(rb).toContain("gitlab_rails['smtp_port'] = 1025");
    expect(rb).toContain("gitlab_rails['smtp_enable_starttls_auto'] = false");
    expect(rb).toContain("gitlab_rails['gitlab_email_from'] = 'gitlab@localhost'");
    expect(rb).not.toContain("smtp_authentication");
    expect(rb).not.toContain("smtp_password");
    expect(plan.outputs).toMatchObject({ emailProvider: "mailpit", mailpitUrl: "http://127.0.0.1:8025" });
  });

  it("adds nothing when email is off: no Mailpit, no SMTP settings, GitLab's container unchanged", async () => {
    const plan = await planStack("local");
    expect(plan.resources.filter((r) => r.name.startsWith("mailpit"))).toEqual([]);
    expect(plan.files["gitlab.rb"]).not.toContain("smtp_");
    const gitlab = plan.resources.find((r) => r.type === "docker:index/container:Container" && r.name === "gitlab");
    expect(gitlab?.inputs).not.toHaveProperty("hosts");
    expect(Object.keys(plan.outputs).filter((k) => k.startsWith("email") || k.startsWith("mailpit"))).toEqual([]);
  });
});
