import * as smol from "smol-toml";
import { describe, expect, test } from "vitest";
import { KNOWN_KEYS, renderRunnerConfigToml, type KnownTable, type TomlType } from "../../runner-config";
import { defaultModel, localModel } from "./fixtures";

type Value = unknown;

function isTable(v: Value): v is Record<string, Value> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Go's time.ParseDuration syntax: one or more <number><unit>. */
const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/;

/** Whether a value parsed with `integersAsBigInt: true` has the TOML type gitlab-runner decodes. */
function hasType(v: Value, type: TomlType): boolean {
  switch (type) {
    case "integer":
      return typeof v === "bigint";
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "string[]":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "string|string[]":
      return typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"));
    case "duration":
      return typeof v === "string" && GO_DURATION.test(v);
    case "datetime":
      return v instanceof Date;
    case "table":
      return isTable(v);
    case "table[]":
      return Array.isArray(v) && v.every(isTable);
  }
}

/**
 * Every key of every table in the document that is not in KNOWN_KEYS at its type. Sub-tables are walked
 * when the list has an entry for them; one the list does not describe is reported.
 */
function keyProblems(doc: Record<string, Value>): string[] {
  const problems: string[] = [];
  const walk = (table: Record<string, Value>, path: string, where: string): void => {
    const known = (KNOWN_KEYS as Record<string, Record<string, TomlType> | undefined>)[path];
    if (known === undefined) {
      problems.push(`${where}: table [${path}] is not in the key list`);
      return;
    }
    for (const [key, value] of Object.entries(table)) {
      const at = where === "" ? key : `${where}.${key}`;
      const type = known[key];
      if (type === undefined) {
        problems.push(`${at}: gitlab-runner reads no such key in [${path || "global"}]`);
      } else if (!hasType(value, type)) {
        problems.push(`${at}: gitlab-runner reads a ${type}`);
      } else if (type === "table") {
        walk(value as Record<string, Value>, path === "" ? key : `${path}.${key}`, at);
      } else if (type === "table[]") {
        (value as Record<string, Value>[]).forEach((t, i) => walk(t, path === "" ? key : `${path}.${key}`, `${at}[${i}]`));
      }
    }
  };
  walk(doc, "", "");
  return problems;
}

function parse(text: string): Record<string, Value> {
  return smol.parse(text, { integersAsBigInt: true }) as Record<string, Value>;
}

describe("every key the renderer emits is one gitlab-runner reads, at its type", () => {
  test.each([
    ["aws (default)", defaultModel],
    ["local (clone_url, network_mode)", localModel],
  ])("%s", (_name, make) => {
    expect(keyProblems(parse(renderRunnerConfigToml(make())))).toEqual([]);
  });

  test("with environment and extra_hosts set", () => {
    const model = defaultModel();
    const runner = model.runners[0];
    const withEnv = {
      ...model,
      runners: [{ ...runner, environment: ["FF_NETWORK_PER_BUILD=1"], docker: { ...runner.docker, extra_hosts: ["gitlab.local:host-gateway"] } }],
    };
    expect(keyProblems(parse(renderRunnerConfigToml(withEnv)))).toEqual([]);
  });

  test("the tables walked are the ones the key list covers", () => {
    const tables: KnownTable[] = ["", "session_server", "runners", "runners.feature_flags", "runners.docker"];
    expect(Object.keys(KNOWN_KEYS).sort()).toEqual([...tables].sort());
  });
});

describe("the walk catches what it must (it is not a test that cannot fail)", () => {
  test("an unknown key, a misspelt key, a wrong type, a float for an integer, a bad duration", () => {
    const text = [
      "concurrent = 4.0",
      'check_interval = "3s"',
      'connection_max_age = "15 minutes"',
      "[[runners]]",
      'name = "x"',
      "privileged = true",
      "[runners.docker]",
      'shm_size = "64m"',
      'pull_policy = "always"',
      "allowed_privileged_image = []",
      "[runners.docker.services_devices]",
    ].join("\n");
    expect(keyProblems(parse(text))).toEqual([
      "concurrent: gitlab-runner reads a integer",
      "check_interval: gitlab-runner reads a integer",
      "connection_max_age: gitlab-runner reads a duration",
      "runners[0].privileged: gitlab-runner reads no such key in [runners]",
      "runners[0].docker.shm_size: gitlab-runner reads a integer",
      "runners[0].docker.allowed_privileged_image: gitlab-runner reads no such key in [runners.docker]",
      "runners[0].docker.services_devices: table [runners.docker.services_devices] is not in the key list",
    ]);
  });
});
