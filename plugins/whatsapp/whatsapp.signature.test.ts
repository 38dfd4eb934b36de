/**
 * Attacks on POST/GET /whatsapp: every refused delivery answers in the contract shape and leaves no
 * trace — no agent turn, no call to the Cloud API, nothing journalled.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { startTestKernel } from '@revka/plugin-testing'
import { assertRefusedAndInert, tempStateDir } from '../../test/ingress/support.js'
import { providerForFile, withProvider } from '../../test/ingress/provider-fixture.js'
import { APP_SECRET, sign, textDelivery } from './test-support/cloud-api.js'

const VERIFY_TOKEN = 'wa-verify-token'
const body = textDelivery('wamid.ATTACK', 'transfer everything')

const p = providerForFile({
  plugin: 'whatsapp',
  options: (url) => ({ app_secret: APP_SECRET, verify_token: VERIFY_TOKEN, access_token: 'wa-access', api_base_url: url }),
})

const post = (headers: Record<string, string>, payload = body) =>
  p.k.inject({ method: 'POST', url: '/whatsapp', headers: { 'content-type': 'application/json', ...headers }, payload })
const inert = () => ({ turns: p.turns, api: p.api, stateDir: p.k.stateDir, pluginId: 'whatsapp' })

test('no X-Hub-Signature-256 → 401', async () => {
  await assertRefusedAndInert(await post({}), { status: 401, code: 'invalid_signature' }, inert())
})

test('a signature under the wrong key → 401', async () => {
  await assertRefusedAndInert(await post({ 'x-hub-signature-256': sign(body, 'not-the-secret') }), { status: 401, code: 'invalid_signature' }, inert())
})

test('a truncated signature → 401', async () => {
  await assertRefusedAndInert(await post({ 'x-hub-signature-256': sign(body).slice(0, 40) }), { status: 401, code: 'invalid_signature' }, inert())
})

test('the right HMAC under another algorithm name (sha1=) → 401', async () => {
  await assertRefusedAndInert(await post({ 'x-hub-signature-256': sign(body, APP_SECRET, 'sha1') }), { status: 401, code: 'invalid_signature' }, inert())
  const hex = sign(body).slice('sha256='.length)
  await assertRefusedAndInert(await post({ 'x-hub-signature-256': `sha1=${hex}` }), { status: 401, code: 'invalid_signature' }, inert())
  await assertRefusedAndInert(await post({ 'x-hub-signature-256': hex }), { status: 401, code: 'invalid_signature' }, inert())
})

test('the body altered after signing → 401', async () => {
  const altered = body.replace('transfer everything', 'transfer everything now')
  await assertRefusedAndInert(await post({ 'x-hub-signature-256': sign(body) }, altered), { status: 401, code: 'invalid_signature' }, inert())
})

test('GET handshake: only the right verify token with mode=subscribe echoes the challenge; a wrong one is 403 (contract §5)', async () => {
  const get = (q: string) => p.k.inject({ url: `/whatsapp?${q}` })
  const ok = await get(`hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=12345`)
  assert.equal(ok.statusCode, 200)
  assert.equal(ok.body, '12345')
  for (const q of [
    'hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=12345',
    `hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=12345`,
    'hub.mode=subscribe&hub.challenge=12345',
  ]) {
    const res = await get(q)
    assert.equal(res.statusCode, 403, q)
    assert.deepEqual(res.json(), { error: 'Forbidden', code: 'forbidden' })
    assert.ok(!res.body.includes('12345'), 'the challenge is never echoed without the token')
  }
  const noChallenge = await get(`hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}`)
  assert.equal(noChallenge.statusCode, 400)
  assert.equal(noChallenge.json().code, 'missing_challenge')
})

test('no app secret configured → 503 webhook_not_configured, GET and POST, and the agent never runs', async () => {
  await withProvider({ plugin: 'whatsapp', options: (url) => ({ api_base_url: url }), api: p.api }, async ({ k: k2, api, turns: turns2 }) => {
    const res = await k2.inject({
      method: 'POST',
      url: '/whatsapp',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) },
      payload: body,
    })
    await assertRefusedAndInert(res, { status: 503, code: 'webhook_not_configured' }, { turns: turns2, api, stateDir: k2.stateDir, pluginId: 'whatsapp' })
    assert.ok(res.headers['retry-after'])
    const hs = await k2.inject({ url: `/whatsapp?hub.mode=subscribe&hub.verify_token=anything&hub.challenge=1` })
    assert.equal(hs.statusCode, 503)
    assert.equal(hs.json().code, 'webhook_not_configured')
  })
})

test('an app secret equal to the service token is refused (503), so a leaked token cannot sign deliveries', async () => {
  const stateDir = tempStateDir()
  try {
    // the service token exists once a kernel has booted on the state dir: boot, then reuse it as the secret
    const first = await startTestKernel({ plugins: ['agent-runtime'], stateDir, pair: false })
    const serviceToken = first.serviceToken
    await first.stop()
    await withProvider(
      { plugin: 'whatsapp', stateDir, options: (url) => ({ app_secret: serviceToken, api_base_url: url }), api: p.api },
      async ({ k: k3, api, turns: turns3 }) => {
        const res = await k3.inject({
          method: 'POST',
          url: '/whatsapp',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, serviceToken) },
          payload: body,
        })
        await assertRefusedAndInert(res, { status: 503, code: 'webhook_not_configured' }, { turns: turns3, api, stateDir, pluginId: 'whatsapp' })
      },
    )
  } finally {
    rmSync(stateDir, { recursive: true, force: true })
  }
})

test('REVKA_WHATSAPP_APP_SECRET wins over the app_secret option', async () => {
  await withProvider(
    {
      plugin: 'whatsapp',
      api: p.api,
      env: { REVKA_WHATSAPP_APP_SECRET: 'from-the-environment' },
      options: (url) => ({ app_secret: APP_SECRET, access_token: 'wa-access', api_base_url: url }),
    },
    async ({ k: k2, turns: turns2 }) => {
      const withOption = await k2.inject({
        method: 'POST',
        url: '/whatsapp',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) },
        payload: body,
      })
      await assertRefusedAndInert(withOption, { status: 401, code: 'invalid_signature' }, { turns: turns2, stateDir: k2.stateDir, pluginId: 'whatsapp' })
      const withEnv = await k2.inject({
        method: 'POST',
        url: '/whatsapp',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, 'from-the-environment') },
        payload: body,
      })
      assert.equal(withEnv.statusCode, 200)
    },
  )
})
