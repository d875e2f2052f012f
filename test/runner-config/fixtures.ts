/** Shared inputs and arbitraries for the runner-config tests. */
import fc from "fast-check";
import type { RunnerConfig } from "../../infra/config/types";
import { DEFAULT_DIND_IMAGE, DEFAULT_JOB_IMAGE, DEFAULT_RUNNER_IMAGE } from "../../infra/config/schema";
import type { RunnerConfigModel } from "../../runner-config";
import { runnerConfigModel } from "../../runner-config";

/** A token of the form registration returns; only a placeholder, never a real one. */
export const TOKEN = "glrt-t1_EXAMPLEexampleEXAMPLE0123";

/** The stack's `runner.*` defaults (infra/config/schema.ts). */
export const DEFAULT_RUNNER: RunnerConfig = {
  image: DEFAULT_RUNNER_IMAGE,
  concurrent: 4,
  jobImage: DEFAULT_JOB_IMAGE,
  dindImage: DEFAULT_DIND_IMAGE,
  tags: ["docker", "dind"],
  runUntagged: true,
  checkInterval: 3,
  sessionTimeout: 1800,
  autoscaler: {
    enabled: false,
    maxInstances: 10,
    capacityPerInstance: 1,
    maxUseCount: 1,
    idleCount: 0,
    idleTime: "20m",
    instanceType: "m7i.large",
    spot: false,
    extraInstanceTypes: [],
    onDemandBase: 0,
  },
  cache: { type: "local", expireDays: 14 },
};

/** The default model for an `aws` stack of team `payments`. */
export function defaultModel(): RunnerConfigModel {
  return runnerConfigModel({
    team: "payments",
    url: "http://gitlab.example.com",
    token: TOKEN,
    runner: DEFAULT_RUNNER,
  });
}

/** The default model for a `local` stack: jobs clone through the Docker network GitLab is on. */
export function localModel(): RunnerConfigModel {
  return runnerConfigModel({
    team: "payments",
    url: "http://localhost:8080",
    cloneUrl: "http://gitlab:80",
    networkMode: "payments-gitlab",
    token: TOKEN,
    runner: DEFAULT_RUNNER,
  });
}

/** Characters that stress TOML and YAML quoting, mixed into generated strings. */
const AWKWARD = [
  '"',
  "'",
  "\\",
  "#",
  "\n",
  "\r\n",
  "\t",
  "=",
  "[",
  "]",
  "{",
  "}",
  ":",
  "é",
  "日本",
  "😀",
  "\u0000",
  "\u007f",
  '"""',
  "'''",
];

/** Any non-empty string of well-formed Unicode, with awkward characters over-represented. */
export const awkwardText: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...AWKWARD), fc.string({ unit: "binary", minLength: 1, maxLength: 4 })), {
    minLength: 1,
    maxLength: 12,
  })
  .map((parts) => parts.join(""));

/** Path, query and fragment text for URLs: quotes, backslashes, `#` and non-ASCII, no whitespace. */
const urlText: fc.Arbitrary<string> = fc
  .array(fc.constantFrom('"', "\\", "#", "é", "日本", "😀", "a", "Z", "0", "-", "_", "~", "%41", "?", "=", "&", "'"), {
    maxLength: 10,
  })
  .map((parts) => parts.join(""));

/** A valid http(s) URL with quotes, backslashes, `#` and non-ASCII in it (a URL holds no whitespace). */
export const awkwardUrl: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom("http", "https"),
    fc.constantFrom("gitlab.example.com", "localhost:8080", "bücher.example", "10.0.0.5:8929", "[::1]:8080"),
    urlText,
  )
  .map(([scheme, host, rest]) => `${scheme}://${host}/${rest}`);

/**
 * awkwardText without the control characters config.toml strings cannot hold (all but tab and newline,
 * see `unwritableReason`): what a valid model's free-text fields may contain.
 */
export const tomlText: fc.Arbitrary<string> = awkwardText
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  .map((t) => t.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ""))
  .filter((t) => t !== "");
