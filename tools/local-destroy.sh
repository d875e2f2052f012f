#!/usr/bin/env bash
# `npm run local:destroy`: removes the `local` stack's containers and runner registration.
# GitLab's data volumes stay when host.keepDataOnDestroy is true (the default).
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
npx --no-install pulumi destroy --yes --stack local "$@"
