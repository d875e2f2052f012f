/**
 * The `gitlab.omnibus` capability: the stack's own gitlab.rb settings (single sign-on, LDAP, a time
 * zone, …) appended to the program's, and the secrets they read as root-only files in GitLab's
 * container (`gitlab.omnibusSecrets`; never in gitlab.rb's text, the plan, outputs or user data).
 * The config parser has checked the settings (omnibus-settings.ts `omnibusProblems`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Contribution } from "../contributions";
import type { StackConfig } from "../config/types";
import { omnibusGitLabRb, omnibusSecretPath } from "./omnibus-settings";

/** The contribution of `gitlab.omnibus`: empty when it is `{}`. */
export function omnibusSettings(config: StackConfig): Contribution {
  const { omnibus, omnibusSecrets } = config.gitlab;
  const { settings, secretNames } = omnibusGitLabRb(omnibus);
  if (settings.length === 0) return { name: "omnibus" };
  return {
    name: "omnibus",
    gitlabRb: settings,
    gitlabSecretFiles: secretNames.map((name) => {
      const secret = omnibusSecrets[name];
      if (secret === undefined) throw new Error(`gitlab.omnibus: the secret ${name} is not in gitlab.omnibusSecrets`);
      return { path: omnibusSecretPath(name), content: pulumi.secret(secret.reveal()) };
    }),
  };
}
