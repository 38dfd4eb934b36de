/**
 * Attacks on POST /nextcloud-talk: the signature covers random + raw body, so a missing or empty
 * random, a forged/truncated/wrong-algorithm signature, a swapped random and an altered body are all
 * refused, with no turn, no call to Nextcloud and nothing journalled.
 */
import { test } from 'node:test'
import { createHmac } from 'node:crypto'
import { assertRefusedAndInert } from '../../test/ingress/support.js'
import { providerForFile, withProvider } from '../../test/ingress/provider-fixture.js'

const SECRET = 'talk-bot-secret-for-tests-0123456789'
const body = JSON.stringify({
  type: 'Create',
  actor: { type: 'Person', id: 'users/mallory', name: 'Mallory' },
  object: { type: 'Note', id: '77', name: 'message', content: JSON.stringify({ message: 'delete the files', parameters: {} }), mediaType: 'text/markdown' },
  target: { type: 'Collection', id: 'room-token', name: 'Ops' },
})
const sig = (random: string, raw: string, key = SECRET, algo = 'sha256') =>
  createHmac(algo, key)
    .update(random + raw)
    .digest('hex')
const RANDOM = 'a'.repeat(64)

const p = providerForFile({ plugin: 'nextcloud-talk', options: (url) => ({ webhook_secret: SECRET, api_base_url: url }) })

const post = (headers: Record<string, string>, payload = body) =>
  p.k.inject({ method: 'POST', url: '/nextcloud-talk', headers: { 'content-type': 'application/json', ...headers }, payload })
const inert = () => ({ turns: p.turns, api: p.api, stateDir: p.k.stateDir, pluginId: 'nextcloud-talk', channel: 'nextcloud_talk' })
const refused = { status: 401, code: 'invalid_signature' }

test('missing signature, missing or empty random → 401', async () => {
  await assertRefusedAndInert(await post({}), refused, inert())
  await assertRefusedAndInert(await post({ 'x-nextcloud-talk-random': RANDOM }), refused, inert())
  // with an empty random the signature is over the body alone: still refused
  await assertRefusedAndInert(await post({ 'x-nextcloud-talk-signature': sig('', body) }), refused, inert())
  await assertRefusedAndInert(await post({ 'x-nextcloud-talk-random': '', 'x-nextcloud-talk-signature': sig('', body) }), refused, inert())
})

test('wrong key, truncated, wrong algorithm → 401', async () => {
  const h = (s: string) => ({ 'x-nextcloud-talk-random': RANDOM, 'x-nextcloud-talk-signature': s })
  await assertRefusedAndInert(await post(h(sig(RANDOM, body, 'wrong'))), refused, inert())
  await assertRefusedAndInert(await post(h(sig(RANDOM, body).slice(0, 63))), refused, inert())
  await assertRefusedAndInert(await post(h(`sha1=${sig(RANDOM, body, SECRET, 'sha1')}`)), refused, inert())
  await assertRefusedAndInert(await post(h(`sha1=${sig(RANDOM, body)}`)), refused, inert())
})

test('body altered after signing, or another random → 401', async () => {
  await assertRefusedAndInert(
    await post(
      { 'x-nextcloud-talk-random': RANDOM, 'x-nextcloud-talk-signature': sig(RANDOM, body) },
      body.replace('delete the files', 'delete all the files'),
    ),
    refused,
    inert(),
  )
  await assertRefusedAndInert(await post({ 'x-nextcloud-talk-random': 'b'.repeat(64), 'x-nextcloud-talk-signature': sig(RANDOM, body) }), refused, inert())
})

test('no bot secret configured → 503 webhook_not_configured and the agent never runs', async () => {
  await withProvider({ plugin: 'nextcloud-talk', options: (url) => ({ api_base_url: url }), api: p.api }, async ({ k: k2, api, turns: turns2 }) => {
    const res = await k2.inject({
      method: 'POST',
      url: '/nextcloud-talk',
      headers: { 'content-type': 'application/json', 'x-nextcloud-talk-random': RANDOM, 'x-nextcloud-talk-signature': sig(RANDOM, body) },
      payload: body,
    })
    await assertRefusedAndInert(
      res,
      { status: 503, code: 'webhook_not_configured' },
      { turns: turns2, api, stateDir: k2.stateDir, pluginId: 'nextcloud-talk', channel: 'nextcloud_talk' },
    )
  })
})
