import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock, startTestKernel } from '@revka/plugin-testing'
import { call, waitFor } from './test-support/http.js'

const CONFIG = '[heartbeat]\nenabled = true\ninterval_minutes = 2\nprompt = "heartbeat: anything pending?"\n'

test('heartbeat (daemon mode): a periodic check-in recorded like a cron run, with its health component', async () => {
  const clock = new ManualClock(Date.parse('2026-12-07T10:00:00Z'))
  const k = await startTestKernel({
    plugins: ['cron', 'agent-runtime', 'status'],
    mode: 'daemon',
    clock,
    config: CONFIG,
    listen: true,
    options: { cron: { poll_ms: 10 } },
  })
  try {
    const api = (m: string, p: string) => call(k.url!, k.token, m, p)
    const hb = (await api('GET', '/api/cron')).json.jobs.find((j: any) => j.id === '__heartbeat')
    assert.equal(hb.source, 'declarative')
    assert.deepEqual(hb.schedule, { kind: 'every', every_ms: 120_000 })
    assert.equal(hb.expression, '')
    assert.equal((await k.inject({ url: '/health' })).json().runtime.components.heartbeat.status, 'starting')
    clock.advance(120_000)
    const [run] = await waitFor('the check-in', async () => {
      const r = (await api('GET', '/api/cron/__heartbeat/runs')).json.runs
      return r.length ? r : undefined
    })
    assert.equal(run.status, 'ok')
    assert.match(run.output, /anything pending/)
    await waitFor('heartbeat health ok', async () => (await k.inject({ url: '/health' })).json().runtime.components.heartbeat.status === 'ok')
  } finally {
    await k.stop()
  }
})

test('heartbeat is off by default, and never runs in gateway mode', async () => {
  for (const [mode, config] of [
    ['daemon', ''],
    ['gateway', CONFIG],
  ] as const) {
    const k = await startTestKernel({ plugins: ['cron', 'agent-runtime', 'status'], mode, config, options: { cron: { poll_ms: 10 } } })
    try {
      const jobs = (await k.inject({ url: '/api/cron', headers: { authorization: `Bearer ${k.token}` } })).json().jobs
      assert.deepEqual(jobs, [], mode)
      assert.equal((await k.inject({ url: '/health' })).json().runtime.components.heartbeat, undefined)
    } finally {
      await k.stop()
    }
  }
})
