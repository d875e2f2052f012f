/**
 * The fake's route table: `{ method, pattern, auth, handler }`, where pattern
 * segments starting with `:` capture one URL-encoded path segment (so
 * `/api/v4/projects/:id/repository/files/:file_path` matches `.gitlab-ci.yml`
 * and `root%2Fsmoke`). To add routes, write a `Route[]` and pass it to
 * `startFakeGitLab({ routes })` or call `fake.addRoute(...)`.
 */
import type { FakeGitLabState } from "./state";

export interface Reply {
  readonly status: number;
  /** Sent as `application/json`. */
  readonly json?: unknown;
  /** Sent as `text/plain`. */
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteContext {
  readonly state: FakeGitLabState;
  readonly method: string;
  readonly path: string;
  /** Decoded path parameters. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Parsed JSON or form body (form values as strings; `a[]` keys collected into arrays). */
  readonly body: Record<string, unknown>;
  /** The server's base URL, for `web_url` fields. */
  readonly baseUrl: string;
}

export interface Route {
  readonly method: string;
  readonly pattern: string;
  /** `none`: anonymous; `user`: valid PRIVATE-TOKEN; `admin`: valid token of an administrator. Default `user`. */
  readonly auth?: "none" | "user" | "admin";
  readonly handler: (ctx: RouteContext) => Reply;
}

export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  const segments = path.split("/");
  for (const route of routes) {
    if (route.method !== method) continue;
    const pattern = route.pattern.split("/");
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const p = pattern[i] ?? "";
      const s = segments[i] ?? "";
      if (p.startsWith(":")) {
        if (s === "") ok = false;
        else params[p.slice(1)] = decodeURIComponent(s);
      } else if (p !== s) {
        ok = false;
      }
    }
    if (ok) return { route, params };
  }
  return undefined;
}

export const notFound = (what = "404 Not Found"): Reply => ({ status: 404, json: { message: what } });
export const badRequest = (message: unknown): Reply => ({ status: 400, json: { message } });

/** GitLab offset pagination: `page`, `per_page` (default 20, max 100), `x-*` headers. */
export function paginate(items: readonly unknown[], query: URLSearchParams): Reply {
  const perPage = Math.min(Math.max(Number(query.get("per_page") ?? 20) || 20, 1), 100);
  const page = Math.max(Number(query.get("page") ?? 1) || 1, 1);
  const totalPages = Math.max(Math.ceil(items.length / perPage), 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return {
    status: 200,
    json: slice,
    headers: {
      "x-page": String(page),
      "x-per-page": String(perPage),
      "x-total": String(items.length),
      "x-total-pages": String(totalPages),
      "x-next-page": page < totalPages ? String(page + 1) : "",
      "x-prev-page": page > 1 ? String(page - 1) : "",
    },
  };
}

/** Read a GitLab list parameter given as `a,b`, `a[]=x&a[]=y`, or a JSON array. */
export function listParam(source: URLSearchParams | Record<string, unknown>, name: string): string[] | undefined {
  if (source instanceof URLSearchParams) {
    const many = source.getAll(`${name}[]`);
    if (many.length > 0) return many;
    const one = source.get(name);
    return one === null
      ? undefined
      : one
          .split(",")
          .map((t) => t.trim())
          .filter((t) => t !== "");
  }
  const value = source[name] ?? source[`${name}[]`];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

export function boolParam(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  return ["true", "1", "yes"].includes(String(value));
}
