/**
 * Configurations that cannot work on AWS (issue 9, item 3), through the offline plan's command
 * (`npm run plan -- …`, called in-process with what it prints captured): exit 1, every key named
 * with its reason, no stack trace, nothing written.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { cli } from "../../tools/plan/main";
import { inProcess } from "../support/command";

const work = mkdtempSync(join(tmpdir(), "gitlab-dind-refused-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("an arm64 instance type, an admin CIDR wider than /8 and IPv6 CIDRs: exit 1, each key named, nothing written", async () => {
  const stackFile = join(work, "Pulumi.refused.yaml");
  writeFileSync(
    stackFile,
    `config:
  aws:region: eu-west-1
  gitlab-dind:team: refused
  gitlab-dind:host:
    instanceType: m7g.xlarge
  gitlab-dind:network:
    adminCidrs:
      - 203.0.113.0/24
      - 0.0.0.0/1
      - 2001:db8::/48
    webCidrs:
      - 0.0.0.0/0
      - ::/0
`,
  );
  const out = join(work, "out");
  mkdirSync(out);
  const r = await inProcess(cli, ["--stack", "refused", "--config-file", stackFile, "--out", out]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("The stack configuration has 4 problems:");
  expect(r.stderr).toMatch(
    /gitlab-dind:host\.instanceType: expected an x86_64 instance type .*m7g is an AWS Graviton \(arm64\) family.*; got "m7g\.xlarge"/,
  );
  expect(r.stderr).toContain(
    'gitlab-dind:network.adminCidrs[1]: expected a CIDR of /8 or narrower (/1 spans 2147483648 addresses; the Docker API gives root on the host); got "0.0.0.0/1"',
  );
  expect(r.stderr).toMatch(
    /gitlab-dind:network\.adminCidrs\[2\]: expected an IPv4 CIDR .*IPv4-only.*; got "2001:db8::\/48"/,
  );
  expect(r.stderr).toMatch(/gitlab-dind:network\.webCidrs\[1\]: expected an IPv4 CIDR .*IPv4-only.*; got "::\/0"/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(readdirSync(out)).toEqual([]);
});
