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
/** Validity of a leaf certificate: five years. */
export const LEAF_VALIDITY_HOURS = 5 * 365 * 24;
/** `pulumi up` renews a leaf certificate in its last 30 days. */
export const EARLY_RENEWAL_HOURS = 30 * 24;

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

/** A leaf certificate `<name>-<what>-cert` for `key`, signed by `ca` (through the CSR `<name>-<what>-csr`). */
export function signLeaf(
  name: string,
  what: string,
  ca: Ca,
  request: tls.CertRequestArgs,
  uses: string[],
  opts: pulumi.CustomResourceOptions,
): tls.LocallySignedCert {
  const csr = new tls.CertRequest(`${name}-${what}-csr`, request, opts);
  return new tls.LocallySignedCert(
    `${name}-${what}-cert`,
    {
      certRequestPem: csr.certRequestPem,
      caCertPem: ca.cert.certPem,
      caPrivateKeyPem: pulumi.secret(ca.key.privateKeyPem),
      validityPeriodHours: LEAF_VALIDITY_HOURS,
      earlyRenewalHours: EARLY_RENEWAL_HOURS,
      allowedUses: uses,
    },
    opts,
  );
}

/** What a TLS server certificate may be used for. */
export const SERVER_USES = ["digital_signature", "key_agreement", "server_auth"];
/** What a TLS client certificate may be used for. */
export const CLIENT_USES = ["digital_signature", "key_agreement", "client_auth"];
