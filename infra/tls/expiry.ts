/**
 * The warning `pulumi preview` (and `up`) prints when the stack CA's server certificate has fewer
 * than 30 days left. The certificate's `validityEndTime` comes from the state: the program sees it
 * whenever the certificate is not being replaced in this run. Pure: the clock is an argument.
 */
import { SERVER_CERT_EARLY_RENEWAL_HOURS } from "./pki";

/** Warn when fewer than this many days are left. */
export const EXPIRY_WARNING_DAYS = 30;

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** What the warning names. */
export interface ExpiringCertificate {
  /** What the certificate is for, e.g. `GitLab's and the registry's TLS certificate`. */
  readonly what: string;
  /** Its end of validity, RFC 3339 (`validityEndTime`); undefined when not known yet. */
  readonly expiry: string | undefined;
  /** The resource's URN, for `pulumi up --replace` to renew it early (the GitLab container follows). */
  readonly urn: string;
  /** From how many hours before the end `pulumi up` renews it by itself. Default: 14 days. */
  readonly earlyRenewalHours?: number;
}

/**
 * The warning for `cert` at `now`, or undefined when 30 days or more are left (or the end is not
 * known: a certificate created or replaced in this run).
 */
export function certificateExpiryWarning(cert: ExpiringCertificate, now: Date): string | undefined {
  if (cert.expiry === undefined) return undefined;
  const end = Date.parse(cert.expiry);
  if (Number.isNaN(end)) return undefined;
  const left = end - now.getTime();
  if (left >= EXPIRY_WARNING_DAYS * DAY_MS) return undefined;
  const date = new Date(end).toISOString();
  const replaces =
    "which replaces the GitLab container (GitLab and its registry are down for the few minutes GitLab takes to start)";
  if (left <= 0) {
    return `${cert.what} expired on ${date}: browsers, git and docker refuse it. \`pulumi up\` issues a new one, ${replaces}.`;
  }
  const renewalHours = cert.earlyRenewalHours ?? SERVER_CERT_EARLY_RENEWAL_HOURS;
  const renewFrom = new Date(end - renewalHours * HOUR_MS);
  const days = Math.floor(left / DAY_MS);
  const inDays = days === 0 ? "in less than a day" : `in ${days} day${days === 1 ? "" : "s"}`;
  const when =
    renewFrom.getTime() <= now.getTime()
      ? "`pulumi up` renews it now"
      : `the first \`pulumi up\` from ${renewFrom.toISOString()} renews it`;
  return (
    `${cert.what} expires on ${date} (${inDays}). ${when[0].toUpperCase()}${when.slice(1)}, ${replaces}. ` +
    `To renew it at a time of your choosing: pulumi up --replace '${cert.urn}'.`
  );
}
