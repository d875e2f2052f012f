import * as TOML from "@iarna/toml";
import * as smol from "smol-toml";
import { describe, expect, test } from "vitest";
import { RunnerConfigError, renderRunnerConfigToml, type RunnerConfigModel } from "../../runner-config";
import { admitsImage } from "../../runner-config/privileged-images";
import { DEFAULT_RUNNER, TOKEN, defaultModel, localModel } from "./fixtures";

/** The model with its one runner's fields replaced. */
function withRunner(model: RunnerConfigModel, patch: Record<string, unknown>): RunnerConfigModel {
  return { ...model, runners: [{ ...model.runners[0], ...patch }] };
}

/** The model with its one runner's [runners.docker] fields replaced. */
function withDocker(model: RunnerConfigModel, patch: Record<string, unknown>): RunnerConfigModel {
  return withRunner(model, { docker: { ...model.runners[0].docker, ...patch } });
}

function problemsOf(model: RunnerConfigModel): readonly string[] {
  try {
    renderRunnerConfigToml(model);
  } catch (e) {
    expect(e).toBeInstanceOf(RunnerConfigError);
    return (e as RunnerConfigError).problems;
  }
  throw new Error("expected the model to be refused, it was rendered");
}

function dockerTable(text: string): Record<string, unknown> {
  const doc = smol.parse(text) as { runners: { docker: Record<string, unknown> }[] };
  return doc.runners[0].docker;
}

describe("the default render", () => {
  test("matches the reviewed snapshot (test/runner-config/__snapshots__/default-config.toml)", async () => {
    await expect(renderRunnerConfigToml(defaultModel())).toMatchFileSnapshot("__snapshots__/default-config.toml");
  });

  test("the local target's render matches its reviewed snapshot (clone_url and network_mode)", async () => {
    await expect(renderRunnerConfigToml(localModel())).toMatchFileSnapshot("__snapshots__/local-config.toml");
  });

  test("is the same text every time (stable key order)", () => {
    expect(renderRunnerConfigToml(defaultModel())).toBe(renderRunnerConfigToml(defaultModel()));
  });

  test.each([
    ["aws", defaultModel],
    ["local", localModel],
  ])("%s: @iarna/toml and smol-toml both read it back to the model", (_name, make) => {
    const model = make();
    const text = renderRunnerConfigToml(model);
    expect(TOML.parse(text)).toEqual(model);
    expect(smol.parse(text)).toEqual(model);
  });

  test("has the article's working shape: docker executor, privileged, the job image, /cache", () => {
    const doc = smol.parse(renderRunnerConfigToml(defaultModel())) as Record<string, unknown>;
    const runner = (doc.runners as Record<string, unknown>[])[0];
    expect(runner.executor).toBe("docker");
    expect(runner.token).toBe(TOKEN);
    const docker = runner.docker as Record<string, unknown>;
    expect(docker.privileged).toBe(true);
    expect(docker.image).toBe(DEFAULT_RUNNER.jobImage);
    expect(docker.volumes).toEqual(["/certs/client", "/cache"]);
    expect(docker.disable_cache).toBe(false);
    expect(docker.tls_verify).toBe(false);
    expect(doc.concurrent).toBe(DEFAULT_RUNNER.concurrent);
    expect(doc.check_interval).toBe(DEFAULT_RUNNER.checkInterval);
    expect((doc.session_server as Record<string, unknown>).session_timeout).toBe(DEFAULT_RUNNER.sessionTimeout);
  });

  test("mounts /certs/client and never the Docker socket", () => {
    const text = renderRunnerConfigToml(defaultModel());
    expect(dockerTable(text).volumes).toContain("/certs/client");
    expect(text).not.toContain("docker.sock");
  });

  test("privileged applies to the DinD image only: its allow-lists admit runner.dindImage, refuse the job image", () => {
    const docker = dockerTable(renderRunnerConfigToml(defaultModel()));
    for (const list of [docker.allowed_privileged_images, docker.allowed_privileged_services] as string[][]) {
      expect(list.length).toBeGreaterThan(0);
      expect(admitsImage(list, DEFAULT_RUNNER.dindImage)).toBe(true);
      expect(admitsImage(list, `docker.io/library/${DEFAULT_RUNNER.dindImage}`)).toBe(true);
      for (const other of [DEFAULT_RUNNER.jobImage, "alpine:3.22", "ubuntu:24.04", "evil/docker:29.7.2-dind"]) {
        expect(admitsImage(list, other), other).toBe(false);
      }
    }
  });
});

describe("invalid models are refused with every problem named", () => {
  test("no token", () => {
    expect(problemsOf(withRunner(defaultModel(), { token: "" }))).toEqual([
      "runners[0].token: expected the runner authentication token (glrt-…) from registration; given no token",
    ]);
  });

  test("a registration token instead of a glrt- runner token; the value is not in the message", () => {
    const secret = "GR1348941SuperSecretRegistrationToken";
    let message = "";
    try {
      renderRunnerConfigToml(withRunner(defaultModel(), { token: secret }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/runners\[0\]\.token: expected a runner authentication token/);
    expect(message).not.toContain(secret);
    expect(message).not.toContain("SuperSecret");
  });

  test("no error message ever contains the token, whatever else is wrong", () => {
    const broken = withDocker(withRunner(defaultModel(), { url: "", name: "" }), {
      volumes: ["/var/run/docker.sock:/var/run/docker.sock"],
    });
    const problems = problemsOf({ ...broken, concurrent: 0 });
    expect(problems.length).toBeGreaterThanOrEqual(4);
    for (const p of problems) expect(p).not.toContain(TOKEN);
  });

  test.each([0, -1, 1.5, Number.NaN])("concurrent = %s", (concurrent) => {
    expect(problemsOf({ ...defaultModel(), concurrent })).toEqual([
      `concurrent: expected how many jobs run at once (an integer ≥ 1); given ${String(concurrent)}`,
    ]);
  });

  test("an empty URL", () => {
    expect(problemsOf(withRunner(defaultModel(), { url: "" }))).toEqual([
      'runners[0].url: expected an http:// or https:// URL with a host, without spaces or credentials (a non-empty string); given ""',
    ]);
  });

  test.each([
    "ftp://gitlab.example.com",
    "gitlab.example.com",
    "http://user:pw@gitlab.example.com",
    "http://git\nlab.example.com",
    "http:// gitlab",
  ])("a URL that is not an http(s) URL with a host: %j", (url) => {
    expect(problemsOf(withRunner(defaultModel(), { url }))).toEqual([
      `runners[0].url: expected an http:// or https:// URL with a host, without spaces or credentials; given ${JSON.stringify(url)}`,
    ]);
  });

  test("a bad clone_url", () => {
    expect(problemsOf(withRunner(defaultModel(), { clone_url: "not a url" }))[0]).toMatch(
      /^runners\[0\]\.clone_url: expected an http/,
    );
  });

  test.each([
    "/var/run/docker.sock:/var/run/docker.sock",
    "/run/docker.sock:/var/run/docker.sock:ro",
    "/var/run/docker.sock",
  ])("the Docker socket mounted into jobs: %s", (sock) => {
    const problems = problemsOf(withDocker(defaultModel(), { volumes: ["/certs/client", "/cache", sock] }));
    expect(problems).toEqual([
      expect.stringMatching(/^runners\[0\]\.docker\.volumes\[2\]: expected no Docker socket in job containers/),
    ]);
  });

  test("no /certs/client volume (or a named volume shared between jobs in its place)", () => {
    for (const volumes of [["/cache"], ["certs:/certs/client", "/cache"]]) {
      expect(problemsOf(withDocker(defaultModel(), { volumes }))).toEqual([
        expect.stringMatching(/^runners\[0\]\.docker\.volumes: expected "\/certs\/client"/),
      ]);
    }
  });

  test("privileged false, tls_verify true, disable_cache true", () => {
    expect(
      problemsOf(withDocker(defaultModel(), { privileged: false, tls_verify: true, disable_cache: true })),
    ).toEqual([
      "runners[0].docker.privileged: expected true (docker:dind needs it); given false",
      "runners[0].docker.tls_verify: expected false; given true",
      "runners[0].docker.disable_cache: expected false (with true GitLab Runner makes each container-path volume, /certs/client among them, a throwaway volume per job: DinD still works, but the /cache job cache is lost after every job); given true",
    ]);
  });

  test("an empty privileged allow-list (GitLab then lets every image run privileged)", () => {
    const problems = problemsOf(withDocker(defaultModel(), { allowed_privileged_images: [] }));
    expect(problems).toEqual([
      "runners[0].docker.allowed_privileged_images: expected at least one entry; given an empty list",
      'runners[0].docker.allowed_privileged_images: an empty list lets every image run privileged (GitLab: "If not present, all images are allowed")',
    ]);
  });

  test.each([["*"], ["*/*:*"], ["docker:*"], ["docker:*-dind", "alpine:*"]])(
    "a privileged allow-list that admits ordinary job images: %j",
    (...patterns) => {
      const problems = problemsOf(withDocker(defaultModel(), { allowed_privileged_services: patterns }));
      expect(problems.length).toBeGreaterThan(0);
      for (const p of problems)
        expect(p).toMatch(
          /^runners\[0\]\.docker\.allowed_privileged_services\[\d\]: expected a pattern admitting the DinD image only/,
        );
    },
  );

  test("a privileged pattern outside the checked doublestar subset", () => {
    expect(problemsOf(withDocker(defaultModel(), { allowed_privileged_images: ["docker:{27,28}-dind"] }))).toEqual([
      expect.stringMatching(/^runners\[0\]\.docker\.allowed_privileged_images\[0\]: expected a doublestar pattern/),
    ]);
  });

  test("pull_policy empty, unknown or repeated; shm_size negative; network_mode host", () => {
    expect(
      problemsOf(withDocker(defaultModel(), { pull_policy: ["sometimes"], shm_size: -1, network_mode: "host" })),
    ).toEqual([
      // The default model gives each job its own network; a network_mode contradicts it.
      'runners[0].feature_flags.FF_NETWORK_PER_BUILD: expected no docker.network_mode with a network per job; given network_mode "host"',
      "runners[0].docker.shm_size: expected a size in bytes, 0 for Docker's default (an integer ≥ 0); given -1",
      'runners[0].docker.pull_policy: expected distinct values among always, if-not-present, never; given ["sometimes"]',
      expect.stringMatching(
        /^runners\[0\]\.docker\.network_mode: expected the name of an existing Docker network \(not "host"/,
      ),
    ]);
    expect(problemsOf(withDocker(defaultModel(), { pull_policy: ["always", "always"] }))).toHaveLength(1);
    expect(problemsOf(withDocker(defaultModel(), { pull_policy: [] }))).toHaveLength(1);
  });

  test("extra_hosts entries must be host:address", () => {
    expect(
      problemsOf(withDocker(defaultModel(), { extra_hosts: ["gitlab.local:host-gateway", "no-address", "a b:1"] })),
    ).toEqual([
      'runners[0].docker.extra_hosts[1]: expected host:address (such as gitlab.local:host-gateway); given "no-address"',
      'runners[0].docker.extra_hosts[2]: expected host:address (such as gitlab.local:host-gateway); given "a b:1"',
    ]);
  });

  test("environment entries must be KEY=value", () => {
    expect(problemsOf(withRunner(defaultModel(), { environment: ["GOOD=1", "no-equals", "=x"] }))).toEqual([
      'runners[0].environment[1]: expected KEY=value with KEY a variable name; given "no-equals"',
      'runners[0].environment[2]: expected KEY=value with KEY a variable name; given "=x"',
    ]);
  });

  test("executor other than docker, a key the renderer does not emit", () => {
    expect(problemsOf(withRunner(defaultModel(), { executor: "shell", limit: 2 }))).toEqual([
      'runners[0].executor: expected "docker" or "docker-autoscaler"; given "shell"',
      "runners[0].limit: not a key this renderer emits",
    ]);
  });

  test("global rules: check_interval, shutdown_timeout, log_format, session_timeout, no runners", () => {
    const model = {
      ...defaultModel(),
      check_interval: 0,
      shutdown_timeout: 0,
      log_format: "xml",
      session_server: { session_timeout: 0 },
      runners: [],
    };
    expect(problemsOf(model as unknown as RunnerConfigModel)).toEqual([
      "check_interval: expected seconds between job polls (an integer ≥ 1); given 0",
      "shutdown_timeout: expected seconds a forceful shutdown waits (an integer ≥ 1); given 0",
      'log_format: expected one of runner, text, json; given "xml"',
      "session_server.session_timeout: expected seconds a terminal session may last (an integer ≥ 1); given 0",
      "runners: expected at least one [[runners]] entry; given []",
    ]);
  });

  test("the error message lists every problem, one per line, without a stack-trace preamble", () => {
    try {
      renderRunnerConfigToml({ ...withRunner(defaultModel(), { token: "", url: "" }), concurrent: 0 });
      throw new Error("not refused");
    } catch (e) {
      expect(e).toBeInstanceOf(RunnerConfigError);
      expect((e as Error).message).toBe(
        [
          "config.toml cannot be rendered, 3 problems:",
          "  - concurrent: expected how many jobs run at once (an integer ≥ 1); given 0",
          '  - runners[0].url: expected an http:// or https:// URL with a host, without spaces or credentials (a non-empty string); given ""',
          "  - runners[0].token: expected the runner authentication token (glrt-…) from registration; given no token",
        ].join("\n"),
      );
    }
  });
});
