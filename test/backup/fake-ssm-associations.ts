/**
 * A local HTTP server speaking the SSM JSON protocol (AWS JSON 1.1: POST /, `X-Amz-Target:
 * AmazonSSM.<Operation>`, JSON bodies, errors as `{"__type": …}` with status 400) for what the
 * association wait reads: `DescribeAssociation` (the association's current version) and
 * `DescribeInstanceAssociationsStatus` (what the instance ran, paged by `NextToken`). The test
 * scripts the instance's answers call by call.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./fake-ssm";

export interface FakeAssociation {
  readonly AssociationId: string;
  readonly Name: string;
  readonly AssociationName: string;
  readonly AssociationVersion: string;
}

/** One entry of an instance's association statuses, as SSM sends it (ExecutionDate in epoch seconds). */
export type StatusInfo = Record<string, unknown>;

/** What the instance answers at its n-th look (from 1): its entries (one page each), or an SSM error. */
export type InstanceAnswer = { readonly pages: StatusInfo[][] } | { readonly error: string; readonly message: string };

export interface FakeSsmAssociations {
  readonly url: string;
  /** The operations called, in order. */
  readonly operations: string[];
  /** The JSON bodies received, in order. */
  readonly bodies: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function fakeSsmAssociations(
  association: FakeAssociation,
  instanceId: string,
  answer: (look: number) => InstanceAnswer,
): Promise<FakeSsmAssociations> {
  const operations: string[] = [];
  const bodies: Record<string, unknown>[] = [];
  let looks = 0;
  let pending: StatusInfo[][] = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const op = String(req.headers["x-amz-target"] ?? "").replace(/^AmazonSSM\./, "");
      operations.push(op);
      const body = JSON.parse(text || "{}") as Record<string, unknown>;
      bodies.push(body);
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(payload));
      };
      if (req.method !== "POST" || !String(req.headers["content-type"]).startsWith("application/x-amz-json-1.1")) {
        return reply(400, { __type: "SerializationException", message: "expected AWS JSON 1.1" });
      }
      if (!String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 ")) {
        return reply(400, { __type: "MissingAuthenticationTokenException", message: "unsigned request" });
      }
      if (op === "DescribeAssociation") {
        if (body.AssociationId !== association.AssociationId)
          return reply(400, { __type: "AssociationDoesNotExist", message: "no such association" });
        return reply(200, {
          AssociationDescription: {
            ...association,
            DocumentVersion: "7",
            Overview: { Status: "Pending", DetailedStatus: "Pending" },
          },
        });
      }
      if (op === "DescribeInstanceAssociationsStatus") {
        if (body.InstanceId !== instanceId)
          return reply(400, { __type: "InvalidInstanceId", message: "no such instance" });
        if (body.NextToken === undefined) {
          const a = answer(++looks);
          if ("error" in a) return reply(400, { __type: a.error, message: a.message });
          pending = a.pages.slice();
        } else if (body.NextToken !== `page-${String(pending.length)}`) {
          return reply(400, { __type: "InvalidNextToken", message: "unknown token" });
        }
        const page = pending.shift() ?? [];
        return reply(200, {
          InstanceAssociationStatusInfos: page,
          ...(pending.length > 0 ? { NextToken: `page-${String(pending.length)}` } : {}),
        });
      }
      return reply(400, { __type: "InvalidAction", message: `${op} is not played here` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    operations,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
