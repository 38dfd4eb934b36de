import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'

const CONFIG = `
[cost]
daily_limit_usd = 2.0
monthly_limit_usd = 50.0
warn_at_percent = 75
`

test('GET /api/cost has the contract shape and sums agent_end events and reported usage', async () => {
  const k = await startTestKernel({ plugins: ['cost'], config: CONFIG })
  try {
    assert.equal((await k.inject({ url: '/api/cost' })).statusCode, 401, '/api/cost requires a bearer')
    k.kernel.events.emit('agent_end', {
      provider: 'openai',
      model: 'gpt-4o',
      duration_ms: 900,
      tokens_used: 150,
      input_tokens: 100,
      output_tokens: 50,
      cost_usd: 0.5,
      session_id: 's1',
      source: 'ws_chat',
    })
    k.kernel.events.emit('agent_end', { provider: 'openai', model: 'gpt-4o', duration_ms: 900, tokens_used: 30, cost_usd: 0.25, source: 'webhook' })
    await k.inject({
      method: 'POST',
      url: '/api/cost/usage',
      headers: { 'x-revka-service-token': k.serviceToken, 'content-type': 'application/json' },
      payload: JSON.stringify({
        model: 'claude',
        provider: 'anthropic',
        input_tokens: 10,
        output_tokens: 10,
        cost_usd: 0.75,
        agent_id: 'a1',
        agent_title: 'Planner',
      }),
    })
    const res = await k.inject({ url: '/api/cost', headers: { authorization: `Bearer ${k.token}` } })
    assert.equal(res.statusCode, 200)
    const cost = res.json().cost
    assert.deepEqual(Object.keys(cost).sort(), [
      'budget',
      'by_agent',
      'by_model',
      'by_source',
      'daily_cost_usd',
      'monthly_cost_usd',
      'request_count',
      'session_cost_usd',
      'total_tokens',
    ])
    assert.equal(cost.session_cost_usd, 1.5)
    assert.equal(cost.daily_cost_usd, 1.5)
    assert.equal(cost.monthly_cost_usd, 1.5)
    assert.equal(cost.total_tokens, 200)
    assert.equal(cost.request_count, 3)
    assert.deepEqual(cost.by_model['gpt-4o'], { model: 'gpt-4o', cost_usd: 0.75, total_tokens: 180, request_count: 2 })
    assert.deepEqual(cost.by_model.claude, { model: 'claude', cost_usd: 0.75, total_tokens: 20, request_count: 1 })
    assert.deepEqual(cost.by_agent, { a1: { agent_id: 'a1', agent_title: 'Planner', cost_usd: 0.75, total_tokens: 20, request_count: 1 } })
    assert.deepEqual(Object.keys(cost.by_source).sort(), ['external', 'webhook', 'ws_chat'])
    assert.deepEqual(cost.budget, {
      enabled: true,
      daily_limit_usd: 2,
      monthly_limit_usd: 50,
      warn_at_percent: 75,
      daily_remaining_usd: 0.5,
      monthly_remaining_usd: 48.5,
      daily_percent: 75,
      monthly_percent: 3,
      state: 'warning',
    })
    k.kernel.events.emit('agent_end', { provider: 'openai', model: 'gpt-4o', duration_ms: 1, tokens_used: 1, cost_usd: 0.6 })
    const over = (await k.inject({ url: '/api/cost', headers: { authorization: `Bearer ${k.token}` } })).json().cost.budget
    assert.equal(over.state, 'exceeded')
    assert.equal(over.daily_remaining_usd, 0)
  } finally {
    await k.stop()
  }
})

test('with no [cost] table the budget is reported with defaults and disabled', async () => {
  const k = await startTestKernel({ plugins: ['cost'] })
  try {
    const cost = (await k.inject({ url: '/api/cost', headers: { authorization: `Bearer ${k.token}` } })).json().cost
    assert.equal(cost.session_cost_usd, 0)
    assert.equal(cost.request_count, 0)
    assert.deepEqual(cost.by_model, {})
    assert.deepEqual(cost.budget, {
      enabled: false,
      daily_limit_usd: 10,
      monthly_limit_usd: 100,
      warn_at_percent: 80,
      daily_remaining_usd: 10,
      monthly_remaining_usd: 100,
      daily_percent: 0,
      monthly_percent: 0,
      state: 'disabled',
    })
  } finally {
    await k.stop()
  }
})
