/**
 * Issue 20 §6: the stack CA's server certificate (GitLab's and the registry's) is valid for at most
 * 825 days (Apple, HT210176), renewed by `pulumi up` before it expires, its end of validity a plain
 * stack output, and a warning at preview when fewer than 30 days are left. The Docker API's pair
 * keeps its five years (its renewal rebuilds the host).
 */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StackConfig } from "../../infra/config/types";
import { TLS_CERTIFICATE_PATH } from "../../infra/gitlab/gitlab-server";
import { buildStack, type StackBuild } from "../../infra/program";
import { certificateExpiryWarning, EXPIRY_WARNING_DAYS } from "../../infra/tls/expiry";
import {
  APPLE_MAX_SERVER_CERT_DAYS,
  EARLY_RENEWAL_HOURS,
  LEAF_VALIDITY_HOURS,
  SERVER_CERT_EARLY_RENEWAL_HOURS,
} from "../../infra/tls/pki";
import { COMPUTED, RecordingMocks, revealSecrets, valueOf, type ComputedFields } from "../../tools/plan/mocks";
import { runUnderMocks, type UnderMocks } from "../../tools/plan/under-mocks";
import { stackConfig } from "../support/stack-plans";

const CERT = "tls:index/locallySignedCert:LocallySignedCert";
const CONTAINER = "docker:index/container:Container";
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const URN =
  "urn:pulumi:dev::gitlab-dind::gitlab-dind:index:GitLabTls$tls:index/locallySignedCert:LocallySignedCert::gitlab-tls-server-cert";

/** The mocks' certificates, with the dates the TLS provider computes: issued now, ending `daysLeft` from now. */
function certificatesEnding(daysLeft: number): ComputedFields {
  return (inputs, name, ctx) => {
    const now = Date.now();
    return {
      ...COMPUTED[CERT](inputs, name, ctx),
      validityStartTime: new Date(now - (Number(inputs.validityPeriodHours) * HOUR - daysLeft * DAY)).toISOString(),
      validityEndTime: new Date(now + daysLeft * DAY).toISOString(),
    };
  };
}

interface Built {
  readonly run: UnderMocks<StackBuild>;
  /** What the program passed to `pulumi.log.warn`. */
  readonly warnings: readonly unknown[][];
}

async function build(config: StackConfig, daysLeft: number): Promise<Built> {
  const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue(undefined);
  try {
    const mocks = new RecordingMocks({ ...COMPUTED, [CERT]: certificatesEnding(daysLeft) });
    const run = await runUnderMocks(mocks, "gitlab-dind", "dev", () => buildStack(config));
    // The warning's apply runs once the certificate's outputs are known: wait for the output it reads.
    await valueOf(pulumi.output(run.result.outputs.gitlabCertificateExpiry));
    return { run, warnings: [...warn.mock.calls] };
  } finally {
    warn.mockRestore();
  }
}

const certWarnings = (b: Built): string[] =>
  b.warnings.map((args) => String(args[0])).filter((m) => m.includes("TLS certificate (from the stack CA)"));

afterEach(() => {
  vi.restoreAllMocks();
});

describe("validity: Apple's 825 days for GitLab and the registry, the Docker API's pair unchanged", () => {
  it("GitLab's certificate (the one the registry's NGINX serves too) is valid for at most 825 days and renewed before its end", async () => {
    const { run } = await build(stackConfig("dev"), 700);
    const cert = run.mocks.get(CERT, "gitlab-tls-server-cert").inputs;
    expect(cert.validityPeriodHours).toBeLessThanOrEqual(APPLE_MAX_SERVER_CERT_DAYS * 24);
    expect(APPLE_MAX_SERVER_CERT_DAYS).toBe(825);
    expect(cert.validityPeriodHours).toBe(800 * 24);
    // Renewed by `pulumi up` in its last 14 days: after the 30-day warning has had its chance.
    expect(cert.earlyRenewalHours).toBe(SERVER_CERT_EARLY_RENEWAL_HOURS);
    expect(cert.earlyRenewalHours).toBeGreaterThan(0);
    expect(cert.earlyRenewalHours).toBeLessThan(EXPIRY_WARNING_DAYS * 24);
    // One certificate for both: gitlab.rb points GitLab's and the registry's NGINX at the uploaded file.
    const rb = await valueOf(run.result.files["gitlab.rb"]);
    expect(rb).toContain(`gitlab_rails['nginx']['ssl_certificate'] = '${TLS_CERTIFICATE_PATH}'`);
    expect(rb).toContain(`registry['nginx']['ssl_certificate'] = '${TLS_CERTIFICATE_PATH}'`);
    const uploads = revealSecrets(run.mocks.get(CONTAINER, "gitlab").inputs.uploads) as {
      file: string;
      content: unknown;
    }[];
    expect(uploads.find((u) => u.file === TLS_CERTIFICATE_PATH)?.content).toBe(
      "-----BEGIN CERTIFICATE-----\nMOCK-gitlab-tls-server-cert\n-----END CERTIFICATE-----\n",
    );
  });

  it("the Docker API's server and client certificates keep five years, renewed in their last 30 days", async () => {
    const { run } = await build(stackConfig("dev"), 700);
    const docker = run.mocks.ofType(CERT).filter((r) => !r.name.startsWith("gitlab-tls"));
    expect(docker.map((r) => r.name).sort()).toEqual(["dev-host-docker-client-cert", "dev-host-docker-server-cert"]);
    for (const r of docker) {
      expect(r.inputs, r.name).toMatchObject({ validityPeriodHours: 5 * 365 * 24, earlyRenewalHours: 30 * 24 });
    }
    expect(LEAF_VALIDITY_HOURS).toBe(5 * 365 * 24);
    expect(EARLY_RENEWAL_HOURS).toBe(30 * 24);
  });
});

describe("the expiry date, a stack output", () => {
  it("gitlabCertificateExpiry is the certificate's validityEndTime, plain (not secret)", async () => {
    const before = Date.now();
    const { run } = await build(stackConfig("dev"), 700);
    const output = pulumi.output(run.result.outputs.gitlabCertificateExpiry as pulumi.Input<string>);
    const value = await valueOf(output);
    expect(value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Date.parse(value) - before).toBeGreaterThanOrEqual(700 * DAY);
    expect(Date.parse(value) - before).toBeLessThan(700 * DAY + 60_000);
    expect(await pulumi.isSecret(output)).toBe(false);
  });

  it("there is no such output without the stack CA (Let's Encrypt)", async () => {
    const { run } = await build(stackConfig("dev-letsencrypt"), 700);
    expect(run.mocks.ofType(CERT).map((r) => r.name)).not.toContain("gitlab-tls-server-cert");
    expect(run.result.outputs).not.toHaveProperty("gitlabCertificateExpiry");
  });
});

describe("the warning at preview", () => {
  const now = new Date("2028-03-01T12:00:00Z");
  const cert = (expiry: string | undefined) => ({ what: "GitLab's certificate", expiry, urn: URN });
  const at = (ms: number) => new Date(now.getTime() + ms).toISOString();

  it("none with 30 days or more left; one just under 30 days, naming the date, the renewal and what it replaces", () => {
    expect(certificateExpiryWarning(cert(at(30 * DAY + 60_000)), now)).toBeUndefined();
    expect(certificateExpiryWarning(cert(at(30 * DAY)), now)).toBeUndefined();
    expect(certificateExpiryWarning(cert(at(400 * DAY)), now)).toBeUndefined();
    // The TLS provider writes Go's RFC 3339 with nanoseconds.
    expect(certificateExpiryWarning(cert("2028-03-20T12:00:00.123456789Z"), now)).toContain("(in 19 days)");
    const warning = certificateExpiryWarning(cert(at(30 * DAY - 60_000)), now);
    expect(warning).toBe(
      "GitLab's certificate expires on 2028-03-31T11:59:00.000Z (in 29 days). The first `pulumi up` from " +
        "2028-03-17T11:59:00.000Z renews it, which replaces the GitLab container (GitLab and its registry are " +
        "down for the few minutes GitLab takes to start). To renew it at a time of your choosing: " +
        `pulumi up --replace '${URN}'.`,
    );
  });

  it("inside the renewal window it says this `pulumi up` renews it; past the end, that it has expired", () => {
    expect(certificateExpiryWarning(cert(at(10 * DAY)), now)).toMatch(
      /^GitLab's certificate expires on 2028-03-11T12:00:00.000Z \(in 10 days\)\. `pulumi up` renews it now, which replaces the GitLab container/,
    );
    expect(certificateExpiryWarning(cert(at(HOUR)), now)).toContain("(in less than a day)");
    expect(certificateExpiryWarning(cert(at(-DAY)), now)).toMatch(
      /^GitLab's certificate expired on 2028-02-29T12:00:00.000Z: browsers, git and docker refuse it\. `pulumi up` issues a new one, which replaces the GitLab container/,
    );
  });

  it("none while the end is unknown (a certificate created or replaced in this run) or unreadable", () => {
    expect(certificateExpiryWarning(cert(undefined), now)).toBeUndefined();
    expect(certificateExpiryWarning(cert("not a date"), now)).toBeUndefined();
  });

  it("the program logs it, on the certificate, when its state has fewer than 30 days left, and not with more", async () => {
    const soon = await build(stackConfig("dev"), 20);
    const messages = certWarnings(soon);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      /^GitLab's and the registry's TLS certificate \(from the stack CA\) expires on .* \(in (19|20) days\)\. The first `pulumi up` from /,
    );
    expect(messages[0]).toContain("::gitlab-tls-server-cert'");
    const call = soon.warnings.find((args) => String(args[0]) === messages[0]);
    expect(await valueOf((call?.[1] as pulumi.Resource).urn)).toMatch(/::gitlab-tls-server-cert$/);

    expect(certWarnings(await build(stackConfig("dev"), 40))).toEqual([]);
  });
});
