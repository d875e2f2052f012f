/**
 * A project's container registry repositories (docs.gitlab.com/api/container_registry): list them
 * (`GET /projects/:id/registry/repositories`, `tags_count=true` adds the count) and delete one
 * (`DELETE /projects/:id/registry/repositories/:repository_id`, 202: GitLab deletes its tags in the
 * background; the fake removes it at once). Images get there through a job whose script `pushes`
 * (pipelines.ts).
 */
import type { FakeGitLabState, FakeRegistryRepository } from "./state";
import type { Route } from "./router";
import { boolParam, notFound, paginate } from "./router";
import { findProject } from "./projects";

function repositoryJson(r: FakeRegistryRepository, tagsCount: boolean): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    path: r.path,
    project_id: r.project_id,
    location: r.location,
    created_at: r.created_at,
    cleanup_policy_started_at: null,
    status: null,
    ...(tagsCount ? { tags_count: r.tags.length } : {}),
  };
}

/** The repositories of a project, in the order they were created. */
export function projectRepositories(state: FakeGitLabState, projectId: number): FakeRegistryRepository[] {
  return state.registryRepositories.filter((r) => r.project_id === projectId);
}

export const registryRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/api/v4/projects/:id/registry/repositories",
    handler: (ctx) => {
      const project = findProject(ctx.state, ctx.params["id"] ?? "");
      if (!project) return notFound("404 Project Not Found");
      const tagsCount = boolParam(ctx.query.get("tags_count")) ?? false;
      return paginate(
        projectRepositories(ctx.state, project.id).map((r) => repositoryJson(r, tagsCount)),
        ctx.query,
      );
    },
  },
  {
    method: "DELETE",
    pattern: "/api/v4/projects/:id/registry/repositories/:repository_id",
    handler: (ctx) => {
      const project = findProject(ctx.state, ctx.params["id"] ?? "");
      if (!project) return notFound("404 Project Not Found");
      const id = Number(ctx.params["repository_id"]);
      const repository = projectRepositories(ctx.state, project.id).find((r) => r.id === id);
      if (!repository) return notFound("404 Repository Not Found");
      ctx.state.registryRepositories = ctx.state.registryRepositories.filter((r) => r !== repository);
      return { status: 202, json: {} };
    },
  },
];
