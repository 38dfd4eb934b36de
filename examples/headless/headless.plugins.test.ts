/**
 * The headless operator file: it names every built-in plugin explicitly, the CLI reads it without
 * importing any plugin, and a gateway started on it serves health while its webhook providers fail
 * closed and the disabled routes are gone.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { builtinPluginIds, ROOT, spawnGateway } from '../../test/ingress/gateway-process.js'
import { rawRequest, tempStateDir } from '../../test/ingress/support.js'

const FILE = join(dirname(fileURLToPath(import.meta.url)), 'revka.plugins.json')
const doc = JSON.parse(readFileSync(FILE, 'utf8'))
const ENABLED = ['status', 'pairing', 'admin', 'events', 'agent-runtime', 'chat', 'cost', 'webhook', 'whatsapp', 'linq', 'wati', 'nextcloud-talk', 'gmail-push']

test('every built-in plugin is listed with an explicit enabled flag, and nothing else', () => {
  const listed = Object.keys(doc.plugins).sort()
  const missing = builtinPluginIds().filter((id) => !listed.includes(id))
  assert.deepEqual(missing, [], `add these built-ins to examples/headless/revka.plugins.json: ${missing.join(', ')}`)
  assert.deepEqual(
    listed.filter((id) => !builtinPluginIds().includes(id)),
    [],
  )
  for (const [id, entry] of Object.entries<any>(doc.plugins)) assert.equal(typeof entry.enabled, 'boolean', id)
  assert.equal(doc.builtins, true)
})

test('revka plugins list reads it without importing a plugin: the headless set is enabled, the rest is not', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'revka.js'), 'plugins', 'list', '--json', '--plugins', FILE], { cwd: ROOT, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  const rows: Array<{ id: string; enabled: boolean }> = JSON.parse(r.stdout)
  const enabled = rows
    .filter((x) => x.enabled)
    .map((x) => x.id)
    .sort()
  assert.deepEqual(enabled, ENABLED.filter((id) => builtinPluginIds().includes(id)).sort())
})

test('a gateway on the headless file: health answers, providers fail closed, disabled routes are 404', async () => {
  const stateDir = tempStateDir()
  const gw = await spawnGateway(stateDir, FILE)
  try {
    const health = await rawRequest(gw.url, { path: '/health' })
    assert.equal(health.status, 200, health.body)
    for (const path of ['/whatsapp', '/linq', '/wati', '/nextcloud-talk', '/webhook/gmail']) {
      const res = await rawRequest(gw.url, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: '{}' })
      assert.equal(res.status, 503, `${path}: ${res.body}`)
      assert.equal(res.json().code, 'webhook_not_configured')
    }
    for (const path of ['/metrics', '/api/config', '/track/c/abc?u=https://example.com', '/workspace/x?exp=1&sig=00']) {
      assert.equal((await rawRequest(gw.url, { path })).status, 404, path)
    }
  } finally {
    await gw.kill()
    rmSync(stateDir, { recursive: true, force: true })
  }
})
