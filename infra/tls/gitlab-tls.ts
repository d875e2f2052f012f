/**
 * `GitLabTls`: the stack CA and GitLab's server certificate (gitlab.tls `selfSigned`, the default on
 * AWS without a DNS name). Its own CA, not the Docker API's: the Docker CA's trust grants root on the
 * host, and is never handed to browsers, git or the runner.
 *
 * The server certificate names the Elastic IP, its public DNS name, `host.docker.internal` (how the
 * runner and its jobs reach GitLab through the Docker host's gateway) and the external URL's DNS
 * name when one is set.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { HOST_GATEWAY_NAME } from "../host/docker-host";
import { createCa, KEY, SERVER_USES, signLeaf } from "./pki";

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
    );
    this.caCertPem = ca.cert.certPem;
    this.certPem = cert.certPem;
    this.keyPem = pulumi.secret(key.privateKeyPem);
    this.registerOutputs({ caCertPem: this.caCertPem, certPem: this.certPem, keyPem: this.keyPem });
  }
}
