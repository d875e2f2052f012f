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
