#!/usr/bin/env bash
# `npm run local:up`: stands up the `local` stack on this machine's Docker daemon with the
# Pulumi CLI from the npm package and state in a local folder: no Pulumi account, no login.
# Extra arguments go to `pulumi up` (for example `npm run local:up -- --skip-preview`).
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1

if ! docker info >/dev/null 2>&1; then
  echo "local:up: the Docker daemon does not answer (is Docker running, and may this user use it?)" >&2
  exit 1
fi

# State lives in ./.pulumi-state unless PULUMI_BACKEND_URL says otherwise.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
mkdir -p .pulumi-state
# The file backend encrypts secrets with a passphrase; an empty one is allowed for a local trial.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"

npx --no-install pulumi stack select --create local
npx --no-install pulumi up --yes --stack local "$@"
