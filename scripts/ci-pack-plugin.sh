#!/usr/bin/env bash
# CI (issue 16): a plugin can live outside this repository. Pack @revka/plugin-sdk,
# @revka/plugin-testing and the gateway (revka), install the three tarballs into a temp directory
# with examples/webhook-telegram copied there, scaffold a second plugin with the installed
# `revka plugins new`, type-check both against the installed packages, and run their tests with
# the documented one-liner:
#   node --import @revka/plugin-testing/register --test *.test.ts
# Run it after `npm ci` (or `npm run build`): the gateway is packed from the tree that build made.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/packs" "$work/app"
SECONDS=0

for f in kernel/index.js kernel/schema/precompiled.cjs; do
  [ -e "$f" ] || { echo "ci-pack-plugin: $f is missing: run npm ci (or npm run build) first" >&2; exit 1; }
done

# the three packs side by side (the harness's prepack type-checks against the kernel: the longest).
# The SDK and the harness build their JavaScript and declarations in prepack; the gateway is packed
# without its prepack rather than build it all a second time.
pids=()
npm pack --silent -w plugin-sdk --pack-destination "$work/packs" >"$work/sdk.log" 2>&1 & pids+=($!)
npm pack --silent -w plugin-testing --pack-destination "$work/packs" >"$work/testing.log" 2>&1 & pids+=($!)
npm pack --silent --ignore-scripts --pack-destination "$work/packs" >"$work/gateway.log" 2>&1 & pids+=($!)
for pid in "${pids[@]}"; do
  wait "$pid" || { cat "$work"/*.log >&2; echo "ci-pack-plugin: npm pack failed" >&2; exit 1; }
done
echo "packed in ${SECONDS}s: $(cd "$work/packs" && echo *.tgz)"

cd "$work/app"
cp "$root"/examples/webhook-telegram/{index.ts,revka.plugin.json,telegram.webhook.test.ts} .
version_of() { node -p 'require(process.argv[1]).version' "$1/package.json"; }
cat > package.json <<'JSON'
{ "name": "revka-plugin-telegram-outside", "private": true, "type": "module" }
JSON
cat > tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
    "strict": true, "noEmit": true, "skipLibCheck": true, "types": ["node"]
  },
  "include": ["*.ts", "ci-hook/*.ts"]
}
JSON
# --ignore-scripts: better-sqlite3's install script would compile SQLite from source when no
# prebuilt binary can be downloaded (minutes); the addon npm ci built for this checkout is the same
# version for the same Node, so it is copied in below. node-pty (optional, the terminal plugin) is
# left out.
npm install --silent --no-audit --no-fund --prefer-offline --omit=optional --ignore-scripts \
  "$work"/packs/*.tgz "typescript@$(version_of "$root/node_modules/typescript")" \
  "@types/node@$(version_of "$root/node_modules/@types/node")"
sqlite=node_modules/better-sqlite3
here=$PWD
[ "$(version_of "$here/$sqlite")" = "$(version_of "$root/$sqlite")" ] \
  || { echo "ci-pack-plugin: better-sqlite3 $(version_of "$here/$sqlite") installed, the checkout built $(version_of "$root/$sqlite")" >&2; exit 1; }
mkdir -p "$sqlite/build/Release"
cp "$root/$sqlite/build/Release/better_sqlite3.node" "$sqlite/build/Release/"
# nothing resolves to the checkout: every package is a copy inside this directory
for pkg in revka @revka/plugin-sdk @revka/plugin-testing; do
  [ ! -L "node_modules/$pkg" ] || { echo "ci-pack-plugin: node_modules/$pkg is a link" >&2; exit 1; }
done
echo "installed at ${SECONDS}s"

# the installed gateway's CLI scaffolds a plugin here, as a third-party author starts one
node_modules/.bin/revka plugins new ci-hook --webhook >/dev/null

# the example and the scaffold type-check against the installed SDK (declarations, not the repo's
# sources)…
npx tsc -p tsconfig.json
# …and their tests run with Node's test runner, the TypeScript loaded by the harness's register
# hook; a test that leaves a socket open would keep Node alive, so the step has a deadline
timeout 300 node --import @revka/plugin-testing/register --test ./*.test.ts ./ci-hook/*.test.ts
echo "ci-pack-plugin: ok in ${SECONDS}s"
