#!/usr/bin/env bash
# `npm run local:destroy`: removes the `local` stack's containers and runner registration.
# GitLab's data volumes stay when host.keepDataOnDestroy is true (the default).
# Same state and Pulumi CLI as `npm run local:up` (tools/pulumi-cli.sh).
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
# shellcheck source=tools/pulumi-cli.sh
source tools/pulumi-cli.sh local:destroy
"${pulumi_cli[@]}" destroy --yes --stack local "$@"
