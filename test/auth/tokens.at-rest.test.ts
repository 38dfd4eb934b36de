/**
 * Tokens at rest: after pairing (both routes), rotating, and using tokens on REST, SSE (`?token=`)
 * and WebSocket (`bearer.<t>` subprotocol), no file under the state dir — config, devices.db and its
 * WAL, logs, plugin stores, caches — holds a token in plaintext. Only its SHA-256 is in devices.db.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { createHash } from 'node:crypto'
import { startTestKernel } from '@revka/plugin-testing'
import { bearer, PROBE_DIR, REMOTE, removeDir, sseOpen, tempStateDir, wsConnect, wsUrl } from './support.js'

function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...filesUnder(p))
    else if (e.isFile()) out.push(p)
  }
  return out
}

/** every file (as bytes) that contains `needle`, relative to `dir` */
function filesHolding(dir: string, needle: string): string[] {
  const n = Buffer.from(needle, 'utf8')
  return filesUnder(dir)
    .filter((f) => readFileSync(f).includes(n))
    .map((f) => relative(dir, f))
}

function assertNoPlaintext(stateDir: string, tokens: string[], when: string): void {
  const files = filesUnder(stateDir)
  assert.ok(
    files.some((f) => f.endsWith('devices.db')),
    `${when}: devices.db not found under ${stateDir}`,
  )
  for (const t of tokens) {
    // the token, and its random part alone (a store that drops the rk_ prefix still leaks)
    for (const needle of [t, t.slice(3)]) {
      const hits = filesHolding(stateDir, needle)
      assert.deepEqual(hits, [], `${when}: plaintext token found in ${hits.join(', ')}`)
    }
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

test('no plaintext token anywhere under the state dir; the sha256 is in devices.db', async () => {
  const stateDir = tempStateDir()
  try {
    const tokens: string[] = []
    const k = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], stateDir, pair: false })
    try {
      // pair through both HTTP routes, as real clients do
      const c1 = (await k.inject({ method: 'POST', url: '/admin/paircode/new' })).json().pairing_code
      const a = await k.inject({ method: 'POST', url: '/pair', headers: { 'x-pairing-code': c1 }, remoteAddress: REMOTE })
      assert.equal(a.statusCode, 200)
      tokens.push(a.json().token)
      const c2 = (await k.inject({ method: 'POST', url: '/admin/paircode/new' })).json().pairing_code
      const b = await k.inject({ method: 'POST', url: '/api/pair', payload: { code: c2, device_name: 'b' }, remoteAddress: REMOTE })
      assert.equal(b.statusCode, 200)
      tokens.push(b.json().token)
      // rotate b: both the old and the new token are secrets
      const rot = await k.inject({ method: 'POST', url: `/api/devices/${b.json().device_id}/token/rotate`, headers: bearer(tokens[0]) })
      assert.equal(rot.statusCode, 200)
      const again = await k.inject({ method: 'POST', url: '/api/pair', payload: { code: rot.json().pairing_code }, remoteAddress: REMOTE })
      assert.equal(again.json().device_id, b.json().device_id)
      tokens.push(again.json().token)

      // use them on every transport that carries a token
      assert.equal((await k.inject({ url: '/probe/bearer', headers: bearer(tokens[0]) })).statusCode, 200)
      const sse = await sseOpen(`${k.url}/probe/events?token=${tokens[2]}`)
      assert.equal(sse.status, 200)
      sse.close()
      const ws = await wsConnect(wsUrl(k.url!, `/probe/ws?token=${tokens[0]}`), { protocols: ['revka.v1', `bearer.${tokens[2]}`] })
      assert.equal(ws.kind, 'open')
      if (ws.kind === 'open') ws.ws.close()
      // and a failed attempt with a revoked one
      assert.equal((await k.inject({ url: `/probe/events?token=${tokens[1]}` })).statusCode, 401)

      assertNoPlaintext(stateDir, tokens, 'while running')
      // the hashes are persisted (in the database or its write-ahead log while it is open)
      const live = filesUnder(join(stateDir, 'kernel'))
        .filter((f) => /devices\.db(-wal)?$/.test(f))
        .map((f) => readFileSync(f))
      for (const t of [tokens[0], tokens[2]])
        assert.ok(
          live.some((buf) => buf.includes(Buffer.from(sha256(t)))),
          'active token hash not persisted',
        )
    } finally {
      await k.stop()
    }

    // after a clean stop: logs flushed, WAL checkpointed into devices.db
    assertNoPlaintext(stateDir, tokens, 'after stop')
    const db = readFileSync(join(stateDir, 'kernel', 'devices.db'))
    for (const t of [tokens[0], tokens[2]]) assert.ok(db.includes(Buffer.from(sha256(t))), `sha256 of an active token is not in devices.db`)
    // the rotated-out token is remembered as revoked, by hash only
    assert.ok(db.includes(Buffer.from(sha256(tokens[1]))), 'the revoked hash is not remembered')

    // the service token lives in its own file and nowhere else
    const service = readFileSync(join(stateDir, 'service-token'), 'utf8').trim()
    assert.deepEqual(filesHolding(stateDir, service), ['service-token'])
  } finally {
    removeDir(stateDir)
  }
})

test('files under the state dir are not readable by other users', async () => {
  const stateDir = tempStateDir()
  try {
    const k = await startTestKernel({ plugins: ['pairing'], stateDir })
    await k.stop()
    assert.equal(statSync(join(stateDir, 'service-token')).mode & 0o077, 0, 'service-token is group/world accessible')
    assert.equal(statSync(join(stateDir, 'config.toml')).mode & 0o077, 0, 'config.toml is group/world accessible')
  } finally {
    removeDir(stateDir)
  }
})
