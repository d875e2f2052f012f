import { describe, expect, test } from "vitest";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";
import { ConfigSecret, type StackConfig } from "../../infra/config/types";
import { KEYS } from "../../infra/config/schema";

const AWS_MINIMAL: RawConfig = {
  "aws:region": "eu-central-1",
  "gitlab-dind:team": "payments",
  "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
};

function ok(values: RawConfig, secretKeys: string[] = []): StackConfig {
  const r = parseStackConfig({ values, secretKeys: new Set(secretKeys) });
  if (!r.ok) throw new Error(`expected valid config, got:\n${r.problems.join("\n")}`);
  return r.config;
}

function problems(values: RawConfig, secretKeys: string[] = []): readonly string[] {
  const r = parseStackConfig({ values, secretKeys: new Set(secretKeys) });
  if (r.ok) throw new Error("expected problems, config was accepted");
  return r.problems;
}

describe("defaults", () => {
  test("a minimal aws stack gets every documented default", () => {
    const c = ok(AWS_MINIMAL);
    expect(c).toMatchObject({
      team: "payments",
      target: "aws",
      awsRegion: "eu-central-1",
      network: { adminCidrs: ["203.0.113.0/24"], webCidrs: ["0.0.0.0/0"], vpcCidr: "10.42.0.0/16" },
      host: {
        instanceType: "m7i.xlarge",
        rootVolumeGiB: 30,
        dataVolumeGiB: 100,
        keepDataOnDestroy: true,
        snapshotRetentionDays: 7,
        imdsHopLimit: 1,
      },
      gitlab: {
        image: "gitlab/gitlab-ce:19.3.0-ce.0",
        httpPort: 80,
        sshPort: 10022,
        registryPort: 4567,
        shmSizeMiB: 512,
        allowSignup: false,
      },
      runner: {
        image: "gitlab/gitlab-runner:v19.3.0",
        concurrent: 4,
        jobImage: "docker:29.7.2-cli",
        dindImage: "docker:29.7.2-dind",
        tags: ["docker", "dind"],
        runUntagged: true,
        checkInterval: 3,
        sessionTimeout: 1800,
      },
    });
    expect(c.gitlab.externalUrl).toBeUndefined();
    expect(c.gitlab.rootPassword).toBeUndefined();
  });

  test("the local target needs only a team, listens on 8080 and ignores AWS-only keys", () => {
    const c = ok({
      "gitlab-dind:team": "local",
      "gitlab-dind:target": "local",
      // Would be refused on aws: ignored, not refused, on local.
      "gitlab-dind:network": { adminCidrs: ["0.0.0.0/0"] },
      "gitlab-dind:host": { imdsHopLimit: 9 },
    });
    expect(c.target).toBe("local");
    expect(c.gitlab.httpPort).toBe(8080);
    expect(c.network.adminCidrs).toEqual([]);
    expect(c.host.imdsHopLimit).toBe(1);
    expect(c.awsRegion).toBeUndefined();
  });

  test("values arrive as the engine sends them: groups as JSON text, scalars as strings", () => {
    const c = ok({
      "aws:region": "us-east-1",
      "gitlab-dind:team": "web",
      "gitlab-dind:network": JSON.stringify({ adminCidrs: ["198.51.100.7/32", "192.0.2.0/24"] }),
      "gitlab-dind:runner": JSON.stringify({ concurrent: "8", runUntagged: "false", tags: ["a"] }),
    });
    expect(c.runner.concurrent).toBe(8);
    expect(c.runner.runUntagged).toBe(false);
    expect(c.network.adminCidrs).toEqual(["198.51.100.7/32", "192.0.2.0/24"]);
  });

  test("a dotted key set without --path counts like the nested one", () => {
    const c = ok({ ...AWS_MINIMAL, "gitlab-dind:runner.concurrent": "12" });
    expect(c.runner.concurrent).toBe(12);
  });

  test("a secret root password is kept as a secret that never prints", () => {
    const c = ok({ ...AWS_MINIMAL, "gitlab-dind:gitlab": { rootPassword: "correct-horse-battery" } }, [
      "gitlab-dind:gitlab",
    ]);
    const secret = c.gitlab.rootPassword as ConfigSecret;
    expect(secret.reveal()).toBe("correct-horse-battery");
    expect(String(secret)).toBe("[secret]");
    expect(JSON.stringify(c)).not.toContain("correct-horse-battery");
  });
});

describe("bad configuration", () => {
  test("every problem is reported at once, each naming the full key, what was expected and what was given", () => {
    const p = problems({
      "gitlab-dind:team": "Payments Team",
      "gitlab-dind:runner": { concurrent: "four", tags: "docker" },
      "gitlab-dind:host": { dataVolumeGiB: 10, keepDataOnDestroy: "yes" },
      "gitlab-dind:gitlab": { image: "gitlab/gitlab-ce:latest", externalUrl: "ftp://x" },
    });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^gitlab-dind:team: expected .*lowercase.*; got "Payments Team"$/),
        'gitlab-dind:runner.concurrent: expected an integer from 1 to 64; got "four"',
        expect.stringMatching(/^gitlab-dind:runner\.tags: expected a list .*; got "docker"$/),
        "gitlab-dind:host.dataVolumeGiB: expected an integer from 20 to 16384; got 10",
        'gitlab-dind:host.keepDataOnDestroy: expected true or false; got "yes"',
        expect.stringMatching(
          /^gitlab-dind:gitlab\.image: expected an image with a version tag.*; got "gitlab\/gitlab-ce:latest"$/,
        ),
        expect.stringMatching(
          /^gitlab-dind:gitlab\.externalUrl: expected an http:\/\/ or https:\/\/ URL.*; got "ftp:\/\/x"$/,
        ),
        expect.stringMatching(/^gitlab-dind:network\.adminCidrs: required for target aws/),
        expect.stringMatching(/^aws:region: required for target aws/),
      ]),
    );
    expect(p).toHaveLength(9);
  });

  test("an unknown key is refused with the closest valid key suggested", () => {
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:runner": { concurent: 4 } })).toEqual([
      "gitlab-dind:runner.concurent: unknown key; did you mean runner.concurrent?",
    ]);
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:runner.concurent": "4" })).toEqual([
      "gitlab-dind:runner.concurent: unknown key; did you mean runner.concurrent?",
    ]);
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:tema": "x" })).toEqual([
      "gitlab-dind:tema: unknown key; did you mean team?",
    ]);
  });

  test("a key far from any valid one lists the valid keys instead of guessing", () => {
    const [p] = problems({ ...AWS_MINIMAL, "gitlab-dind:kubernetesNamespace": "x" });
    expect(p).toMatch(
      /^gitlab-dind:kubernetesNamespace: unknown key; valid keys are team, target, network\.adminCidrs, /,
    );
  });

  test("the Docker API is never opened to the internet nor to a large part of it: nothing wider than a /8", () => {
    const p = problems({
      ...AWS_MINIMAL,
      "gitlab-dind:network": { adminCidrs: ["10.0.0.0/8", "0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/2", "64.0.0.0/7"] },
    });
    expect(p).toEqual([
      'gitlab-dind:network.adminCidrs[1]: expected a CIDR of /8 or narrower (/0 spans 4294967296 addresses; the Docker API gives root on the host); got "0.0.0.0/0"',
      'gitlab-dind:network.adminCidrs[2]: expected a CIDR of /8 or narrower (/1 spans 2147483648 addresses; the Docker API gives root on the host); got "0.0.0.0/1"',
      'gitlab-dind:network.adminCidrs[3]: expected a CIDR of /8 or narrower (/2 spans 1073741824 addresses; the Docker API gives root on the host); got "128.0.0.0/2"',
      'gitlab-dind:network.adminCidrs[4]: expected a CIDR of /8 or narrower (/7 spans 33554432 addresses; the Docker API gives root on the host); got "64.0.0.0/7"',
    ]);
    expect(
      ok({ ...AWS_MINIMAL, "gitlab-dind:network": { adminCidrs: ["10.0.0.0/8", "203.0.113.7/32"] } }).network,
    ).toMatchObject({ adminCidrs: ["10.0.0.0/8", "203.0.113.7/32"] });
  });

  test("IPv6 CIDRs are refused for web and admin access: the VPC is IPv4-only, such a rule would let no one in", () => {
    const p = problems({
      ...AWS_MINIMAL,
      "gitlab-dind:network": { adminCidrs: ["::/0", "2001:db8::/48"], webCidrs: ["0.0.0.0/0", "2001:db8:1::/64"] },
    });
    const why =
      "expected an IPv4 CIDR such as 203.0.113.0/24 (the stack's VPC is IPv4-only: a rule for an IPv6 range would never let anyone in)";
    expect(p).toEqual([
      `gitlab-dind:network.adminCidrs[0]: ${why}; got "::/0"`,
      `gitlab-dind:network.adminCidrs[1]: ${why}; got "2001:db8::/48"`,
      `gitlab-dind:network.webCidrs[1]: ${why}; got "2001:db8:1::/64"`,
    ]);
  });

  test("CIDRs are checked the way AWS checks them", () => {
    const p = problems({
      ...AWS_MINIMAL,
      "gitlab-dind:network": { adminCidrs: ["203.0.113.5/24", "not-a-cidr"], vpcCidr: "10.0.0.0/8" },
    });
    expect(p).toEqual([
      'gitlab-dind:network.adminCidrs[0]: expected a CIDR such as 203.0.113.0/24 whose address is the network address (host bits zero); got "203.0.113.5/24"',
      'gitlab-dind:network.adminCidrs[1]: expected a CIDR such as 203.0.113.0/24; got "not-a-cidr"',
      'gitlab-dind:network.vpcCidr: expected an IPv4 CIDR such as 10.42.0.0/16, with a prefix from /16 to /24; got "10.0.0.0/8"',
    ]);
  });

  test("images must carry a version tag", () => {
    for (const image of ["gitlab/gitlab-runner", "gitlab/gitlab-runner:latest", "registry.example.com:5000/runner"]) {
      expect(problems({ ...AWS_MINIMAL, "gitlab-dind:runner": { image } })[0]).toMatch(
        /^gitlab-dind:runner\.image: expected an image with a version tag/,
      );
    }
    for (const image of [
      "registry.example.com:5000/gitlab/gitlab-runner:v19.3.0",
      "docker:29.7.2-dind@sha256:" + "a".repeat(64),
    ]) {
      expect(ok({ ...AWS_MINIMAL, "gitlab-dind:runner": { image } }).runner.image).toBe(image);
    }
  });

  test("a root password in plain text is refused, and a short one too", () => {
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:gitlab": { rootPassword: "correct-horse-battery" } })).toEqual([
      "gitlab-dind:gitlab.rootPassword: expected a secret (set it with `pulumi config set --secret --path gitlab.rootPassword …`); got a plain-text value",
    ]);
    expect(
      problems({ ...AWS_MINIMAL, "gitlab-dind:gitlab": { rootPassword: "short" } }, ["gitlab-dind:gitlab"]),
    ).toEqual(["gitlab-dind:gitlab.rootPassword: expected at least 12 characters; got a secret value"]);
  });

  test("a secret the offline plan cannot decrypt is accepted without showing it", () => {
    const c = ok({ ...AWS_MINIMAL, "gitlab-dind:gitlab": { rootPassword: new ConfigSecret("[secret]", false) } });
    expect(c.gitlab.rootPassword?.known).toBe(false);
  });

  test("ports on the host must not collide", () => {
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:gitlab": { sshPort: 80, registryPort: 2376 } })).toEqual([
      "gitlab-dind:gitlab.sshPort: expected a port not used by gitlab.httpPort; got 80",
      "gitlab-dind:gitlab.registryPort: expected a port other than 2376, which the host uses for the Docker API; got 2376",
    ]);
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:gitlab": { sshPort: 22 } })).toEqual([
      "gitlab-dind:gitlab.sshPort: expected a port other than 22, which the host uses for its own SSH daemon; got 22",
    ]);
    // The registry off (0) takes no port; locally 2376 is free.
    expect(
      ok({
        "gitlab-dind:team": "me",
        "gitlab-dind:target": "local",
        "gitlab-dind:gitlab": { registryPort: 0, sshPort: 2376 },
      }).gitlab.registryPort,
    ).toBe(0);
  });

  test("the job's Docker CLI must pair with the DinD daemon, reported with the other problems", () => {
    expect(
      problems({ ...AWS_MINIMAL, "gitlab-dind:team": "X", "gitlab-dind:runner": { jobImage: "docker:28.0.0-cli" } }),
    ).toEqual([
      expect.stringMatching(/^gitlab-dind:team: /),
      'gitlab-dind:runner.jobImage: expected the CLI image matching gitlab-dind:runner.dindImage (docker:29.7.2-dind), docker:29.7.2-cli; given "docker:28.0.0-cli"',
    ]);
  });

  test("an https external URL needs aws, a DNS name and port 443 (GitLab's own Let's Encrypt certificate)", () => {
    expect(
      ok({ ...AWS_MINIMAL, "gitlab-dind:gitlab": { externalUrl: "https://gitlab.example.com" } }).gitlab.externalUrl,
    ).toBe("https://gitlab.example.com");
    expect(
      problems({ ...AWS_MINIMAL, "gitlab-dind:gitlab": { externalUrl: "https://gitlab.example.com:8443" } }),
    ).toEqual([
      'gitlab-dind:gitlab.externalUrl: expected an https:// URL on the standard port 443 (the host publishes 443 to GitLab\'s HTTPS); got "https://gitlab.example.com:8443"',
    ]);
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:gitlab": { externalUrl: "https://203.0.113.9" } })[0]).toMatch(
      /with a DNS name/,
    );
    expect(
      problems({
        "gitlab-dind:team": "me",
        "gitlab-dind:target": "local",
        "gitlab-dind:gitlab": { externalUrl: "https://gitlab.example.com" },
      })[0],
    ).toMatch(/^gitlab-dind:gitlab\.externalUrl: expected an http:\/\/ URL on the local target/);
  });

  test("a runner that could take no job is refused", () => {
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:runner": { tags: [], runUntagged: false } })).toEqual([
      "gitlab-dind:runner.tags: expected at least one tag when runner.runUntagged is false (the runner would take no job); got []",
    ]);
  });

  test("a tag with a comma is refused: GitLab's API splits tag lists on commas", () => {
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:runner": { tags: ["docker,dind"] } })).toEqual([
      'gitlab-dind:runner.tags[0]: expected a non-empty tag without commas or surrounding spaces; got "docker,dind"',
    ]);
  });

  test("a group given as a plain string is a clear error, not a crash", () => {
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:runner": "fast" })).toEqual([
      'gitlab-dind:runner: expected a group of settings (set its keys with `pulumi config set --path runner.<key> …`); got "fast"',
    ]);
  });

  test("integer ranges name both ends; booleans and numbers accept the engine's string forms only", () => {
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:host": { imdsHopLimit: 4, snapshotRetentionDays: -1 } })).toEqual([
      "gitlab-dind:host.snapshotRetentionDays: expected an integer from 0 to 1000; got -1",
      "gitlab-dind:host.imdsHopLimit: expected an integer from 1 to 3; got 4",
    ]);
    expect(problems({ ...AWS_MINIMAL, "gitlab-dind:runner": { concurrent: 2.5 } })).toEqual([
      "gitlab-dind:runner.concurrent: expected an integer from 1 to 64; got 2.5",
    ]);
  });

  test("the same key set both nested and dotted is refused rather than silently picking one", () => {
    expect(
      problems({ ...AWS_MINIMAL, "gitlab-dind:runner": { concurrent: 2 }, "gitlab-dind:runner.concurrent": "3" }),
    ).toEqual(["gitlab-dind:runner.concurrent: set twice (once inside its group and once as a dotted key); keep one"]);
  });
});

describe("instance types: the host's image is x86_64", () => {
  const typeProblems = (instanceType: string) =>
    parseStackConfig({ values: { ...AWS_MINIMAL, "gitlab-dind:host": { instanceType } } });

  // Every arm64 family the issue names, the first Graviton, a Graviton GPU type and Apple silicon.
  test.each([
    "a1.xlarge",
    "t4g.large",
    "m6g.xlarge",
    "m6gd.xlarge",
    "m7g.xlarge",
    "m7gd.2xlarge",
    "m8g.xlarge",
    "c6g.2xlarge",
    "c6gn.xlarge",
    "c7g.xlarge",
    "c7gn.xlarge",
    "c8g.xlarge",
    "r6g.xlarge",
    "r7g.xlarge",
    "r8g.xlarge",
    "x2gd.xlarge",
    "im4gn.xlarge",
    "is4gen.xlarge",
    "i4g.xlarge",
    "g5g.xlarge",
    "hpc7g.4xlarge",
    "mac2-m2pro.metal",
  ])("refuses the arm64 type %s, naming the key and the reason", (instanceType) => {
    const r = typeProblems(instanceType);
    expect(r.ok).toBe(false);
    const p = r.ok ? [] : r.problems;
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(
      new RegExp(
        `^gitlab-dind:host\\.instanceType: expected an x86_64 instance type such as m7i\\.xlarge: the host boots Amazon Linux 2023 for x86_64, and ${instanceType.split(".")[0]} is .*; got "${instanceType.replace(".", "\\.")}"$`,
      ),
    );
  });

  test.each([
    "m7i.xlarge",
    "m7i-flex.xlarge",
    "m7a.2xlarge",
    "t3.xlarge",
    "t3a.xlarge",
    "c7i.2xlarge",
    "r7iz.xlarge",
    "x2iezn.2xlarge",
    "g4dn.xlarge",
    "g4ad.xlarge",
    "g5.xlarge",
    "g6.xlarge",
    "g6e.xlarge",
    "gr6.4xlarge",
    "p5.48xlarge",
    "inf2.xlarge",
    "trn1.2xlarge",
    "i4i.xlarge",
    "u-6tb1.112xlarge",
    "z1d.xlarge",
  ])("accepts the x86_64 type %s (GPU types of the g series included)", (instanceType) => {
    const r = typeProblems(instanceType);
    expect(r.ok ? [] : r.problems).toEqual([]);
  });
});

test("every key of the schema has a description and a default or a reason to have none", () => {
  for (const k of KEYS) {
    expect(k.description.length, k.path).toBeGreaterThan(10);
    expect(k.default !== undefined || k.defaultDoc !== undefined || (k.required?.length ?? 0) > 0, k.path).toBe(true);
  }
});

describe("each remaining rule, one bad value at a time", () => {
  const cases: Array<[string, RawConfig, string]> = [
    ["target", { "gitlab-dind:target": "gcp" }, 'gitlab-dind:target: expected one of aws, local; got "gcp"'],
    [
      "host.instanceType",
      { "gitlab-dind:host": { instanceType: "big one" } },
      'gitlab-dind:host.instanceType: expected an EC2 instance type such as m7i.xlarge; got "big one"',
    ],
    [
      "host.dataVolumeId",
      { "gitlab-dind:host": { dataVolumeId: "my-volume" } },
      'gitlab-dind:host.dataVolumeId: expected an EBS volume id such as vol-0a1b2c3d4e5f60718; got "my-volume"',
    ],
    [
      "host.rootVolumeGiB",
      { "gitlab-dind:host": { rootVolumeGiB: 8 } },
      "gitlab-dind:host.rootVolumeGiB: expected an integer from 20 to 16384; got 8",
    ],
    [
      "gitlab.httpPort",
      { "gitlab-dind:gitlab": { httpPort: 70000 } },
      "gitlab-dind:gitlab.httpPort: expected a TCP port from 1 to 65535; got 70000",
    ],
    [
      "gitlab.registryPort",
      { "gitlab-dind:gitlab": { registryPort: -1 } },
      "gitlab-dind:gitlab.registryPort: expected a TCP port from 1 to 65535; got -1",
    ],
    [
      "gitlab.shmSizeMiB",
      { "gitlab-dind:gitlab": { shmSizeMiB: 64 } },
      "gitlab-dind:gitlab.shmSizeMiB: expected an integer from 256 to 65536; got 64",
    ],
    [
      "gitlab.allowSignup",
      { "gitlab-dind:gitlab": { allowSignup: "yes" } },
      'gitlab-dind:gitlab.allowSignup: expected true or false; got "yes"',
    ],
    [
      "gitlab.externalUrl with a query",
      { "gitlab-dind:gitlab": { externalUrl: "https://git.example.com/?x=1" } },
      'gitlab-dind:gitlab.externalUrl: expected an http:// or https:// URL with a host and no query or fragment; got "https://git.example.com/?x=1"',
    ],
    [
      "runner.jobImage",
      { "gitlab-dind:runner": { jobImage: "docker" } },
      expect.stringMatching(/^gitlab-dind:runner\.jobImage: expected an image with a version tag/),
    ],
    [
      "runner.dindImage",
      { "gitlab-dind:runner": { dindImage: "docker:latest" } },
      expect.stringMatching(/^gitlab-dind:runner\.dindImage: expected an image with a version tag/),
    ],
    [
      "runner.checkInterval",
      { "gitlab-dind:runner": { checkInterval: 0 } },
      "gitlab-dind:runner.checkInterval: expected an integer from 1 to 3600; got 0",
    ],
    [
      "runner.sessionTimeout",
      { "gitlab-dind:runner": { sessionTimeout: 10 } },
      "gitlab-dind:runner.sessionTimeout: expected an integer from 60 to 86400; got 10",
    ],
    [
      "runner.runUntagged",
      { "gitlab-dind:runner": { runUntagged: 1 } },
      "gitlab-dind:runner.runUntagged: expected true or false; got 1",
    ],
    [
      "network.webCidrs empty",
      { "gitlab-dind:network": { adminCidrs: ["10.1.0.0/16"], webCidrs: [] } },
      "gitlab-dind:network.webCidrs: expected at least one CIDR; got []",
    ],
    [
      "team too long",
      { "gitlab-dind:team": "a".repeat(22) },
      expect.stringMatching(/^gitlab-dind:team: expected 2 to 21 characters/),
    ],
  ];
  test.each(cases)("%s", (_name, bad, message) => {
    expect(problems({ ...AWS_MINIMAL, ...bad })).toEqual([message]);
  });
});
