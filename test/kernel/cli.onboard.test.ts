/**
 * `revka onboard --non-interactive` end to end: the real CLI in a child process, against a local
 * fake of Anthropic's Messages API (replaying test/fixtures/providers/ transcripts). It lists the
 * models, makes one streamed test call, and only then keeps config.toml (0600) with the key in the
 * auth-profiles plugin's encrypted store (in config.toml only when that plugin is disabled); a
 * refused key or an unlisted model leaves config.toml and the store as they were; --channels
 * writes revka.plugins.json.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { ROOT, removeDir, tempStateDir } from '../auth/support.js'
import { startRecordingServer } from '../../plugins/agent-runtime/test-helpers.js'
import { transcript } from '../../plugins/agent-runtime/anthropic-fake.js'

const BIN = join(ROOT, 'bin', 'revka.js')
const KEY = 'sk-ant-onboard-5e2c'

/** the operator's plugins file of a test: beside its state dir, never the checkout's */
const pluginsFileOf = (stateDir: string) => join(stateDir, 'revka.plugins.json')

function run(stateDir: string, flags: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'onboard', '--non-interactive', ...flags],
      { env: { ...process.env, REVKA_STATE_DIR: stateDir, REVKA_PLUGINS_FILE: pluginsFileOf(stateDir) }, encoding: 'utf8', timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
    )
  })
}

/** models list on GET, the text transcript on POST; 401 for any other key */
const fakeAnthropic = () =>
  startRecordingServer((res, _b, _n) => {
    const req = (res as any).req
    if (req.headers['x-api-key'] !== KEY) {
      res.writeHead(401, { 'content-type': 'application/json' })
      return void res.end(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }))
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return void res.end(JSON.stringify({ data: [{ id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5' }, { id: 'claude-haiku-4-5' }] }))
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.end(transcript('anthropic-text.txt').join('\n\n') + '\n\n')
  })

function filesUnder(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(d, e.name)) : [join(d, e.name)]))
}
const profileFile = (dir: string) => join(dir, 'plugins', 'auth-profiles', 'auth-profiles.json')

test('onboard --non-interactive: picks the first listed model, shows the streamed answer, keeps the key encrypted and config.toml 0600 with the other keys', async () => {
  const dir = tempStateDir()
  const server = await fakeAnthropic()
  try {
    writeFileSync(join(dir, 'config.toml'), '[gateway]\nport = 0\n', { mode: 0o600 })
    const r = await run(dir, ['--provider', 'anthropic', '--key', KEY, '--base-url', server.baseUrl])
    assert.equal(r.code, 0, r.out)
    assert.match(r.out, /model: claude-sonnet-4-5 \(the first of 2 listed/)
    assert.match(r.out, /test call to anthropic \(claude-sonnet-4-5\):\n {2}The sum is 9\.\n/)
    assert.match(r.out, /wrote .*config\.toml \(mode 0600\)/)
    assert.match(r.out, /api_key_profile = "anthropic:default" \(the key is encrypted in .*auth-profiles\.json\)/)
    assert.ok(!r.out.includes(KEY), 'the key is never printed')
    const file = join(dir, 'config.toml')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const cfg = parse(readFileSync(file, 'utf8')) as any
    assert.equal(cfg.default_provider, 'anthropic')
    assert.deepEqual(
      { ...cfg.providers.anthropic },
      { type: 'anthropic', base_url: server.baseUrl, api_key_profile: 'anthropic:default', model: 'claude-sonnet-4-5' },
    )
    // the fake answers only the right key: the test call above read it back from the store
    const stored = JSON.parse(readFileSync(profileFile(dir), 'utf8')).profiles['anthropic:default']
    assert.match(stored.token, /^enc2:[0-9a-f]+$/)
    assert.equal(statSync(profileFile(dir)).mode & 0o777, 0o600)
    for (const f of filesUnder(dir)) assert.ok(!readFileSync(f).includes(KEY), `${f} holds the key in clear`)
    assert.equal(cfg.gateway.port, 0, 'the rest of config.toml is kept')
    const post = server.requests.find((q) => q.path === '/v1/messages')!
    assert.equal(post.body.model, 'claude-sonnet-4-5')
    assert.equal(post.body.stream, true)
  } finally {
    await server.close()
    removeDir(dir)
  }
})

test('onboard --non-interactive with a refused key: exit 1 with the hint, config.toml unchanged', async () => {
  const dir = tempStateDir()
  const server = await fakeAnthropic()
  try {
    const before = '[gateway]\nport = 0\n'
    writeFileSync(join(dir, 'config.toml'), before, { mode: 0o600 })
    const r = await run(dir, ['--provider', 'anthropic', '--key', 'sk-wrong', '--base-url', server.baseUrl, '--model', 'claude-sonnet-4-5'])
    assert.equal(r.code, 1, r.out)
    assert.match(r.out, /onboarding failed: .*HTTP 401: invalid x-api-key \[auth\] Hint: the key was refused/)
    assert.match(r.out, /config\.toml is unchanged/)
    assert.equal(readFileSync(join(dir, 'config.toml'), 'utf8'), before)
    assert.deepEqual(JSON.parse(readFileSync(profileFile(dir), 'utf8')).profiles, {}, 'the refused key is not kept')
  } finally {
    await server.close()
    removeDir(dir)
  }
})

test('onboard --non-interactive without --provider is a usage error (exit 2) and writes nothing', async () => {
  const dir = tempStateDir()
  try {
    const r = await run(dir, ['--key', KEY])
    assert.equal(r.code, 2)
    assert.match(r.out, /onboard --non-interactive needs --provider \(anthropic, openai/)
    assert.throws(() => statSync(join(dir, 'config.toml')))
  } finally {
    removeDir(dir)
  }
})

test('a gateway with no provider configured says in its banner that the offline responder answers, and names revka onboard', async () => {
  const dir = tempStateDir()
  const child = spawn(process.execPath, [BIN, 'gateway', '--port', '0'], { env: { ...process.env, REVKA_STATE_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out += d
  })
  const exited = new Promise((r) => child.once('exit', r))
  try {
    const deadline = Date.now() + 15_000
    // the pairing banner is printed after the provider line
    while (!/PAIRING CODE|pairing is OFF/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50))
    assert.match(out, /no model provider is configured: the offline responder is answering\. Connect one with: revka onboard/)
  } finally {
    child.kill('SIGTERM')
    await exited
    removeDir(dir)
  }
})

test('onboard --non-interactive with a model the provider does not list: the provider check stops it before a test call (model_not_found + hint)', async () => {
  const dir = tempStateDir()
  const server = await fakeAnthropic()
  try {
    const r = await run(dir, ['--provider', 'anthropic', '--key', KEY, '--base-url', server.baseUrl, '--model', 'claude-nonexistent'])
    assert.equal(r.code, 1, r.out)
    assert.match(
      r.out,
      /onboarding failed: provider "anthropic" does not list model "claude-nonexistent" \(2 models listed\) \[model_not_found\] Hint: check the model name/,
    )
    assert.match(r.out, /config\.toml was not written/)
    assert.ok(!existsSync(join(dir, 'config.toml')))
    assert.equal(server.requests.filter((q) => q.path === '/v1/messages').length, 0, 'no tokens spent')
  } finally {
    await server.close()
    removeDir(dir)
  }
})

test('onboard --non-interactive with an unreachable base_url: exit 1 with the unreachable hint', async () => {
  const dir = tempStateDir()
  const server = await fakeAnthropic()
  const dead = server.baseUrl
  await server.close()
  try {
    const r = await run(dir, ['--provider', 'anthropic', '--key', KEY, '--base-url', dead, '--model', 'claude-sonnet-4-5'])
    assert.equal(r.code, 1, r.out)
    assert.match(r.out, /\[unreachable\] Hint: check base_url and that the server is running/)
  } finally {
    removeDir(dir)
  }
})

test('onboard with auth-profiles disabled: the key goes into config.toml (0600), as the output says', async () => {
  const dir = tempStateDir()
  const server = await fakeAnthropic()
  try {
    writeFileSync(pluginsFileOf(dir), JSON.stringify({ plugins: { 'auth-profiles': { enabled: false } } }))
    const r = await run(dir, ['--provider', 'anthropic', '--key', KEY, '--base-url', server.baseUrl, '--model', 'claude-haiku-4-5'])
    assert.equal(r.code, 0, r.out)
    assert.match(r.out, /api_key = \(hidden; the auth-profiles plugin is disabled, so the key is in this file\)/)
    const cfg = parse(readFileSync(join(dir, 'config.toml'), 'utf8')) as any
    assert.equal(cfg.providers.anthropic.api_key, KEY)
    assert.equal(statSync(join(dir, 'config.toml')).mode & 0o777, 0o600)
    assert.ok(!existsSync(profileFile(dir)))
  } finally {
    await server.close()
    removeDir(dir)
  }
})

test('onboard --channels: exactly the listed channel plugins on, the other channels off, in one write of revka.plugins.json', async () => {
  const dir = tempStateDir()
  const server = await fakeAnthropic()
  try {
    writeFileSync(pluginsFileOf(dir), JSON.stringify({ paths: [], plugins: { cost: { enabled: false } } }))
    const bad = await run(dir, ['--provider', 'anthropic', '--key', KEY, '--base-url', server.baseUrl, '--channels', 'whatsapp,telegraph'])
    assert.equal(bad.code, 2, bad.out)
    assert.match(bad.out, /--channels: telegraph is not a channel plugin/)
    assert.ok(!existsSync(join(dir, 'config.toml')), 'a usage error writes nothing')
    const r = await run(dir, ['--provider', 'anthropic', '--key', KEY, '--base-url', server.baseUrl, '--model', 'claude-sonnet-4-5', '--channels', 'whatsapp'])
    assert.equal(r.code, 0, r.out)
    const doc = JSON.parse(readFileSync(pluginsFileOf(dir), 'utf8'))
    assert.deepEqual(
      doc.plugins,
      {
        cost: { enabled: false },
        linq: { enabled: false },
        'nextcloud-talk': { enabled: false },
        wati: { enabled: false },
      },
      'whatsapp was already on: only the others change',
    )
    assert.match(r.out, /wrote .*revka\.plugins\.json: linq disabled, nextcloud-talk disabled, wati disabled/)
    const again = await run(dir, [
      '--provider',
      'anthropic',
      '--key',
      KEY,
      '--base-url',
      server.baseUrl,
      '--model',
      'claude-sonnet-4-5',
      '--channels',
      'whatsapp',
    ])
    assert.match(again.out, /channels unchanged/)
  } finally {
    await server.close()
    removeDir(dir)
  }
})
