/**
 * Real X.509 material for the TLS tests, made with the `openssl` CLI at test time (Node cannot
 * sign certificates; the `@pulumi/tls` provider plugin does not run under mocks). Each set is made
 * in a temporary folder, read into memory, and the folder (private keys) is removed.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The Docker daemon's material: a CA, a server certificate for 127.0.0.1, a client certificate, and a second, unrelated CA with its own client certificate. */
export interface TlsFixtures {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Signed by another CA: a daemon must refuse it. */
  readonly strangerCert: string;
  readonly strangerKey: string;
  readonly otherCaCert: string;
}

export function makeTlsFixtures(): TlsFixtures {
  return inTempDir("gitlab-dind-tls-", (pki) => {
    const subject = (name: string) => `/CN=${name}`;
    const caUsage = "keyCertSign,cRLSign";
    pki.ca("ca", subject("ca"), caUsage);
    pki.ca("other-ca", subject("other-ca"), caUsage);
    pki.leaf(
      "server",
      "ca",
      subject("server"),
      "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyAgreement\n",
    );
    const client = "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyAgreement\n";
    pki.leaf("client", "ca", subject("client"), client);
    pki.leaf("stranger", "other-ca", subject("stranger"), client);
    return {
      caCert: pki.read("ca.pem"),
      serverCert: pki.read("server.pem"),
      serverKey: pki.read("server.key"),
      clientCert: pki.read("client.pem"),
      clientKey: pki.read("client.key"),
      strangerCert: pki.read("stranger.pem"),
      strangerKey: pki.read("stranger.key"),
      otherCaCert: pki.read("other-ca.pem"),
    };
  });
}

/**
 * A stack CA and a GitLab server certificate shaped as infra/tls/gitlab-tls.ts makes them with
 * `@pulumi/tls` (ECDSA P-256; CA uses cert_signing, crl_signing, digital_signature; server uses
 * digital_signature, key_agreement, server_auth; SANs: an IP, host.docker.internal). The IP is
 * 127.0.0.1 so that a local server can present it. Plus a second, unrelated CA.
 */
export interface StackCaFixture {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Another CA, which did not sign the server certificate. */
  readonly otherCaCert: string;
}

export function makeStackCa(): StackCaFixture {
  return inTempDir("gitlab-dind-stack-ca-", (pki) => {
    const subject = (cn: string) => `/O=gitlab-dind test/CN=${cn}`;
    const caUsage = "keyCertSign,cRLSign,digitalSignature";
    pki.ca("ca", subject("ca"), caUsage);
    pki.ca("other-ca", subject("other-ca"), caUsage);
    pki.leaf(
      "server",
      "ca",
      subject("127.0.0.1"),
      "subjectAltName=IP:127.0.0.1,DNS:host.docker.internal\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyAgreement\n",
    );
    return {
      caCert: pki.read("ca.pem"),
      serverCert: pki.read("server.pem"),
      serverKey: pki.read("server.key"),
      otherCaCert: pki.read("other-ca.pem"),
    };
  });
}

/** openssl in one folder: ECDSA P-256 keys, valid for two days. `<name>.key`, `<name>.pem`. */
interface Pki {
  /** A self-signed CA with the given critical keyUsage. */
  ca(name: string, subject: string, keyUsage: string): void;
  /** A certificate signed by `caName`, with the extensions in `ext` (openssl extfile lines). */
  leaf(name: string, caName: string, subject: string, ext: string): void;
  read(file: string): string;
}

function inTempDir<T>(prefix: string, make: (pki: Pki) => T): T {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const key = (name: string) => run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`);
    return make({
      ca(name, subject, keyUsage) {
        key(name);
        run(
          "req",
          "-x509",
          "-new",
          "-key",
          `${name}.key`,
          "-subj",
          subject,
          "-days",
          "2",
          "-out",
          `${name}.pem`,
          "-addext",
          "basicConstraints=critical,CA:TRUE",
          "-addext",
          `keyUsage=critical,${keyUsage}`,
        );
      },
      leaf(name, caName, subject, ext) {
        key(name);
        run("req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`);
        writeFileSync(join(dir, `${name}.ext`), ext);
        run(
          "x509",
          "-req",
          "-in",
          `${name}.csr`,
          "-CA",
          `${caName}.pem`,
          "-CAkey",
          `${caName}.key`,
          "-CAcreateserial",
          "-days",
          "2",
          "-extfile",
          `${name}.ext`,
          "-out",
          `${name}.pem`,
        );
      },
      read: (file) => readFileSync(join(dir, file), "utf8"),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
