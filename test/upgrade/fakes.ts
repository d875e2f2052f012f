/**
 * Stand-ins for what `npm run upgrade` drives, written as executables into a folder put first on
 * PATH (and as the backup and smoke command lines). Each records its command line (one JSON array
 * per line in $FAKE_LOG). State lives in $FAKE_DIR:
 * - `config/<key>`: the stack file's keys as `pulumi config set/rm --path` leave them;
 * - `deployed`: the image GitLab runs (the state's gitlab-deployed-version), set by `pulumi up`;
 * - `pg`: the bundled PostgreSQL's major; a `pulumi up` to an image that upgrades it (18.11) sets 17,
 *   unless FAKE_PG_NO_AUTO=1 (the upgrade skipped);
 * - `polls`: rails runner calls since the last `pulumi up`.
 * Knobs: FAKE_MIGRATION_POLLS (checks until the migrations are done; "never"), FAKE_FREE_KB,
 * FAKE_BACKUP_FAIL_AT / FAKE_SMOKE_FAIL_AT / FAKE_UP_FAIL_AT / FAKE_SET_FAIL_AT (`pulumi config set`)
 * (the n-th call fails, 1-based); FAKE_OUTPUTS_FAIL=1 (`pulumi stack output` fails).
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// Bash, not Node: a walk runs some sixty of these, and bash starts in a few milliseconds.
const COMMON = String.raw`#!/usr/bin/env bash
set -euo pipefail
name=$(basename "$0")
{ printf '["%s"' "$name"; for a in "$@"; do a=%{a//\\/\\\\}; a=%{a//\"/\\\"}; printf ',"%s"' "$a"; done; printf ']\n'; } >>"$FAKE_LOG"
read_or() { if [[ -f $FAKE_DIR/$1 ]]; then cat "$FAKE_DIR/$1"; else printf '%s' "$2"; fi; }
count() { local n; n=$(( $(read_or "$1" 0) + 1 )); printf '%s' "$n" >"$FAKE_DIR/$1"; printf '%s' "$n"; }
`;

const PULUMI =
  COMMON +
  String.raw`mkdir -p "$FAKE_DIR/config"
if [[ $1 == stack && $2 == export ]]; then
  image=$(read_or deployed "")
  if [[ -z $image ]]; then printf '{"version":3,"deployment":{"resources":[]}}'
  else printf '{"version":3,"deployment":{"resources":[{"type":"pulumi-nodejs:dynamic/gitlab-dind:GitLabDeployedVersion","outputs":{"image":"%s","version":"x"}}]}}' "$image"; fi
elif [[ $1 == stack && $2 == output ]]; then
  if [[ %{FAKE_OUTPUTS_FAIL:-} == 1 ]]; then echo "error: no stack named 'pay' found" >&2; exit 255; fi
  printf '{"target":"local","team":"pay","gitlabContainer":"pay-gitlab","gitlabImage":"%s","backupLocalDir":"./backups/pay","backupSkip":[]}' "$(read_or deployed "")"
elif [[ $1 == config && $2 == set && $3 == --path ]]; then
  n=$(count sets)
  if [[ $n == "%{FAKE_SET_FAIL_AT:-}" ]]; then echo "error: could not save the stack file" >&2; exit 255; fi
  printf '%s' "$5" >"$FAKE_DIR/config/$4"
elif [[ $1 == config && $2 == rm && $3 == --path ]]; then
  rm -f "$FAKE_DIR/config/$4"
elif [[ $1 == up ]]; then
  n=$(count ups)
  if [[ $n == "%{FAKE_UP_FAIL_AT:-}" ]]; then echo "error: update failed" >&2; exit 255; fi
  image=$(cat "$FAKE_DIR/config/gitlab.image")
  if [[ $image != "$(read_or deployed "")" ]]; then
    printf '%s' "$image" >"$FAKE_DIR/deployed"
    printf 0 >"$FAKE_DIR/polls"
    if [[ $image == *:18.11.* && %{FAKE_PG_NO_AUTO:-} != 1 ]]; then printf 17 >"$FAKE_DIR/pg"; fi
  fi
  printf 'Updating:\nResources:\n    ~ 2 updated\n'
else
  echo "error: the fake pulumi does not know: $*" >&2
  exit 255
fi
`;

const DOCKER =
  COMMON +
  String.raw`if [[ $1 != exec || $3 != sh || $4 != -c ]]; then echo "docker (stand-in): only exec <c> sh -c" >&2; exit 2; fi
script=$5
if [[ $script == *"gitlab-rails runner"* ]]; then
  n=$(count polls)
  need=%{FAKE_MIGRATION_POLLS:-3}
  if [[ $need == never ]]; then left=2; else left=$(( need - n )); (( left < 0 )) && left=0; fi
  printf 'remaining=0\nbatched=%s\nfailed=0\n' "$left"
elif [[ $script == *PG_VERSION* ]]; then
  printf 'pg_version=%s\ndata_kb=2048000\nfree_kb=%s\n' "$(read_or pg 16)" "%{FAKE_FREE_KB:-9000000}"
else
  echo "docker (stand-in): unknown script" >&2
  exit 2
fi
`;

const BACKUP =
  COMMON +
  String.raw`n=$(count backups)
if [[ $n == "%{FAKE_BACKUP_FAIL_AT:-}" ]]; then echo "✘ The backup failed (Failed, exit 1)." >&2; exit 1; fi
version=$(read_or deployed ":0.0.0"); version=%{version##*:}; version=%{version%-ce.0}
printf 'Backing up GitLab\n✔ Backup stored at ./backups/pay/2026120%sT040000Z_%s (1s)\n' "$n" "$version"
`;

const SMOKE =
  COMMON +
  String.raw`n=$(count smokes)
if [[ $n == "%{FAKE_SMOKE_FAIL_AT:-}" ]]; then echo "✘ DinD not proven: the job failed" >&2; exit 1; fi
echo "✔ DinD proven"
`;

/** Writes `pulumi` and `docker` into `bin` (put it first on PATH) and the backup and smoke stand-ins. */
export function writeFakes(bin: string): { backup: string; smoke: string } {
  const files = { pulumi: PULUMI, docker: DOCKER, "fake-backup": BACKUP, "fake-smoke": SMOKE };
  for (const [name, text] of Object.entries(files)) {
    // `%{…}` stands for bash's `${…}`, which a template literal would take for its own.
    writeFileSync(join(bin, name), text.replaceAll("%{", "${"));
    chmodSync(join(bin, name), 0o755);
  }
  return { backup: join(bin, "fake-backup"), smoke: join(bin, "fake-smoke") };
}
