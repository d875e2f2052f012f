/**
 * `RunnerRegistration`: an instance runner in GitLab, created with the runner authentication-token
 * flow (`POST /api/v4/user/runners`; registration tokens are disabled by default since GitLab 17.0).
 * Outputs the runner's id and its `glrt-` token, the token as a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { createRegistrationProvider } from "./registration-provider";
import type { RegistrationProviderOptions } from "./registration-provider";

/** The type token: `pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration`. */
export const RUNNER_REGISTRATION_TYPE = "pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration";

export interface RunnerRegistrationArgs {
  /** Where Pulumi reaches GitLab's API, e.g. `http://localhost:8080`. */
  readonly apiUrl: pulumi.Input<string>;
  /** An administrator's personal access token with the `api` scope; kept as a secret. */
  readonly adminToken: pulumi.Input<string>;
  /** The runner's description in GitLab; must be unique in the instance (it finds leftovers of lost answers). */
  readonly description: pulumi.Input<string>;
  /** Tags the runner takes jobs for (`runner.tags`). */
  readonly tags: pulumi.Input<readonly string[]>;
  /** Whether the runner takes untagged jobs (`runner.runUntagged`). */
  readonly runUntagged: pulumi.Input<boolean>;
  /** The stack CA (PEM) GitLab's https certificate is verified against; default the system's CAs. */
  readonly caPem?: pulumi.Input<string>;
}

/**
 * One provider object for every registration: its serialized closure is cached by identity (by
 * Pulumi in a process, and by `npm run plan` on disk, which finds it as this module's export).
 */
export const defaultRegistrationProvider = createRegistrationProvider();

export class RunnerRegistration extends pulumi.dynamic.Resource {
  /** GitLab's id of the runner. */
  declare readonly runnerId: pulumi.Output<number>;
  /** The runner authentication token (`glrt-…`), secret. */
  declare readonly token: pulumi.Output<string>;
  declare readonly description: pulumi.Output<string>;
  declare readonly tags: pulumi.Output<string[]>;
  declare readonly runUntagged: pulumi.Output<boolean>;

  constructor(
    name: string,
    args: RunnerRegistrationArgs,
    opts: pulumi.CustomResourceOptions = {},
    providerOptions?: RegistrationProviderOptions,
  ) {
    super(
      providerOptions === undefined ? defaultRegistrationProvider : createRegistrationProvider(providerOptions),
      name,
      {
        apiUrl: args.apiUrl,
        adminToken: pulumi.secret(args.adminToken),
        description: args.description,
        tags: args.tags,
        runUntagged: args.runUntagged,
        caPem: args.caPem ?? "",
        runnerId: undefined,
        token: undefined,
      },
      {
        ...opts,
        // The token is GitLab's secret for the runner; the admin token is in the state for delete.
        additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "token", "adminToken"],
        // Two live registrations must not share the description (it finds leftovers), so a forced
        // replacement deletes the old runner before creating the new one.
        deleteBeforeReplace: true,
      },
      "gitlab-dind",
      "RunnerRegistration",
    );
  }
}
