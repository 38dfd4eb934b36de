/**
 * The ops routes over a real socket (contract DOMAIN.md §17, GATEWAY.md §1.1): the doctor's
 * findings (a failed plugin named with its diagnostic), the agent's tools with their schemas,
 * integrations derived from the installed plugins, CLI tools found on a PATH the test controls
 * (probed once), and every discovered plugin with state, timings and diagnostics. Bearer only.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const FAILING = join(ROOT, 'test', 'fixtures', 'plugins', 'fx-throw-setup')

let k: TestKernel
let bin: string
const get = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${k.url}${path}`, { ...init, headers: { authorization: `Bearer ${k.token}`, ...((init.headers as Record<string, string>) ?? {}) } })
  return { status: res.status, json: (await res.json()) as any }
}

before(async () => {
  // a PATH holding a fake git that counts its runs, a node that prints nothing, and a non-executable make
  bin = mkdtempSync(join(tmpdir(), 'revka-ops-bin-'))
  writeFileSync(join(bin, 'git'), `#!/bin/sh\necho run >> "${bin}/git.runs"\necho "git version 9.8.7"\n`)
  writeFileSync(join(bin, 'node'), '#!/bin/sh\nexit 3\n')
  writeFileSync(join(bin, 'make'), '#!/bin/sh\necho "GNU Make 1"\n')
  chmodSync(join(bin, 'git'), 0o755)
  chmodSync(join(bin, 'node'), 0o755)
  chmodSync(join(bin, 'make'), 0o644)
  k = await startTestKernel({
    plugins: ['ops', 'pairing', 'canvas', 'whatsapp', 'agent-runtime'],
    paths: [FAILING],
    allowFailed: ['fx-throw-setup'],
    listen: true,
    env: { PATH: bin },
  })
})
after(async () => {
  await k.stop()
  rmSync(bin, { recursive: true, force: true })
})

test('every ops route needs a bearer (401 without, 401 with a wrong one)', async () => {
  for (const path of ['/api/doctor', '/api/tools', '/api/integrations', '/api/integrations/settings', '/api/cli-tools', '/api/plugins']) {
    assert.equal((await fetch(`${k.url}${path}`)).status, 401, path)
    assert.equal((await fetch(`${k.url}${path}`, { headers: { authorization: 'Bearer nope' } })).status, 401, path)
  }
  assert.equal((await fetch(`${k.url}/api/doctor`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status, 401)
})

test('GET and POST /api/doctor report findings by category; the failed plugin is an error with its diagnostic', async () => {
  for (const init of [{}, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }] as RequestInit[]) {
    const { status, json } = await get('/api/doctor', init)
    assert.equal(status, 200)
    const { results, summary } = json
    for (const f of results) {
      assert.deepEqual(Object.keys(f).sort(), ['category', 'message', 'severity'])
      assert.ok(['ok', 'warn', 'error'].includes(f.severity))
    }
    assert.deepEqual(summary, {
      ok: results.filter((f: any) => f.severity === 'ok').length,
      warnings: results.filter((f: any) => f.severity === 'warn').length,
      errors: results.filter((f: any) => f.severity === 'error').length,
    })
    const cats = new Set(results.map((f: any) => f.category))
    for (const c of ['config', 'state', 'environment', 'cli-tools', 'store', 'daemon', 'plugins']) assert.ok(cats.has(c), `category ${c}`)
    const failed = results.filter((f: any) => f.category === 'plugins' && f.severity === 'error')
    assert.equal(failed.length, 1, JSON.stringify(failed))
    assert.match(failed[0].message, /fx-throw-setup failed: .*exploded in setup/)
    assert.ok(summary.errors >= 1)
    assert.ok(results.some((f: any) => f.category === 'state' && /writable/.test(f.message) && f.severity === 'ok'))
    assert.ok(results.some((f: any) => f.category === 'state' && /MB free/.test(f.message)))
    assert.ok(results.some((f: any) => f.category === 'cli-tools' && /git: git version 9\.8\.7/.test(f.message)))
  }
})

test('GET /api/tools lists the agent tools with their JSON Schemas', async () => {
  const { status, json } = await get('/api/tools')
  assert.equal(status, 200)
  const render = json.tools.find((t: any) => t.name === 'canvas_render')
  assert.ok(render, JSON.stringify(json.tools.map((t: any) => t.name)))
  assert.equal(typeof render.description, 'string')
  assert.equal(render.parameters.type, 'object')
  for (const t of json.tools) assert.deepEqual(Object.keys(t).sort(), ['description', 'name', 'parameters'])
})

test('integrations come from installed plugins: enabled and started is Active, installed but off is Available', async () => {
  const { json } = await get('/api/integrations')
  const by = Object.fromEntries(json.integrations.map((i: any) => [i.name, i]))
  assert.deepEqual(by.WhatsApp, {
    name: 'WhatsApp',
    description: 'WhatsApp Cloud API webhook: messages in, agent replies out',
    category: 'Chat',
    status: 'Active',
  })
  assert.equal(by.WATI.status, 'Available')
  assert.equal(by['Model provider'].category, 'AiModel')
  assert.equal(by.Gmail.category, 'Productivity')
  // only plugins whose manifest has an `integration` entry are listed
  assert.equal(by.Canvas, undefined)
  const settings = (await get('/api/integrations/settings')).json.settings
  assert.deepEqual(settings.WhatsApp, { enabled: true, category: 'Chat', status: 'Active' })
  assert.deepEqual(settings.WATI, { enabled: false, category: 'Chat', status: 'Available' })
  assert.deepEqual(Object.keys(settings).sort(), json.integrations.map((i: any) => i.name).sort())
})

test('GET /api/cli-tools: executables found on PATH with versions, probed once and cached', async () => {
  const first = (await get('/api/cli-tools')).json.cli_tools
  assert.deepEqual(
    first,
    [
      { name: 'git', path: join(bin, 'git'), version: 'git version 9.8.7', category: 'VersionControl' },
      { name: 'node', path: join(bin, 'node'), version: null, category: 'Language' },
    ],
    'make is not executable, the rest are absent',
  )
  const runs = readFileSync(join(bin, 'git.runs'), 'utf8')
  const again = (await get('/api/cli-tools')).json.cli_tools
  await get('/api/doctor')
  assert.deepEqual(again, first)
  assert.equal(readFileSync(join(bin, 'git.runs'), 'utf8'), runs, 'no probe ran again')
  assert.equal(runs.trim().split('\n').length, 1)
})

test('GET /api/plugins lists every discovered plugin with manifest summary, state, timings and diagnostics', async () => {
  const { json } = await get('/api/plugins')
  assert.equal(json.plugins_enabled, true)
  const by = Object.fromEntries(json.plugins.map((p: any) => [p.id, p]))
  const ops = by.ops
  assert.equal(ops.name, 'ops')
  assert.equal(ops.display_name, 'Operations')
  assert.equal(ops.loaded, true)
  assert.equal(ops.status, 'started')
  assert.deepEqual(ops.requires, ['kernel-ops', 'tool-registry'])
  for (const phase of ['importMs', 'setupMs', 'startMs']) assert.equal(typeof ops.timings[phase], 'number', phase)
  assert.equal(by['fx-throw-setup'].status, 'failed')
  assert.match(by['fx-throw-setup'].diagnostic, /exploded in setup/)
  assert.equal(by['fx-throw-setup'].loaded, false)
  // discovered but not enabled: listed too, with no timings
  assert.equal(by.wati.enabled, false)
  assert.deepEqual(by.wati.timings, { importMs: null, setupMs: null, startMs: null })
  assert.deepEqual(by.whatsapp.integration, { category: 'Chat', name: 'WhatsApp', description: 'WhatsApp Cloud API webhook: messages in, agent replies out' })
})
