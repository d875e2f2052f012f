#!/usr/bin/env bash
# gitlab-dind-restore: lists the backups gitlab-dind-backup made, and restores one into the
# running GitLab container the way GitLab documents it for Docker installations.
#
#   gitlab-dind-restore list              one line per complete backup: `<id> <archive bytes>`
#   gitlab-dind-restore check <id>        compares the backup's GitLab version with the running one
#   gitlab-dind-restore restore <id>      restores it (the caller has asked for confirmation)
#
# restore, in order: the backup's /etc/gitlab put back (see below) and `gitlab-ctl reconfigure`;
# puma and sidekiq stopped; the archive copied into the container's backup directory, owned by
# git; `gitlab-backup restore BACKUP=<id> force=yes`; the container restarted and waited for;
# `gitlab-rake gitlab:check SANITIZE=true`; `gitlab-rake gitlab:doctor:secrets`.
# A backup restores only into the same GitLab version: check and restore refuse another (exit 3).
#
# What of /etc/gitlab comes back, before the reconfigure:
#   - this stack's own backups (BACKUP_TARGET): all of it but gitlab.rb, over what is there, with
#     the modes and owners it was saved with: gitlab-secrets.json, the SSH host keys ssh_host_*
#     (sshd reads them when it starts: the restart below, so git-over-SSH clients see the host key
#     they knew), ssl/ (the Let's Encrypt account key and certificates), trusted-certs/. Files the
#     backup does not hold stay as they are. gitlab.rb stays the running container's: the stack's
#     settings come from GITLAB_OMNIBUS_CONFIG, and gitlab.rb is Ruby that every reconfigure runs as
#     root, so one written into a backup by a compromised host must not come back with it (the
#     backup keeps it, for reading).
#   - a drill (RESTORE_FROM: another team's backups): only gitlab-secrets.json, which the restored
#     database needs. Never that team's ssh_host_* private keys or ssl/ (a drill host must not hold
#     production's identity and certificate keys), and not its gitlab.rb either: that one is the
#     other team's, naming its URL; this stack keeps its own gitlab.rb (and GITLAB_OMNIBUS_CONFIG).
#
# Environment: GITLAB_CONTAINER, BACKUP_TARGET (s3://<bucket>/<team> or a directory), and with an
# s3:// target BACKUP_REGION and RESTORE_STAGING_DIR (a directory on a disk with room for the
# archive); RESTORE_WAIT_SECONDS bounds the wait for GitLab after the restart (default 1200).
# RESTORE_FROM (s3://<bucket>/<team> or a directory), when set, is where list, check and restore
# read instead of BACKUP_TARGET (which may then be unset), and makes the restore a drill (above).
# The script only reads there.
set -euo pipefail
umask 077

readonly CONTAINER_BACKUP_DIR=/var/opt/gitlab/backups
readonly VERSION_FILE=/opt/gitlab/embedded/service/gitlab-rails/VERSION
readonly CONFIG_ARCHIVE=gitlab-config.tar.gz
readonly ARCHIVE_SUFFIX=_gitlab_backup.tar

log() { printf '%s gitlab-dind-restore: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
die() {
  log "FAILED: $*" >&2
  exit 1
}
usage() {
  echo "usage: gitlab-dind-restore list | check <id> | restore <id>" >&2
  exit 2
}

step="checking the settings"
staging=""
gitlab_stopped=false
cleanup() {
  local status=$?
  if [[ -n $staging && -d $staging ]]; then rm -rf -- "$staging"; fi
  if ((status != 0 && status != 3)); then
    log "FAILED while ${step} (exit ${status})" >&2
    if [[ $gitlab_stopped == true ]]; then
      log "puma and sidekiq may still be stopped: fix the cause and run the restore again, or \`docker restart ${GITLAB_CONTAINER:-<container>}\`" >&2
    fi
  fi
  exit "$status"
}
trap cleanup EXIT

command=${1:-}
id=${2:-}
case $command in
  list) (($# == 1)) || usage ;;
  check | restore)
    (($# == 2)) || usage
    [[ $id =~ ^[0-9]{8}T[0-9]{6}Z_[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "'${id}' is not a backup id (<timestamp>_<version>, as \`list\` shows them)"
    ;;
  *) usage ;;
esac

container=${GITLAB_CONTAINER:?GITLAB_CONTAINER must name the GitLab container}
if [[ -n ${RESTORE_FROM:-} ]]; then
  drill=true
  target=$RESTORE_FROM
else
  drill=false
  target=${BACKUP_TARGET:?BACKUP_TARGET must be s3://<bucket>/<prefix> or a directory}
fi
target=${target%/}
case $target in
  s3://*)
    mode=s3
    [[ -n ${BACKUP_REGION:-} ]] || die "BACKUP_REGION must name the bucket's region"
    ;;
  *) mode=dir ;;
esac

# Complete backups (an archive and the /etc/gitlab tarball), oldest first: `<id> <archive bytes>`.
list_backups() {
  if [[ $mode == s3 ]]; then
    local prefix=${target#s3://*/}
    [[ $prefix == "$target" ]] && prefix=""
    aws s3 ls --region "$BACKUP_REGION" --recursive "${target}/" |
      awk -v prefix="${prefix:+${prefix}/}" -v suffix="$ARCHIVE_SUFFIX" -v config="$CONFIG_ARCHIVE" '
        {
          key = $4; for (i = 5; i <= NF; i++) key = key " " $i
          if (substr(key, 1, length(prefix)) != prefix) next
          rest = substr(key, length(prefix) + 1)
          n = split(rest, part, "/"); if (n != 2) next
          if (part[2] == config) has_config[part[1]] = 1
          else if (substr(part[2], length(part[2]) - length(suffix) + 1) == suffix) size[part[1]] = $3
        }
        END { for (f in size) if (f in has_config) print f, size[f] }' | sort
  else
    [[ -d $target ]] || return 0
    local dir name archive
    for dir in "$target"/*/; do
      [[ -d $dir ]] || continue
      name=$(basename -- "$dir")
      archive=$(find "$dir" -maxdepth 1 -name "*${ARCHIVE_SUFFIX}" -printf '%s\n' | head -n 1)
      [[ -n $archive && -f ${dir}${CONFIG_ARCHIVE} ]] && printf '%s %s\n' "$name" "$archive"
    done | sort
  fi
}

if [[ $command == list ]]; then
  step="listing ${target}/"
  list_backups
  exit 0
fi

step="finding backup ${id}"
list_backups | awk '{print $1}' | grep -qxF -- "$id" || die "no complete backup ${id} in ${target}/ (\`list\` shows them)"

step="comparing GitLab versions"
backup_version=${id#*_}
running_version=$(docker exec "$container" cat "$VERSION_FILE")
running_version=${running_version//[[:space:]]/}
running_version=${running_version%-ce} # some builds write the edition after the number
image=$(docker inspect --format '{{.Config.Image}}' "$container")
log "backup ${id}: GitLab ${backup_version}; container ${container}: GitLab ${running_version} (${image})"
if [[ $backup_version != "$running_version" ]]; then
  log "REFUSED: backup ${id} was made by GitLab ${backup_version}, the container runs GitLab ${running_version}. GitLab restores only into the same version: run gitlab/gitlab-ce:${backup_version}-ce.0 first (pulumi config set --path gitlab.image gitlab/gitlab-ce:${backup_version}-ce.0, then pulumi up), restore, then upgrade." >&2
  exit 3
fi
if [[ $command == check ]]; then
  printf 'VERSION_MATCH=%s\n' "$backup_version"
  exit 0
fi

step="fetching backup ${id}"
if [[ $mode == s3 ]]; then
  staging_root=${RESTORE_STAGING_DIR:?RESTORE_STAGING_DIR must name a directory with room for the archive}
  mkdir -p -- "$staging_root"
  staging=$(mktemp -d "${staging_root%/}/restore.XXXXXX")
  log "[1/8] downloading ${target}/${id}/"
  aws s3 cp --region "$BACKUP_REGION" --only-show-errors --recursive "${target}/${id}/" "${staging}/"
  source_dir=$staging
else
  log "[1/8] reading ${target}/${id}/"
  source_dir="${target}/${id}"
fi
archive=$(find "$source_dir" -maxdepth 1 -name "*${ARCHIVE_SUFFIX}" -printf '%f\n')
[[ -n $archive && $archive != *$'\n'* ]] || die "backup ${id} does not hold exactly one *${ARCHIVE_SUFFIX}"
[[ -f ${source_dir}/${CONFIG_ARCHIVE} ]] || die "backup ${id} has no ${CONFIG_ARCHIVE}"
backup_name=${archive%"$ARCHIVE_SUFFIX"}

if [[ $drill == true ]]; then
  step="putting back gitlab-secrets.json (a drill: nothing else of ${target}/) and reconfiguring"
  log "[2/8] a drill from ${target}/: putting back its gitlab-secrets.json only (this stack keeps its own gitlab.rb, SSH host keys and ssl/), and running gitlab-ctl reconfigure"
  docker exec -i "$container" tar -xzpf - -C /etc/gitlab gitlab-secrets.json <"${source_dir}/${CONFIG_ARCHIVE}"
else
  step="putting back /etc/gitlab and reconfiguring"
  log "[2/8] putting back /etc/gitlab (gitlab-secrets.json, SSH host keys, ssl/; not gitlab.rb) and running gitlab-ctl reconfigure"
  docker exec -i "$container" tar -xzpf - -C /etc/gitlab --anchored --exclude=gitlab.rb <"${source_dir}/${CONFIG_ARCHIVE}"
fi
docker exec "$container" gitlab-ctl reconfigure

step="stopping puma and sidekiq"
log "[3/8] stopping puma and sidekiq"
gitlab_stopped=true
docker exec "$container" gitlab-ctl stop puma
docker exec "$container" gitlab-ctl stop sidekiq

step="copying the archive into ${CONTAINER_BACKUP_DIR}"
log "[4/8] copying ${archive} into ${CONTAINER_BACKUP_DIR}"
docker cp "${source_dir}/${archive}" "${container}:${CONTAINER_BACKUP_DIR}/${archive}"
docker exec "$container" chown git:git "${CONTAINER_BACKUP_DIR}/${archive}"

step="running gitlab-backup restore"
log "[5/8] gitlab-backup restore BACKUP=${backup_name} force=yes"
docker exec "$container" gitlab-backup restore "BACKUP=${backup_name}" force=yes

step="restarting GitLab"
log "[6/8] restarting ${container} and waiting for it"
docker restart "$container"
gitlab_stopped=false
wait_limit=${RESTORE_WAIT_SECONDS:-1200}
waited=0
while :; do
  health=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$container")
  if [[ $health == healthy ]]; then break; fi
  if [[ $health == none ]] && docker exec "$container" gitlab-ctl status >/dev/null 2>&1; then break; fi
  ((waited < wait_limit)) || die "GitLab is not healthy ${wait_limit}s after the restart (health: ${health}); see docker logs ${container}"
  log "      GitLab is ${health} after ${waited}s; waiting"
  sleep 15
  waited=$((waited + 15))
done

step="running gitlab-rake gitlab:check SANITIZE=true"
log "[7/8] gitlab-rake gitlab:check SANITIZE=true"
docker exec "$container" gitlab-rake gitlab:check SANITIZE=true

step="running gitlab-rake gitlab:doctor:secrets"
log "[8/8] gitlab-rake gitlab:doctor:secrets"
docker exec "$container" gitlab-rake gitlab:doctor:secrets

step="done"
log "backup ${id} restored into ${container}"
printf 'RESTORED=%s\n' "$id"
