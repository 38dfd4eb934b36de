import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'
import { prometheusEnabled } from './index.js'

const PROM_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

test('/metrics is a 404 in the contract error shape when no backend is configured', async () => {
  // no [observability] section at all
  const k = await startTestKernel({ plugins: ['metrics'], config: '[gateway]\nrequire_pairing = true\n' })
  try {
    const res = await k.inject({ url: '/metrics' })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().code, 'not_found')
    assert.match(res.json().error, /prometheus/)
    // a token does not unlock it either: the switch is the config, not the caller
    const authed = await k.inject({ url: '/metrics', headers: { authorization: `Bearer ${k.token}` } })
    assert.equal(authed.statusCode, 404)
  } finally {
    await k.stop()
  }
})

test('/metrics is a 404 for backend "none" and for other backends ("otel", "log")', async () => {
  for (const backend of ['none', 'otel', 'log,otel', 'prometheus-ish']) {
    const k = await startTestKernel({ plugins: ['metrics'], config: `[observability]\nbackend = "${backend}"\n` })
    try {
      const res = await k.inject({ url: '/metrics' })
      assert.equal(res.statusCode, 404, `backend = "${backend}"`)
      assert.equal(res.json().code, 'not_found')
      assert.doesNotMatch(res.body, /revka_/)
    } finally {
      await k.stop()
    }
  }
})

test('backend "prometheus" serves Prometheus text publicly with the 0.0.4 content type', async () => {
  const k = await startTestKernel({ plugins: ['metrics'], config: '[observability]\nbackend = "prometheus"\n' })
  try {
    const res = await k.inject({ url: '/metrics' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-type'], PROM_TYPE)
    assert.match(res.body, /^# HELP revka_plugins /m)
    assert.match(res.body, /^# TYPE revka_request_latency_seconds histogram$/m)
    assert.match(res.body, /^# TYPE revka_http_requests_total counter$/m)
    // default process metrics land in the plugin's registry too
    assert.match(res.body, /^process_cpu_user_seconds_total /m)
    assert.match(res.body, /^nodejs_heap_size_used_bytes /m)
  } finally {
    await k.stop()
  }
})

test('a comma list that includes prometheus turns /metrics on', async () => {
  const k = await startTestKernel({ plugins: ['metrics'], config: '[observability]\nbackend = "otel, Prometheus"\n' })
  try {
    const res = await k.inject({ url: '/metrics' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-type'], PROM_TYPE)
  } finally {
    await k.stop()
  }
})

test('switching the backend through PUT /api/config takes effect without a restart', async () => {
  const k = await startTestKernel({ plugins: ['metrics', 'config', 'status'], config: '[observability]\nbackend = "none"\n' })
  try {
    assert.equal((await k.inject({ url: '/metrics' })).statusCode, 404)
    const put = await k.inject({
      method: 'PUT',
      url: '/api/config',
      headers: { authorization: `Bearer ${k.token}`, 'content-type': 'text/plain' },
      payload: '[observability]\nbackend = "prometheus"\n',
    })
    assert.equal(put.statusCode, 200)
    assert.deepEqual(put.json().restart_required, [])
    // prom-client loads on the first scrape after the switch; counting starts there
    const first = await k.inject({ url: '/metrics' })
    assert.equal(first.statusCode, 200)
    await k.inject({ url: '/health' })
    const on = await k.inject({ url: '/metrics' })
    assert.equal(on.statusCode, 200)
    assert.match(on.body, /revka_http_requests_total\{method="GET",route="\/health",status="200"\} 1$/m)

    const off = await k.inject({
      method: 'PUT',
      url: '/api/config',
      headers: { authorization: `Bearer ${k.token}`, 'content-type': 'text/plain' },
      payload: '[observability]\nbackend = "none"\n',
    })
    assert.equal(off.statusCode, 200)
    assert.equal((await k.inject({ url: '/metrics' })).statusCode, 404)
  } finally {
    await k.stop()
  }
})

test('prometheusEnabled reads single names, comma lists and arrays, and nothing else', () => {
  assert.equal(prometheusEnabled(undefined), false)
  assert.equal(prometheusEnabled({}), false)
  assert.equal(prometheusEnabled({ backend: 'none' }), false)
  assert.equal(prometheusEnabled({ backend: 'prometheus' }), true)
  assert.equal(prometheusEnabled({ backend: 'log,prometheus' }), true)
  assert.equal(prometheusEnabled({ backend: ['otel', 'prometheus'] }), true)
  assert.equal(prometheusEnabled({ backend: 'prometheusx' }), false)
  assert.equal(prometheusEnabled({ backend: 1 }), false)
})
