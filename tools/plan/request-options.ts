/**
 * The resource options of each registration, as Pulumi's mock monitor receives them.
 *
 * `pulumi.runtime.setMocks` hands a `Mocks` only the type, name, inputs, provider, custom flag and
 * import id of a registration (@pulumi/pulumi 3.248 `runtime/mocks.js`, `MockMonitor.registerResource`
 * builds `MockResourceArgs` from those six fields of the request). The options that change what
 * `pulumi up` and `pulumi destroy` do (`protect`, `retainOnDelete`, `deletedWith`, the dependencies,
 * ...) are in the same `RegisterResourceRequest` (set by `runtime/resource.js` `registerResource`),
 * and the mock monitor drops them. So this module wraps the monitor `setMocks` installed
 * (`pulumi.runtime.getMonitor()`, which the SDK reads at each registration): each `registerResource`
 * / `readResource` request's options are read off the request and passed to the recording mocks'
 * `newResource` with that request's own arguments, then the mock monitor answers as before.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RecordingMocks } from "./mocks";

/** The options of one registration as the request carries them: resources by URN, providers by reference. */
export interface RequestOptions {
  /** The request's `protect` (unset: false, as the engine reads it). */
  readonly protect: boolean;
  /** The request's `retainOnDelete` (unset: false). */
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
  /** The URN of the `deletedWith` resource; undefined when unset. */
  readonly deletedWith: string | undefined;
  readonly replaceOnChanges: readonly string[];
  readonly ignoreChanges: readonly string[];
  /** Every dependency's URN: explicit `dependsOn` and the resources the inputs come from (components expanded). */
  readonly dependencies: readonly string[];
  /** Input property → the URNs its value comes from. */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** The id to import; undefined when the resource is created (or read). */
  readonly import: string | undefined;
  /** The provider reference (`<provider urn>::<provider id>`); undefined for components and on the default provider. */
  readonly provider: string | undefined;
  /** The custom timeouts that are set (Go duration strings, `20m`). */
  readonly customTimeouts: Readonly<{ create?: string; update?: string; delete?: string }>;
}

/** What the request objects of @pulumi/pulumi's generated protobuf classes answer (the fields read here). */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getDeletedwith(): string;
  getReplaceonchangesList(): string[];
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(callback: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
  getImportid(): string;
  getProvider(): string;
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}

interface ReadRequest {
  getProvider(): string;
  getDependenciesList(): string[];
}

type Callback = (err: unknown, response: unknown) => void;

/** @pulumi/pulumi's `MockMonitor`, the two methods replaced here (each reads `this.mocks`). */
interface MockMonitorLike {
  mocks: unknown;
  registerResource: (this: MockMonitorLike, req: unknown, callback: Callback) => Promise<void>;
  readResource: (this: MockMonitorLike, req: unknown, callback: Callback) => Promise<void>;
}

/** The options of a RegisterResourceRequest. */
export function registerRequestOptions(req: RegisterRequest): RequestOptions {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps, key) => {
    propertyDependencies[key] = [...deps.getUrnsList()];
  });
  const timeouts = req.getCustomtimeouts();
  const customTimeouts: { create?: string; update?: string; delete?: string } = {};
  if (timeouts?.getCreate()) customTimeouts.create = timeouts.getCreate();
  if (timeouts?.getUpdate()) customTimeouts.update = timeouts.getUpdate();
  if (timeouts?.getDelete()) customTimeouts.delete = timeouts.getDelete();
  return {
    protect: req.getProtect(),
    retainOnDelete: req.getRetainondelete(),
    deleteBeforeReplace: req.getDeletebeforereplace(),
    deletedWith: req.getDeletedwith() || undefined,
    replaceOnChanges: [...req.getReplaceonchangesList()],
    ignoreChanges: [...req.getIgnorechangesList()],
    dependencies: [...req.getDependenciesList()],
    propertyDependencies,
    import: req.getImportid() || undefined,
    provider: req.getProvider() || undefined,
    customTimeouts,
  };
}

/** The options of a ReadResourceRequest (`Resource.get`): its provider and dependencies; nothing else applies. */
function readRequestOptions(req: ReadRequest): RequestOptions {
  return {
    protect: false,
    retainOnDelete: false,
    deleteBeforeReplace: false,
    deletedWith: undefined,
    replaceOnChanges: [],
    ignoreChanges: [],
    dependencies: [...req.getDependenciesList()],
    propertyDependencies: {},
    import: undefined,
    provider: req.getProvider() || undefined,
    customTimeouts: {},
  };
}

/**
 * Makes the mock monitor that `pulumi.runtime.setMocks(mocks, …)` just installed pass each
 * request's options to `mocks.newResource`. Call it right after `setMocks`; throws if the current
 * monitor is not that mock monitor (another runtime would not call these mocks at all).
 */
export function recordRequestOptions(mocks: RecordingMocks): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike | undefined;
  if (monitor === undefined || monitor.mocks !== mocks || typeof monitor.registerResource !== "function") {
    throw new Error(
      "recordRequestOptions: the current monitor is not the mock monitor of these mocks (call setMocks first)",
    );
  }
  // Unbound: each call runs with the per-request view below as `this`.
  const register = monitor.registerResource;
  const read = monitor.readResource;
  // The mock monitor calls `this.mocks.newResource(...)` with the request's fields; a view of the
  // monitor whose `mocks` also passes this request's options, everything else (its table of
  // registered resources, its URNs) the monitor's own.
  const withOptions = (options: RequestOptions): MockMonitorLike =>
    Object.create(monitor, {
      mocks: {
        value: {
          newResource: (args: pulumi.runtime.MockResourceArgs) => mocks.newResource(args, options),
          call: (args: pulumi.runtime.MockCallArgs) => mocks.call(args),
        },
      },
    }) as MockMonitorLike;
  monitor.registerResource = (req, callback) =>
    register.call(withOptions(registerRequestOptions(req as RegisterRequest)), req, callback);
  monitor.readResource = (req, callback) =>
    read.call(withOptions(readRequestOptions(req as ReadRequest)), req, callback);
}
