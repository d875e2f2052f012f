/**
 * The program of several teams in one AWS account and region, each built under the recording mocks
 * with ids and ARNs of its own (deterministic per team): what an IAM policy evaluator needs to tell
 * one team's resources from another's. The shared mocks give every stack the same KMS key id,
 * association id and instance ARN; here the instance's ARN carries its id and the key and
 * association ids are derived from the team.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { buildStack } from "../../infra/program";
import { RecordingMocks, revealSecrets, type RecordedResource } from "../../tools/plan/mocks";
import { runUnderMocks } from "../../tools/plan/under-mocks";
import { stackConfig } from "./stack-plans";

/** A stable UUID-shaped id from a team and what it names. */
export function teamUuid(team: string, what: string): string {
  const h = createHash("sha256").update(`${team}/${what}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The recording mocks, with the ids and ARNs that would collide between teams made the team's own. */
export class TeamMocks extends RecordingMocks {
  constructor(private readonly team: string) {
    super();
  }

  override newResource(args: pulumi.runtime.MockResourceArgs): {
    id: string | undefined;
    state: Record<string, unknown>;
  } {
    const made = super.newResource(args);
    // The state object is the one the mocks keep: changed here, it is changed for later lookups too.
    const state = made.state;
    const swap = (field: string, from: string, to: string) => {
      if (typeof state[field] === "string") state[field] = state[field].replace(from, to);
    };
    if (args.type === "aws:ec2/instance:Instance" && made.id !== undefined) {
      swap("arn", "i-0a1b2c3d4e5f60718", made.id);
    } else if (args.type === "aws:kms/key:Key") {
      const keyId = teamUuid(this.team, "kms-key");
      swap("arn", String(state.keyId), keyId);
      state.keyId = keyId;
    } else if (args.type === "aws:ssm/association:Association") {
      const associationId = teamUuid(this.team, "association");
      swap("arn", String(state.associationId), associationId);
      state.associationId = associationId;
    }
    return made;
  }
}

export interface TeamStack {
  readonly team: string;
  /** Every resource the program registered, inputs with secrets revealed. */
  readonly resources: readonly (RecordedResource & { readonly state: Record<string, unknown> })[];
}

/**
 * The stack file `Pulumi.<stack>.yaml` planned for `team` (with `values` laid over it). Resources come
 * with the state the mocks computed (ARNs, ids), so a test reads both what the program asked for and
 * what it got.
 */
export async function buildTeamStack(
  stack: string,
  team: string,
  values: Record<string, unknown> = {},
): Promise<TeamStack> {
  const config = stackConfig(stack, { ...values, "gitlab-dind:team": team });
  const mocks = new TeamMocks(team);
  const states = new Map<RecordedResource, Record<string, unknown>>();
  const original = mocks.newResource.bind(mocks);
  mocks.newResource = (args) => {
    const made = original(args);
    states.set(mocks.resources[mocks.resources.length - 1], made.state);
    return made;
  };
  await runUnderMocks(mocks, "gitlab-dind", `${stack}-${team}`, () => buildStack(config));
  return {
    team,
    resources: mocks.resources.map((r) => ({
      ...r,
      inputs: revealSecrets(r.inputs) as Record<string, unknown>,
      state: states.get(r) ?? {},
    })),
  };
}
