/**
 * The Docker API's own little PKI (helpers in infra/tls/pki.ts): a CA, the daemon's server
 * certificate (SANs: the Elastic IP and its public DNS name) and the client certificate the
 * program's Docker provider presents. Private keys are Pulumi secrets. A renewed server certificate
 * changes the user data and so rebuilds the instance (the data volume survives).
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { CLIENT_USES, createCa, KEY, SERVER_USES, signLeaf } from "../../tls/pki";

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

export function createDockerTls(name: string, args: DockerTlsArgs, opts: pulumi.CustomResourceOptions): DockerTls {
  const ca = createCa(name, { commonName: "gitlab-dind Docker API CA", organization: args.organization }, opts);

  const serverKey = new tls.PrivateKey(`${name}-server-key`, KEY, opts);
  const server = signLeaf(
    name,
    "server",
    ca,
    {
      privateKeyPem: pulumi.secret(serverKey.privateKeyPem),
      subject: { commonName: pulumi.output(args.publicDns), organization: args.organization },
      ipAddresses: [args.publicIp],
      dnsNames: [args.publicDns],
    },
    SERVER_USES,
    opts,
  );

  const clientKey = new tls.PrivateKey(`${name}-client-key`, KEY, opts);
  const client = signLeaf(
    name,
    "client",
    ca,
    {
      privateKeyPem: pulumi.secret(clientKey.privateKeyPem),
      subject: { commonName: "gitlab-dind pulumi", organization: args.organization },
    },
    CLIENT_USES,
    opts,
  );

  return {
    caCertPem: ca.cert.certPem,
    serverCertPem: server.certPem,
    serverKeyPem: pulumi.secret(serverKey.privateKeyPem),
    clientCertPem: client.certPem,
    clientKeyPem: pulumi.secret(clientKey.privateKeyPem),
  };
}
