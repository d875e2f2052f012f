/**
 * Why a DinD smoke run failed, from what GitLab says: a pure function over the
 * evidence (job log, job, runners, pipeline) and a table of known causes, in
 * order of specificity. Add a cause by adding a row.
 */

export interface RunnerInfo {
  readonly id: number;
  readonly description: string;
  /** online | offline | stale | never_contacted */
  readonly status: string;
  readonly paused: boolean;
  readonly tag_list: readonly string[];
  readonly run_untagged: boolean;
}

export interface Evidence {
  /** Where the run stopped. */
  readonly stage: "runner" | "no-pipeline" | "pending" | "failed" | "timeout" | "no-proof";
  /** The failed job's log, cleaned (see job-log.ts). */
  readonly log?: string;
  readonly jobName?: string;
  /** GitLab's failure_reason for the job, e.g. `script_failure`. */
  readonly failureReason?: string | null;
  /** The tags of the job (or of the pipeline's jobs) that needs a runner. */
  readonly jobTags?: readonly string[];
  /** Instance runners GitLab knows (details, with tags), when looked up. */
  readonly runners?: readonly RunnerInfo[];
  /** The stack's runner id, when known. */
  readonly expectedRunnerId?: number;
  readonly yamlErrors?: string | null;
}

export interface Diagnosis {
  readonly id: string;
  readonly title: string;
  /** What it means and what to do, one line each. */
  readonly advice: readonly string[];
}

interface KnownCause {
  readonly id: string;
  readonly title: string;
  readonly matches: (e: Evidence) => boolean;
  readonly advice: (e: Evidence) => string[];
}

/** dockerd's words when `docker login`/`push`/`pull` meet an unknown CA at a registry's /v2/ endpoint. */
const REGISTRY_X509 = /Get "https:\/\/[^"]+\/v2\/": (tls: failed to verify certificate: )?x509:/;

const log = (e: Evidence, pattern: RegExp): boolean => e.log !== undefined && pattern.test(e.log);

export function takes(runner: RunnerInfo, tags: readonly string[]): boolean {
  if (runner.paused || runner.status !== "online") return false;
  return tags.length === 0 ? runner.run_untagged : tags.every((t) => runner.tag_list.includes(t));
}

const online = (e: Evidence): RunnerInfo[] => (e.runners ?? []).filter((r) => r.status === "online" && !r.paused);
const fmtTags = (tags: readonly string[] | undefined): string => (tags && tags.length > 0 ? tags.join(", ") : "(none)");
const fmtRunner = (r: RunnerInfo): string =>
  `#${r.id} ${r.description || "(no description)"}: ${r.paused ? "paused" : r.status}, tags ${fmtTags(r.tag_list)}${r.run_untagged ? ", runs untagged jobs" : ""}`;
const waiting = (e: Evidence): boolean => e.stage === "runner" || e.stage === "pending" || e.stage === "timeout";

export const KNOWN_CAUSES: readonly KnownCause[] = [
  {
    id: "yaml-errors",
    title: "GitLab rejected the pipeline file",
    matches: (e) => !!e.yamlErrors,
    advice: (e) => [
      `GitLab says: ${e.yamlErrors}`,
      "Fix the CI file (check it with the CI Lint page, /-/ci/lint) and run smoke again.",
    ],
  },
  {
    id: "no-pipeline",
    title: "GitLab created no pipeline for the commit",
    matches: (e) => e.stage === "no-pipeline",
    advice: () => [
      "Pipelines are created in the background by Sidekiq: check `gitlab-ctl status` (sidekiq up) and Admin > Monitoring > Background jobs.",
      "Check CI/CD is enabled for new projects (Admin > Settings > CI/CD > Continuous Integration and Deployment).",
    ],
  },
  {
    id: "runner-paused",
    title: "The stack's runner is paused",
    matches: (e) =>
      waiting(e) &&
      e.expectedRunnerId !== undefined &&
      (e.runners ?? []).some((r) => r.id === e.expectedRunnerId && r.paused),
    advice: (e) => [
      `Runner #${e.expectedRunnerId} is registered but paused: resume it in Admin > CI/CD > Runners, or run \`pulumi up\` again.`,
    ],
  },
  {
    id: "no-runner-online",
    title: "No runner is online",
    matches: (e) => waiting(e) && e.runners !== undefined && online(e).length === 0,
    advice: (e) => [
      (e.runners ?? []).length === 0
        ? "GitLab has no instance runners registered."
        : `GitLab knows these runners, none online: ${(e.runners ?? []).map(fmtRunner).join("; ")}.`,
      "A runner is online once gitlab-runner has contacted GitLab in the last 2 hours: check the gitlab-runner container runs (`docker logs gitlab-runner`), that its config.toml has GitLab's URL and the runner token, and that it can reach GitLab.",
    ],
  },
  {
    id: "tags-mismatch",
    title: "The job waits for a runner with its tags",
    matches: (e) =>
      waiting(e) &&
      e.runners !== undefined &&
      online(e).length > 0 &&
      !online(e).some((r) => takes(r, e.jobTags ?? [])),
    advice: (e) => [
      `The job${e.jobName ? ` ${e.jobName}` : ""} needs a runner with all of these tags: ${fmtTags(e.jobTags)}${(e.jobTags ?? []).length === 0 ? " (an untagged job needs a runner with run_untagged)" : ""}.`,
      `Online runners: ${online(e).map(fmtRunner).join("; ")}.`,
      "Make the job's tags a subset of the runner's (stack config runner.tags; the example pipeline is rendered from it), or edit the runner's tags in Admin > CI/CD > Runners.",
    ],
  },
  {
    id: "pending-with-runner",
    title: "A matching runner is online but has not picked the job up",
    matches: (e) =>
      (e.stage === "pending" || e.stage === "timeout") && online(e).some((r) => takes(r, e.jobTags ?? [])),
    advice: () => [
      "The runner may be busy (config.toml `concurrent` / `limit`), locked to other projects, or failing to fetch jobs: see `docker logs gitlab-runner`.",
      "Check the project may use instance runners (Settings > CI/CD > Runners > Enable instance runners for this project).",
    ],
  },
  {
    id: "docker-tcp-2375",
    title: "The job's docker client cannot reach the dind daemon (TLS settings)",
    matches: (e) => log(e, /Cannot connect to the Docker daemon at tcp:\/\/docker:2375/),
    advice: () => [
      "With DOCKER_TLS_CERTDIR=/certs the docker:dind service listens only on TLS port 2376; the job's client fell back to plain tcp://docker:2375 because it did not find the client certificates in /certs/client.",
      'Fix: give the runner\'s docker executor the shared volume "/certs/client" (config.toml [runners.docker] volumes = ["/certs/client", "/cache"]), keep DOCKER_TLS_CERTDIR: "/certs" in the job, and do not set DOCKER_HOST to port 2375.',
      '(Deliberately without TLS: set DOCKER_TLS_CERTDIR: "" and DOCKER_HOST: tcp://docker:2375 in the job, so the service listens on 2375.)',
    ],
  },
  {
    id: "certs-volume-missing",
    title: "The job's docker client finds no TLS client certificates",
    matches: (e) =>
      log(e, /open \/certs\/client\/(ca|cert|key)\.pem: no such file or directory|unable to resolve docker endpoint/),
    advice: () => [
      "DOCKER_TLS_VERIFY/DOCKER_CERT_PATH point at /certs/client, but the job container does not share that directory with the dind service.",
      'Fix: add "/certs/client" to [runners.docker] volumes in the runner\'s config.toml, and keep DOCKER_TLS_CERTDIR: "/certs" on the job.',
    ],
  },
  {
    id: "not-privileged",
    title: "The dind service is not running privileged",
    matches: (e) =>
      log(
        e,
        /mount: permission denied \(are you root\?\)|Could not mount \/sys\/kernel\/security|you must be root|failed to create NAT chain|Operation not permitted.*(cgroup|mount|iptables)|(cgroup|mount|iptables).*Operation not permitted|dind is not privileged/i,
      ),
    advice: () => [
      "docker:dind needs a privileged container to start dockerd; the service log shows it was denied.",
      "Fix: set privileged = true under [runners.docker] in the runner's config.toml (this project renders it; check the deployed file on the host and restart gitlab-runner).",
    ],
  },
  {
    id: "registry-certificate",
    title: "The job's DinD daemon does not trust GitLab's container registry",
    matches: (e) => log(e, REGISTRY_X509),
    advice: () => [
      "dockerd verifies a registry against /etc/docker/certs.d/<host:port>/ca.crt: with gitlab.tls selfSigned the stack mounts the stack CA there, read-only at /etc/docker, in every job and service container (config.toml [runners.docker] volumes).",
      "Fix: run `pulumi up` with this version (it writes the CA for the host's jobs and into the workers' user data); a job that mounts its own /etc/docker, or a rootless DinD image (it reads ~/.config/docker/certs.d), does not get it. See docs/pitfalls.md.",
    ],
  },
  {
    id: "registry-unreachable",
    title: "The job's DinD daemon cannot reach GitLab's container registry",
    matches: (e) =>
      log(
        e,
        /Get "https?:\/\/[^"]+\/v2\/": dial tcp [^\s]+: (i\/o timeout|connect: connection refused|connect: no route to host)/,
      ),
    advice: () => [
      "The registry's port did not answer the job's daemon at $CI_REGISTRY. With autoscaled workers and GitLab at an IP address (no gitlab.externalUrl), jobs reach $CI_REGISTRY through the Elastic IP, so network.webCidrs must admit the workers' public addresses (0.0.0.0/0, the default).",
      "Fix: keep network.webCidrs open, or give GitLab a DNS name (gitlab.externalUrl; jobs on workers then reach it at the host's private address); check gitlab.registryPort is published (docs/pitfalls.md).",
    ],
  },
  {
    id: "docker-certificate",
    title: "TLS certificate error between the docker client and the dind daemon",
    matches: (e) =>
      log(
        e,
        /x509:|tls: failed to verify certificate|certificate signed by unknown authority|tls: bad certificate|certificate has expired/,
      ) &&
      !log(e, /fatal: unable to access .*(SSL|certificate)|server certificate verification failed/) &&
      !log(e, REGISTRY_X509),
    advice: () => [
      "The client's certificates in /certs/client do not match the daemon's: usually a stale /certs/client volume reused between jobs, or a DOCKER_HOST name other than the service's host name `docker` (the dind certificate is issued for `docker`).",
      'Fix: keep the service reachable as `docker` (a docker:<ver>-dind service is, by its image name; another image needs `alias: docker`) and DOCKER_HOST unset (or tcp://docker:2376); do not mount a host directory at /certs/client, use the anonymous volume "/certs/client".',
    ],
  },
  {
    id: "gitlab-certificate",
    title: "The runner does not trust GitLab's TLS certificate",
    matches: (e) =>
      log(e, /server certificate verification failed|SSL certificate problem|fatal: unable to access .*certificate/i),
    advice: () => [
      "The job could not clone the repository: GitLab's certificate is not trusted by the runner (self-signed or private CA).",
      "Fix: set tls-ca-file in the runner's [[runners]] section (the CA that signed GitLab's certificate), or use GitLab's http:// URL for a local trial.",
    ],
  },
  {
    id: "dind-unreachable",
    title: "The job cannot find the docker service",
    matches: (e) =>
      log(
        e,
        /dial tcp: lookup docker[^\n]*(no such host|server misbehaving)|Cannot connect to the Docker daemon at unix:\/\/\/var\/run\/docker\.sock/,
      ),
    advice: () => [
      "The docker:dind service is missing, is not reachable as `docker`, or died at start (see the service log above).",
      "Fix: keep `services: [{ name: docker:<ver>-dind }]` in the job (the runner names it `docker` from its image name; a dind image under another name needs `alias: docker`); if it says unix:///var/run/docker.sock the job image has no DOCKER_HOST and no service named docker.",
    ],
  },
  {
    id: "pull-rate-limit",
    title: "Docker Hub pull rate limit",
    matches: (e) => log(e, /toomanyrequests|You have reached your pull rate limit/),
    advice: () => [
      "Docker Hub refused the image pull. The stack's pull-through cache (mirror.enabled, the default) fetches each image once a week for every job; give it an account (mirror.dockerHubUsername and mirror.dockerHubToken) for higher limits, or wait.",
    ],
  },
  {
    id: "image-not-found",
    title: "An image could not be pulled",
    matches: (e) => log(e, /manifest unknown|pull access denied|repository does not exist|not found: manifest/),
    advice: () => [
      "Check the image names and tags in the pipeline (runner.jobImage / runner.dindImage in the stack config) exist on the registry.",
    ],
  },
  {
    id: "job-timeout",
    title: "The job ran out of time",
    matches: (e) => e.failureReason === "stuck_or_timeout_failure" || log(e, /execution took longer than/),
    advice: () => [
      "Raise the job timeout (project Settings > CI/CD > General pipelines, or the runner's maximum_timeout), and check the host is not starved of CPU or disk.",
    ],
  },
  {
    id: "runner-system-failure",
    title: "The runner failed outside the job script",
    matches: (e) => e.failureReason === "runner_system_failure",
    advice: () => [
      "See `docker logs gitlab-runner` on the host: the executor could not create containers (Docker socket mounted? disk full?).",
    ],
  },
  {
    id: "service-failed",
    title: "The dind service did not start",
    matches: (e) => log(e, /probably didn't start properly/),
    advice: () => [
      'Read the service log in the job log above; the runner shows it after "Service … probably didn\'t start properly".',
    ],
  },
  {
    id: "no-proof",
    title: "The pipeline passed but its log does not show DinD working",
    matches: (e) => e.stage === "no-proof",
    advice: () => [
      "Expected a `docker version` Server section and `docker container ls` rows in the log; is this the DinD example pipeline (see --pipeline)?",
    ],
  },
];

/** Every known cause that matches, most specific first; a generic reading when none does. */
export function diagnose(e: Evidence): Diagnosis[] {
  const found = KNOWN_CAUSES.filter((c) => c.matches(e)).map((c) => ({
    id: c.id,
    title: c.title,
    advice: c.advice(e),
  }));
  if (found.length > 0) return found;
  if (e.stage === "timeout") {
    return [
      {
        id: "timeout",
        title: "The run did not finish in time",
        advice: ["Raise --timeout, or look at the pipeline in GitLab (--keep leaves the project)."],
      },
    ];
  }
  return [
    {
      id: "unknown",
      title: "No known cause matched",
      advice: ["Read the job log tail above; run with --keep to inspect the project in GitLab."],
    },
  ];
}
