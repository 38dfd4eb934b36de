import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'

const summary = async (k: Awaited<ReturnType<typeof startTestKernel>>) =>
  (await k.inject({ url: '/api/cost', headers: { authorization: `Bearer ${k.token}` } })).json().cost

const report = (k: Awaited<ReturnType<typeof startTestKernel>>, cost_usd: number) =>
  k.inject({
    method: 'POST',
    url: '/api/cost/usage',
    headers: { 'x-revka-service-token': k.serviceToken, 'content-type': 'application/json' },
    payload: JSON.stringify({ model: 'm', cost_usd, input_tokens: 5 }),
  })

test('daily and monthly totals survive a restart; a torn last line is skipped and trimmed, not fatal', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'revka-cost-restart-'))
  const file = join(stateDir, 'plugins', 'cost', 'costs.jsonl')
  try {
    const k1 = await startTestKernel({ plugins: ['cost'], stateDir })
    try {
      assert.equal((await report(k1, 1.25)).statusCode, 200)
      k1.kernel.events.emit('agent_end', { provider: 'offline', model: 'offline-echo', duration_ms: 5, tokens_used: 12, cost_usd: 0.5, source: 'ws_chat' })
      assert.equal((await summary(k1)).daily_cost_usd, 1.75)
    } finally {
      await k1.stop()
    }
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 2, 'the bus record was flushed before stop returned')

    // a malformed line in the middle and a crash in the middle of the last write
    const now = new Date().toISOString()
    appendFileSync(file, 'this is not json\n')
    appendFileSync(file, `{"timestamp":"${now}","model":"m","provider":"p","input_tokens":1,"output_tokens":1,"total_tokens":2,"cost_usd":100`)

    const k2 = await startTestKernel({ plugins: ['cost'], stateDir })
    try {
      assert.equal(k2.plugin('cost')!.status, 'started')
      let cost = await summary(k2)
      assert.equal(cost.daily_cost_usd, 1.75)
      assert.equal(cost.monthly_cost_usd, 1.75)
      assert.equal(cost.session_cost_usd, 0, 'session figures are per run')
      assert.equal(cost.request_count, 0)
      assert.equal((await report(k2, 0.25)).statusCode, 200)
      cost = await summary(k2)
      assert.equal(cost.daily_cost_usd, 2)
      assert.equal(cost.session_cost_usd, 0.25)
    } finally {
      await k2.stop()
    }
    const lines = readFileSync(file, 'utf8').split('\n')
    assert.equal(lines.at(-1), '', 'the file ends with a newline')
    assert.equal(lines.filter((l) => l.includes('"cost_usd":100')).length, 0, 'the torn fragment is gone')
    assert.equal(JSON.parse(lines.at(-2)!).cost_usd, 0.25, 'the new record is a whole line of its own')
  } finally {
    rmSync(stateDir, { recursive: true, force: true })
  }
})
