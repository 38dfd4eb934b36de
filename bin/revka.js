#!/usr/bin/env node
// The revka command. Runs the compiled kernel (tsc emits JavaScript beside each .ts at `npm install`),
// bundled into one script when `npm install` / `npm run build` made a bundle (scripts/bundle.js).
// An installed package (`npm pack` → `npm i -g`) ships that JavaScript and bundle, no TypeScript.
//
// Compiled code is cached in `<state dir>/cache/v8`: on Node ≥ 22.1 by Node's own compile cache
// (the bundle and every plugin module), on Node 20 by a V8 code cache of the bundle only. Never in
// the package's folder: an installed package may be read-only or shared by several users, and is
// not the gateway's to write. A gateway or daemon start makes the folder; one-shot commands
// (`revka plugins list`, `revka routes` …) use it only where a gateway already made it.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import nodeModule, { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import vm from 'node:vm'

const path = (rel) => fileURLToPath(new URL(rel, import.meta.url))
const dist = path('../kernel/dist')
const argv = process.argv.slice(2)

/**
 * The bundle runs only while every kernel file it was made from is unchanged: a `tsc` after an
 * edit, without a re-bundle, must not run stale code. Same mtime is enough; a file tsc rewrote
 * (it re-emits dependants whose output does not change) is compared by content.
 * REVKA_UNBUNDLED=1 forces the per-file kernel (debugging: stack traces then name the files).
 */
function freshBundle() {
  if (process.env.REVKA_UNBUNDLED === '1') return null
  try {
    const m = JSON.parse(readFileSync(`${dist}/cli.json`, 'utf8'))
    if (!existsSync(`${dist}/cli.cjs`)) return null
    // an installed package ships no TypeScript: nothing can be edited, so its bundle is current
    // (npm gives every installed file the same fixed mtime: the check below would hash them all)
    if (!existsSync(path('../kernel/cli/main.ts'))) return m
    const same = ([rel, mtimeMs, sha256]) =>
      statSync(`${dist}/${rel}`).mtimeMs === mtimeMs ||
      createHash('sha256')
        .update(readFileSync(`${dist}/${rel}`))
        .digest('hex') === sha256
    return m.inputs.every(same) ? m : null
  } catch {
    return null
  }
}

/**
 * True for the commands that start a gateway and keep it running (kernel/cli/commands.ts:
 * `gateway [start|restart]`, `start`, `daemon`), unless they are only asked for their help. Only
 * these may make the cache folder. A wrong guess only costs a cache, or makes one for nothing.
 */
function serves(args) {
  if (args.includes('--help') || args.includes('-h')) return false
  if (args[0] === 'start' || args[0] === 'daemon') return true
  // `gateway` runs its default subcommand, start, unless another one is named
  return args[0] === 'gateway' && args[1] !== 'get-paircode'
}

/**
 * The cache folder, `<state dir>/cache/v8`, with the state dir found as the kernel finds it
 * (REVKA_STATE_DIR, then --state-dir, then ~/.revka). `make`: create it 0700 like the kernel's own
 * folders (the state dir too, on a first start); otherwise only an existing one is used.
 */
function cacheDirFor(args, make) {
  const i = args.findIndex((a) => a === '--state-dir' || a.startsWith('--state-dir='))
  const flag = i < 0 ? undefined : args[i].includes('=') ? args[i].slice('--state-dir='.length) : args[i + 1]
  const dir = resolve(process.env.REVKA_STATE_DIR || flag || join(homedir(), '.revka'), 'cache', 'v8')
  if (!make) return existsSync(dir) ? dir : undefined
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    return dir
  } catch {
    return undefined // an unwritable state dir: run without a cache (the gateway reports the dir)
  }
}

/**
 * Node ≥ 22.1: Node's compile cache, for the bundle and every module loaded after it (plugins
 * included), checked by Node against each file's content and its own version. False where Node
 * has none (Node 20) or refused it (NODE_DISABLE_COMPILE_CACHE); an operator's NODE_COMPILE_CACHE
 * folder, already enabled, is kept.
 */
function nodeCompileCache(dir) {
  if (typeof nodeModule.enableCompileCache !== 'function') return false
  const { status } = nodeModule.enableCompileCache(dir)
  const { ENABLED, ALREADY_ENABLED } = nodeModule.constants.compileCacheStatus
  return status === ENABLED || status === ALREADY_ENABLED
}

/**
 * Node 20's fallback: run the bundle as a CommonJS-style script with V8's code cache, so the
 * bytecode of every function the last start compiled is read back instead of being parsed and
 * compiled again. The cache is named by the bundle's content hash — V8 checks only the source
 * length — and rebuilt, best effort, after a start that had none or had it rejected (another Node
 * version or V8 flags).
 */
function loadBundleWithV8Cache(m, cacheDir) {
  const file = `${dist}/cli.cjs`
  const cacheFile = join(cacheDir, `cli.${m.id}.v8cache`)
  let cachedData
  try {
    cachedData = readFileSync(cacheFile)
  } catch {}
  // ASCII (scripts/bundle.js checks): latin1 is exact and skips UTF-8 decoding
  const source = readFileSync(file, 'latin1')
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData })
  const module = { exports: {} }
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file))
  const saveCache =
    cachedData && !script.cachedDataRejected
      ? () => {}
      : () => {
          const tmp = `${cacheFile}.${process.pid}.tmp`
          try {
            writeFileSync(tmp, script.createCachedData(), { mode: 0o600 })
            renameSync(tmp, cacheFile)
            // the caches of earlier bundles are dead weight now (a build no longer clears them)
            for (const f of readdirSync(cacheDir))
              if (/^cli\.[0-9a-f]+\.v8cache$/.test(f) && f !== basename(cacheFile)) rmSync(join(cacheDir, f), { force: true })
          } catch {
            rmSync(tmp, { force: true }) // an unwritable state dir: run without a cache
          }
        }
  return { main: module.exports.main, saveCache }
}

/**
 * The young generation of a serving gateway: V8 doubles each semi-space whenever it fills, up to
 * 16 MB (32 MB of RSS, touched once and kept). Held at 4 MB, RSS after the P1 load was 92 MB
 * instead of 122 MB, P1's CPU ratios within this machine's noise (README, P4). Passed the
 * supported way, as a flag on the command line: a serving command re-executes itself in place
 * with it (process.execve: Node ≥ 22.15; same pid, no second process). Node 20 has no execve and
 * a parent process waiting on a child would cost more memory than the flag saves: there, and
 * wherever the operator set their own size, the command line or NODE_OPTIONS decides.
 */
const SEMI_SPACE_FLAG = '--max-semi-space-size=4'
function withServingFlags() {
  const own = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  if (typeof process.execve !== 'function' || own.some((a) => a.startsWith('--max-semi-space-size'))) return
  try {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, SEMI_SPACE_FLAG, ...process.argv.slice(1)], process.env)
  } catch {
    // not replaced (a platform without execve): run on with V8's default sizing
  }
}

// what this process creates is private to this user (main() says so again, for embedders): here
// already, so the folders Node's compile cache makes before main() runs are private too
process.umask(0o077)
const serving = serves(argv)
if (serving) withServingFlags()
const bundle = freshBundle()
const cacheDir = cacheDirFor(argv, serving)
const nodeCache = cacheDir !== undefined && nodeCompileCache(cacheDir)
let cli
if (bundle && cacheDir !== undefined && !nodeCache) cli = loadBundleWithV8Cache(bundle, cacheDir)
else if (bundle) cli = { main: createRequire(import.meta.url)(`${dist}/cli.cjs`).main }
else {
  const main = path('../kernel/cli/main.js')
  if (!existsSync(main)) {
    process.stderr.write('revka: the kernel is not built yet. Run `npm install` (or `npm run build`) in the project folder.\n')
    process.exit(1)
  }
  cli = { main: (await import(pathToFileURL(main).href)).main }
}
const code = await cli.main(argv)
if (code >= 0) process.exitCode = code
else {
  // a running gateway (-1) has compiled what a start needs: write that now, off the start's path,
  // not at exit (a gateway is often stopped by a signal). flushCompileCache: Node ≥ 22.10; before,
  // Node writes its cache when the process exits.
  const save = nodeCache ? () => nodeModule.flushCompileCache?.() : cli.saveCache
  if (save) setTimeout(save, 2000).unref()
}
