/**
 * The AWS regions whose SES has an SMTP endpoint (`email-smtp.<region>.amazonaws.com`), for which an
 * IAM secret access key converts into an SMTP password (`aws.iam.AccessKey.sesSmtpPasswordV4`, whose
 * SigV4 signature names the provider's region).
 *
 * Vendored from the SES Developer Guide, "Obtaining Amazon SES SMTP credentials" → "Converting
 * existing AWS credentials" (https://docs.aws.amazon.com/ses/latest/dg/smtp-credentials.html), its
 * `SMTP_REGIONS` list: the regions for which AWS's own conversion script computes a password (it
 * raises "The <region> Region doesn't have an SMTP endpoint." for any other). The terraform provider
 * behind `@pulumi/aws` 7.48.0 computes the password for any region without checking
 * (internal/service/iam/access_key.go `sesSMTPPasswordFromSecretKeySigV4`); its documentation names
 * only six regions (an older list). A region SES later adds is refused here until this table grows:
 * a refusal naming the key is better than a password that never authenticates.
 */
export const SES_SMTP_REGIONS: readonly string[] = [
  "us-east-2",
  "us-east-1",
  "us-west-2",
  "ap-south-1",
  "ap-northeast-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-northeast-1",
  "ca-central-1",
  "eu-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-south-1",
  "eu-north-1",
  "sa-east-1",
  "us-gov-west-1",
  "us-gov-east-1",
];

/** SES's SMTP endpoint in a region (STARTTLS on 587). */
export function sesSmtpEndpoint(region: string): string {
  return `email-smtp.${region}.amazonaws.com`;
}
