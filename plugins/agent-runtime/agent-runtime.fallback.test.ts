import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootRuntime, deadPort, sse, startModelServer, user } from './test-helpers.js'
import { ANTHROPIC_KEY, startAnthropicServer, transcript } from './anthropic-fake.js'
import { loadSettings } from './settings.js'

/** primary "a" at urlA, fallbacks "b" (openai-compatible at urlB) and "c" (anthropic at urlC) */
function chainConfig(urlA: string, urlB: string, urlC: string): string {
  return `
default_provider = "a"
default_model = "model-a"
fallback_providers = ["b", "c"]

[providers.a]
type = "openai-compatible"
base_url = "${urlA}"
api_key = "key-a"
input_cost_per_mtok = 100

[providers.b]
type = "openai-compatible"
base_url = "${urlB}"
api_key = "key-b"
model = "model-b"
input_cost_per_mtok = 1

[providers.c]
type = "anthropic"
base_url = "${urlC}"
api_key = "${ANTHROPIC_KEY}"
model = "claude-sonnet-4-5"
`
}

const hops = (r: any) => r.events.filter((e: any) => e.type === 'status' && e.phase === 'provider_fallback').map((e: any) => e.detail)

test('unreachable, then 429, then an answer: each hop is a status event, the answer names who gave it and is priced at its rates', async () => {
  const b = await startModelServer(() => ({ status: 429, json: { error: { message: 'slow down' } } }))
  const c = await startAnthropicServer(() => ({ events: transcript('anthropic-text.txt') }))
  const rt = await bootRuntime(chainConfig(`http://127.0.0.1:${await deadPort()}/v1`, b.baseUrl, c.baseUrl))
  try {
    const r = await rt.turn({ messages: [user('hi')], tools: false })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    assert.equal(r.result!.content, 'The sum is 9.')
    assert.equal(r.result!.provider, 'c')
    assert.equal(r.result!.model, 'claude-sonnet-4-5')
    const seen = hops(r)
    assert.equal(seen.length, 2)
    assert.match(seen[0], /provider "a" is unreachable .*\[unreachable\]; trying provider "b"/)
    assert.match(seen[1], /provider "b" answered HTTP 429: slow down \[rate_limited\]; trying provider "c"/)
    assert.deepEqual(
      rt.bus.filter((e) => e.type === 'llm_request').map((e: any) => [e.provider, e.model]),
      [
        ['a', 'model-a'],
        ['b', 'model-b'],
        ['c', 'claude-sonnet-4-5'],
      ],
    )
    assert.equal(b.requests[0].body.model, 'model-b', 'a fallback is asked for its own model')
    assert.equal(r.result!.cost_usd, 0, 'c has no prices: the failed hops cost nothing')
  } finally {
    await rt.stop()
    await b.close()
    await c.close()
  }
})

test('a 5xx before the first token falls back; a failure after it does not, and a refused key never does', async () => {
  let aReplies = 0
  const a = await startModelServer(() => {
    aReplies++
    if (aReplies === 1) return { status: 502, json: { error: { message: 'bad gateway' } } }
    if (aReplies === 2) return { sse: [sse.text('half an ans'), { error: { code: 503, message: 'upstream died' } }] }
    return { status: 401, json: { error: { message: 'bad key' } } }
  })
  const b = await startModelServer(() => ({ sse: [sse.text('from b'), sse.usage(1_000_000, 0)] }))
  const rt = await bootRuntime(chainConfig(a.baseUrl, b.baseUrl, 'http://127.0.0.1:9'))
  try {
    const first = await rt.turn({ messages: [user('hi')], tools: false })
    assert.equal(first.result!.content, 'from b')
    assert.equal(first.result!.cost_usd, 1, "priced at b's $1/M, not a's $100/M")
    assert.match(hops(first)[0], /HTTP 502: bad gateway \[unavailable\]; trying provider "b"/)

    const second = await rt.turn({ messages: [user('hi')], tools: false })
    assert.equal(second.ok, false)
    assert.match(second.error!.message, /upstream died \[unavailable\]/)
    assert.deepEqual(
      second.events.filter((e) => e.type === 'chunk').map((e: any) => e.content),
      ['half an ans'],
    )
    assert.deepEqual(hops(second), [], 'nothing is retried after the first streamed token')

    const third = await rt.turn({ messages: [user('hi')], tools: false })
    assert.equal(third.error!.code, 'AUTH_ERROR')
    assert.deepEqual(hops(third), [])
    assert.equal(b.requests.length, 1, 'b was only asked the first time')
  } finally {
    await rt.stop()
    await a.close()
    await b.close()
  }
})

test('fallback_providers mistakes name the key; the list is bounded', () => {
  const load = (fallback: unknown) => () =>
    loadSettings(
      (k) =>
        (
          ({
            default_provider: 'a',
            default_model: 'm',
            fallback_providers: fallback,
            providers: { a: { type: 'openai-compatible', base_url: 'http://x/v1' }, b: { preset: 'ollama' } },
          }) as any
        )[k],
      {},
    )
  assert.throws(load(['zz']), /fallback_providers names "zz" but there is no \[providers\.zz\] table/)
  assert.throws(load(['a']), /fallback_providers names "a", which is already default_provider/)
  assert.throws(load(['b', 'b']), /fallback_providers names "b" twice/)
  assert.throws(load('b'), /fallback_providers must be a list of provider names/)
  assert.throws(load(['b', 'offline', 'c', 'd', 'e']), /fallback_providers lists 5 providers; at most 4/)
  assert.deepEqual(
    loadSettings(
      (k) =>
        (
          ({
            default_provider: 'a',
            default_model: 'm',
            fallback_providers: ['b', 'offline'],
            providers: { a: { type: 'openai-compatible', base_url: 'http://x/v1' }, b: { preset: 'ollama' } },
          }) as any
        )[k],
      {},
    ).fallbacks.map((f) => [f.provider.name, f.model]),
    [
      ['b', 'm'],
      ['offline', 'm'],
    ],
  )
})
