import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['cost'] })
})
after(async () => {
  await k.stop()
})

const ledger = () =>
  readFileSync(join(k.stateDir, 'plugins', 'cost', 'costs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
const post = (headers: Record<string, string>, payload: unknown) =>
  k.inject({ method: 'POST', url: '/api/cost/usage', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(payload) })

test('a bearer token never satisfies the service-only usage route', async () => {
  const res = await post({ authorization: `Bearer ${k.token}` }, { model: 'gpt-x', cost_usd: 1 })
  assert.equal(res.statusCode, 401)
  assert.equal(res.json().code, 'unauthorized')
  assert.equal((await post({}, { model: 'gpt-x' })).statusCode, 401)
  assert.equal((await post({ 'x-revka-service-token': 'wrong' }, { model: 'gpt-x' })).statusCode, 401)
})

test('the service token records usage durably and answers {recorded, usage}', async () => {
  const res = await post(
    { 'x-revka-service-token': k.serviceToken },
    {
      model: 'claude-z',
      provider: 'anthropic',
      input_tokens: 1200,
      output_tokens: 300,
      cost_usd: 0.0425,
      source: 'kumiho',
      agent_id: 'agent-7',
      agent_title: 'Researcher',
    },
  )
  assert.equal(res.statusCode, 200)
  const body = res.json()
  assert.equal(body.recorded, true)
  assert.deepEqual(
    { ...body.usage, timestamp: undefined },
    {
      timestamp: undefined,
      model: 'claude-z',
      provider: 'anthropic',
      input_tokens: 1200,
      output_tokens: 300,
      total_tokens: 1500,
      cost_usd: 0.0425,
      source: 'kumiho',
      agent_id: 'agent-7',
      agent_title: 'Researcher',
    },
  )
  // acknowledged means on disk
  assert.deepEqual(ledger().at(-1), body.usage)
})

test('defaults: provider unknown, source external, zero tokens and cost', async () => {
  const res = await post({ 'x-revka-service-token': k.serviceToken }, { model: 'm-only' })
  assert.equal(res.statusCode, 200)
  const u = res.json().usage
  assert.equal(u.provider, 'unknown')
  assert.equal(u.source, 'external')
  assert.equal(u.total_tokens, 0)
  assert.equal(u.cost_usd, 0)
})

test('an empty or missing model, or malformed numbers, get 400 and record nothing', async () => {
  const lines = ledger().length
  for (const payload of [{ model: '' }, { model: '   ' }, {}, { model: 'x', input_tokens: -1 }, { model: 'x', cost_usd: 'lots' }, { model: 42 }, [1]]) {
    const res = await post({ 'x-revka-service-token': k.serviceToken }, payload)
    assert.equal(res.statusCode, 400, JSON.stringify(payload))
    assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'error'])
  }
  assert.equal(ledger().length, lines)
})
