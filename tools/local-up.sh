#!/usr/bin/env bash
# `npm run local:up`: stands up the `local` stack on this machine's Docker daemon with state in a
# local folder: no Pulumi account, no login. The Pulumi CLI is the one on PATH, else the pinned
# `pulumi` npm package (tools/pulumi-cli.sh says which, and why).
# Extra arguments go to `pulumi up` (for example `npm run local:up -- --skip-preview`).
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1

if ! docker info >/dev/null 2>&1; then
  echo "local:up: the Docker daemon does not answer (is Docker running, and may this user use it?)" >&2
  exit 1
fi

# State lives in ./.pulumi-state unless PULUMI_BACKEND_URL says otherwise.
if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
  export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
  mkdir -p .pulumi-state
fi
# The file backend encrypts secrets with a passphrase; an empty one is allowed for a local trial.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"

# shellcheck source=tools/pulumi-cli.sh
source tools/pulumi-cli.sh local:up
"${pulumi_cli[@]}" stack select --create local
"${pulumi_cli[@]}" up --yes --stack local "$@"
