/**
 * Runner routes the shared fake GitLab (test/support/fake-gitlab) does not have yet, with the shapes
 * of docs.gitlab.com/api/runners:
 * - `PUT /api/v4/runners/:id` (description, tag_list, run_untagged) → 200 with the runner's details;
 * - `DELETE /api/v4/runners` with form `token=<runner authentication token>` → 204, or 403 when no
 *   runner has that token (no user token needed).
 * Plus `createThenFail(status)`: a `POST /api/v4/user/runners` that creates the runner and then
 * answers like a proxy that lost GitLab's answer.
 */
import type { FakeGitLab, Route } from "../support/fake-gitlab";
import { addRunner, boolParam, listParam, notFound, runnerStatus } from "../support/fake-gitlab";

export const runnerExtensionRoutes: Route[] = [
  {
    method: "PUT",
    pattern: "/api/v4/runners/:id",
    auth: "admin",
    handler: (ctx) => {
      const runner = ctx.state.runners.find((r) => String(r.id) === ctx.params["id"]);
      if (!runner) return notFound("404 Runner Not Found");
      if (typeof ctx.body["description"] === "string") runner.description = ctx.body["description"];
      const tags = listParam(ctx.body, "tag_list");
      if (tags !== undefined) runner.tag_list = tags;
      const untagged = boolParam(ctx.body["run_untagged"]);
      if (untagged !== undefined) runner.run_untagged = untagged;
      return {
        status: 200,
        json: {
          id: runner.id,
          description: runner.description,
          tag_list: runner.tag_list,
          run_untagged: runner.run_untagged,
          runner_type: runner.runner_type,
          status: runnerStatus(runner),
        },
      };
    },
  },
  {
    method: "DELETE",
    pattern: "/api/v4/runners",
    auth: "none",
    handler: (ctx) => {
      const token = ctx.body["token"];
      const runner = ctx.state.runners.find((r) => r.token === token);
      if (!runner) return { status: 403, json: { message: "403 Forbidden" } };
      ctx.state.runners = ctx.state.runners.filter((r) => r !== runner);
      return { status: 204 };
    },
  },
];

/** Add the routes above to a running fake. */
export function addRunnerExtensionRoutes(fake: FakeGitLab): void {
  for (const route of runnerExtensionRoutes) fake.addRoute(route);
}

/**
 * The next `times` runner creations succeed inside GitLab but their answer is lost: the runner
 * exists (never contacted, token unknown to the caller) and the caller gets `status`.
 */
export function createThenFail(fake: FakeGitLab, status: number, times = 1): void {
  let left = times;
  fake.addRoute({
    method: "POST",
    pattern: "/api/v4/user/runners",
    handler: (ctx) => {
      if (left <= 0) {
        // Fall through to GitLab's behaviour: create and answer.
        const runner = addRunner(ctx.state, {
          description: String(ctx.body["description"] ?? ""),
          tag_list: listParam(ctx.body, "tag_list") ?? [],
          run_untagged: boolParam(ctx.body["run_untagged"]) ?? true,
          status: "never_contacted",
          token: `glrt-t1_${Math.random().toString(36).slice(2).padEnd(20, "x")}`,
        });
        return { status: 201, json: { id: runner.id, token: runner.token, token_expires_at: null } };
      }
      left -= 1;
      addRunner(ctx.state, {
        description: String(ctx.body["description"] ?? ""),
        tag_list: listParam(ctx.body, "tag_list") ?? [],
        run_untagged: boolParam(ctx.body["run_untagged"]) ?? true,
        status: "never_contacted",
      });
      return {
        status,
        text: "<html><body><h1>502</h1><p>Whoops, GitLab is taking too much time to respond.</p></body></html>",
      };
    },
  });
}
