import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootRuntime, sse, startModelServer, user } from './test-helpers.js'
import { loadSettings } from './settings.js'

const settingsOf = (providers: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  loadSettings((k) => (({ default_provider: Object.keys(providers)[0], default_model: 'm', providers }) as any)[k], env)

test('presets fill in base_url; the local ones need no key', () => {
  const expected: Record<string, string> = {
    openai: 'https://api.openai.com/v1',
    openrouter: 'https://openrouter.ai/api/v1',
    groq: 'https://api.groq.com/openai/v1',
    together: 'https://api.together.xyz/v1',
    mistral: 'https://api.mistral.ai/v1',
    deepseek: 'https://api.deepseek.com/v1',
    lmstudio: 'http://127.0.0.1:1234/v1',
    vllm: 'http://127.0.0.1:8000/v1',
    ollama: 'http://127.0.0.1:11434/v1',
  }
  for (const [preset, url] of Object.entries(expected)) {
    const s = settingsOf({ p: { preset, api_key_env: preset === 'ollama' ? undefined : 'K' } }, { K: 'key-1' })
    assert.equal(s.provider.type, 'openai-compatible', preset)
    assert.equal(s.provider.baseUrl, url, preset)
    assert.equal(s.provider.preset, preset)
  }
  const ollama = settingsOf({ local: { preset: 'ollama' } })
  assert.equal(ollama.provider.apiKey, undefined)
  assert.deepEqual(ollama.warnings, [], 'a local preset needs no key')
  assert.match(settingsOf({ p: { preset: 'groq' } }).warnings.join('\n'), /providers\.p \(preset "groq"\) has no key/)
  assert.equal(
    settingsOf({ p: { preset: 'vllm', base_url: 'http://gpu-box:8000/v1/' } }).provider.baseUrl,
    'http://gpu-box:8000/v1',
    'base_url wins over the preset',
  )
})

test("gemini defaults to Google's OpenAI-compatible endpoint; preset mistakes name the key", () => {
  const g = settingsOf({ g: { type: 'gemini', api_key: 'AIza-test' } })
  assert.equal(g.provider.type, 'gemini')
  assert.equal(g.provider.baseUrl, 'https://generativelanguage.googleapis.com/v1beta/openai')
  assert.throws(() => settingsOf({ p: { preset: 'grok' } }), /providers\.p\.preset = "grok" is not known; use one of "openai", .*"ollama", or set base_url/)
  assert.throws(() => settingsOf({ p: { type: 'anthropic', preset: 'groq' } }), /providers\.p\.preset applies to type = "openai-compatible" only/)
})

test('a gemini provider speaks the Chat Completions wire with a bearer key', async () => {
  const server = await startModelServer(() => ({ sse: [sse.text('Hi from Gemini'), sse.usage(10, 4)] }))
  const rt = await bootRuntime(`
default_provider = "g"
[providers.g]
type = "gemini"
base_url = "${server.baseUrl}"
api_key = "AIza-test-key"
model = "gemini-2.5-flash"
`)
  try {
    const r = await rt.turn({ messages: [user('hi')] })
    assert.equal(r.ok, true, JSON.stringify(r.error))
    assert.equal(r.result!.content, 'Hi from Gemini')
    assert.equal(r.result!.provider, 'g')
    const [req] = server.requests
    assert.equal(req.path, '/v1/chat/completions')
    assert.equal(req.headers.authorization, 'Bearer AIza-test-key')
    assert.equal(req.body.model, 'gemini-2.5-flash')
  } finally {
    await rt.stop()
    await server.close()
  }
})
