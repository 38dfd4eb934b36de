/**
 * `api_key_profile = "openai:work"` in a `[providers.<name>]` table (issue 21, §14): the runtime
 * takes the provider key from the auth-profiles plugin (encrypted at rest) instead of config.toml.
 * A turn against a fake OpenAI-compatible server carries the profile's token; a profile created
 * after the start is used by the next turn; without the plugin the misconfiguration is named.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'
import { PROBE_DIR, sse, startModelServer, user } from './test-helpers.js'
import { loadSettings, profileWarnings } from './settings.js'

const PROFILE_KEY = 'sk-from-profile-4d2b11'

const config = (baseUrl: string) => `default_provider = "work"
default_model = "test-model"

[providers.work]
type = "openai-compatible"
base_url = "${baseUrl}"
api_key_profile = "openai:work"
`

test("a turn uses the profile's key, created after the start, and config.toml holds no key", async () => {
  const server = await startModelServer(() => ({ sse: [sse.text('hi'), sse.finish('stop'), sse.usage(1, 1)] }))
  const k = await startTestKernel({ plugins: ['agent-runtime', 'auth-profiles'], paths: [PROBE_DIR], config: config(server.baseUrl) })
  try {
    const created = await k.inject({
      method: 'POST',
      url: '/api/auth/profiles',
      headers: { authorization: `Bearer ${k.token}` },
      payload: { provider: 'openai', profile_name: 'work', token: PROFILE_KEY },
    })
    assert.equal(created.statusCode, 201, created.body)
    const res = await k.inject({ method: 'POST', url: '/fx/agent/turn', payload: { messages: [user('hello')] } })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().ok, true, JSON.stringify(res.json().error))
    assert.equal(server.requests[0].headers.authorization, `Bearer ${PROFILE_KEY}`)
    assert.ok(!readFileSync(join(k.stateDir, 'config.toml'), 'utf8').includes(PROFILE_KEY))
    // the status document names the provider, never the key
    const status = await k.inject({ url: '/api/status', headers: { authorization: `Bearer ${k.token}` } })
    assert.ok(!status.body.includes(PROFILE_KEY))
  } finally {
    await k.stop()
    await server.close()
  }
})

test('api_key_profile: without the auth-profiles plugin, or beside another key, or malformed — the key is named', async () => {
  const section = (table: Record<string, unknown>) => (name: string) =>
    (
      ({
        default_provider: 'work',
        default_model: 'm',
        providers: { work: { type: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1', ...table } },
      }) as Record<string, unknown>
    )[name]
  assert.throws(
    () => loadSettings(section({ api_key_profile: 'openai:work' }), {}),
    /providers\.work\.api_key_profile = "openai:work" needs the auth-profiles plugin/,
  )
  assert.throws(
    () => loadSettings(section({ api_key_profile: 'openai:work', api_key: 'sk-x' }), {}, { resolve: async () => null }),
    /set only one of providers\.work\.api_key, providers\.work\.api_key_env and providers\.work\.api_key_profile/,
  )
  assert.throws(
    () => loadSettings(section({ api_key_profile: 'work' }), {}, { resolve: async () => null }),
    /must name a profile as "<provider>:<profile_name>"/,
  )
  const none = { resolve: async () => null }
  const s = loadSettings(section({ api_key_profile: 'openai:work' }), {}, none)
  assert.match((await profileWarnings(s, none)).join('\n'), /no auth profile "openai:work" yet/)
  assert.ok(!JSON.stringify(s).includes('apiKey"'), 'the key getter is not serialised')
})
