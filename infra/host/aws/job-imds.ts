/**
 * Keeping CI job containers on the host away from the instance metadata service (IMDS), when the hop
 * limit lets containers reach it.
 *
 * With `gitlab.objectStorage: s3` the hop limit is 2, so that GitLab's container (on Docker's default
 * bridge, one hop further than the host) gets the instance role's credentials for its buckets. The
 * same limit would let every job container read them too. The runner gives each job a Docker network
 * of its own (FF_NETWORK_PER_BUILD: gitlab-runner executors/docker/internal/networks/manager.go
 * creates `<project>-job-<id>-network` with the default bridge driver and no options), and a
 * user-defined bridge network's Linux bridge is `br-<first 12 characters of its id>` (moby's bridge
 * driver), while GitLab, the runner, the pull-through cache and the jobs' config volume live on the
 * default bridge, `docker0`. So one rule in `DOCKER-USER`, the chain Docker's iptables backend runs
 * first for forwarded traffic and never changes ("Docker will not delete or modify any pre-existing
 * rules from the DOCKER-USER filter chain", moby libnetwork's DOCKER-USER setup), drops what any
 * `br-*` network sends to 169.254.169.254: every job container, service and a DinD daemon's own
 * containers (their traffic leaves through the job's network), and nothing on `docker0`.
 *
 * iptables rules do not survive a reboot; Docker keeps the chain's rules across its own restarts but a
 * rule removed by hand would stay gone. A oneshot unit wanted by docker.service and part of it
 * (started after it each time it starts, restarted with it) puts the rule back, idempotently. After
 * a boot, Docker restarts GitLab and the runner before the unit runs; a job container only appears
 * once the runner has taken a job from GitLab, which needs minutes to start, long after the rule.
 *
 * Not a wall against a privileged container: a privileged DinD job is root on the host and can
 * remove the rule or read IMDS from the host's network namespace. The autoscaler (jobs on their own
 * EC2 workers) is the answer there; docs/operations.md says so. Docker's nftables firewall backend
 * (opt-in) has no DOCKER-USER chain: the host runs the default iptables backend.
 *
 * Only rendered when needed, because the host's user data replaces the instance when it changes
 * (userDataReplaceOnChange): with a hop limit of 2 or more (object storage in S3 sets it) and jobs
 * on the host. With the autoscaler no
 * job runs on the host (the runner container is the workers' manager and itself needs IMDS), so
 * there is nothing to drop there.
 */
import type { StackConfig } from "../../config/types";

/** The instance metadata service's IPv4 address (the IPv6 endpoint is off: httpProtocolIpv6 is not enabled). */
export const IMDS_ADDRESS = "169.254.169.254";
/** Linux bridges of user-defined Docker networks, as an iptables interface match: the per-job networks. */
export const JOB_BRIDGES = "br-+";
export const JOB_IMDS_SCRIPT = "/usr/local/sbin/gitlab-dind-job-imds";
export const JOB_IMDS_UNIT = "gitlab-dind-job-imds.service";
/** The comment on the rule, to find it with `iptables -S DOCKER-USER`. */
export const JOB_IMDS_COMMENT = "gitlab-dind: job containers never reach IMDS";

/**
 * Whether the host needs the rule: containers can reach IMDS and jobs run on the host. Containers
 * reach it whenever the hop limit is 2 or more, whatever raised it: gitlab.objectStorage s3, or a
 * `host.imdsHopLimit` set by hand (for the runner's S3 cache through the host role, say); the hop
 * limit, not the reason, decides.
 */
export function needsJobImdsBlock(config: Pick<StackConfig, "host" | "runner">): boolean {
  return config.host.imdsHopLimit >= 2 && !config.runner.autoscaler.enabled;
}

/** The rule, as iptables arguments after the chain. */
export const JOB_IMDS_RULE = [
  "-i",
  JOB_BRIDGES,
  "-d",
  `${IMDS_ADDRESS}/32`,
  "-m",
  "comment",
  "--comment",
  JOB_IMDS_COMMENT,
  "-j",
  "DROP",
] as const;

const quoted = JOB_IMDS_RULE.map((a) => (/^[A-Za-z0-9_./+-]+$/.test(a) ? a : `'${a}'`)).join(" ");

export const JOB_IMDS_SCRIPT_TEXT = `#!/bin/bash
# Drops what CI job containers (the runner's per-job Docker networks, Linux bridges br-*) send to the
# instance metadata service, first in DOCKER-USER; GitLab and the runner on docker0 keep it.
# Run by ${JOB_IMDS_UNIT} each time Docker starts; adding the rule twice is avoided.
set -euo pipefail

log() { echo "gitlab-dind: $*" >&2; }

# Docker creates the chain as it starts; create it if an older Docker did not.
iptables -w -N DOCKER-USER 2>/dev/null || true
if iptables -w -C DOCKER-USER ${quoted} 2>/dev/null; then
  log "DOCKER-USER already drops job containers' traffic to ${IMDS_ADDRESS}"
else
  iptables -w -I DOCKER-USER 1 ${quoted}
  log "DOCKER-USER now drops job containers' traffic to ${IMDS_ADDRESS}"
fi
`;

export const JOB_IMDS_UNIT_TEXT = [
  "# Written by cloud-init (gitlab-dind).",
  "[Unit]",
  `Description=gitlab-dind: keep CI job containers from the instance metadata service (DOCKER-USER)`,
  "# After Docker has set up its chains, each time it starts; restarted with it (PartOf).",
  "After=docker.service",
  "PartOf=docker.service",
  "",
  "[Service]",
  "Type=oneshot",
  "RemainAfterExit=yes",
  `ExecStart=${JOB_IMDS_SCRIPT}`,
  "",
  "[Install]",
  "WantedBy=docker.service",
  "",
].join("\n");
