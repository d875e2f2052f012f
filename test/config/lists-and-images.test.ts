/**
 * Two rules across values: a CIDR list holds each range once (each becomes a security-group rule
 * named after it: a repeat would plan two resources with one name, which `pulumi up` refuses), and
 * setting only runner.dindImage derives runner.jobImage instead of reporting a key the user never set.
 */
import { describe, expect, test } from "vitest";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";

const AWS: RawConfig = { "aws:region": "eu-central-1", "gitlab-dind:team": "dev" };

function parse(values: RawConfig) {
  return parseStackConfig({ values: { ...AWS, ...values } });
}

describe("duplicate CIDRs", () => {
  test("adminCidrs and webCidrs: each refused naming the key and the value, both at once", () => {
    const r = parse({
      "gitlab-dind:network": {
        adminCidrs: ["203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"],
        webCidrs: ["0.0.0.0/0", "0.0.0.0/0"],
      },
    });
    expect(r.ok ? [] : r.problems).toEqual([
      'gitlab-dind:network.adminCidrs: expected each CIDR once (203.0.113.0/24 is listed twice); got ["203.0.113.0/24","198.51.100.0/24","203.0.113.0/24"]',
      'gitlab-dind:network.webCidrs: expected each CIDR once (0.0.0.0/0 is listed twice); got ["0.0.0.0/0","0.0.0.0/0"]',
    ]);
  });

  test("the same range written twice (a leading zero in the prefix) is a duplicate too", () => {
    const r = parse({ "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24", "203.0.113.0/024"] } });
    expect(r.ok ? [] : r.problems).toEqual([
      'gitlab-dind:network.adminCidrs: expected each CIDR once (203.0.113.0/24 and 203.0.113.0/024 are the same range); got ["203.0.113.0/24","203.0.113.0/024"]',
    ]);
  });

  test("distinct ranges pass", () => {
    expect(parse({ "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24", "203.0.113.0/25"] } }).ok).toBe(true);
  });
});

describe("runner.dindImage alone", () => {
  const admin = { "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] } };

  test.each([
    ["docker:28.5.1-dind", "docker:28.5.1-cli"],
    ["docker:28.5.1-dind-rootless", "docker:28.5.1-cli"],
    ["docker.io/library/docker:27.3.1-dind", "docker.io/library/docker:27.3.1-cli"],
  ])("%s: no problem about runner.jobImage, which becomes %s", (dindImage, jobImage) => {
    const r = parse({ ...admin, "gitlab-dind:runner": { dindImage } });
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (r.ok) expect(r.config.runner).toMatchObject({ dindImage, jobImage });
  });

  test("a DinD image of another repository, or without a version, keeps the default job image", () => {
    for (const dindImage of ["registry.example.com/ci/dind:1.2", "docker:dind"]) {
      const r = parse({ ...admin, "gitlab-dind:runner": { dindImage } });
      expect(r.ok ? [] : r.problems, dindImage).toEqual([]);
      if (r.ok) expect(r.config.runner.jobImage).toBe("docker:29.7.2-cli");
    }
  });

  test("both set and mismatched: still refused, naming both keys", () => {
    const r = parse({
      ...admin,
      "gitlab-dind:runner": { dindImage: "docker:28.5.1-dind", jobImage: "docker:29.7.2-cli" },
    });
    expect(r.ok ? [] : r.problems).toEqual([
      'gitlab-dind:runner.jobImage: expected the CLI image matching gitlab-dind:runner.dindImage (docker:28.5.1-dind), docker:28.5.1-cli; given "docker:29.7.2-cli"',
    ]);
  });
});

describe("backup.skip", () => {
  test("takes external_diffs (gitlabhq lib/backup/options.rb, SkippableTasks)", () => {
    const r = parse({
      "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
      "gitlab-dind:backup": { skip: ["external_diffs", "registry"] },
    });
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (r.ok) expect(r.config.backup.skip).toEqual(["external_diffs", "registry"]);
  });
});
