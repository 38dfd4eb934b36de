/**
 * @revka/plugin-testing as a plugin author meets it: a plugin that fails is a failed start with its
 * diagnostic (not a kernel answering 404), `listen: false` opens no port, and the mock agent runtime
 * and the event sink let a plugin test run without the kernel object.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestKernel } from '@revka/plugin-testing'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'plugins')
const fx = (id: string) => join(fixtures, id)

test('a plugin that throws in setup fails startTestKernel with its own message', async () => {
  await assert.rejects(startTestKernel({ paths: [fx('fx-throw-setup')], builtins: false }), (e: Error) => {
    assert.match(e.message, /^REVKA_ERR_TEST_PLUGIN_FAILED: fx-throw-setup is failed: .*fx-throw-setup exploded in setup/)
    return true
  })
})

test('a plugin that throws in onStart, or misses a required service, also fails the start', async () => {
  await assert.rejects(startTestKernel({ paths: [fx('fx-throw-start')], builtins: false }), /REVKA_ERR_TEST_PLUGIN_FAILED: fx-throw-start is failed/)
  // no agent runtime enabled: the caller cannot get its service
  await assert.rejects(
    startTestKernel({ paths: [fx('fx-agent-caller')], builtins: false }),
    /REVKA_ERR_TEST_PLUGIN_FAILED: fx-agent-caller is failed: .*agent-runtime/,
  )
})

test('allowFailed keeps an expected failure: the kernel starts and the route says 503, not 404', async () => {
  const k = await startTestKernel({ paths: [fx('fx-throw-setup')], builtins: false, allowFailed: ['fx-throw-setup'] })
  try {
    assert.equal(k.plugin('fx-throw-setup')?.status, 'failed')
    const res = await k.inject({ url: '/fx/setup-fail' })
    assert.equal(res.statusCode, 503)
  } finally {
    await k.stop()
  }
})

test('listen: false opens no port; inject works, and listen() opens one later', async () => {
  const k = await startTestKernel({ plugins: ['status'], listen: false })
  try {
    assert.equal(k.url, null)
    assert.equal(k.kernel.app.server.listening, false)
    assert.equal(k.kernel.app.server.address(), null)
    const res = await k.inject({ url: '/api/status', headers: { authorization: `Bearer ${k.token}` } })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().plugins.find((p: any) => p.id === 'status').status, 'started')
    const url = await k.listen()
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+/)
    assert.equal((await fetch(`${url}/api/status`)).status, 200)
  } finally {
    await k.stop()
  }
})

test("mockAgent: the plugin's turn is recorded and answered offline; the event sink sees it", async () => {
  const k = await startTestKernel({ paths: [fx('fx-agent-caller')], builtins: false, mockAgent: true, listen: false })
  try {
    const res = await k.inject({ method: 'POST', url: '/fx/ask', payload: { text: 'hello there' } })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { content: 'echo: hello there' })
    const [turn] = await k.agent!.waitForTurns(1)
    assert.equal(turn.text, 'hello there')
    assert.equal(turn.sessionId, 'fx-session')
    assert.equal(turn.source, 'fx')
    const [end] = await k.events.waitFor('agent_end')
    assert.equal(end.session_id, 'fx-session')
    assert.equal(k.events.ofType('agent_start').length, 1)
    const [answered] = await k.events.waitFor('fx_answered')
    assert.equal(answered.content, 'echo: hello there')

    k.agent!.reply = (t) => `reply #${k.agent!.turns.length} to ${t.text}`
    const second = await k.inject({ method: 'POST', url: '/fx/ask', payload: { text: 'again' } })
    assert.deepEqual(second.json(), { content: 'reply #2 to again' })
    assert.equal(k.agent!.turns.length, 2)
  } finally {
    await k.stop()
  }
})

test('a fixed mock reply, and waitFor names what it saw when the event never comes', async () => {
  const k = await startTestKernel({ paths: [fx('fx-agent-caller')], builtins: false, mockAgent: 'fixed answer', listen: false })
  try {
    const res = await k.inject({ method: 'POST', url: '/fx/ask', payload: { text: 'x' } })
    assert.deepEqual(res.json(), { content: 'fixed answer' })
    await assert.rejects(
      k.events.waitFor('never_emitted', { timeoutMs: 50 }),
      /REVKA_ERR_TEST_TIMEOUT: 0 of 1 "never_emitted" events after 50 ms \(types seen: .*agent_start/,
    )
    await assert.rejects(k.agent!.waitForTurns(2, 50), /REVKA_ERR_TEST_TIMEOUT: 1 of 2 agent turns/)
  } finally {
    await k.stop()
  }
})
