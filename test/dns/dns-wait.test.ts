/**
 * The wait until the external URL's name resolves to the Elastic IP (before GitLab first starts
 * with Let's Encrypt): progress, its bound, and the provider as Pulumi serializes it.
 */
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { waitForDns } from "../../infra/dns/dns-wait";
import { dnsWaitProvider } from "../../infra/dns/dns-wait-provider";
import { fakeClock } from "../support/clock";

describe("waitForDns", () => {
  it("polls until the name resolves to the address, reporting progress", async () => {
    const answers = [new Error("queryA ENOTFOUND"), ["203.0.113.9"], ["198.51.100.7"]];
    const lines: string[] = [];
    const result = await waitForDns({
      hostname: "gitlab.example.com",
      address: "198.51.100.7",
      timeoutMs: 600_000,
      progressEveryMs: 0,
      resolve4: () => {
        const next = answers.shift()!;
        return next instanceof Error
          ? Promise.reject(Object.assign(next, { code: "ENOTFOUND" }))
          : Promise.resolve(next);
      },
      onProgress: (l) => lines.push(l),
      ...fakeClock(),
    });
    expect(result.lookups).toBe(3);
    expect(lines.join("\n")).toMatch(/lookup failed: ENOTFOUND/);
    expect(lines.join("\n")).toMatch(/it resolves to 203\.0\.113\.9/);
    expect(lines.at(-1)).toBe("gitlab.example.com resolves to 198.51.100.7");
  });

  it("gives up at its bound, saying GitLab was not started and what to check", async () => {
    const c = fakeClock();
    await expect(
      waitForDns({
        hostname: "gitlab.example.com",
        address: "198.51.100.7",
        timeoutMs: 60_000,
        resolve4: () => Promise.resolve(["203.0.113.9"]),
        ...c,
      }),
    ).rejects.toThrow(
      /did not resolve to 198\.51\.100\.7 within 60s \(it resolves to 203\.0\.113\.9\)\. GitLab was not started.*dns\.zoneId/,
    );
    expect(c.now()).toBe(60_000);
  });

  it("works on its own once Pulumi has serialized it, with Node's own resolver (a name that never resolves)", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => dnsWaitProvider, { allowSecrets: false });
    expect(serialized.text).not.toMatch(/node_modules/);
    const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi"));
    const requireFromString = pulumiRequire("require-from-string") as (code: string) => {
      handler: () => pulumi.dynamic.ResourceProvider;
    };
    const provider = requireFromString(serialized.text).handler();
    const diff = await provider.diff!(
      "x",
      { hostname: "a", address: "1", timeoutSeconds: 1 },
      { hostname: "a", address: "2", timeoutSeconds: 1 },
    );
    expect(diff.replaces).toEqual(["address"]);
    // An address the name never resolves to: the copy runs the real lookup and gives up at its bound.
    await expect(
      provider.create({ hostname: "gitlab-dind.invalid", address: "192.0.2.1", timeoutSeconds: 0 }),
    ).rejects.toThrow(/gitlab-dind\.invalid did not resolve to 192\.0\.2\.1/);
  });
});
