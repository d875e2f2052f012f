#!/usr/bin/env bash
# gitlab-dind-backup: one GitLab backup, with the configuration GitLab leaves out of it.
#
#   1. `gitlab-backup create CRON=1 STRATEGY=copy SKIP=…` in the GitLab container;
#   2. a tarball of the whole of /etc/gitlab, modes and owners kept: gitlab-secrets.json (without it
#      a restore loses CI variables, 2FA and runner tokens), gitlab.rb when there is one, the SSH
#      host keys ssh_host_* (after a rebuild git-over-SSH clients see the same host key), ssl/
#      (the Let's Encrypt account key and certificates), trusted-certs/; not config_backup/, where
#      `gitlab-ctl backup-etc` leaves its own archives. The tarball is streamed out of the container
#      (`tar -czf -`), so no copy of the secrets stays on the container's disk;
#   3. both to <BACKUP_TARGET>/<UTC timestamp>_<GitLab version>/ — an s3:// prefix (AWS host,
#      uploaded by the host's role: the container has no AWS credentials) or a local directory;
#   4. GitLab's archive removed from the container's backup directory once it is copied.
# Any failure stops it with a non-zero exit (systemctl status / journalctl show which step) and
# deletes nothing: GitLab's archive stays where gitlab-backup left it.
#
# Environment (the host's /etc/gitlab-dind/backup.env, or `npm run backup` on the local target):
#   GITLAB_CONTAINER  the GitLab container's name
#   BACKUP_TARGET     s3://<bucket>/<team> or a directory
#   BACKUP_SKIP       comma-separated gitlab-backup SKIP= components; may be empty
#   HOST_BACKUP_DIR   with an s3:// target: the host directory mounted at /var/opt/gitlab/backups
#   BACKUP_REGION     with an s3:// target: the bucket's region
# The last line of a successful run is `BACKUP_LOCATION=<where it went>`.
set -euo pipefail
umask 077

readonly CONTAINER_BACKUP_DIR=/var/opt/gitlab/backups
readonly VERSION_FILE=/opt/gitlab/embedded/service/gitlab-rails/VERSION
readonly CONFIG_ARCHIVE=gitlab-config.tar.gz
# Run by the container's /bin/sh (as root): every entry of /etc/gitlab but config_backup/, by its
# plain name (the restore picks gitlab-secrets.json out by that name). GNU tar records each file's
# mode, owner and group; the restore's tar, as root, puts them back. Without gitlab-secrets.json
# there is nothing worth keeping: it fails.
# shellcheck disable=SC2016 # expanded by the container's shell
readonly PACK_ETC_GITLAB='cd /etc/gitlab || exit 1
[ -f gitlab-secrets.json ] || { echo "/etc/gitlab/gitlab-secrets.json does not exist" >&2; exit 1; }
set --
for f in * .[!.]* ..?*; do
  if [ ! -e "$f" ] && [ ! -L "$f" ]; then continue; fi
  if [ "$f" = config_backup ]; then continue; fi
  set -- "$@" "$f"
done
exec tar -czf - -- "$@"'

log() { printf '%s gitlab-dind-backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
die() {
  log "FAILED: $*" >&2
  exit 1
}

step="checking the settings"
staging=""
partial=""
cleanup() {
  local status=$?
  # Only this run's own temporary copies go; GitLab's archive is never touched on failure.
  if [[ -n $staging && -d $staging ]]; then rm -rf -- "$staging"; fi
  if [[ -n $partial && -d $partial ]]; then rm -rf -- "$partial"; fi
  if ((status != 0)); then
    log "FAILED while ${step} (exit ${status}); nothing was deleted: GitLab's archive, if any, is still in ${CONTAINER_BACKUP_DIR}" >&2
  fi
  exit "$status"
}
trap cleanup EXIT

container=${GITLAB_CONTAINER:?GITLAB_CONTAINER must name the GitLab container}
target=${BACKUP_TARGET:?BACKUP_TARGET must be s3://<bucket>/<prefix> or a directory}
skip=${BACKUP_SKIP:-}
[[ $skip =~ ^[a-z_]*(,[a-z_]+)*$ ]] || die "BACKUP_SKIP must be comma-separated component names; got '${skip}'"
target=${target%/}
case $target in
  s3://*)
    mode=s3
    [[ -n ${HOST_BACKUP_DIR:-} ]] || die "HOST_BACKUP_DIR must name the host directory mounted at ${CONTAINER_BACKUP_DIR}"
    [[ -n ${BACKUP_REGION:-} ]] || die "BACKUP_REGION must name the bucket's region"
    ;;
  *) mode=dir ;;
esac

step="checking the GitLab container"
running=$(docker inspect --format '{{.State.Running}}' "$container") || die "no container ${container}"
[[ $running == true ]] || die "container ${container} is not running"
version=$(docker exec "$container" cat "$VERSION_FILE")
version=${version//[[:space:]]/}
version=${version%-ce} # some builds write the edition after the number
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "unexpected GitLab version '${version}' in ${VERSION_FILE}"

list_archives() {
  docker exec "$container" find "$CONTAINER_BACKUP_DIR" -maxdepth 1 -name '*_gitlab_backup.tar' -printf '%f\n' | sort
}

step="listing the archives already there"
before=$(list_archives)

step="running gitlab-backup create"
args=(CRON=1 STRATEGY=copy)
if [[ -n $skip ]]; then args+=("SKIP=${skip}"); fi
log "GitLab ${version}: gitlab-backup create ${args[*]}"
docker exec "$container" gitlab-backup create "${args[@]}"

step="finding the new archive"
after=$(list_archives)
new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d')
[[ -n $new ]] || die "gitlab-backup create made no new archive in ${CONTAINER_BACKUP_DIR}"
(($(printf '%s\n' "$new" | wc -l) == 1)) || die "more than one new archive in ${CONTAINER_BACKUP_DIR}: ${new//$'\n'/ }"
archive=$new
log "archive ${archive}"

folder="$(date -u +%Y%m%dT%H%M%SZ)_${version}"
staging=$(mktemp -d "${TMPDIR:-/tmp}/gitlab-dind-backup.XXXXXX")

step="packing /etc/gitlab"
docker exec "$container" sh -c "$PACK_ETC_GITLAB" >"${staging}/${CONFIG_ARCHIVE}"
[[ -s ${staging}/${CONFIG_ARCHIVE} ]] || die "the /etc/gitlab tarball is empty"
members=$(tar -tzf "${staging}/${CONFIG_ARCHIVE}") || die "the /etc/gitlab tarball cannot be read"
grep -qxF gitlab-secrets.json <<<"$members" || die "the /etc/gitlab tarball has no gitlab-secrets.json"
top=$(grep -v '/.' <<<"$members" | tr '\n' ' ')
log "packed /etc/gitlab: ${top% }"

if [[ $mode == s3 ]]; then
  dest="${target}/${folder}/"
  step="uploading to ${dest}"
  log "uploading to ${dest}"
  aws s3 cp --region "$BACKUP_REGION" --only-show-errors "${staging}/${CONFIG_ARCHIVE}" "${dest}${CONFIG_ARCHIVE}"
  aws s3 cp --region "$BACKUP_REGION" --only-show-errors "${HOST_BACKUP_DIR%/}/${archive}" "${dest}${archive}"
else
  dest="${target}/${folder}/"
  step="copying to ${dest}"
  log "copying to ${dest}"
  mkdir -p -- "$target"
  partial="${target}/.${folder}.partial"
  mkdir -p -- "$partial"
  docker cp "${container}:${CONTAINER_BACKUP_DIR}/${archive}" "${partial}/${archive}"
  mv -- "${staging}/${CONFIG_ARCHIVE}" "${partial}/${CONFIG_ARCHIVE}"
  mv -- "$partial" "${target}/${folder}"
fi

step="removing the uploaded archive from ${CONTAINER_BACKUP_DIR}"
docker exec "$container" rm -f -- "${CONTAINER_BACKUP_DIR}/${archive}"

step="done"
log "backup ${folder} complete"
printf 'BACKUP_LOCATION=%s\n' "$dest"
