/**
 * Runs a shell script on the AWS host through SSM Run Command (`AWS-RunShellScript`) and follows
 * it until it is done: `SendCommand`, then `GetCommandInvocation` polls, with a line of progress
 * whenever the status changes and every half minute while it runs.
 *
 * The client is the AWS SDK's: credentials, region and endpoint come from where the SDK finds
 * them (AWS_PROFILE, SSO, environment; AWS_ENDPOINT_URL_SSM overrides the endpoint).
 */
import {
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  SendCommandCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";

export interface HostCommand {
  readonly instanceId: string;
  /** The script's lines. */
  readonly commands: readonly string[];
  /** Shown in the SSM console's command history (at most 100 characters). */
  readonly comment: string;
  /** How long the script may run on the host before SSM stops it. */
  readonly executionTimeoutSeconds: number;
}

export interface HostCommandResult {
  readonly status: string;
  /** The script's exit code (-1 when it never ran). */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface FollowOptions {
  /** Time between polls; default 5 s. */
  readonly pollMs?: number;
  /** Gives up following after this long (the command keeps running on the host); default 6 h. */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const TERMINAL = new Set(["Success", "Failed", "Cancelled", "TimedOut"]);

export async function runOnHost(
  client: SSMClient,
  command: HostCommand,
  options: FollowOptions = {},
): Promise<HostCommandResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 6 * 3600_000;

  const sent = await client.send(
    new SendCommandCommand({
      DocumentName: "AWS-RunShellScript",
      InstanceIds: [command.instanceId],
      Comment: command.comment.slice(0, 100),
      Parameters: {
        commands: [...command.commands],
        executionTimeout: [String(command.executionTimeoutSeconds)],
      },
    }),
  );
  const commandId = sent.Command?.CommandId;
  if (commandId === undefined) throw new Error("SSM SendCommand answered without a command id");
  log(`  SSM command ${commandId} sent to ${command.instanceId}`);

  const started = now();
  let lastStatus = "";
  let lastReport = started;
  for (;;) {
    await sleep(pollMs);
    const elapsed = now() - started;
    let invocation;
    try {
      invocation = await client.send(
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: command.instanceId }),
      );
    } catch (error) {
      // The invocation exists only once SSM has handed the command to the instance.
      if (error instanceof InvocationDoesNotExist && elapsed < 120_000) continue;
      throw error;
    }
    const status = invocation.Status ?? "Unknown";
    if (TERMINAL.has(status)) {
      return {
        status,
        exitCode: invocation.ResponseCode ?? -1,
        stdout: invocation.StandardOutputContent ?? "",
        stderr: invocation.StandardErrorContent ?? "",
      };
    }
    if (status !== lastStatus || now() - lastReport >= 30_000) {
      log(`  ${status.toLowerCase()} on the host (${duration(elapsed)})`);
      lastStatus = status;
      lastReport = now();
    }
    if (elapsed > timeoutMs) {
      throw new Error(
        `stopped following SSM command ${commandId} after ${duration(elapsed)}; it may still run on the host: aws ssm get-command-invocation --command-id ${commandId} --instance-id ${command.instanceId}`,
      );
    }
  }
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}
