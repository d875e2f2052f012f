/**
 * The S3 names `backup.bucketName` and `backup.restoreFrom` take (S3 User Guide, "General purpose
 * bucket naming rules"): a name S3 would refuse is refused here, before `pulumi up` gets that far;
 * one it accepts passes. Written against the survivors of `npm run mutants` on this module.
 */
import { describe, expect, it } from "vitest";
import { checkBucketName, parseRestoreFrom } from "../../infra/config/s3-location";

describe("bucket names", () => {
  it.each([
    ["63 characters", "a".repeat(63)],
    ["an address-like name with a letter before it", "a192.168.5.4"],
    ["an address-like name with a letter after it", "192.168.5.4a"],
    ["a reserved suffix's letters in the middle", "team-s3alias-backups"],
    ["a reserved prefix's letters at the end", "backups-sthree"],
  ])("accepts %s (%s)", (_why, name) => {
    expect(checkBucketName(name)).toBeUndefined();
  });

  it.each([
    ["64 characters", "a".repeat(64)],
    ["an IP address", "192.168.5.4"],
    ["an IP address with a two-digit part", "192.168.55.4"],
    ["the access-point alias suffix", "backups-s3alias"],
    ["the Object Lambda suffix", "backups--ol-s3"],
    ["the directory-bucket suffix", "backups--x-s3"],
    ["a reserved prefix", "sthree-backups"],
    ["two dots together", "team..backups"],
  ])("refuses %s (%s)", (_why, name) => {
    expect(checkBucketName(name)).toMatch(/^an S3 bucket name/);
  });
});

describe("backup.restoreFrom", () => {
  it("splits s3://<bucket>/<team>", () => {
    expect(parseRestoreFrom("s3://payments-gitlab-backups-5eed0000/payments")).toEqual({
      bucket: "payments-gitlab-backups-5eed0000",
      team: "payments",
    });
  });

  it.each(["xs3://bucket-one/payments", "s3://bucket-one/payments/", "s3://bucket-one/payments/extra"])(
    "refuses anything but exactly that form (%s)",
    (value) => {
      expect(parseRestoreFrom(value)).toMatch(/exactly that: no trailing slash, no deeper path/);
    },
  );
});
