/**
 * gitlab.tls, gitlab.letsencryptEmail and dns.zoneId: what each combination resolves to, every
 * contradiction refused with its key and the reason, and the warnings a valid one still gets.
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig, type ParseResult } from "../../infra/config/parse";
import type { StackConfig } from "../../infra/config/types";
import { stackWarnings } from "../../infra/config/warnings";

function parse(gitlab: Record<string, unknown>, extra: Record<string, unknown> = {}, local = false): ParseResult {
  const values: Record<string, unknown> = local
    ? { "gitlab-dind:team": "local", "gitlab-dind:target": "local", "gitlab-dind:gitlab": gitlab, ...extra }
    : {
        "aws:region": "eu-central-1",
        "gitlab-dind:team": "dev",
        "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
        "gitlab-dind:gitlab": gitlab,
        ...extra,
      };
  return parseStackConfig({ values });
}

function ok(result: ParseResult): StackConfig {
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.config;
}

function problems(result: ParseResult): readonly string[] {
  if (result.ok) throw new Error("expected problems");
  return result.problems;
}

describe("gitlab.tls resolves", () => {
  it.each([
    ["aws without a URL: the stack CA", {}, false, "selfSigned"],
    [
      "aws with an https:// DNS name: Let's Encrypt",
      { externalUrl: "https://gitlab.example.com" },
      false,
      "letsencrypt",
    ],
    ["aws with an explicit http:// URL: plain HTTP", { externalUrl: "http://gitlab.example.com" }, false, "off"],
    ["aws, off without a URL", { tls: "off" }, false, "off"],
    [
      "aws, selfSigned with an https:// DNS name",
      { tls: "selfSigned", externalUrl: "https://g.example.com" },
      false,
      "selfSigned",
    ],
    ["local: plain HTTP on localhost", {}, true, "off"],
    ["local, off", { tls: "off" }, true, "off"],
  ] as const)("%s", (_what, gitlab, local, mode) => {
    const config = ok(parse(gitlab, {}, local));
    expect(config.gitlab.tlsMode).toBe(mode);
    expect(config.gitlab.tls).toBe((gitlab as { tls?: string }).tls ?? "auto");
  });

  it("defaults dns.zoneId and gitlab.letsencryptEmail to unset, and reads them", () => {
    const plain = ok(parse({}));
    expect(plain.dns.zoneId).toBeUndefined();
    expect(plain.gitlab.letsencryptEmail).toBeUndefined();
    const le = ok(
      parse(
        { externalUrl: "https://gitlab.example.com", letsencryptEmail: "ops@example.com" },
        { "gitlab-dind:dns": { zoneId: "Z0123456789ABCDEFGHIJ" } },
      ),
    );
    expect(le.dns.zoneId).toBe("Z0123456789ABCDEFGHIJ");
    expect(le.gitlab.letsencryptEmail).toBe("ops@example.com");
  });
});

describe("contradictions are refused, each with its key and why", () => {
  it.each([
    [
      "letsencrypt without a URL",
      { tls: "letsencrypt" },
      {},
      /gitlab-dind:gitlab\.tls: letsencrypt needs an https:\/\/ gitlab\.externalUrl with a DNS name .* gitlab\.externalUrl is unset/,
    ],
    [
      "letsencrypt with an http:// URL",
      { tls: "letsencrypt", externalUrl: "http://gitlab.example.com" },
      {},
      /gitlab-dind:gitlab\.tls: letsencrypt needs an https:\/\/ gitlab\.externalUrl/,
    ],
    [
      "Let's Encrypt for an IP address",
      { externalUrl: "https://198.51.100.7" },
      {},
      /gitlab-dind:gitlab\.externalUrl: expected an https:\/\/ URL with a DNS name \(Let's Encrypt cannot name an IP address/,
    ],
    [
      "off with an https:// URL",
      { tls: "off", externalUrl: "https://gitlab.example.com" },
      {},
      /gitlab-dind:gitlab\.tls: off contradicts the https:\/\/ gitlab\.externalUrl/,
    ],
    [
      "selfSigned with an http:// URL",
      { tls: "selfSigned", externalUrl: "http://gitlab.example.com" },
      {},
      /gitlab-dind:gitlab\.tls: selfSigned contradicts the http:\/\/ gitlab\.externalUrl/,
    ],
    [
      "an https:// URL with httpPort 8080 (the challenge needs 80)",
      { externalUrl: "https://gitlab.example.com", httpPort: 8080 },
      {},
      /gitlab-dind:gitlab\.httpPort: expected 80 with an https:\/\/ gitlab\.externalUrl on aws \(.*HTTP-01 challenge, which only ever comes to port 80\); got 8080/,
    ],
    [
      "a Let's Encrypt address without Let's Encrypt",
      { letsencryptEmail: "ops@example.com" },
      {},
      /gitlab-dind:gitlab\.letsencryptEmail: only used with Let's Encrypt .* a certificate from the stack CA here; unset it/,
    ],
    [
      "dns.zoneId without an https:// DNS name",
      {},
      { "gitlab-dind:dns": { zoneId: "Z0123456789ABCDEFGHIJ" } },
      /gitlab-dind:dns\.zoneId: the stack creates the A record of gitlab\.externalUrl's host in this zone, so it needs an https:\/\/ gitlab\.externalUrl with a DNS name; gitlab\.externalUrl is unset/,
    ],
    [
      "a malformed zone id",
      { externalUrl: "https://gitlab.example.com" },
      { "gitlab-dind:dns": { zoneId: "example.com" } },
      /gitlab-dind:dns\.zoneId: expected a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ; got "example\.com"/,
    ],
    [
      "an unknown mode",
      { tls: "yes" },
      {},
      /gitlab-dind:gitlab\.tls: expected one of auto, letsencrypt, selfSigned, off; got "yes"/,
    ],
  ] as const)("%s", (_what, gitlab, extra, message) => {
    const found = problems(parse(gitlab, extra));
    expect(
      found.some((p) => message.test(p)),
      found.join("\n"),
    ).toBe(true);
  });

  it("refuses selfSigned and letsencrypt on local, explaining why", () => {
    for (const tls of ["selfSigned", "letsencrypt"]) {
      expect(problems(parse({ tls }, {}, true))).toEqual([
        `gitlab-dind:gitlab.tls: expected auto or off on the local target (GitLab stays at http://localhost:<httpPort>; nothing leaves this machine, and Let's Encrypt cannot reach it); got "${tls}"`,
      ]);
    }
  });

  it("reports every TLS problem at once", () => {
    const found = problems(
      parse({ tls: "off", externalUrl: "https://gitlab.example.com", httpPort: 8080, letsencryptEmail: "x@y.z" }),
    );
    expect(found.filter((p) => p.includes("gitlab.httpPort"))).toHaveLength(1);
    expect(found.filter((p) => p.includes("gitlab.tls: off contradicts"))).toHaveLength(1);
  });
});

describe("warnings", () => {
  it("an explicit http:// URL: one line naming gitlab.externalUrl and saying the traffic is plain HTTP", () => {
    const warnings = stackWarnings(ok(parse({ externalUrl: "http://gitlab.example.com" })));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^gitlab-dind:gitlab\.externalUrl is "http:\/\/gitlab\.example\.com": GitLab's traffic is plain HTTP/,
    );
    expect(warnings[0]).not.toContain("\n");
  });

  it("gitlab.tls off without a URL names gitlab.tls", () => {
    expect(stackWarnings(ok(parse({ tls: "off" })))[0]).toMatch(
      /^gitlab-dind:gitlab\.tls is "off": GitLab's traffic is plain HTTP/,
    );
  });

  it("Let's Encrypt with webCidrs that do not include the internet says port 80 must be reachable", () => {
    const config = ok(
      parse(
        { externalUrl: "https://gitlab.example.com" },
        {
          "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"], webCidrs: ["198.51.100.0/24"] },
          "gitlab-dind:dns": { zoneId: "Z0123456789ABCDEFGHIJ" },
        },
      ),
    );
    expect(stackWarnings(config)).toEqual([
      expect.stringMatching(
        /^gitlab-dind:network\.webCidrs does not include 0\.0\.0\.0\/0: Let's Encrypt's HTTP-01 challenge/,
      ),
    ]);
  });

  it("Let's Encrypt without dns.zoneId: one line saying the A record is the user's job before `pulumi up` waits for it", () => {
    const warnings = stackWarnings(ok(parse({ externalUrl: "https://gitlab.example.com" })));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^gitlab-dind:dns\.zoneId is not set with the Let's Encrypt URL https:\/\/gitlab\.example\.com: the A record of gitlab\.example\.com is yours to create, pointing at the stack's Elastic IP/,
      ),
    ]);
    expect(warnings[0]).toContain("before `pulumi up` waits for the name to resolve");
  });

  it("none for the defaults, Let's Encrypt open to the internet with its zone, or local", () => {
    expect(stackWarnings(ok(parse({})))).toEqual([]);
    expect(
      stackWarnings(
        ok(
          parse(
            { externalUrl: "https://gitlab.example.com" },
            { "gitlab-dind:dns": { zoneId: "Z0123456789ABCDEFGHIJ" } },
          ),
        ),
      ),
    ).toEqual([]);
    expect(stackWarnings(ok(parse({}, {}, true)))).toEqual([]);
  });
});

describe("the registry from autoscaled workers", () => {
  const narrowed = { adminCidrs: ["203.0.113.0/24"], webCidrs: ["198.51.100.0/24"] };
  const workers = { autoscaler: { enabled: true } };
  const warningsFor = (gitlab: Record<string, unknown>, network: Record<string, unknown>, runner = workers) =>
    stackWarnings(ok(parse(gitlab, { "gitlab-dind:network": network, "gitlab-dind:runner": runner })));

  it("GitLab at its Elastic IP with narrowed webCidrs: one line naming the keys and the error jobs would see", () => {
    const warnings = warningsFor({}, narrowed);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^gitlab-dind:network\.webCidrs does not include 0\.0\.0\.0\/0, and GitLab is at an IP address \(gitlab-dind:gitlab\.externalUrl unset\): jobs get \$CI_REGISTRY = <Elastic IP>:4567, and jobs run on autoscaled workers \(gitlab-dind:runner\.autoscaler\.enabled\)/,
    );
    expect(warnings[0]).toContain('"dial tcp <Elastic IP>:4567: i/o timeout"');
    expect(warnings[0]).toContain("gitlab.registryPort: 0");
    expect(warnings[0]).not.toContain("\n");
    // An explicit IP URL (plain HTTP: Let's Encrypt cannot name an IP) names it, after the HTTP warning.
    const explicit = warningsFor({ externalUrl: "http://198.51.100.7", registryPort: 5050 }, narrowed);
    expect(explicit).toHaveLength(2);
    expect(explicit[1]).toContain('(gitlab-dind:gitlab.externalUrl "http://198.51.100.7")');
    expect(explicit[1]).toContain('"dial tcp 198.51.100.7:5050: i/o timeout"');
  });

  it("says nothing when jobs have a path: webCidrs open, a DNS name, no registry", () => {
    expect(warningsFor({}, { adminCidrs: ["203.0.113.0/24"] })).toEqual([]);
    expect(warningsFor({ externalUrl: "https://gitlab.example.com", tls: "selfSigned" }, narrowed)).toEqual([]);
    expect(warningsFor({ registryPort: 0 }, narrowed)).toEqual([]);
  });

  it("jobs on the host too: they reach the Elastic IP through the internet gateway, from the Elastic IP itself", () => {
    const warnings = warningsFor({}, narrowed, { autoscaler: { enabled: false } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      "jobs on the host reach it through the internet gateway, arriving from the Elastic IP itself",
    );
    expect(warnings[0]).toContain("(or add the Elastic IP, output publicIp, as a /32)");
  });
});
