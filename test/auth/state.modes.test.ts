/**
 * File modes (issue 10 item 9). Everything the gateway creates under its state dir is private to
 * its user — files 0600, folders 0700 — devices.db and the sessions database with their -wal and
 * -shm, the webhook journals, plugin stores, logs; and an existing state dir that others can read
 * is named in a startup warning (and is an error for `revka doctor`).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'
import { spawnGateway } from '../ingress/gateway-process.js'
import { ROOT, removeDir, tempStateDir } from './support.js'
import { makeState, SCRIPTED_RUNTIME } from './state-traffic.js'
const BIN = join(ROOT, 'bin', 'revka.js')

/** every path under `dir` whose mode lets the group or others in, as "path 0644" */
function looseEntries(dir: string, skip?: RegExp): { loose: string[]; seen: string[] } {
  const loose: string[] = []
  const seen: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      const st = lstatSync(p)
      if (st.isSymbolicLink()) continue
      if (skip?.test(relative(dir, p))) continue
      seen.push(relative(dir, p))
      if (st.mode & 0o077) loose.push(`${relative(dir, p)} ${(st.mode & 0o777).toString(8)}`)
      if (st.isDirectory()) walk(p)
    }
  }
  walk(dir)
  return { loose, seen }
}

test('after a real start with traffic, nothing under a fresh state dir is open to the group or others', async () => {
  const stateDir = tempStateDir()
  const pluginsFile = join(stateDir, 'revka.plugins.json')
  writeFileSync(
    pluginsFile,
    JSON.stringify({
      builtins: true,
      paths: [SCRIPTED_RUNTIME],
      plugins: Object.fromEntries(
        [...readdirSync(join(ROOT, 'plugins')), 'fx-scripted-runtime'].map((id) => [
          id,
          { enabled: ['pairing', 'chat', 'cost', 'workspace', 'linq', 'fx-scripted-runtime'].includes(id) },
        ]),
      ),
    }),
    { mode: 0o600 },
  ) // the operator's file, written here by the test
  // the child inherits the umask: a permissive one, as on most hosts, so the gateway must set its own
  const old = process.umask(0o022)
  const gw = await spawnGateway(stateDir, pluginsFile, { REVKA_LOG_LEVEL: 'info' }).finally(() => process.umask(old))
  try {
    const serviceToken = readFileSync(join(stateDir, 'service-token'), 'utf8').trim()
    await makeState(gw.url, serviceToken, { sid: 'modes', message: 'hello', attachment: 'bytes', model: 'm', cost: 0.1 })
  } finally {
    await gw.kill()
  }
  try {
    const { loose, seen } = looseEntries(stateDir)
    // the files this item is about were really there
    for (const name of [
      /devices\.db$/,
      /devices\.db-wal$/,
      /devices\.db-shm$/,
      /sessions\.db$/,
      /sessions\.db-wal$/,
      /deliveries\.jsonl$/,
      /gateway\.log$/,
      /costs\.jsonl$/,
      /^workspace$/,
      /^logs$/,
      /^plugins$/,
    ]) {
      assert.ok(
        seen.some((p) => name.test(p)),
        `${name} was not created: ${seen.join(', ')}`,
      )
    }
    assert.deepEqual(loose, [], `open to group/others: ${loose.join(', ')}`)
  } finally {
    removeDir(stateDir)
  }
})

test('the kernel creates its folders and files private without the CLI umask (embedders, tests)', async () => {
  const stateDir = tempStateDir()
  const old = process.umask(0o022)
  try {
    const k = await startTestKernel({ stateDir, plugins: ['pairing', 'linq', 'chat'], paths: [SCRIPTED_RUNTIME] })
    await k.stop()
    // jiti's cache of compiled plugin code (no secrets) is written by jiti itself; its folder is private
    const { loose, seen } = looseEntries(stateDir, /^cache\/jiti\/./)
    for (const name of [/devices\.db$/, /sessions\.db$/, /deliveries\.jsonl$/, /config\.toml$/])
      assert.ok(
        seen.some((p) => name.test(p)),
        `${name} was not created: ${seen.join(', ')}`,
      )
    assert.deepEqual(loose, [], `open to group/others: ${loose.join(', ')}`)
  } finally {
    process.umask(old)
    removeDir(stateDir)
  }
})

test('a group- or world-readable state dir is named in a startup warning, and revka doctor fails on it', async () => {
  const stateDir = tempStateDir()
  chmodSync(stateDir, 0o755)
  try {
    const k = await startTestKernel({ stateDir, plugins: [] })
    await k.stop()
    const log = readFileSync(join(stateDir, 'logs', 'gateway.log'), 'utf8')
    const line = log.split('\n').find((l) => l.includes('REVKA_ERR_STATE_DIR_MODE'))
    assert.ok(line, `no warning about the state dir mode in:\n${log}`)
    assert.ok(line!.includes(stateDir) && line!.includes('755'), line)
    assert.equal(JSON.parse(line!).level, 'warn')

    const env = { ...process.env, REVKA_STATE_DIR: stateDir }
    const loose = spawnSync(process.execPath, [BIN, 'doctor'], { env, encoding: 'utf8', timeout: 20_000 })
    assert.equal(loose.status, 1, loose.stdout + loose.stderr)
    assert.match(loose.stdout + loose.stderr, /755/)
    chmodSync(stateDir, 0o700)
    const fixed = spawnSync(process.execPath, [BIN, 'doctor'], { env, encoding: 'utf8', timeout: 20_000 })
    assert.equal(fixed.status, 0, fixed.stdout + fixed.stderr)
  } finally {
    removeDir(stateDir)
  }
})
