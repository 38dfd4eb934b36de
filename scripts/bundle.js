#!/usr/bin/env node
// `npm run build` (also `prepack`, and `prepare` in a checkout), after tsc: bundle the compiled kernel (CLI → gateway → kernel, with
// Fastify, pino, tapable, tsyringe …) into one script, kernel/dist/cli.cjs, that bin/revka.js runs
// while it is fresh (with a compile cache kept in the state dir, see bin/revka.js). Why: resolving,
// reading and compiling ~500 small files was most of the start-up. Nothing here writes a cache:
// the build's folder is not the gateway's to write once installed.
// The unbundled kernel stays the reference: tests import it, and bin/revka.js falls back to it when
// the bundle is missing or any kernel file changed after it was made.
//
// The plugin boundary is untouched: plugins are not in the bundle, and @revka/plugin-sdk stays
// external so the kernel and every plugin share one SDK runtime (one RevkaError, one definePlugin).
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'kernel/dist')
const entry = join(root, 'kernel/cli/main.js')
const outfile = join(dist, 'cli.cjs')
// which bundle this is, and the kernel files it was made from with their mtimes and hashes
// (bin/revka.js checks them before every start)
const manifestFile = join(dist, 'cli.json')

function clean() {
  // the old bundle, its manifest, and the code caches earlier versions wrote beside it
  if (existsSync(dist)) for (const f of readdirSync(dist)) rmSync(join(dist, f), { force: true })
}

let esbuild
try {
  esbuild = await import('esbuild')
} catch {
  // a production install without devDependencies: the unbundled kernel runs instead
  clean()
  console.log('bundle: esbuild is not installed; bin/revka.js runs the unbundled kernel')
  process.exit(0)
}
if (!existsSync(entry)) {
  console.error('bundle: kernel/cli/main.js is missing; run tsc first')
  process.exit(1)
}
clean()
mkdirSync(dist, { recursive: true })

const external = [
  // shared with plugins: must be the one copy plugins import (required as an ES module)
  '@revka/plugin-sdk',
  '@revka/plugin-sdk/*',
  // native addons (and their optional helpers) load their .node file relative to their own folder
  'better-sqlite3',
  'node-pty',
  'bufferutil',
  'utf-8-validate',
  // loaded only when needed: keep them out of what every start parses
  'ajv',
  'ajv/*',
  'jiti',
  // Fastify requires these only for inject() and its default schema compilers (the kernel installs
  // its own, see kernel/http/server.ts)
  'light-my-request',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
]

// kernel/registry/import-module.js holds the kernel's dynamic import(): it stays a real ES module
// beside the bundle (a script run through vm has no import() of its own)
const importModuleOutside = {
  name: 'import-module-outside',
  setup(build) {
    build.onResolve({ filter: /\/import-module\.js$/ }, () => ({ path: '../registry/import-module.js', external: true }))
  },
}

const result = await esbuild.build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external,
  plugins: [importModuleOutside],
  // tsc already emitted decorator metadata (esbuild cannot): bundle its output. No keepNames: it
  // wraps every function expression in a __name() call, run each time the closure is created,
  // which showed on the request path (nothing here reads a function's name); whitespace and
  // comments go (less to read and scan at every start — REVKA_UNBUNDLED=1 for debugging)
  keepNames: false,
  minifyWhitespace: true,
  legalComments: 'none',
  charset: 'ascii',
  // the kernel finds its files (plugins/, the SDK's schemas) from its own URL
  define: { 'import.meta.url': '__revka_bundle_url' },
  banner: { js: "var __revka_bundle_url=require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
  metafile: true,
})

const code = readFileSync(outfile)
// bin/revka.js reads the bundle as latin1, which is exact only for ASCII
if (code.some((b) => b > 0x7f)) {
  clean()
  console.error('bundle: kernel/dist/cli.cjs is not ASCII; bin/revka.js would misread it')
  process.exit(1)
}
// node_modules are left out: they change only through npm, whose install re-runs this script
const inputs = Object.keys(result.metafile.inputs)
  .map((f) => join(root, f))
  .filter((f) => !relative(root, f).split(/[\\/]/).includes('node_modules'))
  .concat([join(root, 'kernel/registry/import-module.js')])
  .map((f) => [relative(dist, f), statSync(f).mtimeMs, createHash('sha256').update(readFileSync(f)).digest('hex')])
const id = createHash('sha256').update(code).digest('hex').slice(0, 16)
writeFileSync(manifestFile, JSON.stringify({ id, inputs }))
console.log(`bundle: kernel/dist/cli.cjs (${inputs.length} kernel files, ${(code.length / 1024).toFixed(0)} KiB, id ${id})`)
