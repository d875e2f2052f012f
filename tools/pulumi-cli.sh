# shellcheck shell=bash
# Sourced by tools/local-up.sh and tools/local-destroy.sh: which Pulumi CLI to run, chosen the way
# `npm run smoke` chooses it (tools/smoke/stack-outputs.ts), so that all three use the same one:
#   1. PULUMI_CLI, when set (a command, e.g. "pulumi" or "npx pulumi");
#   2. a `pulumi` already on PATH (installed ahead of time, see the README), looked up past the
#      `node_modules/.bin` folders `npm run` puts first on PATH: the pinned npm package's shim there
#      would otherwise shadow the installed CLI (and download a copy of its own);
#   3. the pinned `pulumi` npm package (a devDependency), which downloads the CLI of its own
#      version from get.pulumi.com on first use and caches it in ~/.pulumi/versions/<version>/
#      ($PULUMI_HOME/versions/<version>/ when PULUMI_HOME is set); when it cannot, the script
#      stops with the README's install steps (tools/cli/pulumi-cli-missing.txt).
# Sets the array `pulumi_cli` and prints one line saying which it is.
pulumi_cli=()
installed_pulumi=""
IFS=: read -r -a path_dirs <<<"${PATH:-}"
for dir in "${path_dirs[@]}"; do
  [[ -z "$dir" || "$dir" == */node_modules/.bin || "$dir" == */node_modules/.bin/ ]] && continue
  if [[ -f "$dir/pulumi" && -x "$dir/pulumi" ]]; then
    installed_pulumi="$dir/pulumi"
    break
  fi
done
if [[ -n "${PULUMI_CLI:-}" ]]; then
  read -r -a pulumi_cli <<<"$PULUMI_CLI"
  echo "$1: Pulumi CLI from PULUMI_CLI: ${pulumi_cli[*]}" >&2
elif [[ -n "$installed_pulumi" ]]; then
  pulumi_cli=("$installed_pulumi")
  echo "$1: Pulumi CLI on PATH: $installed_pulumi" >&2
else
  pulumi_cli=(npx --no-install pulumi)
  echo "$1: no pulumi on PATH; using the pulumi npm package (it downloads the CLI on first use, see the README)" >&2
  # Its first use downloads the CLI (into the cache node_modules/pulumi/lib/resolve.js looks in):
  # where that cannot happen (offline, a proxy), say what the README says instead of a bare
  # `pulumi: fetch failed`. Once the CLI is cached, nothing is downloaded and nothing is checked.
  npm_pulumi_version=${PULUMI_VERSION:-$(node -p 'require("./node_modules/pulumi/package.json").version' 2>/dev/null)}
  npm_pulumi_cached="${PULUMI_HOME:-$HOME/.pulumi}/versions/${npm_pulumi_version}/bin/pulumi"
  if [[ ! -x $npm_pulumi_cached || ! -s $npm_pulumi_cached ]]; then
    exec 3>&2
    # The package's own lines still show, as progress.
    if ! probe=$("${pulumi_cli[@]}" version 2>&1 >/dev/null | while IFS= read -r line; do
      printf '%s\n' "$line" >&3
      printf '%s\n' "$line"
    done); then
      # The reason is the package's last line, not npm's own notices after it ("npm notice New minor version…").
      reason=$(printf '%s\n' "$probe" | grep -v '^npm notice' | tail -n 1)
      echo "$1: no Pulumi CLI is installed, and the pinned pulumi npm package could not download one (${reason})." >&2
      cat "$(dirname "${BASH_SOURCE[0]}")/cli/pulumi-cli-missing.txt" >&2
      exit 1
    fi
    exec 3>&-
  fi
fi
