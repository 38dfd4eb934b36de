#!/usr/bin/env node
// The revka command. Runs the compiled kernel (tsc emits JavaScript beside each .ts at `npm install`),
// bundled into one script when `npm install` / `npm run build` made a bundle (scripts/bundle.js).
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import v8 from 'node:v8'
import { PerformanceObserver } from 'node:perf_hooks'
import vm from 'node:vm'

// The young generation. V8 doubles each semi-space every time it fills, up to 16 MB (32 MB of
// RSS, touched once and kept): start-up alone grew it to 8 MB, and the P1 load to 16 MB, for
// 113–124 MB of RSS after load. Start-up allocates mostly long-lived module code, so it runs with
// the initial 1 MB; once serving, it may grow to 4 MB, which kept most of the scavenger's
// throughput under load (a 1 MB young generation cost ~15 % more CPU per /health request) at
// 82–89 MB after load. The growth factor, unlike --max-semi-space-size, is read at every resize,
// so both can be set from here without a re-spawn.
const SERVING_SEMI_SPACE_BYTES = 4 * 1024 * 1024
v8.setFlagsFromString('--semi-space-growth-factor=1')

/** let the young generation double again until it reaches `semiSpaceBytes`, then hold it there */
function growYoungGenerationTo(semiSpaceBytes) {
  v8.setFlagsFromString('--semi-space-growth-factor=2')
  // resizes happen only in a scavenge: check after each GC (a handful, then the observer goes)
  const obs = new PerformanceObserver(() => {
    const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
    // new_space counts both semi-spaces
    if (!young || young.space_size >= 2 * semiSpaceBytes) {
      v8.setFlagsFromString('--semi-space-growth-factor=1')
      obs.disconnect()
    }
  })
  obs.observe({ entryTypes: ['gc'] })
}

const path = (rel) => fileURLToPath(new URL(rel, import.meta.url))
const dist = path('../kernel/dist')

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
    const same = ([rel, mtimeMs, sha256]) => statSync(`${dist}/${rel}`).mtimeMs === mtimeMs ||
      createHash('sha256').update(readFileSync(`${dist}/${rel}`)).digest('hex') === sha256
    return m.inputs.every(same) ? m : null
  } catch {
    return null
  }
}

/**
 * Run the bundle as a CommonJS-style script with V8's code cache: the bytecode of every function
 * the last start compiled is read back instead of being parsed and compiled again (Node 20 has no
 * compile cache of its own). The cache is named by the bundle's content hash — V8 checks only the
 * source length — and rebuilt, best effort, after a start that had none or had it rejected
 * (another Node version or V8 flags).
 */
function loadBundle(m) {
  const file = `${dist}/cli.cjs`
  const cacheFile = `${dist}/cli.${m.id}.v8cache`
  let cachedData
  try { cachedData = readFileSync(cacheFile) } catch {}
  // ASCII (scripts/bundle.js checks): latin1 is exact and skips UTF-8 decoding
  const source = readFileSync(file, 'latin1')
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData })
  const module = { exports: {} }
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file))
  const saveCache = cachedData && !script.cachedDataRejected ? () => {} : () => {
    const tmp = `${cacheFile}.${process.pid}.tmp`
    try {
      writeFileSync(tmp, script.createCachedData())
      renameSync(tmp, cacheFile)
    } catch {
      rmSync(tmp, { force: true }) // a read-only install: run without a cache
    }
  }
  return { main: module.exports.main, saveCache }
}

const bundle = freshBundle()
let cli
if (bundle) cli = loadBundle(bundle)
else {
  const main = path('../kernel/cli/main.js')
  if (!existsSync(main)) {
    process.stderr.write('revka: the kernel is not built yet. Run `npm install` (or `npm run build`) in the project folder.\n')
    process.exit(1)
  }
  cli = { main: (await import(pathToFileURL(main).href)).main, saveCache: () => {} }
}
const code = await cli.main(process.argv.slice(2))
if (code >= 0) process.exitCode = code
else {
  // a running gateway (-1): serving from now on
  growYoungGenerationTo(SERVING_SEMI_SPACE_BYTES)
  // it has compiled what a start needs: cache that, off the start's path
  setTimeout(cli.saveCache, 2000).unref()
}
