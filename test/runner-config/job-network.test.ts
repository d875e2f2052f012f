/**
 * Concurrent DinD jobs must not see each other's daemon: on a shared Docker network the service
 * alias `docker` is network-wide, so each job gets a network of its own unless a stack asks for
 * a shared one.
 */
import * as TOML from "@iarna/toml";
import { expect, test } from "vitest";
import { renderRunnerConfigToml, runnerConfigModel } from "../../runner-config";
import { DEFAULT_RUNNER, TOKEN } from "./fixtures";

const settings = {
  team: "payments",
  url: "http://host.docker.internal:80",
  token: TOKEN,
  runner: { ...DEFAULT_RUNNER, concurrent: 8 },
};

test("by default every job gets its own network (FF_NETWORK_PER_BUILD) and no shared network_mode", () => {
  const doc = TOML.parse(renderRunnerConfigToml(runnerConfigModel(settings))) as any;
  expect(doc.runners[0].feature_flags).toEqual({ FF_NETWORK_PER_BUILD: true });
  expect(doc.runners[0].docker.network_mode).toBeUndefined();
});

test("a shared network_mode, when asked for, replaces the per-job network rather than contradicting it", () => {
  const doc = TOML.parse(renderRunnerConfigToml(runnerConfigModel({ ...settings, networkMode: "shared" }))) as any;
  expect(doc.runners[0].feature_flags).toBeUndefined();
  expect(doc.runners[0].docker.network_mode).toBe("shared");
});

test("extra_hosts reach job containers, for GitLab through the host's gateway", () => {
  const doc = TOML.parse(
    renderRunnerConfigToml(runnerConfigModel({ ...settings, extraHosts: ["host.docker.internal:host-gateway"] })),
  ) as any;
  expect(doc.runners[0].docker.extra_hosts).toEqual(["host.docker.internal:host-gateway"]);
});
