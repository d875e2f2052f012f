/**
 * Issue 3's "done when", on the file the offline plan writes for the shipped stacks: the runner's
 * config.toml of `dev` and `local`, as `npm run plan` renders it.
 */
import * as TOML from "@iarna/toml";
import * as smol from "smol-toml";
import { describe, expect, test } from "vitest";
import { keyProblems, parse } from "../runner-config/key-walk";
import { planStack } from "../support/stack-plans";

async function plannedToml(stack: string): Promise<string> {
  return (await planStack(stack)).files["config.toml"];
}

describe.each(["dev", "dev-letsencrypt", "local"])("the %s stack's planned config.toml", (stack) => {
  test("has only keys gitlab-runner reads, and two TOML parsers read the same document", async () => {
    const text = await plannedToml(stack);
    expect(keyProblems(parse(text))).toEqual([]);
    expect(JSON.parse(JSON.stringify(smol.parse(text)))).toEqual(JSON.parse(JSON.stringify(TOML.parse(text))));
  });

  test("runs the docker executor privileged for DinD only, shares /certs/client, never mounts docker.sock", async () => {
    const doc = TOML.parse(await plannedToml(stack)) as any;
    const docker = doc.runners[0].docker;
    expect(doc.runners[0].executor).toBe("docker");
    expect(docker.privileged).toBe(true);
    // The jobs' /etc/docker, read-only: the cache's daemon.json (mirror.enabled defaults to true), and
    // with the stack CA its certificate for GitLab's registry (infra/job-docker); named by its digest.
    expect(docker.volumes).toEqual([
      "/certs/client",
      "/cache",
      expect.stringMatching(new RegExp(`^${stack}-job-docker-[0-9a-f]{12}:/etc/docker:ro$`)),
    ]);
    expect(JSON.stringify(doc)).not.toContain("docker.sock");
    expect(docker.allowed_privileged_services).toContain("docker:*-dind");
    expect(docker.allowed_privileged_services.some((p: string) => p.includes("cli"))).toBe(false);
    expect(doc.runners[0].feature_flags).toEqual({ FF_NETWORK_PER_BUILD: true });
    expect(doc.runners[0].token).toBe("glrt-[secret]");
  });
});
