/**
 * The AWS host's cloud-init user data: a pure function of plain values, built as data with the
 * `yaml` library (never a string template).
 *
 * What the host does at boot, in order, until it has succeeded once (the systemd oneshot unit
 * `gitlab-dind-bootstrap.service`, enabled and started by cloud-init's runcmd at the first boot,
 * started at every later boot until the script has written its marker at its end):
 *  1. waits for the data volume to be attached, formats it only when it holds no filesystem,
 *     and mounts it at the data path by filesystem UUID (a rebuilt instance keeps its data);
 *  2. fetches the Docker daemon's TLS private key from an SSM SecureString parameter that only
 *     this instance's role may read (user data is readable through the EC2 API: no secret here);
 *  3. installs Docker from the AMI's own package repository and starts it listening on the unix
 *     socket and on tcp://0.0.0.0:<port> with --tlsverify.
 *
 * Why a unit and not runcmd alone: runcmd runs once per instance, so a first boot that gave up
 * (the volume not attached in 15 minutes, SSM or the package repository unreachable) left a host
 * without Docker that no reboot would repair. The unit retries a failed run a minute later
 * (`Restart=on-failure`, no start limit) and runs again at the next boot, until one run succeeds;
 * every step is idempotent (format only a blank volume, one fstab line, the key file replaced,
 * `dnf install` and `systemctl enable --now` of what is there already). A timer would retry as
 * well, but a restart policy keeps the run and its retries in one unit and one journal
 * (`journalctl -u gitlab-dind-bootstrap`); its output also goes to the console, which
 * `aws ec2 get-console-output` shows when Session Manager cannot connect.
 *
 * The shell scripts are fixed text; the values they need reach them through an environment file
 * (`/etc/gitlab-dind/host.env`) whose values are checked and single-quoted here.
 */
import { Document, parse } from "yaml";
import { DAEMON_JSON_PATH } from "../../mirror/daemon-json";
import { JOB_IMDS_SCRIPT, JOB_IMDS_SCRIPT_TEXT, JOB_IMDS_UNIT, JOB_IMDS_UNIT_TEXT } from "./job-imds";

/** AWS refuses user data over 16 KB (before base64). */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

/** Where the host keeps the Docker daemon's TLS files. */
export const DOCKER_TLS_DIR = "/etc/docker/tls";
/** Where the host keeps the values the boot scripts read. */
export const HOST_ENV_FILE = "/etc/gitlab-dind/host.env";

export interface CloudInitInput {
  /** The AWS region, for the SSM call that fetches the daemon's key. */
  readonly region: string;
  /** The data volume's id (`vol-…`); on Nitro instances it is the NVMe device's serial. */
  readonly dataVolumeId: string;
  /** The device name the volume is attached under (`/dev/sdf`); only a hint on Nitro instances. */
  readonly dataDeviceName: string;
  /** Where the data volume is mounted (`/srv`). */
  readonly dataPath: string;
  /** The TLS port of the Docker API (2376). */
  readonly dockerPort: number;
  /** The CA certificate the daemon verifies clients against (public). */
  readonly caCertPem: string;
  /** The daemon's server certificate (public). */
  readonly serverCertPem: string;
  /** Name of the SSM SecureString parameter holding the daemon's private key. */
  readonly serverKeyParameter: string;
  /**
   * The host daemon's `/etc/docker/daemon.json` (the pull-through cache as its registry mirror),
   * or undefined for none. Settings only: never `hosts` (given as flags in the drop-in).
   */
  readonly daemonJson?: string;
  /**
   * Drop what CI job containers send to the instance metadata service (a DOCKER-USER rule, put back
   * each time Docker starts: job-imds.ts). Default false, which renders nothing for it.
   */
  readonly blockJobImds?: boolean;
}

/** One file cloud-init writes. */
interface WriteFile {
  readonly path: string;
  readonly content: string;
  readonly owner: string;
  readonly permissions: string;
}

const SCRIPT_DIR = "/usr/local/sbin";
export const BOOTSTRAP_SCRIPT = `${SCRIPT_DIR}/gitlab-dind-bootstrap`;
/** The systemd unit that runs the bootstrap script at every boot until it has succeeded once. */
export const BOOTSTRAP_UNIT = "gitlab-dind-bootstrap.service";
/** Written by the bootstrap script as its last step; the unit does not start once it exists. */
export const BOOTSTRAP_MARKER = "/var/lib/gitlab-dind/bootstrapped";
/** Pause between a failed run of the bootstrap unit and the next one (systemd `RestartSec`). */
export const BOOTSTRAP_RETRY_SECONDS = 60;
const PREPARE_DATA_SCRIPT = `${SCRIPT_DIR}/gitlab-dind-prepare-data`;
const FETCH_KEY_SCRIPT = `${SCRIPT_DIR}/gitlab-dind-docker-key`;

/** Renders the `#cloud-config` document. Throws when a value is not what AWS would give. */
export function renderCloudInit(input: CloudInitInput): string {
  checkInput(input);
  const files: WriteFile[] = [
    { path: HOST_ENV_FILE, content: hostEnv(input), owner: "root:root", permissions: "0644" },
    {
      path: `${DOCKER_TLS_DIR}/ca.pem`,
      content: ensureNewline(input.caCertPem),
      owner: "root:root",
      permissions: "0644",
    },
    {
      path: `${DOCKER_TLS_DIR}/server-cert.pem`,
      content: ensureNewline(input.serverCertPem),
      owner: "root:root",
      permissions: "0644",
    },
    {
      path: "/etc/systemd/system/docker.service.d/gitlab-dind.conf",
      content: dockerDropIn(input),
      owner: "root:root",
      permissions: "0644",
    },
    ...(input.daemonJson !== undefined
      ? [{ path: DAEMON_JSON_PATH, content: ensureNewline(input.daemonJson), owner: "root:root", permissions: "0644" }]
      : []),
    { path: PREPARE_DATA_SCRIPT, content: PREPARE_DATA, owner: "root:root", permissions: "0755" },
    { path: FETCH_KEY_SCRIPT, content: FETCH_KEY, owner: "root:root", permissions: "0755" },
    { path: BOOTSTRAP_SCRIPT, content: BOOTSTRAP, owner: "root:root", permissions: "0755" },
    {
      path: `/etc/systemd/system/${BOOTSTRAP_UNIT}`,
      content: BOOTSTRAP_UNIT_FILE,
      owner: "root:root",
      permissions: "0644",
    },
    ...(input.blockJobImds === true
      ? [
          { path: JOB_IMDS_SCRIPT, content: JOB_IMDS_SCRIPT_TEXT, owner: "root:root", permissions: "0755" },
          {
            path: `/etc/systemd/system/${JOB_IMDS_UNIT}`,
            content: JOB_IMDS_UNIT_TEXT,
            owner: "root:root",
            permissions: "0644",
          },
        ]
      : []),
  ];
  const doc = new Document({
    // Reproducible hosts: no package upgrade at boot; the AMI (pinned by ignoreChanges) fixes
    // the package repository version, so `dnf install docker` gives the same Docker each time.
    package_update: false,
    package_upgrade: false,
    write_files: files,
    // runcmd runs once per instance: it only enables the unit, which then runs at every boot
    // until it has succeeded once. --no-block: cloud-init's final stage does not wait for it.
    runcmd: [
      ["systemctl", "daemon-reload"],
      // Wanted by docker.service: it starts after Docker, which the bootstrap unit starts.
      ...(input.blockJobImds === true ? [["systemctl", "enable", JOB_IMDS_UNIT]] : []),
      ["systemctl", "enable", "--now", "--no-block", BOOTSTRAP_UNIT],
    ],
  });
  doc.commentBefore = "cloud-config";
  return doc.toString({ lineWidth: 0 });
}

/** The embedded shell scripts by path (for shellcheck). */
export function embeddedScripts(userData: string): Array<{ path: string; content: string }> {
  const doc = parse(userData) as { write_files?: Array<{ path: string; content: string }> };
  return (doc.write_files ?? []).filter((f) => f.content.startsWith("#!"));
}

/** Size of the user data as AWS counts it (raw bytes, before base64). */
export function userDataBytes(userData: string): number {
  return Buffer.byteLength(userData, "utf8");
}

function checkInput(input: CloudInitInput): void {
  const problems: string[] = [];
  // `eusc-de-east-1` (the European Sovereign Cloud) has a four-letter prefix.
  if (!/^[a-z]{2,4}(-[a-z]+)+-\d+$/.test(input.region))
    problems.push(`region: expected an AWS region; got ${JSON.stringify(input.region)}`);
  if (!/^[A-Za-z0-9-]+$/.test(input.dataVolumeId))
    problems.push(
      `dataVolumeId: expected an EBS volume id such as vol-0123456789abcdef0; got ${JSON.stringify(input.dataVolumeId)}`,
    );
  if (!/^\/dev\/(sd|xvd)[f-p]$/.test(input.dataDeviceName))
    problems.push(`dataDeviceName: expected /dev/sd[f-p]; got ${JSON.stringify(input.dataDeviceName)}`);
  if (!/^\/[a-z0-9/_-]+$/.test(input.dataPath) || input.dataPath === "/")
    problems.push(`dataPath: expected an absolute directory; got ${JSON.stringify(input.dataPath)}`);
  if (!Number.isInteger(input.dockerPort) || input.dockerPort < 1 || input.dockerPort > 65535)
    problems.push(`dockerPort: expected a TCP port; got ${input.dockerPort}`);
  if (!/^\/[A-Za-z0-9_.\-/]+$/.test(input.serverKeyParameter))
    problems.push(
      `serverKeyParameter: expected an SSM parameter path; got ${JSON.stringify(input.serverKeyParameter)}`,
    );
  if (input.daemonJson !== undefined) {
    let settings: unknown;
    try {
      settings = JSON.parse(input.daemonJson);
    } catch {
      settings = undefined;
    }
    if (typeof settings !== "object" || settings === null || Array.isArray(settings))
      problems.push("daemonJson: expected a JSON object");
    // dockerd refuses to start when `hosts` is both a flag (the drop-in) and in daemon.json.
    else if ("hosts" in settings) problems.push("daemonJson: must not set hosts (the drop-in sets them as flags)");
  }
  for (const [what, pem] of [
    ["caCertPem", input.caCertPem],
    ["serverCertPem", input.serverCertPem],
  ] as const) {
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) problems.push(`${what}: expected a PEM certificate`);
    if (/PRIVATE KEY/.test(pem)) problems.push(`${what}: holds a private key, which must never be in user data`);
  }
  if (problems.length > 0) throw new Error(`cloud-init: ${problems.join("; ")}`);
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** A POSIX shell single-quoted word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function hostEnv(input: CloudInitInput): string {
  const values: Array<[string, string]> = [
    ["AWS_REGION_NAME", input.region],
    ["DATA_VOLUME_ID", input.dataVolumeId],
    ["DATA_DEVICE_HINT", input.dataDeviceName],
    ["DATA_PATH", input.dataPath],
    ["DOCKER_PORT", String(input.dockerPort)],
    ["DOCKER_TLS_DIR", DOCKER_TLS_DIR],
    ["SERVER_KEY_PARAMETER", input.serverKeyParameter],
  ];
  return (
    [
      "# Written by cloud-init (gitlab-dind); read by the boot scripts.",
      ...values.map(([k, v]) => `${k}=${shellQuote(v)}`),
    ].join("\n") + "\n"
  );
}

/**
 * A systemd drop-in for the AL2023 `docker` package's unit. It keeps the package's own
 * `-H fd://` (the unix socket /var/run/docker.sock, handed over by docker.socket) and its
 * sysconfig variables, and adds the TLS TCP listener. The hosts are given as flags only, never
 * also as `hosts` in daemon.json (dockerd refuses both at once).
 */
function dockerDropIn(input: CloudInitInput): string {
  const dockerd = [
    "/usr/bin/dockerd",
    "-H fd://",
    `-H tcp://0.0.0.0:${input.dockerPort}`,
    "--tlsverify",
    `--tlscacert=${DOCKER_TLS_DIR}/ca.pem`,
    `--tlscert=${DOCKER_TLS_DIR}/server-cert.pem`,
    `--tlskey=${DOCKER_TLS_DIR}/server-key.pem`,
    "--containerd=/run/containerd/containerd.sock",
    "$OPTIONS $DOCKER_STORAGE_OPTIONS $DOCKER_ADD_RUNTIMES",
  ].join(" ");
  return [
    "# Written by cloud-init (gitlab-dind).",
    "[Unit]",
    "# GitLab's files live on the data volume: never start containers over an empty mount point.",
    `RequiresMountsFor=${input.dataPath}`,
    "",
    "[Service]",
    "ExecStart=",
    `ExecStart=${dockerd}`,
    "",
  ].join("\n");
}

const PREPARE_DATA = `#!/bin/bash
# Mounts the data volume at DATA_PATH by filesystem UUID. Formats it only when it holds no
# filesystem at all, so a rebuilt instance mounts the data the previous one left.
set -euo pipefail
# shellcheck source=/dev/null
. ${HOST_ENV_FILE}

log() { echo "gitlab-dind: $*" >&2; }

# On Nitro instances the volume is an NVMe device whose serial is the volume id without '-';
# the attachment's device name (/dev/sdf, or /dev/xvdf on Xen) is only a fallback.
find_device() {
  local serial="\${DATA_VOLUME_ID//-/}"
  local candidate
  for candidate in \\
    "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_\${serial}" \\
    "\${DATA_DEVICE_HINT}" \\
    "\${DATA_DEVICE_HINT/\\/dev\\/sd//dev/xvd}"; do
    if [ -b "\${candidate}" ]; then
      readlink -f "\${candidate}"
      return 0
    fi
  done
  return 1
}

# The volume is attached after the instance starts: wait for it, bounded.
deadline=$((SECONDS + 900))
until device="$(find_device)"; do
  if [ "\${SECONDS}" -ge "\${deadline}" ]; then
    log "data volume \${DATA_VOLUME_ID} not attached after 15 minutes; check its attachment in the EC2 console"
    exit 1
  fi
  log "waiting for data volume \${DATA_VOLUME_ID} to be attached"
  sleep 5
done
udevadm settle || true
log "data volume \${DATA_VOLUME_ID} is \${device}"

# blkid -p exits 2 when the device holds no signature at all; anything else is not blank.
status=0
blkid -p "\${device}" >/dev/null 2>&1 || status=$?
case "\${status}" in
  0) log "\${device} holds a filesystem: keeping its data" ;;
  2)
    log "\${device} is blank: creating an XFS filesystem"
    mkfs.xfs -q "\${device}"
    udevadm settle || true
    ;;
  *)
    log "blkid could not read \${device} (exit \${status}); refusing to format it"
    exit 1
    ;;
esac

uuid="$(blkid -p -s UUID -o value "\${device}")"
fstype="$(blkid -p -s TYPE -o value "\${device}")"
if [ -z "\${uuid}" ] || [ -z "\${fstype}" ]; then
  log "no filesystem UUID on \${device}"
  exit 1
fi

# One fstab line for DATA_PATH, by UUID; nofail keeps a missing volume from blocking boot
# (docker.service requires the mount, so no container starts over an empty directory).
entry="UUID=\${uuid} \${DATA_PATH} \${fstype} defaults,nofail 0 2"
if ! grep -qxF "\${entry}" /etc/fstab; then
  awk -v path="\${DATA_PATH}" '$2 != path' /etc/fstab >/etc/fstab.gitlab-dind
  echo "\${entry}" >>/etc/fstab.gitlab-dind
  cat /etc/fstab.gitlab-dind >/etc/fstab
  rm -f /etc/fstab.gitlab-dind
fi
mkdir -p "\${DATA_PATH}"
systemctl daemon-reload
if ! mountpoint -q "\${DATA_PATH}"; then
  mount "\${DATA_PATH}"
fi
if [ "\${fstype}" = "xfs" ]; then
  # The volume may have been enlarged (host.dataVolumeGiB) since it was formatted.
  xfs_growfs "\${DATA_PATH}" >/dev/null
fi
log "\${DATA_PATH} mounted from \${device} (UUID \${uuid})"
`;

const FETCH_KEY = `#!/bin/bash
# Fetches the Docker daemon's TLS private key from SSM Parameter Store (a SecureString only this
# instance's role may read) into DOCKER_TLS_DIR, readable by root only.
set -euo pipefail
# shellcheck source=/dev/null
. ${HOST_ENV_FILE}

log() { echo "gitlab-dind: $*" >&2; }

umask 077
mkdir -p "\${DOCKER_TLS_DIR}"
key_file="\${DOCKER_TLS_DIR}/server-key.pem"
tmp="$(mktemp "\${DOCKER_TLS_DIR}/.server-key.XXXXXX")"
trap 'rm -f "\${tmp}"' EXIT

# The instance profile's credentials can take a moment after boot: retry, bounded.
for attempt in $(seq 1 30); do
  if aws ssm get-parameter --region "\${AWS_REGION_NAME}" --name "\${SERVER_KEY_PARAMETER}" \\
    --with-decryption --query Parameter.Value --output text >"\${tmp}" \\
    && grep -q -- "-----BEGIN .*PRIVATE KEY-----" "\${tmp}"; then
    chmod 0600 "\${tmp}"
    mv -f "\${tmp}" "\${key_file}"
    log "Docker TLS key fetched from \${SERVER_KEY_PARAMETER}"
    exit 0
  fi
  log "cannot read \${SERVER_KEY_PARAMETER} yet (attempt \${attempt}/30)"
  sleep 10
done
log "giving up on \${SERVER_KEY_PARAMETER}: check the instance role's ssm:GetParameter permission"
exit 1
`;

/**
 * The unit. `ConditionPathExists=!` skips it once the script has written its marker (a skipped
 * unit is not a failed one); `Restart=on-failure` on a oneshot service (systemd 244 and later;
 * Amazon Linux 2023 has 252) runs it again after a failure, without the default start limit.
 */
const BOOTSTRAP_UNIT_FILE = [
  "# Written by cloud-init (gitlab-dind).",
  "[Unit]",
  "Description=gitlab-dind host bootstrap: data volume, Docker TLS key, Docker",
  "# Runs at every boot until it has succeeded once: the script writes this marker at its end.",
  `ConditionPathExists=!${BOOTSTRAP_MARKER}`,
  "Wants=network-online.target",
  "After=network-online.target",
  "# Retried until it succeeds (below): no start rate limit.",
  "StartLimitIntervalSec=0",
  "",
  "[Service]",
  "Type=oneshot",
  `ExecStart=${BOOTSTRAP_SCRIPT}`,
  "Restart=on-failure",
  `RestartSec=${BOOTSTRAP_RETRY_SECONDS}`,
  "# One run is bounded by its own waits (volume 15 min, key 5 min, dnf 5 tries, Docker 2 min);",
  "# this only stops a step that hangs.",
  "TimeoutStartSec=40min",
  "# The journal (journalctl -u gitlab-dind-bootstrap), and the console for get-console-output.",
  "StandardOutput=journal+console",
  "StandardError=journal+console",
  "",
  "[Install]",
  "WantedBy=multi-user.target",
  "",
].join("\n");

const BOOTSTRAP = `#!/bin/bash
# Boot of the GitLab host: data volume, Docker's TLS key, then Docker itself. Run by
# ${BOOTSTRAP_UNIT} at every boot until it succeeds once; every step may run again.
set -euo pipefail
# shellcheck source=/dev/null
. ${HOST_ENV_FILE}

log() { echo "gitlab-dind: $*" >&2; }

${PREPARE_DATA_SCRIPT}
${FETCH_KEY_SCRIPT}

installed=false
for attempt in 1 2 3 4 5; do
  if dnf install -y docker; then
    installed=true
    break
  fi
  log "dnf install docker failed (attempt \${attempt}/5)"
  sleep 15
done
if [ "\${installed}" != true ]; then
  log "cannot install Docker"
  exit 1
fi

systemctl daemon-reload
systemctl enable --now docker.socket docker.service

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "Docker is up: unix socket and tcp://0.0.0.0:\${DOCKER_PORT} (TLS, client certificates required)"
    # Done: the unit does not run again (Docker, the mount and the key persist across boots).
    mkdir -p "$(dirname ${BOOTSTRAP_MARKER})"
    date -u +%Y-%m-%dT%H:%M:%SZ >${BOOTSTRAP_MARKER}
    exit 0
  fi
  sleep 2
done
log "Docker did not start: see journalctl -u docker"
exit 1
`;
