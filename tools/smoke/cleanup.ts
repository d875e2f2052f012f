/**
 * Removing the throwaway project, and turning Ctrl-C into a clean stop.
 *
 * GitLab deletes projects asynchronously (DELETE /projects/:id answers 202). Since GitLab 18 delayed
 * deletion applies on every tier: the first DELETE only marks the project for deletion, archives it
 * and renames it to `<path>-deletion_scheduled-<id>` (Projects::MarkForDeletionService). A second
 * DELETE with `permanently_remove=true` removes it at once, but only with the project's *current*
 * full path in `full_path` (docs: api/projects "Delete a project": "use `path_with_namespace` from get
 * single project"); the path it was created with gets 400 "`full_path` is incorrect. You must enter the
 * complete path for the project." So the path is read back with GET /projects/:id after the mark.
 */
import type { GitLabClient } from "../../infra/gitlab-api";
import { GitLabApiError } from "../../infra/gitlab-api";

export interface CreatedProject {
  readonly id: number;
  readonly path_with_namespace: string;
  readonly web_url: string;
}

export type DeleteOutcome = "deleted" | "deletion-scheduled" | "marked-for-deletion" | "already-gone";

/** The fields of GET /projects/:id read after the first DELETE. */
interface ProjectAfterMark {
  readonly path_with_namespace?: string;
  readonly marked_for_deletion_on?: string | null;
  readonly marked_for_deletion_at?: string | null;
}

/** GitLab's `{ "message": … }` as text (or the body as JSON when it has another shape). */
function gitLabMessage(data: unknown): string {
  const message = (data as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : JSON.stringify(data);
}

export async function deleteProject(
  client: GitLabClient,
  project: CreatedProject,
  deadlineMs: number,
): Promise<{ outcome: DeleteOutcome; detail: string }> {
  // 400 "Project has been already marked for deletion": a retried DELETE whose first answer was lost
  // (a 502 after GitLab marked it); the project is then marked, which the GET below checks.
  const first = await client.send("DELETE", `/projects/${project.id}`, {
    expect: [202, 204, 400, 404],
    deadlineMs,
  });
  if (first.status === 404) return { outcome: "already-gone", detail: "already gone" };
  const after = await client.send<ProjectAfterMark>("GET", `/projects/${project.id}`, {
    expect: [200, 404],
    deadlineMs,
  });
  if (after.status === 404) return { outcome: "deleted", detail: "deleted" };
  const marked = after.data.marked_for_deletion_on ?? after.data.marked_for_deletion_at;
  if (first.status === 400 && !marked)
    throw new Error(`GitLab refused DELETE /projects/${project.id}: ${gitLabMessage(first.data)}`);
  if (!marked)
    return { outcome: "deletion-scheduled", detail: "deletion accepted; GitLab removes it in the background" };
  // The path as it is now: GitLab 18+ renamed the project when it marked it.
  const fullPath = after.data.path_with_namespace ?? project.path_with_namespace;
  const renamed = fullPath === project.path_with_namespace ? "" : ` as ${fullPath}`;
  const permanent = await client.send("DELETE", `/projects/${project.id}`, {
    query: { permanently_remove: true, full_path: fullPath },
    expect: [202, 204, 400, 404],
    deadlineMs,
  });
  if (permanent.status === 400) {
    return {
      outcome: "marked-for-deletion",
      detail:
        `marked for deletion on ${marked}${renamed}, not removed: GitLab refused the immediate removal ` +
        `(${gitLabMessage(permanent.data)}); it removes the project itself when its deletion delay ends`,
    };
  }
  return {
    outcome: "deleted",
    detail: `deleted (GitLab marked it for deletion${renamed}; removed at once with permanently_remove)`,
  };
}

/** The fields of GET /projects/:id/registry/repositories smoke reads. */
interface RegistryRepository {
  readonly id: number;
  readonly location: string;
  readonly tags_count?: number;
}

/**
 * Deletes every container registry repository of the project: the image the example pipeline's
 * registry-push job pushed (docs: api/container_registry, "Delete registry repository": 202, GitLab
 * deletes the tags in the background). Done before the project goes, so the images go even when GitLab
 * only marks the project for deletion (it keeps a marked project's images until it is removed), and so
 * no registry tag stands in the way of the mark's rename. Returns the repositories' locations; none when
 * the project has no registry (403/404: the registry is off).
 */
export async function deleteRegistryImages(
  client: GitLabClient,
  project: CreatedProject,
  deadlineMs: number,
): Promise<string[]> {
  const list = await client.send<RegistryRepository[]>("GET", `/projects/${project.id}/registry/repositories`, {
    query: { tags_count: true, per_page: 100 },
    expect: [200, 403, 404],
    deadlineMs,
  });
  if (list.status !== 200) return [];
  const deleted: string[] = [];
  for (const repository of list.data) {
    await client.send("DELETE", `/projects/${project.id}/registry/repositories/${repository.id}`, {
      expect: [202, 204, 404],
      deadlineMs,
    });
    const tags =
      repository.tags_count === undefined
        ? ""
        : ` (${repository.tags_count} tag${repository.tags_count === 1 ? "" : "s"})`;
    deleted.push(`${repository.location}${tags}`);
  }
  return deleted;
}

/** The reason passed to AbortController.abort on Ctrl-C / SIGTERM. */
export class Interrupted extends Error {
  constructor(readonly signalName: string) {
    super(`interrupted by ${signalName}`);
    this.name = "Interrupted";
  }
}

/** The parts of `process` the handler uses (injectable for tests). */
export interface SignalSource {
  on(event: "SIGINT" | "SIGTERM", listener: () => void): unknown;
  off(event: "SIGINT" | "SIGTERM", listener: () => void): unknown;
}

/**
 * First Ctrl-C/SIGTERM aborts `controller` (the run stops and cleans up);
 * a second one calls `forceExit` (cleanup skipped, and `out` says what is left).
 * Returns a function that removes the handlers.
 */
export function onInterrupt(
  source: SignalSource,
  controller: AbortController,
  out: (line: string) => void,
  forceExit: () => void,
  leftBehind: () => string | undefined,
): () => void {
  const handler = (name: "SIGINT" | "SIGTERM") => () => {
    if (!controller.signal.aborted) {
      out(`\n${name}: stopping; cleaning up (press Ctrl-C again to skip cleanup)`);
      controller.abort(new Interrupted(name));
      return;
    }
    const left = leftBehind();
    out(left ? `${name} again: exiting without cleanup; delete ${left} yourself` : `${name} again: exiting`);
    forceExit();
  };
  const onInt = handler("SIGINT");
  const onTerm = handler("SIGTERM");
  source.on("SIGINT", onInt);
  source.on("SIGTERM", onTerm);
  return () => {
    source.off("SIGINT", onInt);
    source.off("SIGTERM", onTerm);
  };
}

export function describeCleanupError(error: unknown): string {
  return error instanceof GitLabApiError || error instanceof Error ? error.message : String(error);
}
