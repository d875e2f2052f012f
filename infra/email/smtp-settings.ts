/**
 * GitLab's SMTP settings as typed gitlab.rb lines (never text). Pure.
 *
 * Every key is read by omnibus 19.3.0+ce.0: `files/gitlab-cookbooks/gitlab/attributes/default.rb`
 * declares `smtp_enable`, `smtp_address`, `smtp_port`, `smtp_user_name`, `smtp_password`,
 * `smtp_domain`, `smtp_authentication`, `smtp_enable_starttls_auto`, `smtp_tls`,
 * `smtp_openssl_verify_mode` and `gitlab_email_from`; `templates/default/smtp_settings.rb.erb`
 * writes them into ActionMailer's settings, and `gitlab.rb.template` ("GitLab email server
 * settings", "Email Settings") documents them with `gitlab_email_reply_to`. `libraries/smtp_helper.rb`
 * refuses `smtp_tls` together with `smtp_enable_starttls_auto`, and takes `smtp_authentication`
 * unset as "no authentication". The SES example is `doc/settings/smtp.md` ("Amazon Simple Email
 * Service (AWS SES)", STARTTLS on 587, authentication "login").
 */
import type { FileContents, GitLabRbSetting, RubyValue } from "../gitlab/gitlab-rb";

/** The root-only files GitLab's container holds for the email capability (`gitlabSecretFiles`). */
export const SMTP_PASSWORD_PATH = "/opt/gitlab-dind/email/smtp-password";
/** SES's SMTP user name is the access key id, known only once the key exists: a file too (never in an output). */
export const SMTP_USER_NAME_PATH = "/opt/gitlab-dind/email/smtp-user-name";

/**
 * Every gitlab.rb path the email capability manages when `email.enabled`: `gitlab_rails[<key>]`.
 * `gitlab.omnibus` must refuse these (with `email.*` as the keys to use instead). The ones this
 * renderer never writes are here too (`smtp_ssl`, `smtp_pool`, `smtp_ca_file`, …): set by hand next
 * to ours they would change how the managed connection behaves.
 */
export const EMAIL_MANAGED_KEYS: readonly (readonly ["gitlab_rails", string])[] = [
  "smtp_enable",
  "smtp_address",
  "smtp_port",
  "smtp_user_name",
  "smtp_password",
  "smtp_domain",
  "smtp_authentication",
  "smtp_enable_starttls_auto",
  "smtp_tls",
  "smtp_ssl",
  "smtp_force_ssl",
  "smtp_openssl_verify_mode",
  "smtp_ca_path",
  "smtp_ca_file",
  "smtp_pool",
  "smtp_open_timeout",
  "smtp_read_timeout",
  "gitlab_email_enabled",
  "gitlab_email_from",
  "gitlab_email_reply_to",
].map((key) => ["gitlab_rails", key] as const);

/** How the connection is secured: STARTTLS (587), implicit TLS (465), or none (the local Mailpit). */
export type SmtpSecurity = "starttls" | "tls" | "none";

export interface SmtpSettingsInput {
  /** The relay's host name (or `host.docker.internal` for the local Mailpit). */
  readonly address: string;
  readonly port: number;
  readonly security: SmtpSecurity;
  /** Sign-in, or undefined for a relay that takes mail without it (Mailpit). */
  readonly login?: {
    /** The user name as text (a relay account), or a root-only file (SES: the access key id). */
    readonly userName: string | FileContents;
    /** Always a root-only file: the password is never in gitlab.rb's text. */
    readonly passwordFile: string;
  };
  /** GitLab's sender (`gitlab_email_from`). */
  readonly from: string;
  /** The HELO domain and the reply-to's domain: the sender's. */
  readonly domain: string;
}

/** The gitlab.rb lines for GitLab to send through `input`'s relay. */
export function smtpSettings(input: SmtpSettingsInput): GitLabRbSetting[] {
  const rails = (key: string, value: RubyValue, comment?: string): GitLabRbSetting => ({
    kind: "assign",
    scope: "gitlab_rails",
    key,
    value,
    ...(comment === undefined ? {} : { comment }),
  });
  const settings: GitLabRbSetting[] = [
    rails("smtp_enable", true, "Outgoing email (gitlab-dind:email.*), through SMTP."),
    rails("smtp_address", input.address),
    rails("smtp_port", input.port),
    rails("smtp_domain", input.domain),
  ];
  if (input.login !== undefined) {
    settings.push(
      rails("smtp_user_name", input.login.userName),
      rails("smtp_password", { fileContents: input.login.passwordFile }),
      rails("smtp_authentication", "login"),
    );
  }
  switch (input.security) {
    case "starttls":
      // STARTTLS, and the relay's certificate checked against the system's CAs.
      settings.push(
        rails("smtp_enable_starttls_auto", true),
        rails("smtp_tls", false),
        rails("smtp_openssl_verify_mode", "peer"),
      );
      break;
    case "tls":
      settings.push(
        rails("smtp_enable_starttls_auto", false),
        rails("smtp_tls", true),
        rails("smtp_openssl_verify_mode", "peer"),
      );
      break;
    case "none":
      // omnibus doc/settings/smtp.md, "SMTP without SSL".
      settings.push(
        rails("smtp_enable_starttls_auto", false),
        rails("smtp_tls", false),
        rails("smtp_openssl_verify_mode", "none"),
      );
      break;
  }
  settings.push(rails("gitlab_email_from", input.from), rails("gitlab_email_reply_to", `noreply@${input.domain}`));
  return settings;
}

/** STARTTLS on every port but 465, the implicit-TLS port (RFC 8314). */
export function securityForPort(port: number): SmtpSecurity {
  return port === 465 ? "tls" : "starttls";
}
