import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'

const CONFIG = '[observability]\nbackend = "prometheus"\n'

/** value of one sample line, or undefined when the series is absent */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1))
  }
  return undefined
}

test('request counters and the latency histogram grow with requests to other routes', async () => {
  const k = await startTestKernel({ plugins: ['metrics', 'status'], config: CONFIG })
  try {
    const health = 'revka_http_requests_total{method="GET",route="/health",status="200"}'
    const count = 'revka_request_latency_seconds_count{method="GET",route="/health"}'
    const before = (await k.inject({ url: '/metrics' })).body
    assert.equal(sample(before, health), undefined)

    for (let i = 0; i < 3; i++) assert.equal((await k.inject({ url: '/health' })).statusCode, 200)
    const after = (await k.inject({ url: '/metrics' })).body
    assert.equal(sample(after, health), 3)
    assert.equal(sample(after, count), 3)
    assert.equal(sample(after, 'revka_request_latency_seconds_bucket{le="+Inf",method="GET",route="/health"}'), 3)
    assert.ok(sample(after, 'revka_request_latency_seconds_sum{method="GET",route="/health"}')! >= 0)

    // auth failures are counted by status, on the route's pattern
    // (a wrong credential: with none at all /api/status now answers its public view, contract §6)
    assert.equal((await k.inject({ url: '/api/status', headers: { authorization: 'Bearer rk_wrong' } })).statusCode, 401)
    const later = (await k.inject({ url: '/metrics' })).body
    assert.equal(sample(later, 'revka_http_requests_total{method="GET",route="/api/status",status="401"}'), 1)
    assert.equal(sample(later, health), 3)
    // the previous scrape itself was counted
    assert.ok(sample(later, 'revka_http_requests_total{method="GET",route="/metrics",status="200"}')! >= 2)
  } finally {
    await k.stop()
  }
})

test('unknown paths share one "unmatched" series instead of one series per URL', async () => {
  const k = await startTestKernel({ plugins: ['metrics', 'status'], config: CONFIG })
  try {
    for (let i = 0; i < 25; i++) assert.equal((await k.inject({ url: `/api/nope-${i}/x${i}` })).statusCode, 404)
    const text = (await k.inject({ url: '/metrics' })).body
    assert.equal(sample(text, 'revka_http_requests_total{method="GET",route="unmatched",status="404"}'), 25)
    assert.doesNotMatch(text, /nope-/)
    const series = text.split('\n').filter((l) => l.startsWith('revka_http_requests_total{'))
    assert.ok(series.length <= 3, `expected a handful of series, got ${series.length}`)
  } finally {
    await k.stop()
  }
})

test('revka_plugins reports plugin states from the plugin registry', async () => {
  const k = await startTestKernel({ plugins: ['metrics', 'status'], config: CONFIG })
  try {
    const text = (await k.inject({ url: '/metrics' })).body
    const started = k.plugins().filter((p) => p.status === 'started').length
    const disabled = k.plugins().filter((p) => p.status === 'disabled').length
    assert.equal(sample(text, 'revka_plugins{status="started"}'), started)
    assert.ok(started >= 2)
    assert.equal(sample(text, 'revka_plugins{status="disabled"}'), disabled)
    assert.ok(disabled >= 1, 'the built-ins not named in the test stay disabled')
    assert.equal(sample(text, 'revka_plugins{status="failed"}'), 0)
  } finally {
    await k.stop()
  }
})

test('counters are observed over real sockets too', async () => {
  const k = await startTestKernel({ plugins: ['metrics', 'status'], config: CONFIG })
  try {
    const r = await fetch(k.url + '/health')
    assert.equal(r.status, 200)
    await r.arrayBuffer()
    const m = await fetch(k.url + '/metrics')
    assert.equal(m.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    const text = await m.text()
    assert.equal(sample(text, 'revka_http_requests_total{method="GET",route="/health",status="200"}'), 1)
  } finally {
    await k.stop()
  }
})
