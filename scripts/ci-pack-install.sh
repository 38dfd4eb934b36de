#!/usr/bin/env bash
# CI (issue 20): the gateway installs from its package, with no build tools and no checkout.
# Packs the gateway, installs the tarball into a temp prefix the way an operator does
# (`npm i -g ./revka-<version>.tgz --prefix DIR --omit=dev`), and runs it from there with an empty
# HOME (the embedded defaults, state in ~/.revka): it must print a pairing code, pair over
# POST /api/pair, answer GET /api/status to the token, discover a third-party plugin installed as
# an npm package beside it, and write nothing into its own package folder. Then the same with
# --omit=optional: node-pty is left out and the terminal plugin reports itself unavailable.
# The two installs run side by side; the probe is scripts/ci-pack-install-probe.js.
#
# Run it after `npm ci`. `npm pack` builds the package at prepack (tsc, precompiled schemas, the
# kernel bundle, the console) so the tarball never ships a bundle older than the JavaScript beside
# it; `prepare` is skipped while packing. `--keep` leaves the temp folder (and prints it) for bench/i1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
keep=${1:-}
work=$(mktemp -d)
[ "$keep" = --keep ] || trap 'rm -rf "$work"' EXIT

version=$(node -p 'require("./package.json").version')
npm pack --pack-destination "$work" --loglevel=warn >"$work/pack.log" 2>&1 || { cat "$work/pack.log" >&2; echo "ci-pack-install: npm pack failed" >&2; exit 1; }
tgz="$work/revka-$version.tgz"
bytes=$(stat -c %s "$tgz")
echo "tarball: $(basename "$tgz") $bytes bytes"
[ "$bytes" -lt 3000000 ] || { echo "ci-pack-install: the tarball is over the 3 MB budget" >&2; exit 1; }
# the package runs on JavaScript only: no TypeScript source outside the bundled dependencies
if tar tzf "$tgz" | grep -v '^package/node_modules/' | grep -E '\.(ts|mts|cts)$' | grep -vE '\.d\.(ts|mts|cts)$'; then
  echo "ci-pack-install: the tarball ships TypeScript sources (above)" >&2; exit 1
fi

# …and every other file the kernel and the built-in plugins read at run time (tracked files that are
# not TypeScript, docs, tests or the console's sources) is in it
missing=$(git ls-files kernel plugins \
  | grep -vE '\.(ts|tsx|md)$|(^|/)tsconfig[^/]*\.json$|^plugins/dashboard/console/src/|\.test\.|(^|/)test-' \
  | sed 's|^|package/|' | sort | comm -23 - <(tar tzf "$tgz" | sort))
[ -z "$missing" ] || { echo "ci-pack-install: the tarball lacks run-time files (add them to package.json \"files\"):" >&2; echo "$missing" >&2; exit 1; }

# a third-party plugin as an operator gets it: an npm package with the revka-plugin keyword,
# installed globally beside the gateway (its @revka/plugin-sdk import is the gateway's own copy)
plugin_src="$work/plugin-src"
mkdir -p "$plugin_src"
cat > "$plugin_src/package.json" <<'JSON'
{
  "name": "revka-plugin-ci-hello", "version": "1.0.0", "type": "module", "keywords": ["revka-plugin"],
  "peerDependencies": { "@revka/plugin-sdk": ">=0.1.0" },
  "peerDependenciesMeta": { "@revka/plugin-sdk": { "optional": true } }
}
JSON
cat > "$plugin_src/revka.plugin.json" <<'JSON'
{ "id": "ci-hello", "version": "1.0.0", "api": "^0.1.0", "entry": "index.js", "enabledByDefault": true,
  "configSchema": { "type": "object", "additionalProperties": false } }
JSON
cat > "$plugin_src/index.js" <<'JS'
import { definePlugin } from '@revka/plugin-sdk'
export default definePlugin({
  setup(api) {
    api.routes.add({ method: 'GET', url: '/ci-hello', auth: 'bearer', handler: async () => ({ hello: 'from npm' }) })
  },
})
JS
(cd "$work" && npm pack --silent "$plugin_src" >/dev/null)

# Two installs, side by side (most of their time is native builds and network waits):
# - full: `npm i -g … --prefix DIR --omit=dev`, the operator's global install;
# - no-optional: `npm i … --prefix DIR --omit=dev --omit=optional`, a project-style install,
#   because `npm i -g` ignores --omit for a tarball (npm/cli#8284: node-pty would be installed).
# The third-party plugin goes into the same node_modules as the gateway each time.
plugin_tgz="$work/revka-plugin-ci-hello-1.0.0.tgz"
npm_flags=(--omit=dev --no-audit --no-fund --prefer-offline --loglevel=error)
SECONDS=0
npm i -g "$tgz" "$plugin_tgz" --prefix "$work/full" "${npm_flags[@]}" >"$work/full.log" 2>&1 &
full_pid=$!
npm i "$tgz" "$plugin_tgz" --prefix "$work/no-optional" --omit=optional "${npm_flags[@]}" >"$work/no-optional.log" 2>&1 &
lean_pid=$!
wait "$full_pid" || { cat "$work/full.log" >&2; echo "ci-pack-install: npm i -g failed" >&2; exit 1; }
wait "$lean_pid" || { cat "$work/no-optional.log" >&2; echo "ci-pack-install: npm i --omit=optional failed" >&2; exit 1; }
echo "both installs took $SECONDS s"

# $1 = a label, $2 = the installed revka command, $3 = its package folder
probe() {
  local label=$1 bin=$2 pkg=$3
  for dev in typescript esbuild; do
    [ ! -e "$pkg/node_modules/$dev" ] && [ ! -e "$pkg/../$dev" ] || { echo "ci-pack-install: [$label] $dev was installed" >&2; exit 1; }
  done
  echo "[$label] package folder: $(du -sk "$pkg" | cut -f1) KiB"
  local got
  got=$("$bin" --version)
  [ "$got" = "$version" ] || { echo "ci-pack-install: [$label] revka --version printed '$got', not $version" >&2; exit 1; }
  node "$root/scripts/ci-pack-install-probe.js" "$label" "$bin" "$pkg" "$work/home-$label"
}

probe full "$work/full/bin/revka" "$work/full/lib/node_modules/revka"
[ -e "$work/full/lib/node_modules/revka/node_modules/node-pty" ] || { echo "ci-pack-install: [full] node-pty was not installed" >&2; exit 1; }
probe no-optional "$work/no-optional/node_modules/.bin/revka" "$work/no-optional/node_modules/revka"
[ ! -e "$work/no-optional/node_modules/node-pty" ] && [ ! -e "$work/no-optional/node_modules/revka/node_modules/node-pty" ] \
  || { echo "ci-pack-install: [no-optional] node-pty was installed" >&2; exit 1; }
[ "$keep" != --keep ] || echo "kept: $work (REVKA_INSTALLED=$work/full/lib/node_modules/revka)"
echo "ci-pack-install: ok"
