/**
 * The rules of `email.*` that involve more than one key, or the target: which provider runs where,
 * which keys go with `smtp`, the sender's default and when it must be given, and the regions with
 * an SES SMTP endpoint. Pure; every problem names its full key.
 */
import { defaultSender } from "../email/address";
import { SES_SMTP_REGIONS } from "../email/ses-regions";
import type { Target } from "./types";

export const EMAIL_PROVIDERS = ["ses", "smtp", "mailpit"] as const;
export type EmailProvider = (typeof EMAIL_PROVIDERS)[number];

const NAMESPACE = "gitlab-dind";
const fullKey = (path: string): string => `${NAMESPACE}:${path}`;

/** The keys that belong to `smtp` alone. */
export const SMTP_ONLY_KEYS = ["email.smtpHost", "email.smtpPort", "email.smtpUser", "email.smtpPassword"] as const;
/** Of those, the ones `smtp` needs (the port has a default). */
const SMTP_REQUIRED_KEYS = ["email.smtpHost", "email.smtpUser", "email.smtpPassword"] as const;

/** `email.provider`'s own rule: a known provider that runs on this target. */
export function checkEmailProvider(value: string, target: Target): string | undefined {
  if (!(EMAIL_PROVIDERS as readonly string[]).includes(value)) return "one of ses, smtp, mailpit";
  if (value === "ses" && target !== "aws")
    return "smtp or mailpit on the local target (ses is Amazon SES, for the aws target)";
  if (value === "mailpit" && target !== "local")
    return "ses or smtp on the aws target (mailpit only catches mail on this machine, for the local target)";
  return undefined;
}

export interface EmailRuleInput {
  readonly target: Target;
  /** `aws:region` (undefined on local). */
  readonly region: string | undefined;
  /** Every key the stack sets. */
  readonly given: ReadonlySet<string>;
  /** Keys whose value was refused already (reported once, not again here). */
  readonly refused: ReadonlySet<string>;
}

/**
 * The cross-key problems of `email.*`, and the sender it resolves: `email.from` as given, else
 * `gitlab@<external URL's host>` for a DNS name. Sets `email.from` in `values` when it derives it.
 */
export function emailProblems(values: Map<string, unknown>, input: EmailRuleInput): string[] {
  const problems: string[] = [];
  const provider = values.get("email.provider") as string;
  const providerKnown = !input.refused.has("email.provider");

  // The relay's keys belong to smtp: elsewhere they would be silently ignored.
  if (providerKnown && provider !== "smtp") {
    for (const key of SMTP_ONLY_KEYS) {
      if (input.given.has(key)) {
        problems.push(
          `${fullKey(key)}: only used with email.provider smtp (a relay of your own); email.provider is ${provider}: unset it, or set email.provider to smtp`,
        );
      }
    }
  }
  if (providerKnown && provider !== "ses" && input.given.has("email.sesExistingIdentity") && input.target === "aws") {
    problems.push(
      `${fullKey("email.sesExistingIdentity")}: only used with email.provider ses; email.provider is ${provider}: unset it`,
    );
  }
  if (values.get("email.enabled") !== true || !providerKnown) return problems;

  if (provider === "smtp") {
    for (const key of SMTP_REQUIRED_KEYS) {
      if (!input.given.has(key)) {
        problems.push(
          `${fullKey(key)}: required with email.provider smtp (${key === "email.smtpPassword" ? "set it with `pulumi config set --secret --path email.smtpPassword …`" : "the relay GitLab sends through"}); it is not set`,
        );
      }
    }
  }

  const externalUrl = values.get("gitlab.externalUrl");
  const host =
    typeof externalUrl === "string" && !input.refused.has("gitlab.externalUrl")
      ? new URL(externalUrl).hostname
      : input.target === "local"
        ? "localhost"
        : undefined;
  if (!input.given.has("email.from")) {
    const derived = defaultSender(host);
    if (derived !== undefined) {
      values.set("email.from", derived);
    } else if (provider === "ses" || provider === "smtp") {
      const url =
        typeof externalUrl === "string" ? `the IP address in ${JSON.stringify(externalUrl)}` : "unset (the Elastic IP)";
      problems.push(
        `${fullKey("email.from")}: required with email.provider ${provider} when gitlab.externalUrl has no DNS name (gitlab.externalUrl is ${url}, and no mail can come from an address at an IP address); set it to an address ${provider === "ses" ? "in the domain SES verifies, such as gitlab@example.com" : "your relay may send as"}`,
      );
    }
  }
  if (provider === "ses" && input.target === "aws" && typeof input.region === "string" && input.region !== "") {
    if (!SES_SMTP_REGIONS.includes(input.region)) {
      problems.push(
        `${fullKey("email.provider")}: ses needs a region with an SES SMTP endpoint (${SES_SMTP_REGIONS.join(", ")}); aws:region is ${input.region}: use email.provider smtp with a relay (or SES in another region, as an smtp relay)`,
      );
    }
  }
  return problems;
}
