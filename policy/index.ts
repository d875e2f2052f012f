/**
 * The gitlab-dind policy pack, as `pulumi preview --policy-pack policy` (and `pulumi up
 * --policy-pack policy`) runs it: Pulumi starts this file with @pulumi/pulumi's run-policy-pack
 * from this directory, and the PolicyPack serves the policies to the engine over gRPC.
 * The policies themselves are in policies.ts, which `npm run policy` also applies offline.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "./policies";

new PolicyPack(PACK_NAME, {
  description:
    "Security invariants of gitlab-dind: Docker API, SSH and cache ports, IMDSv2, encryption, IAM, S3, Docker socket, privileged containers, HTTPS.",
  policies: [...POLICIES],
  enforcementLevel: "mandatory",
});
