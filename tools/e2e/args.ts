/**
 * The command line of `npm run e2e`: parsed once, every problem reported at once.
 */
import { parseArgs } from "node:util";

export interface E2eArgs {
  readonly stack: string;
  /** The user's consent: `pulumi up` creates billable resources, `pulumi destroy` removes them. */
  readonly yes: boolean;
  /** Where the timeline JSON goes. Default `e2e-<stack>-timeline.json` in the current directory. */
  readonly out: string;
  /** Smoke's time between polls (`--poll` of `npm run smoke`), e.g. "5s"; smoke's default if unset. */
  readonly poll: string | undefined;
  readonly help: boolean;
}

export const USAGE = `usage: npm run e2e -- --stack <name> --yes [--out <timeline.json>] [--poll <duration>]

Creates the stack for real (pulumi up), runs the DinD smoke pipeline on it (npm run smoke), destroys
it (pulumi destroy), checks that nothing is left (AWS: instances, Auto Scaling groups, Elastic IPs,
security groups tagged Stack=<name>; local: the containers), lists what is kept on purpose (the
data volume, a backup bucket), and prints and writes a timeline of every phase.

--yes is required: the run creates billable resources in your account and destroys them again.
Needs the Pulumi CLI (PULUMI_CLI to choose it), its credentials and, for an AWS stack, the aws CLI.`;

export class E2eArgsError extends Error {}

export function parseE2eArgs(argv: readonly string[]): E2eArgs {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        stack: { type: "string" },
        yes: { type: "boolean" },
        out: { type: "string" },
        poll: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new E2eArgsError((e as Error).message);
  }
  if (values.help === true) return { stack: "", yes: false, out: "", poll: undefined, help: true };
  const problems: string[] = [];
  const stack = values.stack ?? "";
  if (stack === "") problems.push("--stack <name> is required");
  else if (!/^[A-Za-z0-9_.-]+$/.test(stack)) problems.push(`--stack: expected a stack name; got "${stack}"`);
  if (values.yes !== true) {
    problems.push(
      "--yes is required: this creates billable resources (pulumi up) and destroys them again (pulumi destroy)",
    );
  }
  if (values.poll !== undefined && !/^\d+(\.\d+)?(ms|s|m)?$/.test(values.poll)) {
    problems.push(`--poll: expected a duration such as 5s or 500ms; got "${values.poll}"`);
  }
  if (problems.length > 0) throw new E2eArgsError(problems.join("\n"));
  return { stack, yes: true, out: values.out ?? `e2e-${stack}-timeline.json`, poll: values.poll, help: false };
}
