/**
 * Projects (POST/GET/DELETE /projects), repository files
 * (POST /projects/:id/repository/files/:file_path) and commits with actions
 * (POST /projects/:id/repository/commits). A commit that leaves a
 * `.gitlab-ci.yml` on the branch creates a pipeline, as a push does.
 */
import { createHash } from "node:crypto";
import type { FakeGitLabState, FakeProject } from "./state";
import { timestamp } from "./state";
import type { Reply, Route, RouteContext } from "./router";
import { badRequest, boolParam, notFound } from "./router";
import { onPush } from "./pipelines";

/** By numeric id or URL-decoded `namespace/path`. Projects pending deletion stay visible, as in GitLab. */
export function findProject(state: FakeGitLabState, idOrPath: string): FakeProject | undefined {
  return state.projects.find((p) => String(p.id) === idOrPath || p.path_with_namespace === idOrPath);
}

function projectJson(p: FakeProject, baseUrl: string): Record<string, unknown> {
  return {
    id: p.id,
    description: null,
    name: p.name,
    name_with_namespace: `Administrator / ${p.name}`,
    path: p.path,
    path_with_namespace: p.path_with_namespace,
    created_at: p.created_at,
    default_branch: p.default_branch,
    visibility: p.visibility,
    web_url: `${baseUrl}/${p.path_with_namespace}`,
    http_url_to_repo: `${baseUrl}/${p.path_with_namespace}.git`,
    shared_runners_enabled: p.shared_runners_enabled,
    empty_repo: p.commits.length === 0,
    // GitLab archives a project when it marks it for deletion.
    archived: p.marked_for_deletion_on !== null,
    marked_for_deletion_at: p.marked_for_deletion_on,
    marked_for_deletion_on: p.marked_for_deletion_on,
    namespace: { id: 1, name: "Administrator", path: "root", kind: "user", full_path: "root" },
  };
}

function commit(
  ctx: RouteContext,
  project: FakeProject,
  branch: string,
  message: string,
  apply: (files: Map<string, string>) => Reply | undefined,
): Reply {
  const state = ctx.state;
  const isNewBranch = !project.branches.has(branch);
  if (isNewBranch && project.branches.size > 0) {
    const startBranch = ctx.body["start_branch"];
    if (typeof startBranch !== "string" || !project.branches.has(startBranch))
      return badRequest("You can only create or edit files when you are on a branch");
  }
  const source =
    isNewBranch && typeof ctx.body["start_branch"] === "string"
      ? project.branches.get(ctx.body["start_branch"])
      : project.branches.get(branch);
  const files = new Map(source ?? []);
  const problem = apply(files);
  if (problem) return problem;
  project.branches.set(branch, files);
  if (project.default_branch === null) project.default_branch = branch;
  const id = createHash("sha1").update(`${project.id}:${state.nextId.commit++}:${message}`).digest("hex");
  const now = timestamp();
  project.commits.push({
    id,
    short_id: id.slice(0, 8),
    title: message.split("\n")[0] ?? "",
    message,
    branch,
    created_at: now,
  });
  onPush(state, project, branch, id);
  return {
    status: 201,
    json: {
      id,
      short_id: id.slice(0, 8),
      title: message.split("\n")[0],
      message,
      author_name: "Administrator",
      author_email: "admin@example.com",
      authored_date: now,
      committer_name: "Administrator",
      committer_email: "admin@example.com",
      committed_date: now,
      created_at: now,
      parent_ids: [],
      web_url: `${ctx.baseUrl}/${project.path_with_namespace}/-/commit/${id}`,
    },
  };
}

function decodeContent(content: unknown, encoding: unknown): string {
  const text = typeof content === "string" ? content : "";
  return encoding === "base64" ? Buffer.from(text, "base64").toString("utf8") : text;
}

export const projectRoutes: Route[] = [
  {
    method: "POST",
    pattern: "/api/v4/projects",
    handler: (ctx) => {
      const name = typeof ctx.body["name"] === "string" ? ctx.body["name"] : undefined;
      const path =
        typeof ctx.body["path"] === "string" ? ctx.body["path"] : name?.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-");
      if (!name && !path) return badRequest("name, path are missing, at least one parameter must be provided");
      if (ctx.state.projects.some((p) => p.path === path)) {
        return badRequest({
          project_namespace: ["has already been taken"],
          name: ["has already been taken"],
          path: ["has already been taken"],
        });
      }
      const visibility = (ctx.body["visibility"] as FakeProject["visibility"] | undefined) ?? "private";
      const project: FakeProject = {
        id: ctx.state.nextId.project++,
        name: name ?? path ?? "",
        path: path ?? "",
        path_with_namespace: `${ctx.state.username}/${path}`,
        visibility,
        default_branch: null,
        shared_runners_enabled: boolParam(ctx.body["shared_runners_enabled"]) ?? true,
        created_at: timestamp(),
        marked_for_deletion_on: null,
        branches: new Map(),
        commits: [],
      };
      ctx.state.projects.push(project);
      if (boolParam(ctx.body["initialize_with_readme"])) {
        const branch = typeof ctx.body["default_branch"] === "string" ? ctx.body["default_branch"] : "main";
        project.branches.set(branch, new Map([["README.md", `# ${project.name}\n`]]));
        project.default_branch = branch;
      }
      return { status: 201, json: projectJson(project, ctx.baseUrl) };
    },
  },
  {
    method: "GET",
    pattern: "/api/v4/projects/:id",
    handler: (ctx) => {
      const project = findProject(ctx.state, ctx.params["id"] ?? "");
      return project ? { status: 200, json: projectJson(project, ctx.baseUrl) } : notFound("404 Project Not Found");
    },
  },
  {
    method: "DELETE",
    pattern: "/api/v4/projects/:id",
    // GitLab 18+ (lib/api/projects.rb, Projects::MarkForDeletionService): the first DELETE marks the
    // project, archives it and renames its path and name to `<path>-deletion_scheduled-<id>`; a DELETE
    // with `permanently_remove=true` removes a marked project when `full_path` is its current (renamed)
    // full path, else 400 with GitLab's message.
    handler: (ctx) => {
      const state = ctx.state;
      const project = findProject(state, ctx.params["id"] ?? "");
      if (!project) return notFound("404 Project Not Found");
      const permanently = boolParam(ctx.query.get("permanently_remove") ?? ctx.body["permanently_remove"]);
      if (state.delayedDeletion && permanently) {
        if (!project.marked_for_deletion_on) return badRequest("Project must be marked for deletion first.");
        const fullPath = ctx.query.get("full_path") ?? ctx.body["full_path"];
        if (fullPath !== project.path_with_namespace)
          return badRequest("`full_path` is incorrect. You must enter the complete path for the project.");
      } else if (state.delayedDeletion) {
        if (project.marked_for_deletion_on) return badRequest("Project has been already marked for deletion");
        const suffix = `-deletion_scheduled-${project.id}`;
        project.marked_for_deletion_on = timestamp().slice(0, 10);
        project.name += suffix;
        project.path += suffix;
        project.path_with_namespace += suffix;
        return { status: 202, json: { message: "202 Accepted" } };
      }
      state.projects = state.projects.filter((p) => p !== project);
      state.pipelines = state.pipelines.filter((p) => p.project_id !== project.id);
      // Projects::DestroyService removes the project's registry tags with it; a project only marked
      // for deletion (above) keeps its images until then.
      state.registryRepositories = state.registryRepositories.filter((r) => r.project_id !== project.id);
      return { status: 202, json: { message: "202 Accepted" } };
    },
  },
  {
    method: "POST",
    pattern: "/api/v4/projects/:id/repository/files/:file_path",
    handler: (ctx) => {
      const project = findProject(ctx.state, ctx.params["id"] ?? "");
      if (!project) return notFound("404 Project Not Found");
      const branch = ctx.body["branch"];
      const message = ctx.body["commit_message"];
      if (typeof branch !== "string" || typeof message !== "string")
        return badRequest("branch is missing, commit_message is missing");
      const filePath = ctx.params["file_path"] ?? "";
      const reply = commit(ctx, project, branch, message, (files) => {
        if (files.has(filePath)) return badRequest("A file with this name already exists");
        files.set(filePath, decodeContent(ctx.body["content"], ctx.body["encoding"]));
        return undefined;
      });
      return reply.status === 201 ? { status: 201, json: { file_path: filePath, branch } } : reply;
    },
  },
  {
    method: "POST",
    pattern: "/api/v4/projects/:id/repository/commits",
    handler: (ctx) => {
      const project = findProject(ctx.state, ctx.params["id"] ?? "");
      if (!project) return notFound("404 Project Not Found");
      const branch = ctx.body["branch"];
      const message = ctx.body["commit_message"];
      const actions = ctx.body["actions"];
      if (typeof branch !== "string" || typeof message !== "string" || !Array.isArray(actions))
        return badRequest("branch is missing, commit_message is missing, actions is missing");
      return commit(ctx, project, branch, message, (files) => {
        for (const raw of actions as Record<string, unknown>[]) {
          const path = String(raw["file_path"] ?? "");
          switch (raw["action"]) {
            case "create":
              if (files.has(path)) return badRequest("A file with this name already exists");
              files.set(path, decodeContent(raw["content"], raw["encoding"]));
              break;
            case "update":
              if (!files.has(path)) return badRequest("A file with this name doesn't exist");
              files.set(path, decodeContent(raw["content"], raw["encoding"]));
              break;
            case "delete":
              if (!files.delete(path)) return badRequest("A file with this name doesn't exist");
              break;
            default:
              return badRequest("actions[0][action] does not have a valid value");
          }
        }
        return undefined;
      });
    },
  },
];
