/**
 * A local HTTP server that speaks the parts of GitLab's REST API this project
 * calls, with in-memory state, a PRIVATE-TOKEN check and fault injection.
 *
 *   const fake = await startFakeGitLab({ runners: [{ tag_list: ["docker", "dind"] }] });
 *   … fake.url, fake.token, fake.state …
 *   await fake.close();
 */
import http from "node:http";
import https from "node:https";
import type { FakeGitLabState, FakeRunner, PipelineBehaviour } from "./state";
import { addRunner, createState } from "./state";
import type { Reply, Route } from "./router";
import { matchRoute } from "./router";
import { projectRoutes } from "./projects";
import { pipelineRoutes } from "./pipelines";
import { registryRoutes } from "./registry";
import { runnerRoutes } from "./runners";
import { freePort } from "../ports";

/** An injected failure, used for the next `times` requests that match. */
export interface Fault {
  /** Only requests with this method. Default: any. */
  readonly method?: string;
  /** Only requests whose path (no query) equals this string or matches this RegExp. Default: any. */
  readonly path?: string | RegExp;
  /** How many matching requests it affects. Default 1. */
  readonly times?: number;
  /** Answer with this status (e.g. 502, 503, 401, 403)… */
  readonly status?: number;
  /** …and this body (default GitLab-like text for the status). */
  readonly body?: string;
  /** Never answer (until the server closes). */
  readonly hang?: boolean;
  /** Destroy the connection without an answer (ECONNRESET / "other side closed"). */
  readonly reset?: boolean;
}

export interface FakeGitLabOptions {
  /** The valid PRIVATE-TOKEN. Default `DEFAULT_TOKEN`. */
  readonly token?: string;
  /** Whether the token's user is an administrator. Default true. */
  readonly isAdmin?: boolean;
  readonly version?: string;
  /** Runners that exist from the start (default: none). */
  readonly runners?: readonly (Partial<Omit<FakeRunner, "id">> & { id?: number })[];
  readonly pipelineBehaviour?: Partial<PipelineBehaviour>;
  readonly faults?: readonly Fault[];
  /** Do not listen until this many ms after start: connections are refused meanwhile (the URL is known at once). */
  readonly refuseConnectionsForMs?: number;
  readonly monitoringAllowed?: boolean;
  readonly readinessFailures?: number;
  readonly delayedDeletion?: boolean;
  /** Extra routes, matched before the built-in ones. */
  readonly routes?: readonly Route[];
  /** Serve https with this certificate and key (PEM) instead of plain http. Default: http. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface FakeGitLab {
  /** e.g. `http://127.0.0.1:43121` */
  readonly url: string;
  readonly token: string;
  readonly state: FakeGitLabState;
  addRoute(route: Route): void;
  addFault(fault: Fault): void;
  addRunner(init?: Partial<Omit<FakeRunner, "id">> & { id?: number }): FakeRunner;
  /** Requests received so far whose method and path match. */
  requestsTo(method: string, path: string | RegExp): FakeGitLabState["requests"];
  /** Resolves once the server listens (immediately unless `refuseConnectionsForMs`). */
  readonly listening: Promise<void>;
  /** Stop listening and drop every open connection (hung requests included). */
  close(): Promise<void>;
}

const STATUS_BODIES: Record<number, string> = {
  401: JSON.stringify({ message: "401 Unauthorized" }),
  403: JSON.stringify({ message: "403 Forbidden" }),
  429: "Retry later",
  500: JSON.stringify({ message: "500 Internal Server Error" }),
  502: "<html><body><h1>502</h1><p>Whoops, GitLab is taking too much time to respond.</p></body></html>",
  503: "<html><body><h1>503</h1><p>GitLab is not responding.</p></body></html>",
  504: "<html><body><h1>504</h1><p>Gateway Timeout</p></body></html>",
};

export async function startFakeGitLab(options: FakeGitLabOptions = {}): Promise<FakeGitLab> {
  const state = createState(options);
  for (const runner of options.runners ?? []) addRunner(state, runner);
  state.pipelineBehaviour = { ...state.pipelineBehaviour, ...options.pipelineBehaviour };
  const routes: Route[] = [
    ...(options.routes ?? []),
    ...projectRoutes,
    ...pipelineRoutes,
    ...registryRoutes,
    ...runnerRoutes,
  ];
  const faults: { fault: Fault; left: number }[] = (options.faults ?? []).map((fault) => ({
    fault,
    left: fault.times ?? 1,
  }));
  let baseUrl = "";

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
  };
  const server: http.Server =
    options.tls === undefined
      ? http.createServer(onRequest)
      : https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest);

  function send(res: http.ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { ...reply.headers };
    let body = "";
    if (reply.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(reply.json);
    } else if (reply.text !== undefined) {
      headers["content-type"] = "text/plain; charset=utf-8";
      body = reply.text;
    }
    res.writeHead(reply.status, headers);
    res.end(body);
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, rawBody: string): void {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://fake");
    const path = url.pathname;
    const tokenHeader = req.headers["private-token"];
    let body: Record<string, unknown>;
    try {
      body = parseBody(req.headers["content-type"] ?? "", rawBody);
    } catch {
      send(res, { status: 400, json: { error: "400 Bad request - malformed JSON body" } });
      return;
    }
    state.requests.push({ method, path, query: url.searchParams, hadToken: tokenHeader !== undefined, body });

    const active = faults.find(
      (f) => f.left > 0 && (!f.fault.method || f.fault.method === method) && matchesPath(f.fault.path, path),
    );
    if (active) {
      active.left -= 1;
      if (active.fault.hang) return; // never answered; close() drops it
      if (active.fault.reset) {
        req.socket.destroy();
        return;
      }
      const status = active.fault.status ?? 502;
      res.writeHead(status, {
        "content-type": (active.fault.body ?? STATUS_BODIES[status] ?? "").startsWith("{")
          ? "application/json"
          : "text/html",
      });
      res.end(active.fault.body ?? STATUS_BODIES[status] ?? "");
      return;
    }

    const match = matchRoute(routes, method, path);
    if (!match) {
      send(res, { status: 404, json: { error: "404 Not Found" } });
      return;
    }
    const auth = match.route.auth ?? "user";
    if (auth !== "none" && tokenHeader !== state.token) {
      send(res, { status: 401, json: { message: "401 Unauthorized" } });
      return;
    }
    if (auth === "admin" && !state.isAdmin) {
      send(res, { status: 403, json: { message: "403 Forbidden" } });
      return;
    }
    try {
      send(
        res,
        match.route.handler({ state, method, path, params: match.params, query: url.searchParams, body, baseUrl }),
      );
    } catch (error) {
      send(res, { status: 500, json: { message: `500 Internal Server Error (fake: ${(error as Error).message})` } });
    }
  }

  // Find a free port first, so the URL is known even while connections are refused.
  const port = await freePort();
  baseUrl = `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}`;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
  let delayTimer: NodeJS.Timeout | undefined;
  let timerFired = false;
  let closed = false;
  const listening = options.refuseConnectionsForMs
    ? new Promise<void>((resolve, reject) => {
        delayTimer = setTimeout(() => {
          timerFired = true;
          if (closed) resolve();
          else listen().then(resolve, reject);
        }, options.refuseConnectionsForMs);
      })
    : listen();
  if (!options.refuseConnectionsForMs) await listening;

  return {
    url: baseUrl,
    token: state.token,
    state,
    listening,
    addRoute: (route) => routes.unshift(route),
    addFault: (fault) => faults.push({ fault, left: fault.times ?? 1 }),
    addRunner: (init) => addRunner(state, init),
    requestsTo: (method, path) => state.requests.filter((r) => r.method === method && matchesPath(path, r.path)),
    close: async () => {
      closed = true;
      if (delayTimer) clearTimeout(delayTimer);
      if (delayTimer === undefined || timerFired) await listening.catch(() => undefined);
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function matchesPath(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === "string" ? pattern === path : pattern.test(path);
}

/** JSON or form (`a[]=x` collected into arrays) into a plain object. */
function parseBody(contentType: string, raw: string): Record<string, unknown> {
  if (raw === "") return {};
  if (contentType.includes("application/json")) {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    if (key.endsWith("[]")) {
      const name = key.slice(0, -2);
      out[name] = [...((out[name] as string[] | undefined) ?? []), value];
    } else {
      out[key] = value;
    }
  }
  return out;
}
