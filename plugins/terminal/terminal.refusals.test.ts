import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'
import { bootTerminal, isolateHome, openTerm, upgradeStatus } from './test-helpers.js'

isolateHome()

test('with pairing off the terminal is refused with 403 before the upgrade, token or not', async () => {
  const k = await bootTerminal({ config: '[gateway]\nrequire_pairing = false\n' })
  try {
    assert.equal(k.plugin('terminal')?.status, 'started')
    for (const headers of [{}, { authorization: 'Bearer anything' }] as Array<Record<string, string>>) {
      const r = await upgradeStatus(k, headers)
      assert.equal(r.status, 403)
      assert.deepEqual(JSON.parse(r.body), { error: 'Terminal is disabled while pairing is off', code: 'terminal_disabled' })
    }
  } finally {
    await k.stop()
  }
})

test('pairing on: no bearer → 401; past max_terminals → 503 with Retry-After', async () => {
  const k = await bootTerminal({ options: { max_terminals: 1 } })
  try {
    assert.equal((await upgradeStatus(k, {})).status, 401)
    const first = await openTerm(k)
    const r = await upgradeStatus(k, { authorization: `Bearer ${k.token}` })
    assert.equal(r.status, 503)
    assert.equal(JSON.parse(r.body).code, 'too_many_terminals')
    first.ws.close()
    await first.closed
  } finally {
    await k.stop()
  }
})

test('without node-pty the plugin fails with a clear reason and the rest of the gateway serves', async () => {
  // what a headless `npm install --omit=optional` looks like to the loader
  const k = await startTestKernel({
    plugins: ['terminal', 'status'],
    allowFailed: ['terminal'],
    listen: true,
    options: { terminal: { pty_module: 'revka-test-node-pty-absent' } },
  })
  try {
    const p = k.plugin('terminal')!
    assert.equal(p.status, 'failed')
    assert.match(p.diagnostic ?? '', /^REVKA_ERR_TERMINAL_UNAVAILABLE: node-pty is not installed \(module "revka-test-node-pty-absent" not found/)
    assert.match(p.diagnostic ?? '', /npm install node-pty/)

    const health = await fetch(`${k.url}/health`)
    assert.equal(health.status, 200)
    const h = (await health.json()) as any
    assert.equal(h.status, 'degraded')
    assert.equal(h.runtime.components['plugin:terminal'].status, 'error')
    assert.equal(h.runtime.components['plugin:terminal'].last_error, p.diagnostic)
    assert.equal(h.runtime.components['plugin:status'].status, 'ok')

    const status = await fetch(`${k.url}/api/status`, { headers: { authorization: `Bearer ${k.token}` } })
    assert.equal(status.status, 200, 'other plugins keep serving')

    const r = await upgradeStatus(k, { authorization: `Bearer ${k.token}` })
    assert.equal(r.status, 503)
    assert.equal(JSON.parse(r.body).code, 'plugin_unavailable')
  } finally {
    await k.stop()
  }
})
