/**
 * Where `revka` keeps compiled code: in `<state dir>/cache/v8`, made 0700 by a gateway start, and
 * never in the package's own folder (an installed package may be read-only or shared). A one-shot
 * command on a fresh state dir leaves nothing there. Node ≥ 22.1 fills it through Node's own
 * compile cache; Node 20 with the V8 code cache of the bundle (when `npm run build` made one).
 * On Node ≥ 22.15 a serving command runs with its V8 flag passed the supported way: on the
 * command line of the same process, re-executed in place.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import nodeModule from 'node:module'
import { join } from 'node:path'
import { once } from 'node:events'
import { REPO_ROOT, cleanupTemp, tempDir } from './helpers/kernel.js'

after(cleanupTemp)

const bin = join(REPO_ROOT, 'bin', 'revka.js')
const dist = join(REPO_ROOT, 'kernel', 'dist')
const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : [])

function env(state: string): NodeJS.ProcessEnv {
  const pluginsFile = join(state, '..', 'revka.plugins.json')
  writeFileSync(pluginsFile, '{ "plugins": {} }')
  return {
    ...process.env,
    REVKA_STATE_DIR: state,
    REVKA_PLUGINS_FILE: pluginsFile,
    REVKA_GATEWAY_HOST: '127.0.0.1',
    REVKA_GATEWAY_PORT: '0',
    REVKA_LOG_LEVEL: 'warn',
    REVKA_UNBUNDLED: '',
  }
}

test('a one-shot command on a fresh state dir writes no cache', () => {
  const state = join(tempDir('revka-cache-'), 'state')
  for (const args of [['--version'], ['plugins', 'list', '--json'], ['gateway', '--help']]) {
    const r = spawnSync(process.execPath, [bin, ...args], { env: env(state), encoding: 'utf8', timeout: 20_000 })
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`)
  }
  assert.equal(existsSync(join(state, 'cache', 'v8')), false, 'a one-shot command made the cache folder')
})

test('a gateway start caches compiled code under the state dir, 0700, and writes nothing into the package', { timeout: 30_000 }, async () => {
  const state = join(tempDir('revka-cache-'), 'state')
  const distBefore = list(dist)
  const child = spawn(process.execPath, [bin, 'gateway'], { env: env(state), stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    // keep reading its output to the end: a closed pipe would fail the gateway's next write
    let out = ''
    child.stdout.setEncoding('utf8')
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk
        if (/listening on /.test(out)) resolve()
      })
      child.once('exit', (code) => reject(new Error(`the gateway exited (${code}) before listening:\n${out}`)))
    })
    // Node ≥ 22.15: the serving process re-executed itself in place with its young-generation cap
    if (typeof (process as { execve?: unknown }).execve === 'function') {
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')
      assert.ok(cmdline.includes('--max-semi-space-size=4'), `the gateway runs without its flag: ${cmdline.join(' ')}`)
    }
    // the cache is written 2 s after the gateway listens (off the start's path): wait for the files
    const cacheDir = join(state, 'cache', 'v8')
    const deadline = Date.now() + 15_000
    const expectFiles = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function' || bundleIsFresh()
    while (expectFiles && list(cacheDir).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700)
    if (expectFiles) assert.ok(list(cacheDir).length > 0, 'no compiled code was cached')
    for (const f of list(cacheDir)) assert.equal(statSync(join(cacheDir, f)).mode & 0o077, 0, `${f} is readable by others`)
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  }
  assert.deepEqual(list(dist), distBefore, 'the gateway wrote into the package folder (kernel/dist)')
})

/** bin/revka.js's own freshness rule, enough to know whether Node 20 runs the bundle (and caches it) */
function bundleIsFresh(): boolean {
  try {
    const m = JSON.parse(readFileSync(join(dist, 'cli.json'), 'utf8')) as { inputs: [string, number, string][] }
    const same = ([rel, mtimeMs, sha256]: [string, number, string]) =>
      statSync(join(dist, rel)).mtimeMs === mtimeMs ||
      createHash('sha256')
        .update(readFileSync(join(dist, rel)))
        .digest('hex') === sha256
    return existsSync(join(dist, 'cli.cjs')) && m.inputs.every(same)
  } catch {
    return false
  }
}
