/**
 * Issue 16: `revka plugins new <id> [--webhook]` scaffolds a plugin folder that loads as it stands:
 * the folder's own test — run exactly as its package.json's `npm test` runs it — passes in a real
 * gateway. Refusals write nothing. (The same scaffold, type-checked and tested against the packed
 * packages outside the repo: scripts/ci-pack-plugin.sh.)
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './helpers/kernel.js'

const BIN = join(REPO_ROOT, 'bin', 'revka.js')
const SDK_VERSION: string = JSON.parse(readFileSync(join(REPO_ROOT, 'plugin-sdk', 'package.json'), 'utf8')).version
// inside the checkout (gitignored .tmp/), so the scaffold's imports of @revka/plugin-sdk and
// @revka/plugin-testing resolve to the workspace packages as an installed plugin's resolve to
// node_modules
mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true })
const work = mkdtempSync(join(REPO_ROOT, '.tmp', 'plugins-new-'))
after(() => rmSync(work, { recursive: true, force: true }))

function run(args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('REVKA_') || k === 'NODE_OPTIONS' || k.startsWith('NODE_TEST')) delete env[k]
  const r = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, out: r.stdout + r.stderr }
}
const revka = (args: string[], cwd = work) => run([BIN, ...args], cwd)
/** what the scaffold's package.json runs as `npm test` */
const ownTest = (dir: string) => {
  const script: string = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts.test
  assert.equal(script, 'node --import @revka/plugin-testing/register --test *.test.ts')
  const tests = readdirSync(dir).filter((f) => f.endsWith('.test.ts'))
  return run(['--import', '@revka/plugin-testing/register', '--test', ...tests], dir)
}

test('plugins new ID: manifest, entry and a test that passes in a real gateway', () => {
  const r = revka(['plugins', 'new', 'hello-there'])
  assert.equal(r.code, 0, r.out)
  const dir = join(work, 'hello-there')
  assert.deepEqual(readdirSync(dir).sort(), ['README.md', 'hello-there.test.ts', 'index.ts', 'package.json', 'revka.plugin.json', 'tsconfig.json'])
  const manifest = JSON.parse(readFileSync(join(dir, 'revka.plugin.json'), 'utf8'))
  assert.equal(manifest.id, 'hello-there')
  assert.equal(manifest.entry, 'index.ts')
  assert.equal(manifest.api, `^${SDK_VERSION}`)
  const t = ownTest(dir)
  assert.equal(t.code, 0, t.out)
  // the reporter is TAP on Node 20 and spec on Node 24 when stdout is not a terminal
  assert.match(t.out, /[#ℹ] pass 3\n[#ℹ] fail 0/)
})

test('plugins new ID --webhook: a signed webhook channel whose test passes (forged → 401, signed → one reply)', () => {
  const r = revka(['plugins', 'new', 'my-hook', '--webhook', '--dir', 'nested/plugins'])
  assert.equal(r.code, 0, r.out)
  const dir = join(work, 'nested', 'plugins', 'my-hook')
  const manifest = JSON.parse(readFileSync(join(dir, 'revka.plugin.json'), 'utf8'))
  assert.deepEqual(manifest.requires, ['agent-runtime'])
  assert.deepEqual(manifest.env, ['REVKA_MY_HOOK_SECRET'])
  assert.match(readFileSync(join(dir, 'index.ts'), 'utf8'), /defineWebhook/)
  const t = ownTest(dir)
  assert.equal(t.code, 0, t.out)
  assert.match(t.out, /[#ℹ] pass 2\n[#ℹ] fail 0/)
})

test('refusals write nothing: a bad id, a built-in id, an existing folder', () => {
  const empty = mkdtempSync(join(work, 'refused-'))
  for (const id of ['../escape', 'Upper', 'under_score', 'double--dash', 'trailing-', '9lives', 'a'.repeat(65)]) {
    const r = revka(['plugins', 'new', id], empty)
    assert.equal(r.code, 2, `${id}: ${r.out}`)
    assert.match(r.out, /is not a plugin id/)
  }
  const builtin = revka(['plugins', 'new', 'cost'], empty)
  assert.equal(builtin.code, 1)
  assert.match(builtin.out, /built-in plugin's id/)
  assert.deepEqual(readdirSync(empty), [])
  assert.deepEqual(
    readdirSync(work).filter((f) => !f.startsWith('refused-') && f !== 'hello-there' && f !== 'nested'),
    [],
  )

  mkdirSync(join(empty, 'taken'))
  writeFileSync(join(empty, 'taken', 'index.ts'), 'mine')
  const taken = revka(['plugins', 'new', 'taken'], empty)
  assert.equal(taken.code, 1)
  assert.match(taken.out, /already exists; nothing written/)
  assert.deepEqual(readdirSync(join(empty, 'taken')), ['index.ts'])
  assert.equal(readFileSync(join(empty, 'taken', 'index.ts'), 'utf8'), 'mine')
})
