/**
 * Runners: GET /runners, GET /runners/all (admin), GET /runners/:id,
 * DELETE /runners/:id, POST /user/runners (docs: api/runners, api/users
 * "Create a runner linked to a user"), and the instance basics GET /version,
 * GET /user, GET /-/health, GET /-/readiness.
 */
import type { FakeRunner, RunnerStatus } from "./state";
import { addRunner, runnerStatus } from "./state";
import type { Route, RouteContext } from "./router";
import { badRequest, boolParam, listParam, notFound, paginate } from "./router";

function runnerSummary(r: FakeRunner): Record<string, unknown> {
  const status = runnerStatus(r);
  return {
    id: r.id,
    description: r.description,
    ip_address: null,
    active: !r.paused,
    paused: r.paused,
    is_shared: r.runner_type === "instance_type",
    runner_type: r.runner_type,
    name: r.contacted_at === null ? null : "gitlab-runner",
    online: status === "online",
    created_at: r.created_at,
    status,
  };
}

function runnerDetails(r: FakeRunner): Record<string, unknown> {
  return {
    ...runnerSummary(r),
    architecture: null,
    platform: null,
    contacted_at: r.contacted_at,
    maintenance_note: r.maintenance_note,
    projects: [],
    groups: [],
    revision: null,
    tag_list: r.tag_list,
    run_untagged: r.run_untagged,
    locked: r.locked,
    version: null,
    access_level: r.access_level,
    maximum_timeout: r.maximum_timeout,
  };
}

function listRunners(ctx: RouteContext): ReturnType<Route["handler"]> {
  const type = ctx.query.get("type");
  const status = ctx.query.get("status");
  const paused = boolParam(ctx.query.get("paused") ?? undefined);
  const tags = listParam(ctx.query, "tag_list");
  if (type && !["instance_type", "group_type", "project_type"].includes(type))
    return badRequest("type does not have a valid value");
  if (status && !["online", "offline", "stale", "never_contacted", "active", "paused"].includes(status))
    return badRequest("status does not have a valid value");
  // As GitLab's scopes: `never_contacted` is `contacted_at IS NULL` (stale ones included); the others
  // compare the reported status.
  const hasStatus = (r: FakeRunner): boolean =>
    status === "active"
      ? !r.paused
      : status === "paused"
        ? r.paused
        : status === "never_contacted"
          ? r.contacted_at === null
          : runnerStatus(r) === status;
  const list = ctx.state.runners
    .filter((r) => !type || r.runner_type === type)
    .filter((r) => !status || hasStatus(r))
    .filter((r) => paused === undefined || r.paused === paused)
    .filter((r) => !tags || tags.every((t) => r.tag_list.includes(t)))
    .map(runnerSummary);
  return paginate(list, ctx.query);
}

export const runnerRoutes: Route[] = [
  { method: "GET", pattern: "/api/v4/runners/all", auth: "admin", handler: listRunners },
  { method: "GET", pattern: "/api/v4/runners", handler: listRunners },
  {
    method: "GET",
    pattern: "/api/v4/runners/:id",
    handler: (ctx) => {
      const runner = ctx.state.runners.find((r) => String(r.id) === ctx.params["id"]);
      return runner ? { status: 200, json: runnerDetails(runner) } : notFound("404 Runner Not Found");
    },
  },
  {
    method: "DELETE",
    pattern: "/api/v4/runners/:id",
    auth: "admin",
    handler: (ctx) => {
      const runner = ctx.state.runners.find((r) => String(r.id) === ctx.params["id"]);
      if (!runner) return notFound("404 Runner Not Found");
      ctx.state.runners = ctx.state.runners.filter((r) => r !== runner);
      return { status: 204 };
    },
  },
  {
    method: "POST",
    pattern: "/api/v4/user/runners",
    handler: (ctx) => {
      const type = ctx.body["runner_type"];
      if (type !== "instance_type" && type !== "group_type" && type !== "project_type")
        return badRequest("runner_type does not have a valid value");
      if (type === "instance_type" && !ctx.state.isAdmin) return { status: 403, json: { message: "403 Forbidden" } };
      const runner = addRunner(ctx.state, {
        runner_type: type,
        description: typeof ctx.body["description"] === "string" ? ctx.body["description"] : "",
        paused: boolParam(ctx.body["paused"]) ?? false,
        locked: boolParam(ctx.body["locked"]) ?? false,
        run_untagged: boolParam(ctx.body["run_untagged"]) ?? true,
        tag_list: listParam(ctx.body, "tag_list") ?? [],
        access_level: ctx.body["access_level"] === "ref_protected" ? "ref_protected" : "not_protected",
        maximum_timeout: typeof ctx.body["maximum_timeout"] === "number" ? ctx.body["maximum_timeout"] : null,
        maintenance_note: typeof ctx.body["maintenance_note"] === "string" ? ctx.body["maintenance_note"] : null,
        status: "never_contacted" as RunnerStatus,
        token: `glrt-t1_${Math.random().toString(36).slice(2).padEnd(20, "x")}`,
      });
      return { status: 201, json: { id: runner.id, token: runner.token, token_expires_at: null } };
    },
  },
  {
    method: "GET",
    pattern: "/api/v4/version",
    handler: (ctx) => ({
      status: 200,
      json: {
        version: ctx.state.version,
        revision: "0123abcd",
        kas: { enabled: false, externalUrl: null, version: null },
        enterprise: false,
      },
    }),
  },
  {
    method: "GET",
    pattern: "/api/v4/user",
    handler: (ctx) => ({
      status: 200,
      json: {
        id: 1,
        username: ctx.state.username,
        name: "Administrator",
        state: "active",
        is_admin: ctx.state.isAdmin,
      },
    }),
  },
  {
    method: "GET",
    pattern: "/-/health",
    auth: "none",
    handler: (ctx) =>
      ctx.state.monitoringAllowed ? { status: 200, text: "GitLab OK" } : { status: 404, text: "Not Found" },
  },
  {
    method: "GET",
    pattern: "/-/readiness",
    auth: "none",
    handler: (ctx) => {
      if (!ctx.state.monitoringAllowed) return { status: 404, text: "Not Found" };
      const all = ctx.query.get("all") === "1";
      if (ctx.state.readinessFailures > 0) {
        ctx.state.readinessFailures -= 1;
        const failed = {
          status: "failed",
          master_check: [{ status: "ok" }],
          ...(all
            ? { db_check: [{ status: "failed", message: "PG::ConnectionBad" }], redis_check: [{ status: "ok" }] }
            : {}),
        };
        if (!all) failed.master_check = [{ status: "failed" }];
        return { status: 503, json: failed };
      }
      return {
        status: 200,
        json: {
          status: "ok",
          master_check: [{ status: "ok" }],
          ...(all
            ? {
                db_check: [{ status: "ok" }],
                redis_check: [{ status: "ok" }],
                gitaly_check: [{ status: "ok", labels: { shard: "default" } }],
              }
            : {}),
        },
      };
    },
  },
];
