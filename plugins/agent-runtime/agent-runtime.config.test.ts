import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootRuntime } from './test-helpers.js'

/** Boot with `config`, then return what an operator sees: the plugin's status and /health. */
async function bootExpectingFailure(config: string) {
  const rt = await bootRuntime(config, ['agent-runtime', 'ar-turn-probe'])
  try {
    const health = await rt.k.inject({ url: '/health' })
    return {
      plugin: rt.k.plugin('agent-runtime')!,
      probe: rt.k.plugin('ar-turn-probe')!,
      health: health.json(),
    }
  } finally {
    await rt.stop()
  }
}

const openai = (body: string) => `default_provider = "local"\ndefault_model = "m"\n[providers.local]\n${body}\n`

test('a missing base_url fails the plugin with a diagnostic naming the key, shown on /health', async () => {
  const { plugin, probe, health } = await bootExpectingFailure(openai('type = "openai-compatible"\napi_key = "k"'))
  assert.equal(plugin.status, 'failed')
  assert.match(plugin.diagnostic!, /REVKA_ERR_AGENT_CONFIG: .*providers\.local\.base_url is missing/)
  assert.equal(health.status, 'degraded')
  assert.match(health.runtime.components['plugin:agent-runtime'].last_error, /providers\.local\.base_url/)
  // a consumer of the service goes down with it instead of failing at its first turn
  assert.equal(probe.status, 'failed')
})

test('an unknown provider type, an empty api_key_env and a dangling default_provider each name their key', async () => {
  const unknown = await bootExpectingFailure(openai('type = "anthropic-native"\nbase_url = "http://127.0.0.1:9"'))
  assert.match(unknown.plugin.diagnostic!, /providers\.local\.type = "anthropic-native" is not supported/)

  delete process.env.REVKA_AR_MISSING_KEY
  const noKey = await bootExpectingFailure(openai('type = "openai-compatible"\nbase_url = "http://127.0.0.1:9/v1"\napi_key_env = "REVKA_AR_MISSING_KEY"'))
  assert.match(noKey.plugin.diagnostic!, /providers\.local\.api_key_env names the environment variable REVKA_AR_MISSING_KEY, which is empty/)

  const dangling = await bootExpectingFailure('default_provider = "openrouter"\n')
  assert.match(dangling.plugin.diagnostic!, /default_provider = "openrouter" but there is no \[providers\.openrouter\] table/)

  const badNumber = await bootExpectingFailure('max_tool_iterations = -1\n')
  assert.match(badNumber.plugin.diagnostic!, /max_tool_iterations must be a number between 0 and 1000/)
})

test('an unused provider with an unset key env does not stop the offline default from starting', async () => {
  delete process.env.REVKA_AR_UNUSED_KEY
  const rt = await bootRuntime('[providers.spare]\ntype = "openai-compatible"\nbase_url = "https://example.invalid/v1"\napi_key_env = "REVKA_AR_UNUSED_KEY"\n')
  try {
    assert.equal(rt.k.plugin('agent-runtime')!.status, 'started')
    const info = (await rt.k.inject({ url: '/fx/agent/info' })).json()
    assert.deepEqual(info, { provider: 'offline', model: 'offline-echo', temperature: 0.7, supportsImages: false })
  } finally {
    await rt.stop()
  }
})
