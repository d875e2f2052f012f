/**
 * Which EC2 instance types the host can run on. The host boots Amazon Linux 2023 for x86_64
 * (infra/host/aws/instance.ts), so an arm64 type would be refused by EC2 at launch
 * ("The architecture 'x86_64' of the specified instance type does not match the architecture
 * 'arm64' of the specified AMI"), after the network, the keys and the volume were created.
 *
 * The one list of arm64 families, from AWS's "Amazon EC2 instance type naming conventions"
 * (https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html): a family name
 * is `<series><generation><processor family><capabilities>`, and the processor-family letter `g`
 * means AWS Graviton (arm64) — `t4g`, `m6g`/`m6gd`, `m7g`/`m7gd`, `m8g`, `c6g`/`c6gn`,
 * `c7g`/`c7gn`, `c8g`, `r6g`, `r7g`, `r8g`, `x2gd`, `im4gn`, `is4gen`, `i4g`, `g5g`, `hpc7g`.
 * Two arm64 families do not follow that letter: `a1` (the first Graviton, named before the
 * convention) and the Apple-silicon Mac families `mac2*` (Mac instances boot only macOS anyway).
 * The GPU series `g` is the series letter, not the processor letter: `g4dn`, `g5`, `g6`, `g6e`
 * are x86_64 and allowed.
 */

import { InstanceType } from "@pulumi/aws/types/enums/ec2";
import { editDistance } from "./edit-distance";

/** Families that are arm64 although their name carries no processor letter `g`. */
export const ARM64_FAMILIES_WITHOUT_G = ["a1"] as const;

/** `<series><generation><processor and capabilities>` of a family name such as `c7gn`. */
const FAMILY = /^([a-z]+)(\d+)([a-z]*)(?:-[a-z0-9]+)?$/;

/**
 * Why an instance type cannot run the host's x86_64 image, or undefined when it can.
 * Only the architecture is judged here; the form of the name is checked by the schema.
 */
export function arm64InstanceTypeReason(instanceType: string): string | undefined {
  const family = instanceType.split(".")[0];
  if ((ARM64_FAMILIES_WITHOUT_G as readonly string[]).includes(family)) {
    return `${family} is an arm64 family (the first AWS Graviton)`;
  }
  if (family.startsWith("mac")) {
    return `${family} is a Mac family (Mac instances boot only macOS images${family.startsWith("mac2") ? "; mac2 is Apple silicon, arm64" : ""})`;
  }
  const parts = FAMILY.exec(family);
  if (parts !== null && parts[3].startsWith("g")) {
    return `${family} is an AWS Graviton (arm64) family: the "g" after the generation number is the processor letter`;
  }
  return undefined;
}

/**
 * Every EC2 instance type the pinned `@pulumi/aws` (7.48.0) lists (`aws.ec2.InstanceType`, generated
 * from the provider's schema). The SDK lags new families: a well-formed name missing here may
 * still exist, so it is a warning, not a refusal. Read from the SDK's enum module alone (plain
 * data, no Pulumi runtime), so that the config parser stays cheap.
 */
const SDK_INSTANCE_TYPES: readonly string[] = Object.values(InstanceType);
const SDK_TYPE_SET: ReadonlySet<string> = new Set(SDK_INSTANCE_TYPES);

/** Whether the pinned SDK lists the type. */
export function sdkListsInstanceType(instanceType: string): boolean {
  return SDK_TYPE_SET.has(instanceType);
}

/** `<series><generation><attributes>[-<suffix>]`: `m7i`, `m7i-flex`, `c7gn`, `u7in-16tb`, `mac2-m2pro`, `u-6tb1`. */
const FAMILY_FORM = /^([a-z]+)(?:-?(\d+)[a-z]*)(?:-[a-z0-9]+)?$|^([a-z]+)-[a-z0-9]+$/;

/** The series (leading letters) of a family name: `m` of `m7i`, `hpc` of `hpc7a`, `u` of `u-6tb1`. */
function seriesOf(family: string): string | undefined {
  const m = FAMILY_FORM.exec(family);
  return m === null ? undefined : (m[1] ?? m[3]);
}

/** The series EC2 has (as the pinned SDK's list shows them); a name in another series cannot exist. */
const KNOWN_SERIES: ReadonlySet<string> = new Set(
  SDK_INSTANCE_TYPES.map((t) => seriesOf(t.split(".")[0])).filter((s): s is string => s !== undefined),
);

/** EC2's size words: `nano` … `xlarge`, `<n>xlarge`, `metal`, `metal-<n>xl`. */
const SIZE_FORM = /^(?:nano|micro|small|medium|large|xlarge|[1-9]\d{0,2}xlarge|metal|metal-[1-9]\d{0,2}xl)$/;

/**
 * Why a name cannot be an EC2 instance type (a size word EC2 does not have, a series that does not
 * exist), with the nearest type the pinned SDK lists; undefined for a well-formed name. `candidates`
 * narrows the suggestions (the x86_64 types for an x86_64 image).
 */
export function malformedInstanceTypeReason(
  instanceType: string,
  candidates: (type: string) => boolean = () => true,
): string | undefined {
  const dot = instanceType.indexOf(".");
  const family = dot < 0 ? instanceType : instanceType.slice(0, dot);
  const size = dot < 0 ? "" : instanceType.slice(dot + 1);
  const series = seriesOf(family);
  let why: string | undefined;
  if (dot < 0 || size === "") why = "a type is <family>.<size>";
  else if (series === undefined || !KNOWN_SERIES.has(series))
    why = `no EC2 instance family is named ${JSON.stringify(family)}`;
  else if (!SIZE_FORM.test(size))
    why = `${JSON.stringify(size)} is not an EC2 size (nano, micro, small, medium, large, xlarge, <n>xlarge, metal)`;
  if (why === undefined) return undefined;
  const nearest = nearestInstanceType(instanceType, candidates);
  return nearest === undefined ? why : `${why}; did you mean ${nearest}?`;
}

/** The listed type nearest to `instanceType` by edit distance (ties: the same family first). */
export function nearestInstanceType(
  instanceType: string,
  candidates: (type: string) => boolean = () => true,
): string | undefined {
  const family = instanceType.split(".")[0];
  let best: string | undefined;
  let bestScore = Infinity;
  for (const type of SDK_INSTANCE_TYPES) {
    if (!candidates(type)) continue;
    const score = editDistance(instanceType, type) * 2 + (type.split(".")[0] === family ? 0 : 1);
    if (score < bestScore) {
      best = type;
      bestScore = score;
    }
  }
  return best;
}

/** What the host's checks need to know of a type. */
export interface InstanceTypeFacts {
  readonly vcpus: number;
  readonly memoryGiB: number;
  /** CPU credits (the `t` families): a baseline share of a core, then throttled. */
  readonly burstable: boolean;
}

/**
 * The vendored table: vCPUs and memory of the x86_64 families a GitLab host is likely to run on.
 *
 * Source: AWS's "Amazon EC2 instance type specifications" (General purpose, Compute optimized and
 * Memory optimized pages, https://docs.aws.amazon.com/ec2/latest/instancetypes/), as of 2026-12-06;
 * cross-checked with the per-type list in openshift-docs
 * `modules/rosa-sdpolicy-am-aws-compute-types.adoc`. In these families a size has a fixed vCPU
 * count (`large` 2, `xlarge` 4, `<n>xlarge` 4n, `metal-<n>xl` 4n, `medium` 1) and memory is a fixed
 * number of GiB per vCPU (m 4, c 2, r 8); the `t` families and bare `metal` sizes are listed one by
 * one. Only sizes the pinned SDK lists are in the table (a test checks it). A type outside the table
 * is not refused: its memory is not known here, and the stack says so.
 */
const FAMILY_MEMORY_PER_VCPU: Readonly<Record<string, number>> = {
  m5: 4,
  m5a: 4,
  m6i: 4,
  m6a: 4,
  m7i: 4,
  "m7i-flex": 4,
  m7a: 4,
  m8i: 4,
  c5: 2,
  c6i: 2,
  c6a: 2,
  c7i: 2,
  c7a: 2,
  r5: 8,
  r6i: 8,
  r7i: 8,
  r7a: 8,
};

/** Types whose size does not follow the rule above: [vCPUs, GiB, burstable]. */
const LISTED: Readonly<Record<string, readonly [number, number, boolean]>> = {
  "t2.nano": [1, 0.5, true],
  "t2.micro": [1, 1, true],
  "t2.small": [1, 2, true],
  "t2.medium": [2, 4, true],
  "t2.large": [2, 8, true],
  "t2.xlarge": [4, 16, true],
  "t2.2xlarge": [8, 32, true],
  ...Object.fromEntries(
    ["t3", "t3a"].flatMap((f) => [
      [`${f}.nano`, [2, 0.5, true]],
      [`${f}.micro`, [2, 1, true]],
      [`${f}.small`, [2, 2, true]],
      [`${f}.medium`, [2, 4, true]],
      [`${f}.large`, [2, 8, true]],
      [`${f}.xlarge`, [4, 16, true]],
      [`${f}.2xlarge`, [8, 32, true]],
    ]),
  ),
  "m5.metal": [96, 384, false],
  "m6i.metal": [128, 512, false],
  "m6a.metal": [192, 768, false],
  "c5.metal": [96, 192, false],
  "c6i.metal": [128, 256, false],
  "c6a.metal": [192, 384, false],
  "r5.metal": [96, 768, false],
  "r6i.metal": [128, 1024, false],
};

/** vCPUs of a regular size: `medium` 1, `large` 2, `xlarge` 4, `<n>xlarge` and `metal-<n>xl` 4n. */
function regularVcpus(size: string): number | undefined {
  if (size === "medium") return 1;
  if (size === "large") return 2;
  if (size === "xlarge") return 4;
  const m = /^(\d+)xlarge$|^metal-(\d+)xl$/.exec(size);
  return m === null ? undefined : 4 * Number(m[1] ?? m[2]);
}

/** The table's row for a type, or undefined when the table does not hold it. */
export function instanceTypeFacts(instanceType: string): InstanceTypeFacts | undefined {
  if (!SDK_TYPE_SET.has(instanceType)) return undefined;
  const listed = LISTED[instanceType];
  if (listed !== undefined) return { vcpus: listed[0], memoryGiB: listed[1], burstable: listed[2] };
  const [family, size] = instanceType.split(".");
  const perVcpu = FAMILY_MEMORY_PER_VCPU[family];
  const vcpus = regularVcpus(size);
  if (perVcpu === undefined || vcpus === undefined) return undefined;
  return { vcpus, memoryGiB: vcpus * perVcpu, burstable: false };
}

/**
 * The table's recover-action column: whether a CloudWatch alarm may use EC2's recover action
 * (`arn:aws:automate:<region>:ec2:recover`) on a type of the table. AWS's "Recover your
 * instance" (EC2 User Guide, ec2-instance-recover / cloudwatch-recovery; the archived text at
 * github.com/siagholami/aws-documentation `doc_source/ec2-instance-recover.md`): the action is
 * supported on instances that use only EBS volumes (no instance store), in a VPC, with default or
 * dedicated tenancy, of the listed families (C5, M5, M5a, R5, T2, T3, T3a among those of the
 * table; the current page defers to `aws ec2 describe-instance-types --filters
 * Name=auto-recovery-supported,Values=true`, which the newer Nitro families of the table
 * answer). Every family in the table is EBS-only (none of the `d` variants with instance store is
 * listed), and the host is a default-tenancy instance in its own VPC. Bare-metal sizes are left
 * out: recovery moves a virtual instance to another host, and this project does not claim it
 * for a whole physical server (a false "yes" would make `pulumi up` fail when CloudWatch refuses
 * the action; a false "no" only leaves EC2's simplified automatic recovery). A type outside the
 * table gets no recover action either, for the same reason.
 */
export function recoverActionSupported(instanceType: string): boolean {
  const [family, size] = instanceType.split(".");
  if (size === undefined || size.startsWith("metal")) return false;
  if (!SDK_TYPE_SET.has(instanceType)) return false;
  return family in FAMILY_MEMORY_PER_VCPU || instanceType in LISTED;
}

/** Whether the type is of a burstable (`t`) family, by name: `t2`, `t3`, `t3a`, `t4g`. */
export function isBurstableFamily(instanceType: string): boolean {
  return /^t\d+[a-z]*\./.test(instanceType);
}

/** GitLab's requirements page (https://docs.gitlab.com/install/requirements/): the baseline. */
export const GITLAB_BASELINE_MEMORY_GIB = 16;
/** The same page: the least GitLab runs with, in a memory-constrained setup. */
export const GITLAB_MINIMUM_MEMORY_GIB = 8;
