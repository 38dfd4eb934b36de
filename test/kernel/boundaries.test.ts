/**
 * The architecture's boundaries are enforced, not hoped for (issue 15): dependency-cruiser runs
 * `.dependency-cruiser.cjs` over the TypeScript sources. On this checkout it must find nothing; on
 * a small tree with one deliberate violation of each rule it must name every one of them — so a
 * rule that silently stopped matching (a renamed folder, a resolver that no longer maps `.js` to
 * `.ts`) fails here too. ESLint (eslint.config.js) must report a deliberate violation as well.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs')

interface Violation {
  rule: { name: string }
  from: string
  to: string
}

function cruise(cwd: string, paths: string[]): Violation[] {
  const r = spawnSync(process.execPath, [DEPCRUISE, '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json', ...paths], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  assert.ok(r.stdout, `dependency-cruiser printed nothing: ${r.stderr}`)
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations
}

test('this checkout keeps every boundary: plugins import only the SDK, the kernel no plugin, no cycles', () => {
  const violations = cruise(ROOT, ['kernel', 'plugin-sdk/src', 'plugin-testing/src', 'plugins', 'examples'])
  assert.deepEqual(
    violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`),
    [],
  )
})

test('ESLint reports a deliberate violation in kernel code, and the config ignores emitted JavaScript', async () => {
  const { ESLint } = await import('eslint')
  const eslint = new ESLint({ cwd: ROOT })
  const [bad] = await eslint.lintText('const unused = 1\nexport const x = () => { try { return 1 } catch (e) { throw new Error("no cause") } }\n', {
    filePath: join(ROOT, 'kernel', 'deliberate.ts'),
  })
  assert.deepEqual(bad.messages.map((m) => m.ruleId).sort(), ['@typescript-eslint/no-unused-vars', 'preserve-caught-error'])
  // what tsc emits beside a .ts is not a source: never linted
  assert.equal(await eslint.isPathIgnored(join(ROOT, 'kernel', 'lifecycle', 'kernel.js')), true)
  assert.equal(await eslint.isPathIgnored(join(ROOT, 'scripts', 'run-tests.js')), false)
})

test('a deliberate violation of each rule is reported by name', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'revka-boundaries-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  file('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }))
  // the kernel names a plugin
  file('kernel/boot.ts', "import { chat } from '../plugins/chat/index.js'\nexport const boot = chat\n")
  // a plugin reaches into the kernel, and into another plugin's files
  file('plugins/chat/index.ts', "import { x } from '../../kernel/util.js'\nimport { y } from '../cost/ledger.js'\nexport const chat = x + y\n")
  file('kernel/util.ts', 'export const x = 1\n')
  file('plugins/cost/ledger.ts', "import { z } from '../../test/support.js'\nexport const y = z\n")
  file('test/support.ts', 'export const z = 2\n')
  // a cycle inside one plugin
  file('plugins/cost/a.ts', "import { b } from './b.js'\nexport const a = () => b\n")
  file('plugins/cost/b.ts', "import { a } from './a.js'\nexport const b = () => a\n")
  // the SDK's runtime reaching into the kernel
  file('plugin-sdk/src/index.ts', "import { x } from '../../kernel/util.js'\nexport const sdk = x\n")
  // a plugin's own test may use the shared test support: not a violation
  file('plugins/cost/cost.test.ts', "import { z } from '../../test/support.js'\nexport const t = z\n")

  const found = cruise(dir, ['kernel', 'plugins', 'plugin-sdk', 'test'])
    .map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)
    .sort()
  assert.deepEqual(found, [
    'kernel-never-imports-plugins: kernel/boot.ts → plugins/chat/index.ts',
    'no-circular: plugins/cost/a.ts → plugins/cost/b.ts',
    'plugin-code-never-imports-test-support: plugins/cost/ledger.ts → test/support.ts',
    'plugins-only-import-the-sdk: plugins/chat/index.ts → kernel/util.ts',
    'plugins-stay-in-their-folder: plugins/chat/index.ts → plugins/cost/ledger.ts',
    'sdk-is-self-contained: plugin-sdk/src/index.ts → kernel/util.ts',
  ])
})
