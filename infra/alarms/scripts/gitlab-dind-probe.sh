#!/usr/bin/env bash
# gitlab-dind-probe: one measurement of the gitlab-dind host, published as a CloudWatch metric in
# the stack's own namespace (the host role may publish there and nowhere else).
#
#   gitlab-dind-probe readiness    GitLabReady: 1 when GitLab answers /-/readiness with 200, else 0.
#                                  Asked from inside GitLab's container (its loopback is in
#                                  gitlab_rails['monitoring_whitelist']; a request to a published
#                                  port from the host arrives from the Docker network's gateway).
#   gitlab-dind-probe backup-age   BackupAgeHours: hours since the backup service last succeeded
#                                  (the marker its ExecStartPost= drop-in touches), or since
#                                  monitoring was installed when no backup has succeeded yet.
#   gitlab-dind-probe certificate  CertificateDaysLeft: whole days until GitLab's server
#                                  certificate (port 443) expires.
#
# Environment (the host's /etc/gitlab-dind/alarms.env):
#   METRIC_NAMESPACE  the stack's namespace, gitlab-dind/<team>
#   METRIC_REGION     the region of the stack's alarms
#   INSTANCE_ID       this instance (the metrics' InstanceId dimension)
#   GITLAB_CONTAINER  GitLab's container (readiness)
#   READINESS_URL     the URL inside the container (readiness)
#   TLS_SERVER_NAME   the name GitLab's certificate is for (certificate)
#   STATE_DIR         where the markers are (backup-age)
# A measurement that cannot be taken is published as its failing value (readiness 0, a
# certificate that cannot be read 0 days); only a failed publish exits non-zero.
set -euo pipefail

readonly BACKUP_MARKER=backup-succeeded
readonly SINCE_MARKER=monitoring-since

log() { printf 'gitlab-dind-probe: %s\n' "$*"; }

namespace=${METRIC_NAMESPACE:?METRIC_NAMESPACE must name the CloudWatch namespace of the stack}
region=${METRIC_REGION:?METRIC_REGION must name the region}
instance=${INSTANCE_ID:?INSTANCE_ID must name this instance}

publish() {
  local name=$1 value=$2 unit=$3
  log "${name}=${value} ${unit}"
  aws cloudwatch put-metric-data --region "$region" --namespace "$namespace" \
    --metric-name "$name" --value "$value" --unit "$unit" --dimensions "InstanceId=${instance}"
}

readiness() {
  local container=${GITLAB_CONTAINER:?GITLAB_CONTAINER must name the GitLab container}
  local url=${READINESS_URL:?READINESS_URL must be the readiness URL inside the GitLab container}
  local insecure=()
  # Inside the container the certificate is for the external name, not 127.0.0.1: loopback only.
  if [[ $url == https://127.0.0.1* ]]; then insecure=(--insecure); fi
  if docker exec "$container" /opt/gitlab/embedded/bin/curl --silent --fail --max-time 20 \
    --output /dev/null "${insecure[@]}" "$url"; then
    publish GitLabReady 1 Count
  else
    log "GitLab did not answer ${url} with 200 (or its container is not running)"
    publish GitLabReady 0 Count
  fi
}

backup_age() {
  local dir=${STATE_DIR:?STATE_DIR must name the directory of the markers}
  local marker="${dir}/${BACKUP_MARKER}"
  if [[ ! -e $marker ]]; then
    log "no backup has succeeded on this host yet: counting from ${dir}/${SINCE_MARKER}"
    marker="${dir}/${SINCE_MARKER}"
  fi
  local last now
  last=$(stat -c %Y -- "$marker") || { log "cannot read ${marker}"; exit 1; }
  now=$(date +%s)
  # Hours with one decimal, never negative (a clock step).
  publish BackupAgeHours "$(awk -v s=$((now > last ? now - last : 0)) 'BEGIN { printf "%.1f", s / 3600 }')" None
}

certificate() {
  local name=${TLS_SERVER_NAME:?TLS_SERVER_NAME must name the host of GitLab}
  local pem end days
  pem=$(openssl s_client -connect 127.0.0.1:443 -servername "$name" </dev/null 2>/dev/null) || pem=""
  if ! end=$(openssl x509 -noout -enddate <<<"$pem" 2>/dev/null) || [[ $end != notAfter=* ]]; then
    # Nothing published: GitLab may still be starting (a first boot, a reboot). The alarm keeps its
    # state on missing data; the service retries in 5 minutes (Restart=on-failure).
    log "no certificate from 127.0.0.1:443 for ${name}: nothing published"
    exit 1
  fi
  end=$(date -d "${end#notAfter=}" +%s)
  days=$(((end - $(date +%s)) / 86400))
  if ((days < 0)); then days=0; fi
  publish CertificateDaysLeft "$days" Count
}

case ${1:-} in
  readiness) readiness ;;
  backup-age) backup_age ;;
  certificate) certificate ;;
  *)
    echo "usage: gitlab-dind-probe readiness|backup-age|certificate" >&2
    exit 2
    ;;
esac
