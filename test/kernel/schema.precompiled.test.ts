import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { AJV_OPTIONS, compileSchema, schemaKey, type Validator } from '../../kernel/schema/compile.js'

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
  {},
  [],
  null,
  0,
  -1,
  1.5,
  1e308,
  '',
  'x',
  'ünïcødé',
  '\u0000',
  true,
  { extra: 1 },
  { id: 'ok-id', version: '1.0.0', api: '^0.1.0', entry: 'index.ts', configSchema: {} },
  { id: 'Bad_Id', version: '1', api: 'x', entry: 'index.py', configSchema: 1 },
  { paths: ['a'], plugins: { 'good-id': { enabled: true, options: {} } } },
  { paths: [''], plugins: { BAD: {} } },
  { plugins: { x: { enabled: 'yes' } } },
  { keepAliveMs: -5 },
  { keepAliveMs: 100 },
  { file: '../etc/passwd' },
  { chunk_delay_ms: 'fast' },
]

// the build step, written to a temp file: the table it makes from this tree
let table: Record<string, () => Validator>
let tmp: string
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'revka-precompiled-'))
  const out = join(tmp, 'precompiled.cjs')
  await promisify(execFile)(process.execPath, [join(root, 'scripts/precompile-schemas.js'), '--out', out], { cwd: root, timeout: 60_000 })
  // evaluated as if it sat in kernel/schema/, where its requires of Ajv's runtime resolve
  const module = { exports: {} as Record<string, () => Validator> }
  new Function('require', 'module', 'exports', readFileSync(out, 'utf8'))(createRequire(join(root, 'kernel/schema/x.cjs')), module, module.exports)
  table = module.exports
})
after(() => rmSync(tmp, { recursive: true, force: true }))

test('the build precompiles every schema the kernel loads at start, and the route schemas of the built-ins (no Ajv at boot)', () => {
  const all = schemas()
  for (const [name, s] of all) assert.ok(table[schemaKey(s)], `${name} is not precompiled`)
  // the recording boot found schemas beyond the files: route schemas declared in plugin code
  const fileKeys = new Set(all.map(([, s]) => schemaKey(s)))
  assert.ok(
    Object.keys(table).some((k) => !fileKeys.has(k)),
    'no route schema was recorded',
  )
})

test('precompiled validators agree with Ajv compiled at run time on validity, errors and defaults', () => {
  const ajv = new Ajv(AJV_OPTIONS)
  for (const [name, s] of schemas()) {
    const a = ajv.compile(s)
    const p = table[schemaKey(s)]()
    for (const probe of probes) {
      const da = structuredClone(probe),
        dp = structuredClone(probe)
      assert.equal(p(dp), a(da), `${name} on ${JSON.stringify(probe)}: precompiled ${JSON.stringify(p.errors)} vs ajv ${JSON.stringify(a.errors)}`)
      assert.deepEqual(p.errors ?? null, a.errors ?? null, `${name}: errors differ on ${JSON.stringify(probe)}`)
      assert.deepEqual(dp, da, `${name}: defaults differ on ${JSON.stringify(probe)}`)
    }
  }
})

test('a schema the build never saw (a third-party plugin’s) is still checked, by Ajv at run time', () => {
  const s = { type: 'object', properties: { a: { oneOf: [{ type: 'string' }, { type: 'integer' }] } } }
  assert.equal(table[schemaKey(s)], undefined)
  const v = compileSchema(s)
  assert.equal(v({ a: 'x' }), true)
  assert.equal(v({ a: 1.5 }), false)
  assert.match(v.errors![0].message!, /must be/)
})
