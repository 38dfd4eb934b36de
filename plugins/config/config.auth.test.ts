import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

const CONFIG = `[gateway]
require_pairing = true

[providers.openai]
api_key = "sk-live-abcdef0123456789"
`
const EVIL = '[gateway]\nrequire_pairing = false\n'

function snapshot(k: TestKernel) {
  const p = join(k.stateDir, 'config.toml')
  return { bytes: readFileSync(p), mtime: statSync(p).mtimeMs }
}

test('without a valid credential GET is 401 and shows nothing', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer not-a-token' },
      { authorization: `Basic ${k.token}` },
      { 'x-revka-service-token': 'f'.repeat(64) },
    ]
    for (const headers of attempts) {
      const res = await k.inject({ url: '/api/config', headers })
      assert.equal(res.statusCode, 401, JSON.stringify(headers))
      assert.equal(res.json().code, 'unauthorized')
      assert.ok(!res.body.includes('api_key'))
    }
  } finally {
    await k.stop()
  }
})

test('PUT without a valid bearer is 401 and the file is unchanged, loopback and forged headers included', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const before = snapshot(k)
    const attempts: Array<{ headers: Record<string, string>; remoteAddress?: string }> = [
      { headers: {} },
      { headers: { authorization: 'Bearer wrong' } },
      { headers: { authorization: `Bearer ${k.token}x` } },
      { headers: { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' } },
      { headers: {}, remoteAddress: '10.1.2.3' },
      { headers: { authorization: `Bearer ${k.serviceToken.slice(0, 32)}` } },
    ]
    for (const a of attempts) {
      const res = await k.inject({
        method: 'PUT',
        url: '/api/config',
        remoteAddress: a.remoteAddress,
        headers: { 'content-type': 'text/plain', ...a.headers },
        payload: EVIL,
      })
      assert.equal(res.statusCode, 401, JSON.stringify(a))
    }
    const after = snapshot(k)
    assert.deepEqual(after.bytes, before.bytes)
    assert.equal(after.mtime, before.mtime)
    // the config in force still requires pairing
    assert.equal((await k.inject({ url: '/api/config' })).statusCode, 401)
  } finally {
    await k.stop()
  }
})

test('a revoked device token can no longer replace the config', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const other = k.pairDevice('laptop')
    assert.equal(k.kernel.auth.pairing.revoke(other.deviceId), true)
    const before = snapshot(k)
    const res = await k.inject({
      method: 'PUT',
      url: '/api/config',
      headers: { authorization: `Bearer ${other.token}`, 'content-type': 'text/plain' },
      payload: EVIL,
    })
    assert.equal(res.statusCode, 401)
    assert.deepEqual(snapshot(k).bytes, before.bytes)
  } finally {
    await k.stop()
  }
})
