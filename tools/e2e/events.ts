/**
 * Reads the timeline of `pulumi up`/`pulumi destroy` from the engine's event log
 * (`--event-log <file>`: one JSON engine event per line, `@pulumi/pulumi/automation` `EngineEvent`,
 * timestamps in Unix seconds). Pure, so that it is tested on recorded lines.
 */

/** The phases of `pulumi up` a user waits for, in the order they happen, and the resource that marks each. */
export const UP_PHASES = [
  { phase: "instance running", type: "aws:ec2/instance:Instance", last: false },
  { phase: "Docker API answering", type: "pulumi-nodejs:dynamic/gitlab-dind:DockerApiWait", last: false },
  { phase: "images pulled", type: "docker:index/remoteImage:RemoteImage", last: true },
  { phase: "GitLab ready", type: "pulumi-nodejs:dynamic/gitlab-dind:GitLabReadiness", last: false },
  { phase: "runner registered", type: "pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration", last: false },
] as const;

export const REGISTRATION_TYPE = "pulumi-nodejs:dynamic/gitlab-dind:RunnerRegistration";

interface StepMetadata {
  readonly op?: string;
  readonly urn?: string;
  readonly type?: string;
}

/** The fields of an engine event this tool reads. */
export interface EngineEventLine {
  readonly sequence?: number;
  readonly timestamp?: number;
  readonly resourcePreEvent?: { readonly metadata?: StepMetadata };
  readonly resOutputsEvent?: { readonly metadata?: StepMetadata };
  readonly resOpFailedEvent?: { readonly metadata?: StepMetadata };
  readonly summaryEvent?: { readonly resourceChanges?: Record<string, number> };
  readonly diagnosticEvent?: { readonly severity?: string; readonly message?: string; readonly urn?: string };
}

/** One line per event; blank and unreadable lines (a line cut off by a crash) are skipped. */
export function parseEventLog(text: string): EngineEventLine[] {
  const events: EngineEventLine[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      events.push(JSON.parse(line) as EngineEventLine);
    } catch {
      // A partial last line: the CLI was killed while writing it.
    }
  }
  return events;
}

export interface Phase {
  readonly phase: string;
  /** Seconds since `pulumi up` started; undefined when it did not happen (e.g. no instance on local). */
  readonly atSeconds: number | undefined;
  /** When the step that ends the phase started, in seconds since the start (its own duration is the difference). */
  readonly startedAtSeconds?: number;
}

const DONE_OPS = new Set(["create", "update", "same", "replace", "create-replacement", "read"]);

/** Seconds from `startMs` (ms since the epoch) to an event's timestamp (whole seconds); never negative. */
function since(startMs: number, timestamp: number | undefined): number | undefined {
  if (timestamp === undefined) return undefined;
  return Math.max(0, Math.round(timestamp - startMs / 1000));
}

/** The phases of `pulumi up` from its event log. */
export function upPhases(events: readonly EngineEventLine[], startMs: number): Phase[] {
  return UP_PHASES.map(({ phase, type, last }) => {
    const done = events.filter(
      (e) => e.resOutputsEvent?.metadata?.type === type && DONE_OPS.has(e.resOutputsEvent.metadata.op ?? ""),
    );
    const started = events.filter((e) => e.resourcePreEvent?.metadata?.type === type);
    const end = last ? done.at(-1) : done[0];
    return {
      phase,
      atSeconds: since(startMs, end?.timestamp),
      startedAtSeconds: since(startMs, started[0]?.timestamp),
    };
  });
}

/** Steps that failed, as "<op> <urn>", with the error diagnostics of the run. */
export function failures(events: readonly EngineEventLine[]): string[] {
  const failed = events
    .filter((e) => e.resOpFailedEvent !== undefined)
    .map((e) => `${e.resOpFailedEvent?.metadata?.op ?? "?"} ${e.resOpFailedEvent?.metadata?.urn ?? "?"} failed`);
  const errors = events
    .filter((e) => e.diagnosticEvent?.severity === "error")
    .map((e) => (e.diagnosticEvent?.message ?? "").trim())
    .filter((m) => m !== "");
  return [...failed, ...errors];
}

/** Whether `pulumi destroy` deleted the runner's registration (its provider unregisters it from GitLab). */
export function registrationDeleted(events: readonly EngineEventLine[]): boolean {
  return events.some(
    (e) => e.resOutputsEvent?.metadata?.type === REGISTRATION_TYPE && e.resOutputsEvent.metadata.op === "delete",
  );
}
