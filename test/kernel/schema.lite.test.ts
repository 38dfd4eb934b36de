import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { isLite, liteValidator } from '../../kernel/schema/lite.js'
import { compileSchema } from '../../kernel/schema/compile.js'

const require = createRequire(import.meta.url)
const AjvMod = require('ajv')
const Ajv = AjvMod.default ?? AjvMod
const root = join(import.meta.dirname, '..', '..')

// every schema the kernel validates at start: the two SDK schemas and each built-in's configSchema
function schemas(): Array<[string, object]> {
  const out: Array<[string, object]> = [
    ['manifest', require('@revka/plugin-sdk/manifest.schema.json')],
    ['plugins-file', require('@revka/plugin-sdk/plugins-file.schema.json')],
  ]
  for (const d of readdirSync(join(root, 'plugins'))) {
    const f = join(root, 'plugins', d, 'revka.plugin.json')
    if (existsSync(f)) out.push([`${d}.configSchema`, JSON.parse(readFileSync(f, 'utf8')).configSchema])
  }
  return out
}

// values that poke at each keyword: wrong types, extremes, extra keys, unicode
const probes: unknown[] = [
  {}, [], null, 0, -1, 1.5, 1e308, '', 'x', 'ünïcødé', '\u0000', true, { extra: 1 },
  { id: 'ok-id', version: '1.0.0', api: '^0.1.0', entry: 'index.ts', configSchema: {} },
  { id: 'Bad_Id', version: '1', api: 'x', entry: 'index.py', configSchema: 1 },
  { paths: ['a'], plugins: { 'good-id': { enabled: true, options: {} } } },
  { paths: [''], plugins: { BAD: {} } }, { plugins: { x: { enabled: 'yes' } } },
  { keepAliveMs: -5 }, { keepAliveMs: 100 }, { file: '../etc/passwd' }, { chunk_delay_ms: 'fast' },
]

test('every schema the kernel loads at start is handled by the lite validator (no Ajv at boot)', () => {
  for (const [name, s] of schemas()) assert.ok(isLite(s), `${name} uses a keyword outside the lite subset`)
})

test('the lite validator agrees with Ajv on validity and defaults for every start-up schema', () => {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false })
  for (const [name, s] of schemas()) {
    const a = ajv.compile(s)
    const l = liteValidator(s)
    for (const probe of probes) {
      const da = structuredClone(probe), dl = structuredClone(probe)
      assert.equal(l(dl), a(da), `${name} on ${JSON.stringify(probe)}: lite ${JSON.stringify(l.errors)} vs ajv ${JSON.stringify(a.errors)}`)
      assert.deepEqual(dl, da, `${name}: defaults differ on ${JSON.stringify(probe)}`)
    }
  }
})

test('a schema with a keyword outside the subset still gets checked (by Ajv)', () => {
  const s = { type: 'object', properties: { a: { oneOf: [{ type: 'string' }, { type: 'integer' }] } } }
  assert.equal(isLite(s), false)
  const v = compileSchema(s)
  assert.equal(v({ a: 'x' }), true)
  assert.equal(v({ a: 1.5 }), false)
})
