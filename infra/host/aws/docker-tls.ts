/**
 * The Docker API's own little PKI, from `@pulumi/tls`: a CA, the daemon's server certificate
 * (SANs: the Elastic IP and its public DNS name) and the client certificate the program's Docker
 * provider presents. Private keys are Pulumi secrets.
 *
 * ECDSA P-256 keeps the certificates small (they travel in the 16 KB user data) and is what
 * Docker's Go TLS stack supports for both ends.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** Validity of the CA: ten years. */
const CA_VALIDITY_HOURS = 10 * 365 * 24;
/**
 * Validity of the server and client certificates: five years. A renewed server certificate
 * changes the user data and so rebuilds the instance (the data volume survives).
 */
const LEAF_VALIDITY_HOURS = 5 * 365 * 24;
/** `pulumi up` renews a leaf certificate in its last 30 days. */
const EARLY_RENEWAL_HOURS = 30 * 24;

export interface DockerTlsArgs {
  /** The Elastic IP the daemon is reached at (a SAN of the server certificate). */
  readonly publicIp: pulumi.Input<string>;
  /** The Elastic IP's public DNS name (a SAN of the server certificate). */
  readonly publicDns: pulumi.Input<string>;
  /** Subject organization on every certificate, e.g. `gitlab-dind dev`. */
  readonly organization: string;
}

export interface DockerTls {
  readonly caCertPem: pulumi.Output<string>;
  readonly serverCertPem: pulumi.Output<string>;
  /** Secret. Goes to the host only through SSM Parameter Store. */
  readonly serverKeyPem: pulumi.Output<string>;
  readonly clientCertPem: pulumi.Output<string>;
  /** Secret. Only the program's Docker provider holds it. */
  readonly clientKeyPem: pulumi.Output<string>;
}

const KEY: tls.PrivateKeyArgs = { algorithm: "ECDSA", ecdsaCurve: "P256" };

export function createDockerTls(name: string, args: DockerTlsArgs, opts: pulumi.CustomResourceOptions): DockerTls {
  const caKey = new tls.PrivateKey(`${name}-ca-key`, KEY, opts);
  const ca = new tls.SelfSignedCert(
    `${name}-ca`,
    {
      privateKeyPem: pulumi.secret(caKey.privateKeyPem),
      isCaCertificate: true,
      validityPeriodHours: CA_VALIDITY_HOURS,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      subject: { commonName: "gitlab-dind Docker API CA", organization: args.organization },
    },
    opts,
  );

  const sign = (what: string, key: tls.PrivateKey, request: tls.CertRequestArgs, uses: string[]) => {
    const csr = new tls.CertRequest(`${name}-${what}-csr`, request, opts);
    return new tls.LocallySignedCert(
      `${name}-${what}-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caCertPem: ca.certPem,
        caPrivateKeyPem: pulumi.secret(caKey.privateKeyPem),
        validityPeriodHours: LEAF_VALIDITY_HOURS,
        earlyRenewalHours: EARLY_RENEWAL_HOURS,
        allowedUses: uses,
      },
      opts,
    );
  };

  const serverKey = new tls.PrivateKey(`${name}-server-key`, KEY, opts);
  const server = sign(
    "server",
    serverKey,
    {
      privateKeyPem: pulumi.secret(serverKey.privateKeyPem),
      subject: { commonName: pulumi.output(args.publicDns), organization: args.organization },
      ipAddresses: [args.publicIp],
      dnsNames: [args.publicDns],
    },
    ["digital_signature", "key_agreement", "server_auth"],
  );

  const clientKey = new tls.PrivateKey(`${name}-client-key`, KEY, opts);
  const client = sign(
    "client",
    clientKey,
    {
      privateKeyPem: pulumi.secret(clientKey.privateKeyPem),
      subject: { commonName: "gitlab-dind pulumi", organization: args.organization },
    },
    ["digital_signature", "key_agreement", "client_auth"],
  );

  return {
    caCertPem: ca.certPem,
    serverCertPem: server.certPem,
    serverKeyPem: pulumi.secret(serverKey.privateKeyPem),
    clientCertPem: client.certPem,
    clientKeyPem: pulumi.secret(clientKey.privateKeyPem),
  };
}
