/**
 * Physical names and tags. Stacks of several teams share one AWS account, so every explicit
 * physical name and every `Name` tag starts with the team, and everything taggable carries
 * `Team`, `Stack` and `ManagedBy`.
 */
export interface Naming {
  readonly team: string;
  readonly stack: string;
  /** A physical name: `<team>-<what>`, e.g. `payments-gitlab`. */
  name(what: string): string;
  /** The tags for a taggable resource, with `Name` set to `name(what)`. */
  tags(what: string): Record<string, string>;
  /** The tags without `Name`, for provider-level default tags. */
  readonly commonTags: Readonly<Record<string, string>>;
}

export const MANAGED_BY = "pulumi/gitlab-dind";

export function naming(team: string, stack: string): Naming {
  const name = (what: string): string => `${team}-${what}`;
  const commonTags = Object.freeze({ Team: team, Stack: stack, ManagedBy: MANAGED_BY });
  return {
    team,
    stack,
    name,
    commonTags,
    tags: (what) => ({ ...commonTags, Name: name(what) }),
  };
}
