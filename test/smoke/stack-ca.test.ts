/**
 * `npm run smoke -- --stack` takes the stack CA from the outputs, so its calls verify GitLab's
 * certificate instead of failing on it (or turning verification off).
 */
import { describe, expect, it } from "vitest";
import { validateOutputs, StackOutputsError } from "../../tools/smoke/stack-outputs";

const OUTPUTS = {
  gitlabUrl: "https://198.51.100.7",
  adminToken: "AbCdEfGhIj0123456789",
  runnerId: 1,
  runnerTags: ["docker"],
  examplePipeline: "build: {}",
};
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("the stack CA in the stack outputs", () => {
  it("is passed on when the stack has one, absent otherwise", () => {
    expect(validateOutputs("dev", { ...OUTPUTS, gitlabCaCertificate: PEM }).gitlabCaCertificate).toBe(PEM);
    expect(validateOutputs("dev", OUTPUTS).gitlabCaCertificate).toBeUndefined();
  });

  it("is refused when it is not a PEM certificate", () => {
    expect(() => validateOutputs("dev", { ...OUTPUTS, gitlabCaCertificate: "nope" })).toThrow(StackOutputsError);
    expect(() => validateOutputs("dev", { ...OUTPUTS, gitlabCaCertificate: "nope" })).toThrow(
      /gitlabCaCertificate: expected a PEM certificate/,
    );
  });
});
