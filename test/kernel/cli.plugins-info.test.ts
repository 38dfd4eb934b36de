/**
 * Issue 10 item 8: `revka plugins info <id>` printed the plugin's options as written in the plugins
 * file, secrets included. Options secret by name (`secret`, `*_token`, `password`, …), by schema
 * (`writeOnly: true`), header values and credentials inside URLs are now masked; the rest shows.
 * Issue 16: also options the schema marks `x-secret`, and any whose name has the word token,
 * secret, key or password in it (`botToken`, `signing-key`), but not `maxTokens` or `keyboard_*`.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { cleanupTemp, fixture, put, REPO_ROOT, tempDir } from './helpers/kernel.js'

after(cleanupTemp)

const BIN = join(REPO_ROOT, 'bin', 'revka.js')
const MASK = '***MASKED***'

function revka(args: string[], extra: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('REVKA_') || k === 'NODE_OPTIONS') delete env[k]
  const cwd = tempDir('revka-cli-info-')
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...env, REVKA_STATE_DIR: join(cwd, 'state'), ...extra },
    encoding: 'utf8',
    timeout: 20_000,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('revka plugins info masks plugin secrets and shows the rest', () => {
  const dir = tempDir('revka-cli-info-')
  const secrets = ['whsec-0a1b2c3d', 'material-4e5f', 'relaypw-66', 'uppw-77', 'Bearer hdr-88', 'handle-xs-99', 'bot-123:AAH', 'sk-signing-5', 'adm-pw-6']
  const file = put(join(dir, 'revka.plugins.json'), {
    paths: [fixture('fx-secret-options')],
    plugins: {
      webhook: { options: { secret: 'whsec-0a1b2c3d', timeout_secs: 40 } },
      'fx-secret-options': {
        options: {
          greeting: 'hello',
          signing_material: 'material-4e5f',
          relay_url: 'https://relay:relaypw-66@relay.example/in',
          upstream: { user: 'svc', password: 'uppw-77' },
          headers: { Authorization: 'Bearer hdr-88' },
          relay_handle: 'handle-xs-99',
          botToken: 'bot-123:AAH',
          'signing-key': 'sk-signing-5',
          adminPassword: 'adm-pw-6',
          maxTokens: 4096,
          keyboard_layout: 'dvorak',
        },
      },
    },
  })
  const printed: string[] = []
  for (const id of ['webhook', 'fx-secret-options']) {
    const r = revka(['plugins', 'info', id], { REVKA_PLUGINS_FILE: file })
    assert.equal(r.code, 0, r.stderr)
    printed.push(r.stdout)
  }
  const leaked = secrets.filter((s) => printed.some((out) => out.includes(s)))
  assert.deepEqual(leaked, [], 'plugins info printed secrets')

  const webhook = JSON.parse(printed[0])
  assert.deepEqual(webhook.options, { secret: MASK, timeout_secs: 40 })
  const fx = JSON.parse(printed[1])
  assert.deepEqual(fx.options, {
    greeting: 'hello',
    signing_material: MASK,
    relay_url: `https://${MASK}@relay.example/in`,
    upstream: { user: 'svc', password: MASK },
    headers: { Authorization: MASK },
    relay_handle: MASK,
    botToken: MASK,
    'signing-key': MASK,
    adminPassword: MASK,
    maxTokens: 4096,
    keyboard_layout: 'dvorak',
  })
})
