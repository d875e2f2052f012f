/**
 * A small PKI from `@pulumi/tls`, shared by the Docker API's TLS (infra/host/aws/docker-tls.ts) and
 * GitLab's stack CA (gitlab-tls.ts): each has its own CA, made with these helpers. Private keys are
 * Pulumi secrets.
 *
 * ECDSA P-256: small certificates (the Docker ones travel in the 16 KB user data), and what Docker's
 * Go TLS stack, NGINX, browsers, git and Node all accept.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** Validity of a CA: ten years. */
export const CA_VALIDITY_HOURS = 10 * 365 * 24;
/**
 * Validity of a leaf certificate by default: five years. The Docker API's pair keeps it: it travels
 * in the host's user data, so each renewal rebuilds the host.
 */
export const LEAF_VALIDITY_HOURS = 5 * 365 * 24;
/** `pulumi up` renews a default leaf certificate in its last 30 days. */
export const EARLY_RENEWAL_HOURS = 30 * 24;

/**
 * The longest validity Apple platforms accept for a TLS server certificate issued after 2019-07-01,
 * under a CA the user trusted too (iOS 13, macOS 10.15; Apple support article HT210176).
 */
export const APPLE_MAX_SERVER_CERT_DAYS = 825;
/**
 * Validity of the stack CA's server certificate (GitLab's and its registry's): 800 days, under
 * Apple's 825 with room to spare (RFC 5280 counts a validity from notBefore through notAfter,
 * both included, so exactly 825 days would be one second more).
 */
export const SERVER_CERT_VALIDITY_HOURS = 800 * 24;
/**
 * The first `pulumi up` (or preview) in the server certificate's last 14 days plans a new one: the
 * TLS provider marks it `readyForRenewal` and replaces it (terraform-provider-tls
 * `modifyPlanIfCertificateReadyForRenewal`). Shorter than the 30 days of the expiry warning
 * (./expiry.ts), so that a preview shows the warning before the renewal is due: once it is due,
 * a preview plans the replacement and no longer knows the new certificate's dates.
 */
export const SERVER_CERT_EARLY_RENEWAL_HOURS = 14 * 24;

/** How long a leaf certificate is valid, and from when before its end `pulumi up` renews it. */
export interface LeafValidity {
  readonly validityPeriodHours: number;
  readonly earlyRenewalHours: number;
}

/** The Docker API's pair: five years, renewed in the last 30 days. */
export const DEFAULT_LEAF_VALIDITY: LeafValidity = {
  validityPeriodHours: LEAF_VALIDITY_HOURS,
  earlyRenewalHours: EARLY_RENEWAL_HOURS,
};

/** The stack CA's server certificate: 800 days (Apple), renewed in the last 14. */
export const SERVER_CERT_VALIDITY: LeafValidity = {
  validityPeriodHours: SERVER_CERT_VALIDITY_HOURS,
  earlyRenewalHours: SERVER_CERT_EARLY_RENEWAL_HOURS,
};

export const KEY: tls.PrivateKeyArgs = { algorithm: "ECDSA", ecdsaCurve: "P256" };

export interface Ca {
  readonly key: tls.PrivateKey;
  readonly cert: tls.SelfSignedCert;
}

/** A CA: `<name>-ca-key` and the self-signed `<name>-ca`. */
export function createCa(
  name: string,
  subject: { readonly commonName: string; readonly organization: string },
  opts: pulumi.CustomResourceOptions,
): Ca {
  const key = new tls.PrivateKey(`${name}-ca-key`, KEY, opts);
  const cert = new tls.SelfSignedCert(
    `${name}-ca`,
    {
      privateKeyPem: pulumi.secret(key.privateKeyPem),
      isCaCertificate: true,
      validityPeriodHours: CA_VALIDITY_HOURS,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      subject,
    },
    opts,
  );
  return { key, cert };
}

/**
 * A leaf certificate `<name>-<what>-cert` for `key`, signed by `ca` (through the CSR `<name>-<what>-csr`),
 * valid for `validity` (default: five years, renewed in the last 30 days).
 */
export function signLeaf(
  name: string,
  what: string,
  ca: Ca,
  request: tls.CertRequestArgs,
  uses: string[],
  opts: pulumi.CustomResourceOptions,
  validity: LeafValidity = DEFAULT_LEAF_VALIDITY,
): tls.LocallySignedCert {
  const csr = new tls.CertRequest(`${name}-${what}-csr`, request, opts);
  return new tls.LocallySignedCert(
    `${name}-${what}-cert`,
    {
      certRequestPem: csr.certRequestPem,
      caCertPem: ca.cert.certPem,
      caPrivateKeyPem: pulumi.secret(ca.key.privateKeyPem),
      validityPeriodHours: validity.validityPeriodHours,
      earlyRenewalHours: validity.earlyRenewalHours,
      allowedUses: uses,
    },
    opts,
  );
}

/** What a TLS server certificate may be used for. */
export const SERVER_USES = ["digital_signature", "key_agreement", "server_auth"];
/** What a TLS client certificate may be used for. */
export const CLIENT_USES = ["digital_signature", "key_agreement", "client_auth"];
