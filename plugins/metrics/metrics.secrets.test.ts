import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'

const CONFIG = `[observability]
backend = "prometheus"

[channels_config.whatsapp]
app_secret = "wa-app-secret-0d9f8e7c"
access_token = "wa-access-token-5b4a3c2d"
`

test('the public /metrics output carries no token, secret or request URL', async () => {
  const k = await startTestKernel({ plugins: ['metrics', 'status', 'pairing'], config: CONFIG })
  try {
    const bearer = k.token!
    const service = k.serviceToken
    // put secrets where a careless exporter would pick them up: URLs, query strings, headers
    await k.inject({ url: `/api/status?token=${bearer}`, headers: { authorization: `Bearer ${bearer}` } })
    await k.inject({ url: `/api/status`, headers: { 'x-revka-service-token': service } })
    await k.inject({ url: `/api/${bearer}/devices?token=${service}` })
    await k.inject({ url: `/api/status`, headers: { authorization: 'Bearer wrong-token-e1e2e3' } })
    await k.inject({ method: 'POST', url: '/api/pair', payload: { code: '12345678' } })
    const code = k.kernel.auth.pairing.newCode()!

    const res = await k.inject({ url: '/metrics' })
    assert.equal(res.statusCode, 200)
    const text = res.body
    const secrets = [bearer, service, code, 'wrong-token-e1e2e3', 'wa-app-secret-0d9f8e7c', 'wa-access-token-5b4a3c2d', '12345678']
    const svcFile = readFileSync(join(k.stateDir, 'service-token'), 'utf8').trim()
    secrets.push(svcFile)
    for (const s of secrets) assert.ok(!text.includes(s), `metrics output leaks ${s.slice(0, 6)}…`)
    assert.doesNotMatch(text, /token=|authorization/i)
    // what was requested is still visible, by pattern only
    assert.match(text, /route="\/api\/status",status="200"\} 2$/m)
    assert.match(text, /route="\/api\/status",status="401"\} 1$/m)
  } finally {
    await k.stop()
  }
})
