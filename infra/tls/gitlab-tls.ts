/**
 * `GitLabTls`: the stack CA and GitLab's server certificate (gitlab.tls `selfSigned`, the default on
 * AWS without a DNS name). Its own CA, not the Docker API's: the Docker CA's trust grants root on the
 * host, and is never handed to browsers, git or the runner.
 *
 * The server certificate names the Elastic IP, its public DNS name, `host.docker.internal` (how the
 * runner and its jobs reach GitLab through the Docker host's gateway) and the external URL's DNS
 * name when one is set. GitLab's NGINX and the registry's serve it.
 *
 * It is valid for 800 days (Apple platforms refuse a server certificate valid for more than 825,
 * user-trusted CA or not), and the first `pulumi up` in its last 14 days replaces it, and so the
 * GitLab container it is uploaded into. Its end of validity is the stack output
 * `gitlabCertificateExpiry`; preview and up warn when fewer than 30 days are left (./expiry.ts).
 * The CA keeps its ten years: the trust users set up lasts that long.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { HOST_GATEWAY_NAME } from "../host/docker-host";
import { certificateExpiryWarning } from "./expiry";
import { createCa, KEY, SERVER_CERT_VALIDITY, SERVER_USES, signLeaf } from "./pki";

export interface GitLabTlsArgs {
  /** The Elastic IP users reach GitLab at (an IP SAN). */
  readonly publicIp: pulumi.Input<string>;
  /** The Elastic IP's public DNS name (a DNS SAN). */
  readonly publicDns: pulumi.Input<string>;
  /** More DNS SANs, such as the host of an https:// `gitlab.externalUrl`. Default none. */
  readonly extraDnsNames?: readonly string[];
  /** Subject organization on both certificates, e.g. `gitlab-dind dev`. */
  readonly organization: string;
}

export class GitLabTls extends pulumi.ComponentResource {
  /** The stack CA's certificate (PEM; public): what browsers, git, the runner and Pulumi trust. */
  declare readonly caCertPem: pulumi.Output<string>;
  /** GitLab's server certificate (PEM). */
  declare readonly certPem: pulumi.Output<string>;
  /** GitLab's private key (PEM); a secret. */
  declare readonly keyPem: pulumi.Output<string>;
  /** When the server certificate expires (RFC 3339, the certificate's `validityEndTime`); public. */
  declare readonly certificateExpiry: pulumi.Output<string>;

  constructor(name: string, args: GitLabTlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitlab-dind:index:GitLabTls", name, {}, opts);
    const child = { parent: this };
    const ca = createCa(name, { commonName: "gitlab-dind GitLab CA", organization: args.organization }, child);
    const key = new tls.PrivateKey(`${name}-server-key`, KEY, child);
    const dnsNames = pulumi
      .output(args.publicDns)
      .apply((dns) => [...new Set([dns, HOST_GATEWAY_NAME, ...(args.extraDnsNames ?? [])])]);
    const cert = signLeaf(
      name,
      "server",
      ca,
      {
        privateKeyPem: pulumi.secret(key.privateKeyPem),
        subject: { commonName: pulumi.output(args.publicIp), organization: args.organization },
        ipAddresses: [args.publicIp],
        dnsNames,
      },
      SERVER_USES,
      child,
      SERVER_CERT_VALIDITY,
    );
    // At preview the end of validity comes from the state (unknown only when this run creates or
    // replaces the certificate): warn while fewer than 30 days are left.
    pulumi.all([cert.validityEndTime, cert.urn]).apply(([expiry, urn]) => {
      const warning = certificateExpiryWarning(
        { what: "GitLab's and the registry's TLS certificate (from the stack CA)", expiry, urn },
        new Date(),
      );
      if (warning !== undefined) void pulumi.log.warn(warning, cert);
    });
    this.caCertPem = ca.cert.certPem;
    this.certPem = cert.certPem;
    this.keyPem = pulumi.secret(key.privateKeyPem);
    this.certificateExpiry = cert.validityEndTime;
    this.registerOutputs({
      caCertPem: this.caCertPem,
      certPem: this.certPem,
      keyPem: this.keyPem,
      certificateExpiry: this.certificateExpiry,
    });
  }
}
