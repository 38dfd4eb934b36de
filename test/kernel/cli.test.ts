/**
 * The `revka` command as an operator runs it: plain `node bin/revka.js`, no loader flags. Version
 * and help exit 0, a typo exits 2, `plugins list` reads manifests without importing anything,
 * `plugins disable` edits the operator's file, and `gateway --port 0` serves, prints its address
 * and a pairing code that really pairs, and exits 0 on SIGTERM.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanupTemp, fixture, put, REPO_ROOT, tempDir } from './helpers/kernel.js'

after(cleanupTemp)

const BIN = join(REPO_ROOT, 'bin', 'revka.js')

/** an env with nothing of the developer's Revka setup in it */
function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('REVKA_') || k === 'PORT' || k === 'HOST' || k === 'NODE_OPTIONS') delete env[k]
  return { ...env, ...extra }
}

function revka(args: string[], extra: Record<string, string> = {}) {
  const cwd = tempDir('revka-cli-cwd-')
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: cliEnv({ REVKA_STATE_DIR: join(cwd, 'state'), ...extra }),
    encoding: 'utf8',
    timeout: 20_000,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

test("--version prints the gateway package's version and exits 0; --help exits 0", () => {
  const v = revka(['--version'])
  assert.equal(v.code, 0, v.stderr)
  assert.equal(v.stdout.trim(), JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version)
  const h = revka(['--help'])
  assert.equal(h.code, 0, h.stderr)
  assert.match(h.stdout, /Usage:/)
  assert.match(h.stdout, /revka plugins list/)
})

test('an unknown command exits 2 with a usage message', () => {
  const r = revka(['frobnicate'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /unknown command "frobnicate"/)
  assert.match(r.stderr, /Usage:/)
})

test('plugins list --json reports built-ins and path plugins without importing any; disable edits the file', () => {
  const dir = tempDir('revka-cli-')
  const markers = { REVKA_FX_MARKER: join(dir, 'marker-imported'), REVKA_FX_MARKER_INCOMPATIBLE: join(dir, 'incompatible-imported') }
  const file = put(join(dir, 'revka.plugins.json'), {
    paths: [fixture('fx-marker'), fixture('fx-incompatible')],
    plugins: { 'fx-marker': {}, 'fx-incompatible': {} },
  })
  const env = { REVKA_PLUGINS_FILE: file, ...markers }

  const list = revka(['plugins', 'list', '--json'], env)
  assert.equal(list.code, 0, list.stderr)
  const rows: any[] = JSON.parse(list.stdout)
  const row = (id: string) => rows.find((r) => r.id === id) ?? assert.fail(`${id} missing from ${list.stdout}`)
  for (const id of ['status', 'pairing', 'admin']) {
    assert.equal(row(id).source, 'builtin')
    assert.equal(row(id).enabled, true)
    assert.equal(row(id).status, 'ready')
  }
  assert.equal(row('fx-marker').source, 'path')
  assert.equal(row('fx-marker').status, 'ready')
  assert.equal(row('fx-incompatible').status, 'incompatible')
  assert.match(row('fx-incompatible').diagnostic, /\^9\.0\.0/)
  assert.equal(existsSync(markers.REVKA_FX_MARKER), false, 'plugins list imported a plugin')
  assert.equal(existsSync(markers.REVKA_FX_MARKER_INCOMPATIBLE), false, 'plugins list imported an incompatible plugin')

  const off = revka(['plugins', 'disable', 'status'], env)
  assert.equal(off.code, 0, off.stderr)
  const doc = JSON.parse(readFileSync(file, 'utf8'))
  assert.equal(doc.plugins.status.enabled, false)
  // the rest of the operator's file is kept as written
  assert.deepEqual(doc.paths, [fixture('fx-marker'), fixture('fx-incompatible')])
  assert.deepEqual(doc.plugins['fx-marker'], {})

  const relisted = JSON.parse(revka(['plugins', 'list', '--json'], env).stdout)
  const status = relisted.find((r: any) => r.id === 'status')
  assert.equal(status.enabled, false)
  assert.equal(status.status, 'disabled')
  assert.equal(existsSync(markers.REVKA_FX_MARKER), false)
})

test('gateway --port 0 prints its address and a working pairing code, serves /health, exits 0 on SIGTERM', async () => {
  const dir = tempDir('revka-cli-gw-')
  const child = spawn(process.execPath, [BIN, 'gateway', '--port', '0'], {
    cwd: dir,
    env: cliEnv({ REVKA_STATE_DIR: join(dir, 'state'), REVKA_PLUGINS_FILE: join(dir, 'none.json') }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out += d
  })
  child.stderr.setEncoding('utf8').on('data', (d) => {
    err += d
  })
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  try {
    const deadline = Date.now() + 15_000
    while (!/PAIRING CODE: \d{6}/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50))
    const url = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out)
    assert.ok(url, `no address printed; stdout: ${out} stderr: ${err}`)
    assert.notEqual(Number(url[2]), 0)
    const code = /PAIRING CODE: (\d{6})\b/.exec(out)?.[1]
    assert.ok(code, `no 6-digit pairing code printed; stdout: ${out}`)

    const health = await fetch(`${url[1]}/health`)
    assert.equal(health.status, 200)
    const h: any = await health.json()
    assert.equal(h.require_pairing, true)
    assert.equal(h.paired, false)
    assert.equal(h.runtime.components['plugin:status'].status, 'ok')

    // the printed code is the live one: it pairs exactly once
    const pair = await fetch(`${url[1]}/api/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })
    assert.equal(pair.status, 200)
    assert.match(((await pair.json()) as any).token, /^[A-Za-z0-9_-]{20,}$/)

    child.kill('SIGTERM')
    const result = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 8000))])
    assert.ok(result, 'the gateway did not exit within 8 s of SIGTERM')
    assert.deepEqual(result, { code: 0, signal: null }, `stderr: ${err}`)
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
})
