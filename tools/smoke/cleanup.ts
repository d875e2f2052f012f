/**
 * Removing the throwaway project, and turning Ctrl-C into a clean stop.
 *
 * GitLab deletes projects asynchronously (DELETE /projects/:id answers 202),
 * and with delayed deletion (all tiers since GitLab 18) the first DELETE only
 * marks the project; a second DELETE with `permanently_remove=true` and the
 * project's `full_path` removes it at once (docs: api/projects "Delete a project").
 */
import type { GitLabClient } from "../../infra/gitlab-api";
import { GitLabApiError } from "../../infra/gitlab-api";

export interface CreatedProject {
  readonly id: number;
  readonly path_with_namespace: string;
  readonly web_url: string;
}

export type DeleteOutcome = "deleted" | "deletion-scheduled" | "marked-for-deletion" | "already-gone";

export async function deleteProject(
  client: GitLabClient,
  project: CreatedProject,
  deadlineMs: number,
): Promise<{ outcome: DeleteOutcome; detail: string }> {
  const first = await client.send("DELETE", `/projects/${project.id}`, { expect: [202, 204, 404], deadlineMs });
  if (first.status === 404) return { outcome: "already-gone", detail: "already gone" };
  const after = await client.send<{ marked_for_deletion_on?: string | null; marked_for_deletion_at?: string | null }>(
    "GET",
    `/projects/${project.id}`,
    { expect: [200, 404], deadlineMs },
  );
  if (after.status === 404) return { outcome: "deleted", detail: "deleted" };
  const marked = after.data.marked_for_deletion_on ?? after.data.marked_for_deletion_at;
  if (!marked)
    return { outcome: "deletion-scheduled", detail: "deletion accepted; GitLab removes it in the background" };
  const permanent = await client.send("DELETE", `/projects/${project.id}`, {
    query: { permanently_remove: true, full_path: project.path_with_namespace },
    expect: [202, 204, 400, 404],
    deadlineMs,
  });
  if (permanent.status === 400) {
    return {
      outcome: "marked-for-deletion",
      detail: `marked for deletion on ${marked} (GitLab's delayed deletion refused an immediate removal: ${JSON.stringify(permanent.data)})`,
    };
  }
  return { outcome: "deleted", detail: "deleted (delayed deletion bypassed with permanently_remove)" };
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
