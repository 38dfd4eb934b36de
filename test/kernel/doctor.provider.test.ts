/**
 * `revka doctor`'s provider check (issue 17): each provider the turns use — the default, then
 * fallback_providers — is asked for its model list by the real agent runtime, and its model looked
 * for in it; a failure is an error line with the same reason code and hint a turn error carries
 * (the check `revka onboard` runs before its test call). A state dir on the offline responder, or
 * `--offline`, makes no network call.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, removeDir, tempStateDir } from '../auth/support.js'
import { startRecordingServer } from '../../plugins/agent-runtime/test-helpers.js'

const BIN = join(ROOT, 'bin', 'revka.js')
const KEY = 'sk-doctor-good-41'

// async, not spawnSync: the fake provider lives in this process and must answer while doctor runs
function doctor(stateDir: string, flags: string[] = []): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'doctor', ...flags],
      {
        env: { ...process.env, PATH: '/nonexistent', REVKA_STATE_DIR: stateDir, REVKA_PLUGINS_FILE: join(stateDir, 'revka.plugins.json') },
        encoding: 'utf8',
        timeout: 30_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
    )
  })
}

/** an OpenAI-compatible models endpoint: /good/models lists two models for KEY, /busy/models is rate limited */
const fakeOpenAi = () =>
  startRecordingServer((res) => {
    const req = (res as any).req
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.url.startsWith('/busy/')) return json(429, { error: { message: 'Rate limit reached for requests', code: 'rate_limit_exceeded' } })
    if (req.headers.authorization !== `Bearer ${KEY}`) return json(401, { error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } })
    json(200, { object: 'list', data: [{ id: 'gpt-4o-mini' }, { id: 'gpt-4o' }] })
  })

const config = (base: string, o: { key?: string; model?: string } = {}) => `default_provider = "main"
fallback_providers = ["busy"]

[gateway]
port = 0

[providers.main]
type = "openai-compatible"
base_url = "${base}/good"
api_key = "${o.key ?? KEY}"
model = "${o.model ?? 'gpt-4o-mini'}"

[providers.busy]
type = "openai-compatible"
base_url = "${base}/busy"
api_key = "${KEY}"
model = "gpt-4o"
`

test('doctor checks the default provider and each fallback: listed model ok, a 429 is an error with the rate_limited hint (exit 1)', async () => {
  const dir = tempStateDir()
  const server = await fakeOpenAi()
  try {
    writeFileSync(join(dir, 'config.toml'), config(server.baseUrl), { mode: 0o600 })
    const r = await doctor(dir)
    assert.equal(r.code, 1, r.out)
    assert.match(r.out, /^ok +provider +main \(gpt-4o-mini\): .*\/good accepted the key and lists "gpt-4o-mini"$/m)
    assert.match(r.out, /^error +provider +busy \(gpt-4o\): .*HTTP 429.*\[rate_limited\] Hint: the provider is rate limiting this key/m)
    assert.ok(!r.out.includes(KEY), 'the key is never printed')
    assert.deepEqual(server.requests.map((q) => q.path).sort(), ['/busy/models', '/good/models'])
  } finally {
    await server.close()
    removeDir(dir)
  }
})

test('doctor: a refused key and a model the provider does not list are errors with their hints', async () => {
  const dir = tempStateDir()
  const server = await fakeOpenAi()
  try {
    writeFileSync(join(dir, 'config.toml'), config(server.baseUrl, { key: 'sk-wrong' }), { mode: 0o600 })
    const wrongKey = await doctor(dir)
    assert.equal(wrongKey.code, 1)
    assert.match(wrongKey.out, /^error +provider +main \(gpt-4o-mini\): .*HTTP 401.*\[auth\] Hint: the key was refused/m)
    writeFileSync(join(dir, 'config.toml'), config(server.baseUrl, { model: 'gpt-9' }), { mode: 0o600 })
    const unknown = await doctor(dir)
    assert.match(
      unknown.out,
      /^error +provider +main \(gpt-9\): provider "main" does not list model "gpt-9" \(2 models listed\) \[model_not_found\] Hint: check the model name/m,
    )
  } finally {
    await server.close()
    removeDir(dir)
  }
})

test('doctor --offline, and a state dir on the offline responder, make no provider call', async () => {
  const dir = tempStateDir()
  const server = await fakeOpenAi()
  try {
    writeFileSync(join(dir, 'config.toml'), config(server.baseUrl), { mode: 0o600 })
    const skipped = await doctor(dir, ['--offline'])
    assert.doesNotMatch(skipped.out, / provider /)
    writeFileSync(join(dir, 'config.toml'), '[gateway]\nport = 0\n', { mode: 0o600 })
    const offline = await doctor(dir)
    assert.equal(offline.code, 0, offline.out)
    assert.doesNotMatch(offline.out, / provider /)
    assert.equal(server.requests.length, 0)
  } finally {
    await server.close()
    removeDir(dir)
  }
})
