/**
 * A local HTTP server speaking the SSM JSON protocol (AWS JSON 1.1: POST /, `X-Amz-Target:
 * AmazonSSM.<Operation>`, JSON bodies, errors as `{"__type": …}` with status 400) for
 * `SendCommand` and `GetCommandInvocation`. Each command's outcome comes from a handler the test
 * gives: `FakeHost.onHost` runs the command's lines on a fake host, or a fixed outcome plays what
 * no fake host can produce (a timeout, a 1 GiB archive); `GetCommandInvocation` first answers
 * InvocationDoesNotExist, then InProgress, then it.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SentCommand {
  readonly target: string;
  readonly body: {
    DocumentName: string;
    InstanceIds: string[];
    Comment?: string;
    Parameters: { commands: string[]; executionTimeout?: string[] };
  };
  readonly authorization: string | undefined;
}

export interface Outcome {
  readonly status: "Success" | "Failed" | "TimedOut";
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr?: string;
}

export interface FakeSsm {
  readonly url: string;
  readonly requests: SentCommand[];
  /** The operations called, in order (`SendCommand`, `GetCommandInvocation`, …). */
  readonly operations: string[];
  close(): Promise<void>;
}

export async function fakeSsm(outcome: (script: string) => Outcome): Promise<FakeSsm> {
  const requests: SentCommand[] = [];
  const operations: string[] = [];
  const commands = new Map<string, { outcome: Outcome; polls: number; instanceId: string }>();
  let next = 0;
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const op = target.replace(/^AmazonSSM\./, "");
      operations.push(op);
      const body = JSON.parse(text || "{}") as Record<string, unknown>;
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(payload));
      };
      if (req.method !== "POST" || !String(req.headers["content-type"]).startsWith("application/x-amz-json-1.1")) {
        return reply(400, { __type: "SerializationException", message: "expected AWS JSON 1.1" });
      }
      if (op === "SendCommand") {
        const sent = { target, body: body as SentCommand["body"], authorization: req.headers.authorization };
        requests.push(sent);
        const id = `c0ffee00-0000-4000-8000-${String(++next).padStart(12, "0")}`;
        commands.set(id, {
          outcome: outcome(sent.body.Parameters.commands.join("\n")),
          polls: 0,
          instanceId: sent.body.InstanceIds[0],
        });
        return reply(200, { Command: { CommandId: id, DocumentName: sent.body.DocumentName, Status: "Pending" } });
      }
      if (op === "GetCommandInvocation") {
        const c = commands.get(String(body.CommandId));
        if (c === undefined || c.instanceId !== body.InstanceId)
          return reply(400, { __type: "InvalidCommandId", message: "no such command" });
        c.polls++;
        if (c.polls === 1) return reply(400, { __type: "InvocationDoesNotExist", message: "not yet" });
        if (c.polls === 2)
          return reply(200, {
            CommandId: body.CommandId,
            InstanceId: body.InstanceId,
            Status: "InProgress",
            ResponseCode: -1,
          });
        return reply(200, {
          CommandId: body.CommandId,
          InstanceId: body.InstanceId,
          Status: c.outcome.status,
          StatusDetails: c.outcome.status,
          ResponseCode: c.outcome.exitCode,
          StandardOutputContent: c.outcome.stdout,
          StandardErrorContent: c.outcome.stderr ?? "",
        });
      }
      return reply(400, { __type: "InvalidAction", message: `${op} is not played here` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    operations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A request's body as text (the SSM JSON API's servers here). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString("utf8")));
    req.on("end", () => resolve(text));
  });
}
