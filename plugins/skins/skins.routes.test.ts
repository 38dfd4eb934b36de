/**
 * The skins routes over a real socket (contract §13): the built-ins, an import that shows up in the
 * list and serves its assets publicly with nosniff and a private cache, replace, delete, the
 * per-install skin quota, and where the files live (the plugin's private folder, 0600/0700).
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { TestKernel } from '@revka/plugin-testing'
import { PNG_1PX, skinManifest, skinZip } from './test-support/zip-writer.js'
import { bootSkins, importZip } from './test-support/skins-kernel.js'

let k: TestKernel
before(async () => {
  k = await bootSkins({ max_skins: 2 })
})
after(async () => {
  await k.stop()
})

const auth = () => ({ authorization: `Bearer ${k.token}` })
const list = async () => ((await (await fetch(`${k.url}/api/skins`, { headers: auth() })).json()) as any).skins as any[]
const skinDir = (id: string) => join(k.stateDir, 'plugins', 'skins', 'skins', id)

test('GET /api/skins lists the built-ins revka and matrix, sorted by name; bearer only', async () => {
  const skins = await list()
  assert.deepEqual(
    skins.map((s) => [s.id, s.name, s.builtin]),
    [
      ['matrix', 'Matrix', true],
      ['revka', 'Revka Default', true],
    ],
  )
  assert.equal(skins[1].assetBasePath, '/api/skins/revka/assets')
  assert.equal(skins[1].manifest.schemaVersion, 1)
  assert.ok(skins[1].manifest.modes.dark.tokens['--revka-accent'])
  assert.equal((await fetch(`${k.url}/api/skins`)).status, 401)
})

test('an import answers {skin}, is listed, and its files sit in the plugin folder with private modes', async () => {
  const manifest = JSON.parse(skinManifest())
  manifest.unknown_field = 'dropped'
  manifest.modes.dark.extra = 'dropped too'
  const res = await importZip(k, skinZip([{ name: 'assets/', data: '', unixMode: 0o040755 }], JSON.stringify(manifest)), { 'content-type': 'application/json' })
  assert.equal(res.status, 200, JSON.stringify(res.json))
  assert.deepEqual(res.json.skin, {
    id: 'ocean',
    name: 'Ocean',
    version: '1.2.0',
    assetBasePath: '/api/skins/ocean/assets',
    builtin: false,
    manifest: {
      schemaVersion: 1,
      id: 'ocean',
      name: 'Ocean',
      version: '1.2.0',
      modes: {
        dark: { tokens: { '--revka-accent': '#0af', '--revka-radius-md': '6px' }, assets: { brandLogo: 'assets/logo.png' }, preview: 'assets/logo.png' },
      },
    },
  })
  assert.deepEqual(
    (await list()).map((s) => s.id),
    ['matrix', 'ocean', 'revka'],
  )
  const stored = JSON.parse(readFileSync(join(skinDir('ocean'), 'manifest.json'), 'utf8'))
  assert.equal(stored.unknown_field, undefined)
  assert.deepEqual(readFileSync(join(skinDir('ocean'), 'assets', 'logo.png')), PNG_1PX)
  assert.equal(statSync(join(skinDir('ocean'), 'assets', 'logo.png')).mode & 0o777, 0o600)
  assert.equal(statSync(join(skinDir('ocean'), 'assets')).mode & 0o777, 0o700)
  assert.equal(existsSync(join(k.stateDir, 'workspace', 'skins')), false, 'never in the workspace')
})

test('assets are public, with nosniff and a private 5-minute cache; traversal and unknown paths are refused', async () => {
  const res = await fetch(`${k.url}/api/skins/ocean/assets/logo.png`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'image/png')
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
  assert.equal(res.headers.get('cache-control'), 'private, max-age=300')
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), PNG_1PX)
  for (const [path, status] of [
    ['/api/skins/ocean/assets/missing.png', 404],
    ['/api/skins/ocean/assets/../manifest.json', 404], // the client normalises: /api/skins/ocean/manifest.json is no route
    ['/api/skins/ocean/assets/..%2fmanifest.json', 400],
    ['/api/skins/Bad.Id/assets/logo.png', 400],
    ['/api/skins/revka/assets/logo.png', 404],
  ] as const) {
    const r = await fetch(`${k.url}${path}`)
    assert.equal(r.status, status, path)
    assert.ok(!(await r.text()).includes('schemaVersion'), `${path} never serves the manifest`)
  }
})

test('importing the same id replaces the skin; the quota counts ids, and past it a new id is 507', async () => {
  const v2 = skinZip([{ name: 'assets/hero.webp', data: Buffer.from('RIFF0000WEBP') }], skinManifest({ version: '2.0.0' }))
  assert.equal((await importZip(k, v2)).status, 200)
  assert.equal((await list()).find((s) => s.id === 'ocean').version, '2.0.0')
  assert.equal((await fetch(`${k.url}/api/skins/ocean/assets/hero.webp`)).headers.get('content-type'), 'image/webp')
  assert.equal((await importZip(k, skinZip([], skinManifest({ id: 'forest', name: 'Forest' })))).status, 200)
  const full = await importZip(k, skinZip([], skinManifest({ id: 'desert', name: 'Desert' })))
  assert.equal(full.status, 507)
  assert.equal(full.json.code, 'skin_quota_exceeded')
  assert.equal(existsSync(skinDir('desert')), false)
  assert.equal((await importZip(k, skinZip([], skinManifest({ id: 'forest', name: 'Forest', version: '9' })))).status, 200, 'replacing is not a new skin')
})

test('DELETE removes an imported skin (204); built-in and unknown ids are 204 too; a bad id is 400', async () => {
  const del = (id: string, headers: Record<string, string> = auth()) => fetch(`${k.url}/api/skins/${id}`, { method: 'DELETE', headers })
  assert.equal((await del('forest', {})).status, 401)
  assert.ok(existsSync(skinDir('forest')))
  const res = await del('forest')
  assert.equal(res.status, 204)
  assert.equal(existsSync(skinDir('forest')), false)
  assert.equal((await fetch(`${k.url}/api/skins/forest/assets/logo.png`)).status, 404)
  assert.equal((await del('revka')).status, 204)
  assert.equal((await del('never-was')).status, 204)
  const bad = await del('UPPER')
  assert.equal(bad.status, 400)
  assert.equal(((await bad.json()) as any).error, 'invalid skin id')
  assert.deepEqual(
    (await list()).map((s) => s.id),
    ['matrix', 'ocean', 'revka'],
  )
})

test('imports and deletes are in the audit log, with the device that made them', async () => {
  const entries = readFileSync(join(k.stateDir, 'kernel', 'audit', 'audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  const skins = entries.filter((e) => e.actor?.channel === 'skins')
  const commands = skins.map((e) => e.action.command)
  assert.ok(commands.includes('skin.import ocean'), commands.join(', '))
  assert.ok(commands.includes('skin.delete forest'), commands.join(', '))
  assert.ok(!commands.includes('skin.delete never-was'), 'a delete that removed nothing is not recorded')
  assert.equal(skins[0].event_type, 'config_change')
  assert.equal(typeof skins[0].actor.user_id, 'string')
})
