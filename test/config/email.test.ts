/**
 * email.*: the defaults per target, the sender derived from the external URL, and every
 * contradiction refused at once with its full key (a provider on the wrong target, relay keys
 * without smtp, a missing sender with SES on an IP address, a region without SES SMTP).
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig, type ParseResult } from "../../infra/config/parse";
import { ConfigSecret, type StackConfig } from "../../infra/config/types";
import { SES_SMTP_REGIONS } from "../../infra/email/ses-regions";

interface Options {
  readonly local?: boolean;
  readonly gitlab?: Record<string, unknown>;
  readonly region?: string;
  readonly secrets?: readonly string[];
}

function parse(email: Record<string, unknown>, options: Options = {}): ParseResult {
  const values: Record<string, unknown> = options.local
    ? { "gitlab-dind:team": "local", "gitlab-dind:target": "local" }
    : {
        "aws:region": options.region ?? "eu-central-1",
        "gitlab-dind:team": "dev",
        "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
      };
  if (options.gitlab !== undefined) values["gitlab-dind:gitlab"] = options.gitlab;
  values["gitlab-dind:email"] = email;
  return parseStackConfig({ values, secretKeys: new Set(options.secrets ?? []) });
}

function ok(result: ParseResult): StackConfig {
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.config;
}

function problems(result: ParseResult): readonly string[] {
  if (result.ok) throw new Error("expected problems");
  return result.problems;
}

const LE = { externalUrl: "https://gitlab.example.com" };

describe("email defaults", () => {
  it("is off, with ses on aws and mailpit on local", () => {
    const aws = ok(parse({})).email;
    expect(aws).toMatchObject({ enabled: false, provider: "ses", smtpPort: 587, sesExistingIdentity: false });
    expect(ok(parse({}, { local: true })).email.provider).toBe("mailpit");
  });

  it("sends as gitlab@<the external URL's host> when it is a DNS name, and gitlab@localhost locally", () => {
    expect(ok(parse({ enabled: true }, { gitlab: LE })).email.from).toBe("gitlab@gitlab.example.com");
    expect(ok(parse({ enabled: true }, { local: true })).email.from).toBe("gitlab@localhost");
    expect(ok(parse({ enabled: true, from: "ci@example.com" }, { gitlab: LE })).email.from).toBe("ci@example.com");
  });

  it("takes an smtp relay with its password as a secret", () => {
    const email = ok(
      parse(
        { enabled: true, provider: "smtp", smtpHost: "smtp.example.com", smtpUser: "u", smtpPassword: "pw-123456" },
        { gitlab: LE, secrets: ["gitlab-dind:email"] },
      ),
    ).email;
    expect(email).toMatchObject({ provider: "smtp", smtpHost: "smtp.example.com", smtpPort: 587, smtpUser: "u" });
    expect(email.smtpPassword).toBeInstanceOf(ConfigSecret);
    expect(email.smtpPassword?.reveal()).toBe("pw-123456");
  });
});

describe("email refuses, naming each key", () => {
  it("ses without a sender on the default Elastic IP URL (and on an IP URL)", () => {
    expect(problems(parse({ enabled: true }))).toEqual([
      expect.stringMatching(
        /^gitlab-dind:email\.from: required with email\.provider ses when gitlab\.externalUrl has no DNS name \(gitlab\.externalUrl is unset \(the Elastic IP\)/,
      ),
    ]);
    expect(problems(parse({ enabled: true }, { gitlab: { externalUrl: "http://198.51.100.7" } }))[0]).toContain(
      'gitlab-dind:email.from: required with email.provider ses when gitlab.externalUrl has no DNS name (gitlab.externalUrl is the IP address in "http://198.51.100.7"',
    );
    // Off, nothing is required.
    expect(parse({}).ok).toBe(true);
  });

  it("every problem at once: a provider on the wrong target, relay keys without smtp, a bad address", () => {
    const found = problems(
      parse(
        { enabled: true, provider: "ses", from: "not-an-address", smtpHost: "smtp.example.com", smtpUser: "u" },
        { local: true },
      ),
    );
    expect(found).toEqual([
      'gitlab-dind:email.provider: expected smtp or mailpit on the local target (ses is Amazon SES, for the aws target); got "ses"',
      'gitlab-dind:email.from: expected an email address with a DNS domain, such as gitlab@gitlab.example.com; got "not-an-address"',
    ]);
    const aws = problems(parse({ enabled: true, provider: "mailpit", from: "gitlab@example.com" }, { gitlab: LE }));
    expect(aws).toEqual([
      'gitlab-dind:email.provider: expected ses or smtp on the aws target (mailpit only catches mail on this machine, for the local target); got "mailpit"',
    ]);
    const relayKeys = problems(
      parse(
        { enabled: false, smtpHost: "smtp.example.com", smtpPort: 2525, smtpUser: "u", smtpPassword: "pw-123456" },
        { gitlab: LE, secrets: ["gitlab-dind:email"] },
      ),
    );
    expect(relayKeys).toEqual(
      ["email.smtpHost", "email.smtpPort", "email.smtpUser", "email.smtpPassword"].map(
        (k) =>
          `gitlab-dind:${k}: only used with email.provider smtp (a relay of your own); email.provider is ses: unset it, or set email.provider to smtp`,
      ),
    );
  });

  it("smtp without its relay, and a password in plain text", () => {
    expect(problems(parse({ enabled: true, provider: "smtp" }, { gitlab: LE }))).toEqual([
      "gitlab-dind:email.smtpHost: required with email.provider smtp (the relay GitLab sends through); it is not set",
      "gitlab-dind:email.smtpUser: required with email.provider smtp (the relay GitLab sends through); it is not set",
      "gitlab-dind:email.smtpPassword: required with email.provider smtp (set it with `pulumi config set --secret --path email.smtpPassword …`); it is not set",
    ]);
    const plain = problems(
      parse(
        { enabled: true, provider: "smtp", smtpHost: "smtp.example.com", smtpUser: "u", smtpPassword: "pw-123456" },
        { gitlab: LE },
      ),
    );
    expect(plain[0]).toBe(
      "gitlab-dind:email.smtpPassword: expected a secret (set it with `pulumi config set --secret --path email.smtpPassword …`); got a plain-text value",
    );
    expect(plain.join("\n")).not.toContain("pw-123456");
  });

  it("ses in a region without an SES SMTP endpoint", () => {
    expect(SES_SMTP_REGIONS).not.toContain("eu-west-3");
    expect(problems(parse({ enabled: true }, { gitlab: LE, region: "eu-west-3" }))).toEqual([
      `gitlab-dind:email.provider: ses needs a region with an SES SMTP endpoint (${SES_SMTP_REGIONS.join(", ")}); aws:region is eu-west-3: use email.provider smtp with a relay (or SES in another region, as an smtp relay)`,
    ]);
    expect(
      parse(
        { enabled: true, provider: "smtp", smtpHost: "smtp.example.com", smtpUser: "u", smtpPassword: "pw-123456" },
        { gitlab: LE, region: "eu-west-3", secrets: ["gitlab-dind:email"] },
      ).ok,
    ).toBe(true);
  });

  it("sesExistingIdentity with another provider", () => {
    expect(
      problems(
        parse(
          {
            enabled: true,
            provider: "smtp",
            sesExistingIdentity: true,
            smtpHost: "smtp.example.com",
            smtpUser: "u",
            smtpPassword: "pw-123456",
          },
          { gitlab: LE, secrets: ["gitlab-dind:email"] },
        ),
      ),
    ).toEqual([
      "gitlab-dind:email.sesExistingIdentity: only used with email.provider ses; email.provider is smtp: unset it",
    ]);
  });
});
