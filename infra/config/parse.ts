/**
 * Turns the raw values of the `gitlab-dind` namespace into a fully-defaulted StackConfig,
 * or into the list of every problem found. Pure: no Pulumi runtime, no I/O.
 */
import { isIpHost } from "../url-host";
import { defaultFor, KEYS, KEYS_BY_PATH, NAMESPACE, type KeySpec, type RuleContext } from "./schema";
import { cliImageFor, imagePairProblems } from "../../runner-config/image-pairing";
import { editDistance } from "./rules";
import { parseRestoreFrom, teamOfCreatedBucket } from "./s3-location";
import { awsRegionProblem } from "./aws-regions";
import { objectBucketNameProblem } from "../object-storage/buckets";
import { emailProblems } from "./email-rules";
import { SECRET_NAME, omnibusProblems } from "../omnibus/omnibus-settings";
import { instanceTypeFacts } from "./instance-types";
import { ConfigSecret, type StackConfig, type Target, type TlsMode, type TlsSetting } from "./types";

/**
 * Config as the Pulumi engine hands it over: full keys (`gitlab-dind:runner`) to values.
 * A value is a string (objects and lists JSON-encoded, as the engine sends them), an already
 * parsed value, or a ConfigSecret. Keys of other namespaces (`aws:region`) are ignored.
 */
export type RawConfig = Readonly<Record<string, unknown>>;

export interface ParseInput {
  readonly values: RawConfig;
  /** Full keys whose values are secrets (`pulumi config set --secret`). */
  readonly secretKeys?: ReadonlySet<string>;
}

export type ParseResult =
  { readonly ok: true; readonly config: StackConfig } | { readonly ok: false; readonly problems: readonly string[] };

/**
 * The groups that hold structured values (`pulumi config set --path network.adminCidrs[0] …`), nested
 * ones included: `runner` and `runner.autoscaler`.
 */
const GROUPS = new Set(
  KEYS.flatMap((k) => {
    const parts = k.path.split(".");
    return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("."));
  }),
);

const fullKey = (path: string): string => `${NAMESPACE}:${path}`;

export function parseStackConfig(input: ParseInput): ParseResult {
  const problems: string[] = [];
  const given = flatten(input, problems);

  const targetValue = given.get("target")?.value;
  const target: Target = targetValue === "local" ? "local" : "aws";
  const ctx: RuleContext = { target };

  const values = new Map<string, unknown>();
  /** Keys given with a value that was refused (their default stands in, and no other rule reads them). */
  const refused = new Set<string>();
  for (const spec of KEYS) {
    const entry = given.get(spec.path);
    const used = spec.targets === undefined || spec.targets.includes(target);
    if (entry === undefined || !used) {
      if (used && spec.required?.includes(target)) {
        problems.push(`${fullKey(spec.path)}: required for target ${target}; it is not set`);
      }
      values.set(spec.path, spec.kind === "stringList" && !used ? [] : defaultFor(spec, ctx));
      continue;
    }
    const value = coerce(spec, entry, ctx, problems);
    if (value === undefined) refused.add(spec.path);
    values.set(spec.path, value ?? defaultFor(spec, ctx));
  }

  // The AWS provider keeps its own key; the explicit provider the program builds needs it.
  const region = input.values["aws:region"];
  const regionProblem = target === "aws" ? awsRegionProblem(region) : undefined;
  if (regionProblem !== undefined) problems.push(regionProblem);

  deriveJobImage(values, new Set(given.keys()), refused);
  checkAcrossKeys(values, target, problems);
  problems.push(...omnibusConfigProblems(values, refused));
  applyAutoscaler(values, { target, given: new Set(given.keys()), refused }, problems);
  applyObjectStorage(values, { target, given: new Set(given.keys()), refused }, problems);
  problems.push(
    ...emailProblems(values, {
      target,
      region: typeof region === "string" ? region : undefined,
      given: new Set(given.keys()),
      refused,
    }),
  );
  problems.push(...rdsProblems(values, new Set(given.keys()), refused));
  applySpotAndCache(values, { target, given: new Set(given.keys()), refused }, problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: build(values, target, target === "aws" ? (region as string) : undefined) };
}

interface GivenValue {
  readonly value: unknown;
  readonly secret: boolean;
}

/** Every value given, by dotted path; reports unknown keys and malformed groups. */
function flatten(input: ParseInput, problems: string[]): Map<string, GivenValue> {
  const out = new Map<string, GivenValue>();
  const prefix = `${NAMESPACE}:`;
  for (const [key, raw] of Object.entries(input.values).sort(([a], [b]) => a.localeCompare(b))) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    const secret = input.secretKeys?.has(key) ?? false;
    addGiven(out, name, raw, secret, problems);
  }
  return out;
}

/** One given value by dotted path; a group (`runner`, `runner.autoscaler`) is walked into. */
function addGiven(out: Map<string, GivenValue>, path: string, raw: unknown, secret: boolean, problems: string[]): void {
  if (!GROUPS.has(path)) {
    add(out, path, raw, secret, problems);
    return;
  }
  const group = typeof raw === "string" ? tryJson(raw) : raw;
  if (!isPlainObject(group)) {
    problems.push(
      `${fullKey(path)}: expected a group of settings (set its keys with \`pulumi config set --path ${path}.<key> …\`); got ${show(raw, secret)}`,
    );
    return;
  }
  for (const [field, value] of Object.entries(group)) addGiven(out, `${path}.${field}`, value, secret, problems);
}

function add(out: Map<string, GivenValue>, path: string, value: unknown, secret: boolean, problems: string[]): void {
  if (!KEYS_BY_PATH.has(path)) {
    problems.push(`${fullKey(path)}: unknown key${suggest(path)}`);
    return;
  }
  if (out.has(path)) {
    problems.push(`${fullKey(path)}: set twice (once inside its group and once as a dotted key); keep one`);
    return;
  }
  out.set(path, { value, secret: secret || value instanceof ConfigSecret });
}

function suggest(path: string): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const spec of KEYS) {
    const d = editDistance(path.toLowerCase(), spec.path.toLowerCase());
    if (d < bestDistance) {
      best = spec.path;
      bestDistance = d;
    }
  }
  // Only suggest what is plausibly a typo: a few edits, relative to the key's length.
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(path.length / 4))
    ? `; did you mean ${best}?`
    : `; valid keys are ${KEYS.map((k) => k.path).join(", ")}`;
}

/** Converts one given value to the key's type and checks its rules; undefined when it fails. */
function coerce(spec: KeySpec, given: GivenValue, ctx: RuleContext, problems: string[]): unknown {
  const key = fullKey(spec.path);
  const { value, secret } = given;
  const fail = (expected: string, shown: unknown = value): undefined => {
    problems.push(`${key}: expected ${expected}; got ${show(shown, secret)}`);
    return undefined;
  };

  if (spec.kind === "map") return coerceMap(spec, given, problems);

  if (spec.secret) {
    if (!secret) {
      problems.push(
        `${key}: expected a secret (set it with \`pulumi config set --secret --path ${spec.path} …\`); got a plain-text value`,
      );
      return undefined;
    }
    const text =
      value instanceof ConfigSecret ? value : typeof value === "string" ? new ConfigSecret(value) : undefined;
    if (text === undefined) return fail("a string");
    // A secret the offline plan cannot decrypt is taken as valid: its content is unknown.
    const why = text.known ? spec.check?.(text.reveal() as never, ctx) : undefined;
    return why === undefined ? text : fail(why);
  }

  switch (spec.kind) {
    case "string": {
      if (typeof value !== "string") return fail("a string");
      const why = spec.check?.(value as never, ctx);
      return why === undefined ? value : fail(why);
    }
    case "integer": {
      const n =
        typeof value === "number"
          ? value
          : typeof value === "string" && /^-?\d+$/.test(value.trim())
            ? Number(value)
            : NaN;
      const range = rangeText(spec);
      if (!Number.isInteger(n)) return fail(`an integer${range}`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        return fail(`an integer${range}`);
      const why = spec.check?.(n as never, ctx);
      return why === undefined ? n : fail(why);
    }
    case "boolean": {
      if (value === true || value === "true") return true;
      if (value === false || value === "false") return false;
      return fail("true or false");
    }
    case "stringList": {
      const list = typeof value === "string" ? tryJson(value) : value;
      if (!Array.isArray(list)) {
        return fail(`a list (set its items with \`pulumi config set --path '${spec.path}[0]' …\`)`);
      }
      let ok = true;
      list.forEach((item, i) => {
        const why = typeof item !== "string" ? "a string" : spec.checkEach?.(item, ctx);
        if (why !== undefined) {
          problems.push(`${key}[${i}]: expected ${why}; got ${show(item, secret)}`);
          ok = false;
        }
      });
      if (!ok) return undefined;
      const why = spec.check?.(list as never, ctx);
      return why === undefined ? [...(list as unknown[])] : fail(why);
    }
  }
}

/**
 * A map (`gitlab.omnibus`, `gitlab.omnibusSecrets`): the structured value of the key as given. With
 * `secret`, a map of names to secret strings, each wrapped in a ConfigSecret. The engine marks a whole
 * top-level key secret (`gitlab-dind:gitlab`) when any part of it is, so a plain-text entry next to a
 * secret one cannot be told apart here; the offline plan (which sees each `secure:` value) can.
 */
function coerceMap(spec: KeySpec, given: GivenValue, problems: string[]): unknown {
  const key = fullKey(spec.path);
  const { value, secret } = given;
  const map = typeof value === "string" ? tryJson(value) : value;
  if (!isPlainObject(map)) {
    problems.push(
      `${key}: expected a map (set its entries with \`pulumi config set ${spec.secret ? "--secret " : ""}--path '${spec.path}.<name>' …\`); got ${show(value, secret)}`,
    );
    return undefined;
  }
  if (!spec.secret) return map;
  const out: Record<string, ConfigSecret> = {};
  let ok = true;
  for (const [name, entry] of Object.entries(map)) {
    const bad = (expected: string): void => {
      problems.push(`${key}.${name}: expected ${expected}; got ${show(entry, true)}`);
      ok = false;
    };
    if (!SECRET_NAME.test(name)) {
      problems.push(
        `${key}: expected names of letters, digits, _ or - (each becomes a file name); got ${JSON.stringify(name)}`,
      );
      ok = false;
    } else if (entry instanceof ConfigSecret) {
      out[name] = entry;
    } else if (typeof entry !== "string") {
      bad("a string");
    } else if (!secret) {
      problems.push(
        `${key}.${name}: expected a secret (set it with \`pulumi config set --secret --path '${spec.path}.${name}' …\`); got a plain-text value`,
      );
      ok = false;
    } else {
      out[name] = new ConfigSecret(entry);
    }
  }
  return ok ? out : undefined;
}

/** gitlab.omnibus's rules (infra/omnibus/omnibus-settings.ts), which read gitlab.omnibusSecrets and email.enabled. */
function omnibusConfigProblems(values: Map<string, unknown>, refused: ReadonlySet<string>): string[] {
  if (refused.has("gitlab.omnibus")) return [];
  const secrets = values.get("gitlab.omnibusSecrets") as Record<string, unknown>;
  return omnibusProblems(values.get("gitlab.omnibus"), {
    secretNames: refused.has("gitlab.omnibusSecrets") ? undefined : new Set(Object.keys(secrets)),
    emailEnabled: values.get("email.enabled") === true,
  });
}

function rangeText(spec: KeySpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return ` of at least ${spec.min}`;
  if (spec.max !== undefined) return ` of at most ${spec.max}`;
  return "";
}

/** Rules that involve more than one key. */
function checkAcrossKeys(values: Map<string, unknown>, target: Target, problems: string[]): void {
  // Every published port must be distinct on the host; on aws 22, 443 (HTTPS) and 2376 (the
  // Docker API) are taken too (443 even with plain HTTP, so that turning TLS on needs no port change).
  const ports: Array<[string, number]> = [
    ["gitlab.httpPort", values.get("gitlab.httpPort") as number],
    ["gitlab.sshPort", values.get("gitlab.sshPort") as number],
  ];
  const registry = values.get("gitlab.registryPort") as number;
  if (registry !== 0) ports.push(["gitlab.registryPort", registry]);
  if (values.get("mirror.enabled") === true) ports.push(["mirror.port", values.get("mirror.port") as number]);
  // On aws the host's own sshd keeps port 22 (closed by the security group, but bound).
  const reserved =
    target === "aws"
      ? new Map([
          [22, "its own SSH daemon"],
          [443, "GitLab's HTTPS"],
          [2376, "the Docker API"],
        ])
      : new Map<number, string>();
  const seen = new Map<number, string>();
  for (const [path, port] of ports) {
    if (typeof port !== "number") continue;
    const other = seen.get(port);
    if (other !== undefined) {
      problems.push(`${fullKey(path)}: expected a port not used by ${other}; got ${port}`);
    } else if (reserved.has(port)) {
      problems.push(
        `${fullKey(path)}: expected a port other than ${port}, which the host uses for ${reserved.get(port)}; got ${port}`,
      );
    }
    seen.set(port, path);
  }

  // The job's Docker CLI and the DinD daemon must pair (runner-config owns the rule); checked
  // here too so that it is reported with every other problem, before anything is created.
  const jobImage = values.get("runner.jobImage");
  const dindImage = values.get("runner.dindImage");
  if (typeof jobImage === "string" && typeof dindImage === "string") {
    problems.push(...imagePairProblems({ jobImage, dindImage }));
  }

  problems.push(...tlsProblems(values, target));

  // Docker Hub credentials come as a pair: a username without its token (or the reverse) would
  // silently pull anonymously.
  const username = values.get("mirror.dockerHubUsername");
  const token = values.get("mirror.dockerHubToken");
  if (username !== undefined && token === undefined) {
    problems.push(
      `${fullKey("mirror.dockerHubToken")}: expected a secret access token with mirror.dockerHubUsername (set it with \`pulumi config set --secret --path mirror.dockerHubToken …\`); it is not set`,
    );
  } else if (username === undefined && token !== undefined) {
    problems.push(
      `${fullKey("mirror.dockerHubUsername")}: expected the Docker ID the token mirror.dockerHubToken belongs to; it is not set`,
    );
  }

  const tags = values.get("runner.tags") as string[];
  if (values.get("runner.runUntagged") === false && Array.isArray(tags) && tags.length === 0) {
    problems.push(
      `${fullKey("runner.tags")}: expected at least one tag when runner.runUntagged is false (the runner would take no job); got []`,
    );
  }

  problems.push(...backupBucketProblems(values));
  problems.push(...privateSubnetProblems(values));
}

/**
 * Managed data services (gitlab.database `rds`, gitlab.redis `elasticache`) live in two private /24
 * subnets, the VPC's third and fourth (infra/host/aws/private-subnets.ts; the first is the host's,
 * the second the CI workers'): the VPC needs room for four /24s, a /22 or wider.
 */
function privateSubnetProblems(values: Map<string, unknown>): string[] {
  const users = [
    ...(values.get("gitlab.database") === "rds" ? ["gitlab.database rds"] : []),
    ...(values.get("gitlab.redis") === "elasticache" ? ["gitlab.redis elasticache"] : []),
  ];
  const vpcCidr = values.get("network.vpcCidr");
  if (users.length === 0 || typeof vpcCidr !== "string") return [];
  const prefix = Number(vpcCidr.split("/")[1]);
  if (!(prefix > 22)) return [];
  return [
    `${fullKey("network.vpcCidr")}: expected a /22 or wider block with ${users.join(" and ")} (their two private subnets are the VPC's third and fourth /24, after the host's and the CI workers'); got ${JSON.stringify(vpcCidr)}`,
  ];
}

/**
 * The backup buckets a stack may use: its own (created, or its team's kept one adopted with
 * backup.bucketName, whose protections the stack takes over) and, for a drill, another stack's
 * prefix it only reads (backup.restoreFrom). Adopting the bucket it restores from would make the
 * drill change that bucket's lifecycle and policy.
 */
function backupBucketProblems(values: Map<string, unknown>): string[] {
  const problems: string[] = [];
  const team = values.get("team");
  const bucketName = values.get("backup.bucketName");
  const owner = typeof bucketName === "string" ? teamOfCreatedBucket(bucketName) : undefined;
  if (typeof bucketName === "string" && typeof team === "string" && owner !== undefined && owner !== team) {
    problems.push(
      `${fullKey("backup.bucketName")}: expected a bucket of team ${team} (a stack adopts only its own team's kept bucket, and takes over its lifecycle and policy); got ${JSON.stringify(bucketName)}, the bucket of team ${owner}. To restore that team's backups, unset it and set backup.restoreFrom to s3://${bucketName}/${owner}`,
    );
  }
  const restoreFrom = values.get("backup.restoreFrom");
  const source = typeof restoreFrom === "string" ? parseRestoreFrom(restoreFrom) : undefined;
  if (source === undefined || typeof source === "string") return problems;
  if (values.get("backup.enabled") === false) {
    problems.push(
      `${fullKey("backup.restoreFrom")}: needs backup.enabled true (the host's restore script, its settings and its read access come with the backups; the drill's own backups go to a bucket of its own, deleted with the drill when host.keepDataOnDestroy is false); backup.enabled is false`,
    );
  }
  // The stack's own bucket and team: its created bucket's name is only known once it exists, so
  // the team decides. A team's own backups (in this stack's bucket or one it kept) are restored
  // without backup.restoreFrom, adopting a kept bucket with backup.bucketName.
  if (source.team === team) {
    problems.push(
      `${fullKey("backup.restoreFrom")}: expected another team's backups (a drill is a stack of its own team, such as ${team}-drill); got ${JSON.stringify(restoreFrom)}, this stack's team ${team}: to restore its own backups leave it unset (and adopt a bucket the team kept with backup.bucketName)`,
    );
  } else if (source.bucket === bucketName) {
    problems.push(
      `${fullKey("backup.restoreFrom")}: expected a bucket other than backup.bucketName (a drill never adopts the bucket it restores from: it would take over that bucket's lifecycle and policy); got ${JSON.stringify(restoreFrom)}: unset backup.bucketName, and the drill's backups go to a new bucket of its own`,
    );
  }
  return problems;
}

/**
 * `runner.jobImage` follows `runner.dindImage` when only the DinD image is set: the Docker CLI of
 * the same version (`docker:28.5.1-dind` → `docker:28.5.1-cli`), as the pair rule wants, so that
 * a user who sets one key is not told about another they never set. A job image given explicitly
 * is kept (and checked against the DinD image); a DinD image of another repository, or one without
 * a version (`docker:dind`), leaves the default.
 */
function deriveJobImage(values: Map<string, unknown>, given: ReadonlySet<string>, refused: ReadonlySet<string>): void {
  if (given.has("runner.jobImage") || !given.has("runner.dindImage") || refused.has("runner.dindImage")) return;
  const derived = cliImageFor(values.get("runner.dindImage") as string);
  if (derived !== undefined) values.set("runner.jobImage", derived);
}

/**
 * What `gitlab.tls` means for this target and external URL. `auto`: plain HTTP on local (nothing
 * leaves the machine) and for an explicit http:// URL; Let's Encrypt for an https:// URL with a DNS
 * name; otherwise (no URL on AWS) a certificate from the stack CA. Call after `tlsProblems` found none.
 */
export function resolveTlsMode(target: Target, tls: TlsSetting, externalUrl: string | undefined): TlsMode {
  if (target === "local") return "off";
  if (tls !== "auto") return tls;
  if (externalUrl === undefined) return "selfSigned";
  return new URL(externalUrl).protocol === "https:" ? "letsencrypt" : "off";
}

/** The TLS rules across gitlab.tls, gitlab.externalUrl, gitlab.httpPort, gitlab.letsencryptEmail and dns.zoneId. */
function tlsProblems(values: Map<string, unknown>, target: Target): string[] {
  const problems: string[] = [];
  const tls = values.get("gitlab.tls");
  const externalUrl = values.get("gitlab.externalUrl");
  const httpPort = values.get("gitlab.httpPort");
  if (typeof tls !== "string" || !["auto", "letsencrypt", "selfSigned", "off"].includes(tls)) return problems;
  const url = typeof externalUrl === "string" ? new URL(externalUrl) : undefined;
  const https = url?.protocol === "https:";
  const shown = JSON.stringify(externalUrl);

  if (target === "local") {
    // GitLab's HTTPS needs a public name (Let's Encrypt) or a CA to hand out; local stays on localhost.
    if (tls === "letsencrypt" || tls === "selfSigned") {
      problems.push(
        `${fullKey("gitlab.tls")}: expected auto or off on the local target (GitLab stays at http://localhost:<httpPort>; nothing leaves this machine, and Let's Encrypt cannot reach it); got ${JSON.stringify(tls)}`,
      );
    }
    if (https) {
      problems.push(
        `${fullKey("gitlab.externalUrl")}: expected an http:// URL on the local target (GitLab's HTTPS needs a public DNS name for its certificate); got ${shown}`,
      );
    }
    return problems;
  }

  if (https && url !== undefined) {
    if (url.port !== "") {
      problems.push(
        `${fullKey("gitlab.externalUrl")}: expected an https:// URL on the standard port 443 (the host publishes 443 to GitLab's HTTPS); got ${shown}`,
      );
    }
    const mode = resolveTlsMode(target, tls as TlsSetting, externalUrl as string);
    if (mode === "letsencrypt" && isIpHost(url.hostname)) {
      problems.push(
        `${fullKey("gitlab.externalUrl")}: expected an https:// URL with a DNS name (Let's Encrypt cannot name an IP address; leave the URL unset for a certificate from the stack CA on the Elastic IP); got ${shown}`,
      );
    }
    if (typeof httpPort === "number" && httpPort !== 80) {
      problems.push(
        `${fullKey("gitlab.httpPort")}: expected 80 with an https:// gitlab.externalUrl on aws (port 80 redirects to https and answers Let's Encrypt's HTTP-01 challenge, which only ever comes to port 80); got ${httpPort}`,
      );
    }
  }
  if (tls === "letsencrypt" && !https) {
    problems.push(
      `${fullKey("gitlab.tls")}: letsencrypt needs an https:// gitlab.externalUrl with a DNS name that points at the host (Let's Encrypt certifies a name, not the bare Elastic IP); gitlab.externalUrl is ${externalUrl === undefined ? "unset" : shown}`,
    );
  }
  if (tls === "selfSigned" && url !== undefined && !https) {
    problems.push(
      `${fullKey("gitlab.tls")}: selfSigned contradicts the http:// gitlab.externalUrl ${shown}; leave the URL unset (https://<Elastic IP>) or make it https://`,
    );
  }
  if (tls === "off" && https) {
    problems.push(
      `${fullKey("gitlab.tls")}: off contradicts the https:// gitlab.externalUrl ${shown}; make the URL http:// or set gitlab.tls to auto`,
    );
  }
  const mode =
    problems.length === 0 ? resolveTlsMode(target, tls as TlsSetting, externalUrl as string | undefined) : undefined;
  const email = values.get("gitlab.letsencryptEmail");
  if (typeof email === "string" && mode !== undefined && mode !== "letsencrypt") {
    problems.push(
      `${fullKey("gitlab.letsencryptEmail")}: only used with Let's Encrypt (an https:// gitlab.externalUrl with a DNS name), but GitLab serves ${mode === "off" ? "plain HTTP" : "a certificate from the stack CA"} here; unset it`,
    );
  }
  const zoneId = values.get("dns.zoneId");
  if (typeof zoneId === "string" && !(https && url !== undefined && !isIpHost(url.hostname))) {
    problems.push(
      `${fullKey("dns.zoneId")}: the stack creates the A record of gitlab.externalUrl's host in this zone, so it needs an https:// gitlab.externalUrl with a DNS name; gitlab.externalUrl is ${externalUrl === undefined ? "unset" : shown}`,
    );
  }
  return problems;
}

function build(values: Map<string, unknown>, target: Target, awsRegion: string | undefined): StackConfig {
  const tree: Record<string, unknown> = {};
  for (const [path, value] of values) {
    const parts = path.split(".");
    let node = tree;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]] = value;
  }
  const gitlab = tree.gitlab as Record<string, unknown>;
  gitlab.tlsMode = resolveTlsMode(target, gitlab.tls as TlsSetting, gitlab.externalUrl as string | undefined);
  // backup.localDir's default names the team.
  const backup = (tree.backup ?? {}) as Record<string, unknown>;
  backup.localDir ??= `./backups/${String(tree.team)}`;
  return { ...tree, dns: tree.dns ?? { zoneId: undefined }, backup, target, awsRegion } as unknown as StackConfig;
}

interface AutoscalerContext {
  readonly target: Target;
  /** Every key the stack sets. */
  readonly given: ReadonlySet<string>;
  /** Keys whose value was refused already (reported once, not again here). */
  readonly refused: ReadonlySet<string>;
}

/**
 * The autoscaler's rules across keys, and the values it decides for others: `runner.concurrent` is
 * maxInstances × capacityPerInstance (GitLab's docker-autoscaler docs), and the host's IMDS hop
 * limit is 2 (the runner container reads the host's role through IMDS from its bridge network).
 */
function applyAutoscaler(values: Map<string, unknown>, ctx: AutoscalerContext, problems: string[]): void {
  if (values.get("runner.autoscaler.enabled") !== true) return;
  if (ctx.target !== "aws") {
    problems.push(
      `${fullKey("runner.autoscaler.enabled")}: expected false on the local target (the workers are EC2 instances in the stack's VPC, driven through an AWS Auto Scaling group); got true`,
    );
    return;
  }
  const usable = (path: string): boolean => !ctx.refused.has(path);
  const maxInstances = values.get("runner.autoscaler.maxInstances") as number;
  const capacity = values.get("runner.autoscaler.capacityPerInstance") as number;
  const slots = maxInstances * capacity;
  const slotsKnown = usable("runner.autoscaler.maxInstances") && usable("runner.autoscaler.capacityPerInstance");

  const idleCount = values.get("runner.autoscaler.idleCount") as number;
  if (slotsKnown && usable("runner.autoscaler.idleCount") && idleCount > slots) {
    problems.push(
      `${fullKey("runner.autoscaler.idleCount")}: expected at most ${slots} (maxInstances ${maxInstances} × capacityPerInstance ${capacity}: idleCount counts job slots, not VMs); got ${idleCount}`,
    );
  }

  if (ctx.given.has("runner.concurrent")) {
    const concurrent = values.get("runner.concurrent") as number;
    if (slotsKnown && usable("runner.concurrent") && concurrent !== slots) {
      problems.push(
        `${fullKey("runner.concurrent")}: expected ${slots} (maxInstances ${maxInstances} × capacityPerInstance ${capacity}) or unset, with runner.autoscaler.enabled; got ${concurrent}`,
      );
    }
  } else {
    values.set("runner.concurrent", slots);
  }

  if (ctx.given.has("host.imdsHopLimit")) {
    const hops = values.get("host.imdsHopLimit") as number;
    if (usable("host.imdsHopLimit") && hops < 2) {
      problems.push(
        `${fullKey("host.imdsHopLimit")}: expected at least 2 with runner.autoscaler.enabled (the runner container reaches the host role's credentials through IMDS from a Docker bridge network, one hop more than the host); got ${hops}`,
      );
    }
  } else {
    values.set("host.imdsHopLimit", 2);
  }
}

/**
 * `gitlab.objectStorage: s3` (aws only; the key's own rule refuses it locally): GitLab's container
 * reads the host role's credentials through IMDS from its bridge network, one hop more than the
 * host, so the hop limit is 2 (as with the autoscaler, whose rule reports a given 1 already); and
 * every bucket name built from the team must be one S3 accepts.
 */
function applyObjectStorage(values: Map<string, unknown>, ctx: AutoscalerContext, problems: string[]): void {
  if (values.get("gitlab.objectStorage") !== "s3" || ctx.target !== "aws") return;
  if (ctx.given.has("host.imdsHopLimit")) {
    const hops = values.get("host.imdsHopLimit") as number;
    if (!ctx.refused.has("host.imdsHopLimit") && hops < 2 && values.get("runner.autoscaler.enabled") !== true) {
      problems.push(
        `${fullKey("host.imdsHopLimit")}: expected at least 2 with gitlab.objectStorage s3 (GitLab's container reaches the host role's credentials for its buckets through IMDS from a Docker bridge network, one hop more than the host); got ${hops}`,
      );
    }
  } else {
    values.set("host.imdsHopLimit", 2);
  }
  const team = values.get("team");
  if (typeof team === "string" && !ctx.refused.has("team")) {
    const why = objectBucketNameProblem(team);
    if (why !== undefined) problems.push(`${fullKey("team")}: ${why}`);
  }
}

/**
 * The `rds.*` keys only mean something with `gitlab.database` rds: set with `bundled` they would
 * silently do nothing (a `rds.multiAz: true` that protects no database), so each one is refused,
 * naming it.
 */
function rdsProblems(values: Map<string, unknown>, given: ReadonlySet<string>, refused: ReadonlySet<string>): string[] {
  if (refused.has("gitlab.database")) return [];
  const problems: string[] = [];
  const database = values.get("gitlab.database");
  if (database !== "rds") {
    for (const path of [...given].filter((p) => p.startsWith("rds.")).sort()) {
      problems.push(
        `${fullKey(path)}: only used with gitlab.database rds (it configures GitLab's database on Amazon RDS), but gitlab.database is ${String(database)}; unset it, or set gitlab.database to rds`,
      );
    }
    return problems;
  }
  // The VPC's room for the private subnets is privateSubnetProblems' (shared with ElastiCache).
  return problems;
}

/**
 * `runner.cache.type`'s default (`s3` on aws with the autoscaler: every job there starts on a fresh
 * worker, so a local cache never hits) and its rule across keys, and the spot keys' rules across keys.
 */
function applySpotAndCache(values: Map<string, unknown>, ctx: AutoscalerContext, problems: string[]): void {
  const autoscaled = ctx.target === "aws" && values.get("runner.autoscaler.enabled") === true;
  if (!ctx.given.has("runner.cache.type")) {
    values.set("runner.cache.type", autoscaled ? "s3" : "local");
  } else if (
    ctx.target === "aws" &&
    !autoscaled &&
    values.get("runner.cache.type") === "s3" &&
    !ctx.refused.has("runner.cache.type") &&
    !ctx.refused.has("host.imdsHopLimit") &&
    (values.get("host.imdsHopLimit") as number) < 2
  ) {
    problems.push(
      `${fullKey("runner.cache.type")}: expected local with host.imdsHopLimit ${String(values.get("host.imdsHopLimit"))} and no runner.autoscaler.enabled (the runner container presigns the cache's URLs with the host role, which it reaches through IMDS from a Docker bridge network: set host.imdsHopLimit to 2, which lets the host's job containers reach the role too, or enable the autoscaler); got "s3"`,
    );
  }
  if (!autoscaled) return;

  const spot = values.get("runner.autoscaler.spot") === true;
  const extra = values.get("runner.autoscaler.extraInstanceTypes") as string[];
  const onDemandBase = values.get("runner.autoscaler.onDemandBase") as number;
  const usable = (path: string): boolean => !ctx.refused.has(path);
  if (!spot) {
    if (usable("runner.autoscaler.extraInstanceTypes") && extra.length > 0) {
      problems.push(
        `${fullKey("runner.autoscaler.extraInstanceTypes")}: expected [] without runner.autoscaler.spot (the extra types are for spot capacity; on-demand workers are instanceType); got ${JSON.stringify(extra)}`,
      );
    }
    if (usable("runner.autoscaler.onDemandBase") && onDemandBase > 0) {
      problems.push(
        `${fullKey("runner.autoscaler.onDemandBase")}: expected 0 without runner.autoscaler.spot (every worker is on demand already); got ${onDemandBase}`,
      );
    }
    return;
  }
  const maxInstances = values.get("runner.autoscaler.maxInstances") as number;
  if (
    usable("runner.autoscaler.onDemandBase") &&
    usable("runner.autoscaler.maxInstances") &&
    onDemandBase > maxInstances
  ) {
    problems.push(
      `${fullKey("runner.autoscaler.onDemandBase")}: expected at most maxInstances (${maxInstances}); got ${onDemandBase}`,
    );
  }
  if (!usable("runner.autoscaler.extraInstanceTypes") || !usable("runner.autoscaler.instanceType")) return;
  const base = values.get("runner.autoscaler.instanceType") as string;
  const baseFacts = instanceTypeFacts(base);
  const seen = new Set<string>([base]);
  extra.forEach((type, i) => {
    const key = `${fullKey("runner.autoscaler.extraInstanceTypes")}[${i}]`;
    if (seen.has(type)) {
      problems.push(
        `${key}: expected a type not already listed (instanceType or an earlier extra type); got ${JSON.stringify(type)}`,
      );
      return;
    }
    seen.add(type);
    const facts = instanceTypeFacts(type);
    if (baseFacts === undefined) {
      problems.push(
        `${key}: expected no extra types while instanceType ${base} is not in the vendored table of vCPUs and memory (infra/config/instance-types.ts), so that every worker can be checked to hold capacityPerInstance jobs; got ${JSON.stringify(type)}`,
      );
    } else if (facts === undefined) {
      problems.push(
        `${key}: expected a type of the vendored table of vCPUs and memory (infra/config/instance-types.ts: the m, c and r families of the 5th generation on), with ${baseFacts.vcpus} vCPUs and ${baseFacts.memoryGiB} GiB like instanceType ${base}; got ${JSON.stringify(type)}, whose size the table does not know`,
      );
    } else if (
      facts.vcpus !== baseFacts.vcpus ||
      facts.memoryGiB !== baseFacts.memoryGiB ||
      facts.burstable !== baseFacts.burstable
    ) {
      const shape = (f: { vcpus: number; memoryGiB: number; burstable: boolean }): string =>
        `${f.vcpus} vCPUs, ${f.memoryGiB} GiB${f.burstable ? ", burstable" : ""}`;
      problems.push(
        `${key}: expected a type with the vCPUs and memory of instanceType ${base} (${shape(baseFacts)}): capacityPerInstance counts jobs per worker, whatever its type; got ${JSON.stringify(type)} (${shape(facts)})`,
      );
    }
  });
}

function tryJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return text;
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof ConfigSecret);
}

/** A given value as it reads in a message; secrets never show. */
function show(value: unknown, secret: boolean): string {
  if (secret || value instanceof ConfigSecret) return "a secret value";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
