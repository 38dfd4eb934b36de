import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { startTestKernel } from '@revka/plugin-testing'

const MASK = '***MASKED***'
const CONFIG = `[gateway]
host = "127.0.0.1"
require_pairing = true

[observability]
backend = "none"

[channels_config.whatsapp]
app_secret = "wa-app-secret-4f3e2d1c"
access_token = "wa-access-token-9a8b7c6d"
phone_number_id = "1234567890"

[providers.openai]
api_key = "sk-live-abcdef0123456789"
model = "gpt-test"
`

const auth = (k: { token: string | null }) => ({ authorization: `Bearer ${k.token}` })

test('GET /api/config returns TOML with every secret masked and the rest intact', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const res = await k.inject({ url: '/api/config', headers: auth(k) })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.equal(body.format, 'toml')
    for (const secret of ['wa-app-secret-4f3e2d1c', 'wa-access-token-9a8b7c6d', 'sk-live-abcdef0123456789']) {
      assert.ok(!res.body.includes(secret), `GET /api/config leaks ${secret}`)
    }
    const doc = parse(body.content) as any
    assert.equal(doc.channels_config.whatsapp.app_secret, MASK)
    assert.equal(doc.channels_config.whatsapp.access_token, MASK)
    assert.equal(doc.providers.openai.api_key, MASK)
    // non-secret values are shown as they are
    assert.equal(doc.channels_config.whatsapp.phone_number_id, '1234567890')
    assert.equal(doc.providers.openai.model, 'gpt-test')
    assert.equal(doc.gateway.require_pairing, true)
  } finally {
    await k.stop()
  }
})

test('the service token reads the config too, and it never appears in the answer', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const res = await k.inject({ url: '/api/config', headers: { 'x-revka-service-token': k.serviceToken } })
    assert.equal(res.statusCode, 200)
    assert.ok(!res.body.includes(k.serviceToken))
    assert.ok(!res.body.includes(k.token!))
  } finally {
    await k.stop()
  }
})

test('PUT of the masked content unchanged keeps the real secrets on disk', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const got = (await k.inject({ url: '/api/config', headers: auth(k) })).json()
    const put = await k.inject({
      method: 'PUT',
      url: '/api/config',
      headers: { ...auth(k), 'content-type': 'text/plain; charset=utf-8' },
      payload: got.content,
    })
    assert.equal(put.statusCode, 200, put.body)
    const body = put.json()
    assert.equal(body.status, 'ok')
    // the contract's shape ({status, mcp_registry, restart}); our restart_required/changed_keys ride along
    assert.equal(body.restart, 'skipped — every change is already in effect')
    assert.deepEqual(body.mcp_registry, { status: 'disabled', servers: 0, tools: 0 })
    assert.deepEqual(body.restart_required, [])
    // the reply is masked as well
    assert.ok(!put.body.includes('sk-live-abcdef0123456789'))
    assert.equal((parse(body.content) as any).providers.openai.api_key, MASK)

    const disk = parse(readFileSync(join(k.stateDir, 'config.toml'), 'utf8')) as any
    assert.equal(disk.channels_config.whatsapp.app_secret, 'wa-app-secret-4f3e2d1c')
    assert.equal(disk.channels_config.whatsapp.access_token, 'wa-access-token-9a8b7c6d')
    assert.equal(disk.providers.openai.api_key, 'sk-live-abcdef0123456789')
    assert.ok(!readFileSync(join(k.stateDir, 'config.toml'), 'utf8').includes(MASK))

    // and a second GET shows the same masked document
    const again = (await k.inject({ url: '/api/config', headers: auth(k) })).json()
    assert.deepEqual(parse(again.content), parse(got.content))
  } finally {
    await k.stop()
  }
})

test('PUT that edits one secret and leaves the others masked changes only that secret', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const got = (await k.inject({ url: '/api/config', headers: auth(k) })).json()
    const edited = (got.content as string).replace(/api_key = "\*\*\*MASKED\*\*\*"/, 'api_key = "sk-rotated-777"')
    assert.notEqual(edited, got.content)
    const put = await k.inject({ method: 'PUT', url: '/api/config', headers: { ...auth(k), 'content-type': 'application/toml' }, payload: edited })
    assert.equal(put.statusCode, 200, put.body)
    const disk = parse(readFileSync(join(k.stateDir, 'config.toml'), 'utf8')) as any
    assert.equal(disk.providers.openai.api_key, 'sk-rotated-777')
    assert.equal(disk.channels_config.whatsapp.app_secret, 'wa-app-secret-4f3e2d1c')
  } finally {
    await k.stop()
  }
})

test('a masked value with nothing to restore is refused, not written as the mask', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const before = readFileSync(join(k.stateDir, 'config.toml'), 'utf8')
    const put = await k.inject({
      method: 'PUT',
      url: '/api/config',
      headers: { ...auth(k), 'content-type': 'text/plain' },
      payload: `[channels_config.gmail_push]\noauth_token = "${MASK}"\n`,
    })
    assert.equal(put.statusCode, 400)
    assert.equal(put.json().code, 'invalid_config')
    assert.equal(readFileSync(join(k.stateDir, 'config.toml'), 'utf8'), before)
  } finally {
    await k.stop()
  }
})
