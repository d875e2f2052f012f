/**
 * Bucket-policy statements every bucket of the stack carries (backups, GitLab's objects, the runner cache).
 */
import * as pulumi from "@pulumi/pulumi";

/** Refuses every request to the bucket and its objects that does not come over TLS. */
export function denyInsecureTransport(bucketArn: pulumi.Output<string>) {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  } as const;
}
