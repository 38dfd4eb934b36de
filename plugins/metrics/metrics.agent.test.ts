/**
 * `/metrics` exports the contract's agent, LLM, token, tool and gauge metrics (GATEWAY.md §6) from
 * the event bus: real turns through the agent runtime's offline responder (one of them running a
 * tool), a failed turn's error, and label values folded into `other` past the series cap.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { MAX_SERIES } from './agent-metrics.js'

const PROBE = join(dirname(fileURLToPath(import.meta.url)), '..', 'agent-runtime', 'test-fixtures', 'turn-probe')
let k: TestKernel
before(async () => {
  k = await startTestKernel({
    plugins: ['metrics', 'agent-runtime', 'status', 'pairing'],
    paths: [PROBE],
    config: '[observability]\nbackend = "prometheus"\n',
    listen: true,
  })
})
after(async () => {
  await k.stop()
})

const scrape = async () => (await fetch(`${k.url}/metrics`)).text()
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}
async function turn(content: string, sessionId: string) {
  const res = await fetch(`${k.url}/fx/agent/turn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content }], sessionId }),
  })
  const body = (await res.json()) as any
  assert.equal(body.ok, true, JSON.stringify(body.error))
  return body.result
}

test('turns count agent starts, LLM requests, tokens, durations, tool calls and the last-turn gauge', async () => {
  const a = await turn('hello there', 'm-1')
  const b = await turn('/tool fx_add {"a": 2, "b": 3}', 'm-2')
  const text = await scrape()
  const pm = 'provider="offline",model="offline-echo"'
  assert.equal(sample(text, `revka_agent_starts_total{${pm}}`), 2)
  // the tool turn asked the model twice (the call, then the answer)
  assert.equal(sample(text, `revka_llm_requests_total{${pm},success="true"}`), 3)
  assert.equal(sample(text, `revka_tokens_input_total{${pm}}`), a.usage.input_tokens + b.usage.input_tokens)
  assert.equal(sample(text, `revka_tokens_output_total{${pm}}`), a.usage.output_tokens + b.usage.output_tokens)
  assert.equal(sample(text, `revka_agent_duration_seconds_count{${pm}}`), 2)
  assert.equal(sample(text, 'revka_tool_calls_total{tool="fx_add",success="true"}'), 1)
  assert.equal(sample(text, 'revka_tool_duration_seconds_count{tool="fx_add"}'), 1)
  assert.equal(sample(text, 'revka_tokens_used_last'), b.usage.input_tokens + b.usage.output_tokens)
  assert.equal(sample(text, 'revka_active_sessions'), 0)
  for (const name of ['revka_agent_starts_total', 'revka_llm_requests_total', 'revka_tool_calls_total', 'revka_errors_total', 'revka_active_sessions']) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name)
  }
})

test('a runtime error fails its pending LLM request, ends its turn in the gauge, and counts by component', async () => {
  const bus = k.kernel.events
  bus.emit('agent_start', { provider: 'p', model: 'm', session_id: 'broken' })
  bus.emit('llm_request', { provider: 'p', model: 'm', session_id: 'broken' })
  assert.equal(sample(await scrape(), 'revka_active_sessions'), 1)
  bus.emit('error', { component: 'agent_runtime', message: 'provider unreachable', session_id: 'broken' })
  const text = await scrape()
  assert.equal(sample(text, 'revka_llm_requests_total{provider="p",model="m",success="false"}'), 1)
  assert.equal(sample(text, 'revka_errors_total{component="agent_runtime"}'), 1)
  assert.equal(sample(text, 'revka_active_sessions'), 0)
})

test(`label values are capped: past ${MAX_SERIES} series a metric folds new ones into "other"`, async () => {
  for (let i = 0; i < MAX_SERIES + 50; i++) k.kernel.events.emit('tool_call', { tool: `t${i}`, duration_ms: 1, success: true })
  const text = await scrape()
  const series = text.split('\n').filter((l) => l.startsWith('revka_tool_calls_total{'))
  assert.ok(series.length <= MAX_SERIES + 1, `${series.length} series`)
  assert.ok(sample(text, 'revka_tool_calls_total{tool="other",success="other"}')! >= 50)
})
