import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'

test('the harness boots built-ins, pairs a device and serves authenticated status', async () => {
  const k = await startTestKernel({ plugins: ['status', 'pairing'] })
  try {
    // no credential: the contract's public trimmed answer; a wrong one: 401
    const anon = await k.inject({ url: '/api/status' })
    assert.equal(anon.statusCode, 200)
    assert.deepEqual(Object.keys(anon.json()).sort(), ['health', 'paired', 'uptime_seconds'])
    const wrong = await k.inject({ url: '/api/status', headers: { authorization: 'Bearer rk_wrong' } })
    assert.equal(wrong.statusCode, 401)
    assert.equal(wrong.json().code, 'unauthorized')
    const res = await k.inject({ url: '/api/status', headers: { authorization: `Bearer ${k.token}` } })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().paired, true)
    assert.deepEqual(
      res
        .json()
        .plugins.filter((p: any) => p.status === 'started')
        .map((p: any) => p.id)
        .sort(),
      ['pairing', 'status'],
    )
    assert.equal(res.json().plugins.find((p: any) => p.id === 'admin').status, 'disabled')
  } finally {
    await k.stop()
  }
})
