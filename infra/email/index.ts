/**
 * Email: GitLab's outgoing mail as a contribution (infra/contributions.ts), from `email.*`.
 *
 * - `ses` (aws): SES in the stack's region (SesSender), gitlab.rb pointed at its SMTP endpoint on
 *   587 with STARTTLS, the user name and password from root-only files.
 * - `smtp`: any relay, the same settings with the configured host, port and user; the password
 *   from a root-only file.
 * - `mailpit` (local): a Mailpit container catching every mail (Mailpit), no sign-in, no TLS.
 *
 * Off (`email.enabled` false): an empty contribution.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Contribution } from "../contributions";
import type { StackConfig } from "../config/types";
import type { HostBuild } from "../host";
import type { Naming } from "../naming";
import { emailDomain } from "./address";
import { Mailpit, MAILPIT_HOST_SMTP_PORT, MAILPIT_SMTP_HOST } from "./mailpit";
import { SesSender } from "./ses-sender";
import { sesSmtpEndpoint } from "./ses-regions";
import { SMTP_PASSWORD_PATH, SMTP_USER_NAME_PATH, securityForPort, smtpSettings } from "./smtp-settings";

export { EMAIL_MANAGED_KEYS } from "./smtp-settings";
export { MAILPIT_IMAGE } from "./mailpit";

/** The SES SMTP port: STARTTLS (omnibus doc/settings/smtp.md, "Using STARTTLS"). */
export const SES_SMTP_PORT = 587;

export function email(config: StackConfig, names: Naming, host: HostBuild): Contribution {
  const settings = config.email;
  if (!settings.enabled) return { name: "email" };
  const from = settings.from;
  if (from === undefined) throw new Error("email: email.enabled without a sender (the config resolves one)");
  const domain = emailDomain(from);

  switch (settings.provider) {
    case "ses": {
      if (host.aws === undefined || config.awsRegion === undefined) {
        throw new Error("email: email.provider ses needs the aws target (the config refuses it elsewhere)");
      }
      const ses = new SesSender("email-ses", {
        domain,
        from,
        existingIdentity: settings.sesExistingIdentity,
        externalHost: config.gitlab.externalUrl === undefined ? undefined : new URL(config.gitlab.externalUrl).hostname,
        zoneId: config.dns.zoneId,
        provider: host.aws.provider,
        names,
      });
      return {
        name: "email",
        gitlabRb: smtpSettings({
          address: sesSmtpEndpoint(config.awsRegion),
          port: SES_SMTP_PORT,
          security: "starttls",
          login: { userName: { fileContents: SMTP_USER_NAME_PATH }, passwordFile: SMTP_PASSWORD_PATH },
          from,
          domain,
        }),
        gitlabSecretFiles: [
          { path: SMTP_USER_NAME_PATH, content: ses.smtpUserName },
          { path: SMTP_PASSWORD_PATH, content: ses.smtpPassword },
        ],
        outputs: {
          emailProvider: "ses",
          emailFrom: from,
          // Where smoke's email check runs its command through SSM (tools/smoke/email.ts).
          emailRegion: config.awsRegion,
          emailSesDomain: domain,
          // The records to add where the domain's DNS is (no dns.zoneId); none when the stack wrote them.
          ...(settings.sesExistingIdentity || config.dns.zoneId !== undefined
            ? {}
            : { emailDnsRecords: ses.dnsRecords }),
        },
      };
    }
    case "smtp": {
      const { smtpHost, smtpUser, smtpPassword } = settings;
      if (smtpHost === undefined || smtpUser === undefined || smtpPassword === undefined) {
        throw new Error("email: email.provider smtp without its relay settings (the config refuses that)");
      }
      return {
        name: "email",
        gitlabRb: smtpSettings({
          address: smtpHost,
          port: settings.smtpPort,
          security: securityForPort(settings.smtpPort),
          login: { userName: smtpUser, passwordFile: SMTP_PASSWORD_PATH },
          from,
          domain,
        }),
        gitlabSecretFiles: [{ path: SMTP_PASSWORD_PATH, content: pulumi.secret(smtpPassword.reveal()) }],
        outputs: {
          emailProvider: "smtp",
          emailFrom: from,
          ...(config.awsRegion === undefined ? {} : { emailRegion: config.awsRegion }),
        },
      };
    }
    case "mailpit": {
      const mailpit = new Mailpit("mailpit", { host: host.host, names });
      return {
        name: "email",
        gitlabRb: smtpSettings({
          address: MAILPIT_SMTP_HOST,
          port: MAILPIT_HOST_SMTP_PORT,
          security: "none",
          from,
          domain,
        }),
        gitlabHostGatewayNames: [MAILPIT_SMTP_HOST],
        outputs: { emailProvider: "mailpit", emailFrom: from, mailpitUrl: mailpit.url },
      };
    }
  }
}
