/**
 * Real X.509 material for the TLS tests, made with the `openssl` CLI at test time (Node cannot
 * sign certificates): a CA, a server certificate for 127.0.0.1, a client certificate, and a
 * second, unrelated CA with its own client certificate.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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

export function opensslAvailable(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Makes the material in a temporary folder, read into memory; the folder (private keys) is removed. */
export function makeTlsFixtures(): TlsFixtures {
  const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-tls-"));
  try {
    return makeIn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function makeIn(dir: string): TlsFixtures {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const key = (name: string) => run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`);
  const ca = (name: string) => {
    key(name);
    run(
      "req",
      "-x509",
      "-new",
      "-key",
      `${name}.key`,
      "-subj",
      `/CN=${name}`,
      "-days",
      "2",
      "-out",
      `${name}.pem`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
  };
  const leaf = (name: string, caName: string, ext: string) => {
    key(name);
    run("req", "-new", "-key", `${name}.key`, "-subj", `/CN=${name}`, "-out", `${name}.csr`);
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
  };
  ca("ca");
  ca("other-ca");
  leaf(
    "server",
    "ca",
    "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyAgreement\n",
  );
  leaf("client", "ca", "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyAgreement\n");
  leaf("stranger", "other-ca", "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyAgreement\n");
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    caCert: read("ca.pem"),
    serverCert: read("server.pem"),
    serverKey: read("server.key"),
    clientCert: read("client.pem"),
    clientKey: read("client.key"),
    strangerCert: read("stranger.pem"),
    strangerKey: read("stranger.key"),
    otherCaCert: read("other-ca.pem"),
  };
}
