/**
 * The manifest rules (contract §13 steps 5–7), one import each: every refusal is a 400
 * `invalid_skin_manifest` naming the key, and nothing is stored.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { TestKernel } from '@revka/plugin-testing'
import { PNG_1PX, skinZip } from './test-support/zip-writer.js'
import { bootSkins, importZip } from './test-support/skins-kernel.js'

let k: TestKernel
before(async () => {
  k = await bootSkins()
})
after(async () => {
  await k.stop()
})

const base = () => ({
  schemaVersion: 1,
  id: 'sky',
  name: 'Sky',
  version: '1',
  modes: { light: { tokens: {} as Record<string, unknown>, assets: {} as Record<string, unknown> } },
})
const withTokens = (tokens: Record<string, unknown>) => {
  const m = base()
  m.modes.light.tokens = tokens
  return m
}
const withAssets = (assets: Record<string, unknown>) => {
  const m = base()
  m.modes.light.assets = assets
  return m
}

async function refused(manifest: unknown, pattern: RegExp, raw?: string): Promise<void> {
  const res = await importZip(k, skinZip([], raw ?? JSON.stringify(manifest)))
  assert.equal(res.status, 400, `${JSON.stringify(manifest)} → ${JSON.stringify(res.json)}`)
  assert.equal(res.json.code, 'invalid_skin_manifest')
  assert.match(res.json.error, pattern)
  assert.deepEqual(readdirSync(join(k.stateDir, 'plugins', 'skins', 'skins')), [])
}

test('structure: required keys, modes, schemaVersion, id, name and version', async () => {
  for (const key of ['schemaVersion', 'id', 'name', 'version', 'modes']) {
    const m: any = base()
    delete m[key]
    await refused(m, new RegExp(`"${key}" is required`))
  }
  await refused({ ...base(), modes: { light: {}, sepia: {} } }, /only have "light" and "dark" \(found "sepia"\)/)
  await refused({ ...base(), modes: {} }, /needs "light" or "dark"/)
  await refused({ ...base(), schemaVersion: 2 }, /schemaVersion must be 1/)
  await refused({ ...base(), id: 'Sky!' }, /id must match/)
  await refused({ ...base(), id: 'matrix' }, /"matrix" is a built-in/)
  await refused({ ...base(), name: '   ' }, /name must be a non-blank string/)
  await refused({ ...base(), version: 3 }, /version must be a non-blank string/)
  await refused(null, /not UTF-8 JSON/, '{"schemaVersion": 1,')
  await refused(null, /not UTF-8 JSON/, Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1'))
})

test('tokens: --revka- names, no shadows or background images, only colours and bounded lengths', async () => {
  await refused(withTokens({ '--other-accent': '#fff' }), /must start with --revka-/)
  await refused(withTokens({ '--revka-shadow-card': '0' }), /shadow and background-image/)
  await refused(withTokens({ '--revka-background-image': '0' }), /shadow and background-image/)
  for (const v of ['url(https://evil/x.png)', 'javascript:alert(1)', 'expression(alert(1))', 'var(--revka-x)', '#fff;color:red', '<b>', 'rgb(0 0 0) >']) {
    await refused(withTokens({ '--revka-accent': v }), /contains url\(/)
  }
  for (const v of ['red', 'rgb(calc(1))', '300px', '101%', '12vh', 'hsl(120 garbage 50%)', '#12345']) {
    await refused(withTokens({ '--revka-accent': v }), /must be a colour .* or a length/)
  }
  const ok = withTokens({
    '--revka-a': '#abc',
    '--revka-b': 'rgba(1, 2, 3, 0.5)',
    '--revka-c': 'hsl(120deg 50% 40% / 0.2)',
    '--revka-d': '256px',
    '--revka-e': '1.5rem',
    '--revka-f': '100%',
    '--revka-g': '0',
  })
  ok.id = 'tokens-ok'
  const res = await importZip(k, skinZip([], JSON.stringify(ok)))
  assert.equal(res.status, 200, JSON.stringify(res.json))
  await fetch(`${k.url}/api/skins/tokens-ok`, { method: 'DELETE', headers: { authorization: `Bearer ${k.token}` } })
})

test('assets: known slots, relative assets/ image paths that exist in the ZIP', async () => {
  await refused(withAssets({ wallpaper: 'assets/logo.png' }), /wallpaper: unknown asset slot/)
  await refused(withAssets({ brandLogo: 'https://cdn.example/logo.png' }), /remote or scheme paths/)
  await refused(withAssets({ brandLogo: '//cdn.example/logo.png' }), /remote or scheme paths/)
  await refused(withAssets({ brandLogo: 'data:image/png;base64,AAAA' }), /remote or scheme paths/)
  await refused(withAssets({ brandLogo: '/assets/logo.png' }), /must be relative/)
  await refused(withAssets({ brandLogo: 'assets/../revka-skin.json' }), /"\.\." and "\\" are not allowed/)
  await refused(withAssets({ brandLogo: 'logo.png' }), /must start with assets\//)
  await refused(withAssets({ brandLogo: 'assets/logo.gif' }), /assets are \.png/)
  await refused(withAssets({ brandLogo: 'assets/missing.png' }), /"assets\/missing\.png" is not in the ZIP/)
  const m: any = withAssets({ brandLogo: 'assets/logo.png' })
  m.modes.light.preview = 'assets/nope.png'
  await refused(m, /modes\.light\.preview: "assets\/nope\.png" is not in the ZIP/)
  assert.ok(PNG_1PX.length > 0)
})
