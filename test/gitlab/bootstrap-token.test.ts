import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN_LIFETIME_DAYS,
  ADMIN_TOKEN_PATH,
  BOOTSTRAP_SCRIPT_PATH,
  renderBootstrapScript,
  renderPostReconfigureScript,
} from "../../infra/gitlab/bootstrap-token";

describe("the post-reconfigure script", () => {
  const script = renderPostReconfigureScript();

  it("feeds the token file to the Rails runner on stdin, never as an argument or variable", () => {
    expect(script).toContain(`gitlab-rails runner ${BOOTSTRAP_SCRIPT_PATH} < ${ADMIN_TOKEN_PATH}`);
    expect(script).not.toMatch(/\$\(cat|`cat|export /);
  });

  it("never fails the image's init-container (set -e): a failure is reported in the log instead", () => {
    expect(script).toMatch(/^if .*; then$/m);
    expect(script).toContain("bootstrap FAILED");
  });

  it.skipIf(spawnSync("shellcheck", ["--version"]).status !== 0)("passes shellcheck", () => {
    const result = spawnSync("shellcheck", ["-s", "sh", "-"], { input: script });
    expect(result.stdout.toString() + result.stderr.toString()).toBe("");
    expect(result.status).toBe(0);
  });
});

describe("the bootstrap Ruby script", () => {
  const rb = renderBootstrapScript({ allowSignup: false });

  it("sets the token with GitLab's documented calls and never prints it", () => {
    expect(rb).toContain("PersonalAccessToken.find_by_token(value)");
    expect(rb).toContain("token.set_token(value)");
    expect(rb).toContain("token.save!");
    expect(rb).not.toMatch(/^\s*(puts|print|p|pp|warn|\$stdout|\$stderr)\b[^\n]*\bvalue\b/m);
  });

  it("keeps the expiry within GitLab's default one-year maximum and moves it on every run", () => {
    expect(ADMIN_TOKEN_LIFETIME_DAYS).toBeLessThanOrEqual(365);
    expect(rb).toContain("token.update!(revoked: false, scopes: TOKEN_SCOPES, expires_at: expires_at)");
  });

  it("revokes the previous token of the same name only when the value is new", () => {
    const newBranch = rb.slice(rb.indexOf("if token.nil?"), rb.indexOf("else"));
    expect(newBranch).toContain("each(&:revoke!)");
  });
});
