/**
 * `npm run plan`'s cache of serialized dynamic providers (tools/plan/provider-cache.ts): a hit gives
 * exactly what Pulumi's serializer gave, any change to the code is a miss, and what it cannot name
 * or what holds a secret is never written.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as readiness from "../../infra/gitlab/readiness";
import * as dockerApiWait from "../../infra/host/aws/docker-api-wait";
import * as registration from "../../infra/runner/runner-registration";
import * as dnsWait from "../../infra/dns/dns-wait-provider";
import * as upgradeGuard from "../../infra/upgrade-guard/upgrade-guard";
import {
  codeKey,
  defaultCacheDir,
  findExport,
  installProviderCache,
  type ModuleCache,
  type SerializedFunction,
} from "../../tools/plan/provider-cache";

const ROOT = resolve(__dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "gitlab-dind-provider-cache-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(scratch, `cache-${++dirs}`);

/** A stand-in for Pulumi's closure module that records its calls. */
function fakeClosure(containsSecrets = false) {
  const calls: unknown[] = [];
  const module = {
    serializeFunction: (func: () => unknown, _args?: { allowSecrets?: boolean }): Promise<SerializedFunction> => {
      calls.push(func());
      return Promise.resolve({ text: `serialized #${calls.length}`, exportName: "handler", containsSecrets });
    },
  };
  return { module, calls };
}

/** A project with one module file exporting `provider`, as Node's module cache shows it. */
function project(provider: object) {
  const root = join(scratch, `project-${++dirs}`);
  mkdirSync(join(root, "infra"), { recursive: true });
  const file = join(root, "infra", "waiter.ts");
  writeFileSync(file, "export const waiterProvider = {};\n");
  writeFileSync(join(root, "package-lock.json"), '{"lockfileVersion":3}\n');
  const modules: ModuleCache = { [file]: { exports: { waiterProvider: provider, other: 1 } } };
  return { root, file, modules };
}

describe("findExport", () => {
  it("names a project module's export, and nothing under node_modules or outside the project", () => {
    const provider = {};
    const elsewhere = {};
    const modules: ModuleCache = {
      "/repo/infra/gitlab/readiness.ts": { exports: { READY: 1, readinessProvider: provider } },
      "/repo/node_modules/pkg/index.js": { exports: { p: elsewhere } },
      "/other/infra/x.ts": { exports: { p: elsewhere } },
    };
    expect(findExport(provider, modules, "/repo")).toBe("infra/gitlab/readiness.ts#readinessProvider");
    expect(findExport(elsewhere, modules, "/repo")).toBeUndefined();
    expect(findExport({}, modules, "/repo")).toBeUndefined();
    expect(findExport(undefined, modules, "/repo")).toBeUndefined();
  });
});

describe("installProviderCache", () => {
  it("serializes on a miss, reads the text back on a hit, and misses again once any project file changes", async () => {
    const provider = { create: () => Promise.resolve({ id: "x" }) };
    const { root, file, modules } = project(provider);
    const { module, calls } = fakeClosure();
    const dir = freshDir();
    const cache = installProviderCache({ dir, root, modules, closureModule: module });
    try {
      const first = await module.serializeFunction(() => provider, { allowSecrets: true });
      expect(first.text).toBe("serialized #1");
      expect(readdirSync(dir)).toEqual(["infra_waiter.ts_waiterProvider.json"]);

      const second = await module.serializeFunction(() => provider, { allowSecrets: true });
      expect(second).toEqual(first);
      expect(calls).toHaveLength(1);

      writeFileSync(file, "export const waiterProvider = { changed: true };\n");
      const third = await module.serializeFunction(() => provider, { allowSecrets: true });
      expect(third.text).toBe("serialized #2");
      expect(cache.stats).toEqual({ hits: 1, misses: 2, uncached: 0 });
    } finally {
      cache.restore();
    }
    // Restored: Pulumi's own function again, the cache out of the way.
    await module.serializeFunction(() => provider);
    expect(calls).toHaveLength(3);
    expect(cache.stats.hits).toBe(1);
  });

  it("keys a compiled file by the code the process ran, which follows the compiler options and not later edits", () => {
    const { root, file, modules } = project({});
    const ran = (hash: string) => new Map([[file, hash]]);
    expect(codeKey(modules, root, ran("code compiled for ES2022"))).not.toBe(
      codeKey(modules, root, ran("code compiled for ES2020")),
    );
    const before = codeKey(modules, root, ran("the code that ran"));
    writeFileSync(file, "export const waiterProvider = { savedDuringThePlan: true };\n");
    expect(codeKey(modules, root, ran("the code that ran"))).toBe(before);
  });

  it("misses when the installed packages change (node_modules/.package-lock.json) as well as the lock file", () => {
    const { root, modules } = project({});
    const before = codeKey(modules, root);
    mkdirSync(join(root, "node_modules"), { recursive: true });
    writeFileSync(join(root, "node_modules", ".package-lock.json"), '{"packages":{"node_modules/x":{}}}\n');
    expect(codeKey(modules, root)).not.toBe(before);
  });

  it("misses when the packages' versions change (package-lock.json)", async () => {
    const provider = {};
    const { root, modules } = project(provider);
    const { module, calls } = fakeClosure();
    const cache = installProviderCache({ dir: freshDir(), root, modules, closureModule: module });
    try {
      await module.serializeFunction(() => provider, { allowSecrets: true });
      const before = codeKey(modules, root);
      writeFileSync(join(root, "package-lock.json"), '{"lockfileVersion":3,"packages":{}}\n');
      expect(codeKey(modules, root)).not.toBe(before);
      await module.serializeFunction(() => provider, { allowSecrets: true });
      expect(calls).toHaveLength(2);
    } finally {
      cache.restore();
    }
  });

  it("never writes a text that holds a secret, nor a provider that is not a module's export", async () => {
    const provider = {};
    const { root, modules } = project(provider);
    const dir = freshDir();
    const secret = fakeClosure(true);
    const cache = installProviderCache({ dir, root, modules, closureModule: secret.module });
    try {
      await secret.module.serializeFunction(() => provider, { allowSecrets: true });
      await secret.module.serializeFunction(() => provider, { allowSecrets: true });
      // Made by a factory, as tests make providers with options: no name to key it by.
      await secret.module.serializeFunction(() => ({ made: "by a factory" }), { allowSecrets: true });
      expect(secret.calls).toHaveLength(3);
      expect(cache.stats).toEqual({ hits: 0, misses: 0, uncached: 3 });
    } finally {
      cache.restore();
    }
    expect(() => readdirSync(dir)).toThrow(/ENOENT/);
  });

  it("ignores an unreadable or foreign cache file and writes a good one over it", async () => {
    const provider = {};
    const { root, modules } = project(provider);
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, "infra_waiter.ts_waiterProvider.json"), "{ not json");
    const { module, calls } = fakeClosure();
    const cache = installProviderCache({ dir, root, modules, closureModule: module });
    try {
      expect((await module.serializeFunction(() => provider, { allowSecrets: true })).text).toBe("serialized #1");
      expect((await module.serializeFunction(() => provider, { allowSecrets: true })).text).toBe("serialized #1");
      expect(calls).toHaveLength(1);
    } finally {
      cache.restore();
    }
    expect(JSON.parse(readFileSync(join(dir, "infra_waiter.ts_waiterProvider.json"), "utf8"))).toMatchObject({
      text: "serialized #1",
    });
  });
});

describe("the program's providers through Pulumi's own serializer", () => {
  it("a hit gives back the very text Pulumi serialized, for every module-level provider", async () => {
    // As Node's module cache would list the modules a plan loads.
    const modules: ModuleCache = {
      [join(ROOT, "infra/gitlab/readiness.ts")]: { exports: readiness },
      [join(ROOT, "infra/host/aws/docker-api-wait.ts")]: { exports: dockerApiWait },
      [join(ROOT, "infra/runner/runner-registration.ts")]: { exports: registration },
      [join(ROOT, "infra/dns/dns-wait-provider.ts")]: { exports: dnsWait },
      [join(ROOT, "infra/upgrade-guard/upgrade-guard.ts")]: { exports: upgradeGuard },
    };
    const providers = [
      readiness.readinessProvider,
      dockerApiWait.dockerApiWaitProvider,
      registration.defaultRegistrationProvider,
      dnsWait.dnsWaitProvider,
      upgradeGuard.upgradeGuardProvider,
    ];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module Pulumi's dynamic resources call
    const closure = require("@pulumi/pulumi/runtime/closure/serializeClosure") as {
      serializeFunction: (f: () => unknown, a?: object) => Promise<SerializedFunction>;
    };
    const dir = freshDir();
    const cache = installProviderCache({ dir, root: ROOT, modules });
    try {
      const serialized = await Promise.all(
        providers.map((provider) => closure.serializeFunction(() => provider, { allowSecrets: true })),
      );
      expect(cache.stats).toEqual({ hits: 0, misses: providers.length, uncached: 0 });
      for (const s of serialized) expect(s.text).toMatch(/^exports\.handler = __f0;/);
      const again = await Promise.all(
        providers.map((provider) => closure.serializeFunction(() => provider, { allowSecrets: true })),
      );
      expect(cache.stats).toEqual({ hits: providers.length, misses: providers.length, uncached: 0 });
      expect(again).toEqual(serialized);
    } finally {
      cache.restore();
    }
    expect(readdirSync(dir).sort()).toEqual([
      "infra_dns_dns-wait-provider.ts_dnsWaitProvider.json",
      "infra_gitlab_readiness.ts_readinessProvider.json",
      "infra_host_aws_docker-api-wait.ts_dockerApiWaitProvider.json",
      "infra_runner_runner-registration.ts_defaultRegistrationProvider.json",
      "infra_upgrade-guard_upgrade-guard.ts_upgradeGuardProvider.json",
    ]);
  });

  it("lives under node_modules/.cache unless GITLAB_DIND_PLAN_CACHE names a folder or says off", () => {
    expect(defaultCacheDir("/repo", {})).toBe("/repo/node_modules/.cache/gitlab-dind/serialized-providers");
    expect(defaultCacheDir("/repo", { GITLAB_DIND_PLAN_CACHE: "off" })).toBeUndefined();
    expect(defaultCacheDir("/repo", { GITLAB_DIND_PLAN_CACHE: "/var/cache/plan" })).toBe("/var/cache/plan");
  });
});
