/**
 * Does GitLab answer at all? The first request of a smoke run, on its own short budget: when
 * nothing ever answers at the URL (connection refused, a name that does not resolve, packets
 * dropped) the run stops within `budgetMs` and says so, instead of waiting out the whole run and
 * then blaming the pipeline. A failure no retry can cure (a port Node.js refuses to connect to, a
 * URL it cannot parse, a certificate it does not trust) stops at the first attempt.
 *
 * Once GitLab has answered anything over HTTP, even a 502 while it starts, this is done: the
 * rest of the run retries as usual.
 */
import type { GitLabClient } from "../../infra/gitlab-api";
import { formatDuration, GitLabApiError } from "../../infra/gitlab-api";
import type { Diagnosis } from "./diagnose";

export interface FirstContactOptions {
  /** GitLab's URL, as the user gave it (or the stack's gitlabUrl output). */
  readonly url: string;
  /** How long to keep trying when nothing answers. Default 30s. */
  readonly budgetMs?: number;
  /** Time allowed for one attempt. Default 10s (the budget is the bound). */
  readonly attemptTimeoutMs?: number;
  /** First pause between attempts; doubles up to 8s. Default 1s. */
  readonly initialDelayMs?: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** The run's own signal (interrupt, overall timeout): its abort is rethrown as is. */
  readonly signal: AbortSignal;
  /** One line per retry. */
  readonly progress: (line: string) => void;
}

export type FirstContact =
  /** GitLab answered `/version`. */
  | { readonly kind: "answered"; readonly version: string }
  /** Something answers over HTTP but GitLab is not ready (502, 503, 504): the usual retries take over. */
  | { readonly kind: "starting" }
  /** Nothing answered, or never can: what to print. */
  | { readonly kind: "unreachable"; readonly message: string; readonly diagnosis: Diagnosis };

/** A failure of one attempt, in the words the diagnosis uses. */
interface Failure {
  /** The system's code (ECONNREFUSED, ENOTFOUND, ...), "timeout", or the fetch error's message. */
  readonly code: string;
  readonly permanent: boolean;
}

const MAX_DELAY_MS = 8_000;
const MIN_ATTEMPT_MS = 1_000;
const STARTING_STATUSES = [502, 503, 504];

export async function firstContact(client: GitLabClient, options: FirstContactOptions): Promise<FirstContact> {
  const budgetMs = options.budgetMs ?? 30_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  const { now, sleep, signal } = options;
  const startedAt = now();
  let delay = options.initialDelayMs ?? 1_000;
  for (let attempt = 1; ; attempt++) {
    const attemptSignal = AbortSignal.timeout(
      Math.max(Math.min(attemptTimeoutMs, budgetMs - (now() - startedAt)), MIN_ATTEMPT_MS),
    );
    let failure: Failure;
    try {
      const data = await client.request<{ version?: unknown }>("GET", "/version", {
        retry: "none",
        signal: AbortSignal.any([signal, attemptSignal]),
      });
      return { kind: "answered", version: typeof data.version === "string" ? data.version : "(unknown version)" };
    } catch (error) {
      if (signal.aborted) throw error;
      if (attemptSignal.aborted) failure = { code: "timeout", permanent: false };
      else if (!(error instanceof GitLabApiError)) throw error;
      else if (error.kind === "http") {
        if (STARTING_STATUSES.includes(error.status ?? 0)) return { kind: "starting" };
        throw error;
      } else if (error.kind === "timeout") failure = { code: "timeout", permanent: false };
      else failure = classify(error.detail ?? "network error");
    }
    const elapsed = now() - startedAt;
    const left = budgetMs - elapsed;
    // Another attempt only with a second or more left for it: the pause leaves that second.
    if (failure.permanent || left <= MIN_ATTEMPT_MS) return unreachable(options.url, failure, attempt, elapsed);
    const wait = Math.min(delay, left - MIN_ATTEMPT_MS);
    options.progress(
      `… GitLab does not answer at ${options.url} (${describeCode(failure.code)}); retrying in ${formatDuration(wait)}, ${formatDuration(left)} left`,
    );
    await sleep(wait);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}

/** Which failures no retry can cure: Node.js will never connect, or never trust the answer. */
function classify(code: string): Failure {
  const permanent =
    code === "bad port" || // fetch's blocked ports (https://fetch.spec.whatwg.org/#port-blocking)
    code === "ERR_INVALID_URL" ||
    /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_|ERR_TLS_CERT_|ERR_SSL_|EPROTO$)/.test(
      code,
    );
  return { code, permanent };
}

function describeCode(code: string): string {
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
      return "the name does not resolve";
    case "EAI_AGAIN":
      return "DNS did not answer";
    case "timeout":
    case "UND_ERR_CONNECT_TIMEOUT":
      return "no answer, the connection timed out";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "no route to the host";
    default:
      return code;
  }
}

function unreachable(url: string, failure: Failure, attempts: number, elapsedMs: number): FirstContact {
  const parsed = safeUrl(url);
  const host = parsed?.hostname ?? url;
  const port = parsed ? parsed.port || (parsed.protocol === "https:" ? "443" : "80") : "?";
  const where = `${host}:${port}`;
  const code = failure.code;
  if (code === "bad port") {
    return {
      kind: "unreachable",
      message: `Node.js refuses to connect to ${url}: port ${port} is on fetch's list of blocked ports, so no retry can succeed (nothing was sent).`,
      diagnosis: {
        id: "gitlab-port-blocked",
        title: `Node.js never connects to port ${port}`,
        advice: [
          `fetch blocks a fixed list of ports (https://fetch.spec.whatwg.org/#port-blocking), ${port} among them, whatever listens there.`,
          "Publish GitLab on another port (gitlab.httpPort, then `pulumi up`), or reach it through a URL on another port.",
        ],
      },
    };
  }
  if (code === "ERR_INVALID_URL") {
    return {
      kind: "unreachable",
      message: `${url} is not a URL Node.js can open (nothing was sent).`,
      diagnosis: {
        id: "gitlab-url-invalid",
        title: "The GitLab URL is not valid",
        advice: ["Give --url as http(s)://host[:port], or check the stack's gitlabUrl output."],
      },
    };
  }
  if (failure.permanent) {
    return {
      kind: "unreachable",
      message: `GitLab at ${url} answered with a TLS certificate Node.js does not accept (${code}); no retry can change that.`,
      diagnosis: {
        id: "gitlab-tls-untrusted",
        title: "GitLab's certificate is not trusted",
        advice: [
          "With an https:// gitlab.externalUrl GitLab gets a Let's Encrypt certificate for that DNS name: use exactly that name in the URL, and check the name points at the host (the stack's publicIp output) and port 80 is reachable for the HTTP challenge.",
          "A certificate from a private CA: give Node.js the CA with NODE_EXTRA_CA_CERTS=<ca.pem>.",
        ],
      },
    };
  }
  const why =
    code === "ECONNREFUSED"
      ? `Connection refused: nothing listens on ${where}. Is GitLab running? Local stack: \`docker ps\` shows <team>-gitlab (else \`npm run local:up\`); AWS: the instance is running and its containers are up (the stack's ssmCommand output, then \`docker ps\`).`
      : code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? `The name ${host} does not resolve: check the URL's spelling, and for an https:// gitlab.externalUrl that its DNS record points at the host (the stack's publicIp output).`
        : code === "timeout" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "EHOSTUNREACH" || code === "ENETUNREACH"
          ? `No answer from ${where}: packets are dropped or have no route. On AWS this machine's public address must be in network.webCidrs (the security group); a VPN, proxy or firewall may be in the way; or the instance is stopped.`
          : `The connection to ${where} failed without an HTTP answer (${code}): something other than GitLab listens there, or GitLab's container is restarting (\`docker logs <team>-gitlab\`).`;
  return {
    kind: "unreachable",
    message: `GitLab did not answer at ${url} (${describeCode(code)}; ${attempts} ${attempts === 1 ? "attempt" : "attempts"} in ${formatDuration(elapsedMs)}). Nothing was created; the pipeline and the runner were not checked.`,
    diagnosis: {
      id: "gitlab-unreachable",
      title: `GitLab did not answer at ${url}`,
      advice: [
        why,
        "Check the URL: with --stack it is the stack's gitlabUrl output (`pulumi stack output gitlabUrl`); with --url, what you gave.",
        "If GitLab is only starting (a first boot takes 3 to 10 minutes), wait, or let smoke wait longer with --connect-timeout 10m.",
      ],
    },
  };
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
