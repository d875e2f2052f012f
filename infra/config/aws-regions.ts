/**
 * `aws:region`, checked against the regions the pinned `@pulumi/aws` (7.48.0) knows: its `Region`
 * enum (`aws.Region`, generated from the provider's schema). The AWS provider refuses a region
 * name it does not know unless told to skip the check (`skipRegionValidation`), and the program
 * derives names from the region (the availability zones, the cloud-init's SSM endpoint): a name
 * outside the list is refused here, before anything is built, with the nearest one.
 */
import { Region } from "@pulumi/aws/types/enums";
import { editDistance } from "./rules";

/** Every region the pinned SDK lists. Read from its enum module alone (plain data, no Pulumi runtime). */
export const AWS_REGIONS: readonly string[] = Object.values(Region);

/** The problem with an `aws:region` value, naming the key; undefined when the SDK knows the region. */
export function awsRegionProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() === "") {
    return "aws:region: required for target aws (the AWS region to build in, such as eu-central-1); it is not set";
  }
  if (AWS_REGIONS.includes(value)) return undefined;
  const given = value.trim().toLowerCase();
  const nearest = [...AWS_REGIONS].sort((a, b) => editDistance(given, a) - editDistance(given, b))[0];
  return `aws:region: expected an AWS region the pinned @pulumi/aws knows, such as eu-central-1 (did you mean ${nearest}?); got ${JSON.stringify(value)}`;
}
