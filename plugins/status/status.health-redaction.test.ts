/**
 * Issue 10 item 8: the public `/health` echoed a config value inside a component's error message.
 * A plugin that fails on a bad config value names the key *and the value* in its diagnostic (so
 * the operator can fix it); a remote caller of `/health` now gets the error's code only, while the
 * authenticated `/api/status` and `/api/health` keep the full text.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'

// port 99999 makes the URL invalid, so agent-runtime fails and quotes the value back
const SECRET = 'hunter2-pw'
const CONFIG = `default_provider = "local"\ndefault_model = "m"\n\n[providers.local]\ntype = "openai-compatible"\nbase_url = "https://admin:${SECRET}@llm.internal:99999/v1"\n`
const REMOTE = { 'x-forwarded-for': '203.0.113.7' }

test('public /health carries codes, not config values; /api/status keeps the detail', async () => {
  const k = await startTestKernel({ plugins: ['status', 'agent-runtime'], config: CONFIG, listen: true, allowFailed: ['agent-runtime'] })
  try {
    const diagnostic = k.plugin('agent-runtime')!.diagnostic ?? ''
    assert.ok(diagnostic.includes(SECRET), 'precondition: the failing plugin quotes the config value in its diagnostic')

    const res = await fetch(`${k.url}/health`, { headers: REMOTE })
    assert.equal(res.status, 200)
    const text = await res.text()
    const leaks = text.split(SECRET).length - 1
    assert.equal(leaks, 0, `public /health echoes the config value ${leaks} time(s)`)
    const health = JSON.parse(text)
    assert.equal(health.status, 'degraded')
    const comp = health.runtime.components['plugin:agent-runtime']
    assert.equal(comp.status, 'error')
    assert.equal(comp.last_error, 'REVKA_ERR_AGENT_CONFIG')

    // the detail is still there for those who may see it
    const status = (await (await fetch(`${k.url}/api/status`, { headers: { authorization: `Bearer ${k.token}`, ...REMOTE } })).json()) as any
    assert.equal(status.health.components['plugin:agent-runtime'].last_error, diagnostic)
    const full = (await (await fetch(`${k.url}/api/health`, { headers: { authorization: `Bearer ${k.token}`, ...REMOTE } })).json()) as any
    assert.equal(full.health.components['plugin:agent-runtime'].last_error, diagnostic)
  } finally {
    await k.stop()
  }
})
