/**
 * A stack CA and a GitLab server certificate shaped as infra/tls/gitlab-tls.ts makes them with
 * `@pulumi/tls` (ECDSA P-256; CA uses cert_signing, crl_signing, digital_signature; server uses
 * digital_signature, key_agreement, server_auth; SANs: an IP, host.docker.internal), made with the
 * `openssl` CLI because the tls provider plugin does not run under mocks. The IP is 127.0.0.1 so
 * that a local server can present it. Plus a second, unrelated CA. The work directory is removed.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface StackCaFixture {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Another CA, which did not sign the server certificate. */
  readonly otherCaCert: string;
}

export function makeStackCa(): StackCaFixture {
  const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-stack-ca-"));
  try {
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
        `/O=gitlab-dind test/CN=${name}`,
        "-days",
        "2",
        "-out",
        `${name}.pem`,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
      );
    };
    ca("ca");
    ca("other-ca");
    key("server");
    run("req", "-new", "-key", "server.key", "-subj", "/O=gitlab-dind test/CN=127.0.0.1", "-out", "server.csr");
    writeFileSync(
      join(dir, "server.ext"),
      "subjectAltName=IP:127.0.0.1,DNS:host.docker.internal\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyAgreement\n",
    );
    run(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      "server.ext",
      "-out",
      "server.pem",
    );
    const read = (f: string) => readFileSync(join(dir, f), "utf8");
    return {
      caCert: read("ca.pem"),
      serverCert: read("server.pem"),
      serverKey: read("server.key"),
      otherCaCert: read("other-ca.pem"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
