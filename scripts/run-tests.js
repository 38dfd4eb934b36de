#!/usr/bin/env node
// `npm test`: compile (tsc emits JS beside each .ts), then run every *.test.js under test/,
// plugins/ and examples/ with Node's test runner. Prints the spec report, then one plain
// "N passed, N failed" line computed from the TAP stream.
import { spawnSync, spawn } from 'node:child_process'
import { readdirSync, statSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
// `--suite reliability` runs test/reliability (fuzz, crash consistency, graceful shutdown): slower,
// and run by `npm run test:reliability` after `npm test` in CI. `--suite browser` runs the tests
// that drive a real Chromium (test/browser/, and any `*.browser.test.js` elsewhere):
// `npm run test:browser`, run by CI after the other two. `npm test` runs neither.
const args = process.argv.slice(2)
const suite = args.includes('--suite') ? args[args.indexOf('--suite') + 1] : 'unit'
const filters = args.filter((a, i) => a !== '--suite' && args[i - 1] !== '--suite')
if (!['unit', 'reliability', 'browser', 'cluster'].includes(suite)) {
  console.error(`unknown suite "${suite}" (unit, reliability, browser, cluster)`)
  process.exit(2)
}

const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' })
if (tsc.status !== 0) {
  // a full run must type-check; a filtered run (work in progress elsewhere) only warns, since tsc
  // still emitted JavaScript for the files that compile
  if (!filters.length) {
    console.error('typescript build failed')
    process.exit(1)
  }
  console.error('warning: typescript reported errors (see above); running the selected tests anyway')
}

function walk(dir, out) {
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const e of entries) {
    if (e === 'node_modules' || e.startsWith('.')) continue
    const p = join(dir, e)
    const st = statSync(p)
    if (st.isDirectory()) walk(p, out)
    else if (e.endsWith('.test.js')) out.push(p)
  }
  return out
}

const reliabilityDir = join(root, 'test', 'reliability')
const browserDir = join(root, 'test', 'browser')
// `--suite cluster` (issue 18): three gateways against real PostgreSQL and Redis, which
// scripts/cluster-engines.sh starts: `npm run test:cluster` wraps this in it
const clusterDir = join(root, 'test', 'cluster')
const everywhere = () => ['test', 'plugins', 'examples'].flatMap((d) => walk(join(root, d), []))
const isBrowser = (f) => f.startsWith(browserDir) || f.endsWith('.browser.test.js')
const suites = {
  unit: () => everywhere().filter((f) => !f.startsWith(reliabilityDir) && !f.startsWith(clusterDir) && !isBrowser(f)),
  reliability: () => walk(reliabilityDir, []),
  browser: () => everywhere().filter(isBrowser),
  cluster: () => walk(clusterDir, []),
}
let files = suites[suite]().sort()
if (filters.length) files = files.filter((f) => filters.some((x) => relative(root, f).includes(x)))
if (!files.length) {
  console.error('no test files matched')
  process.exit(1)
}
mkdirSync(join(root, '.tmp'), { recursive: true })
// one report per run: parallel runs must not read each other's counts
const tap = join(root, '.tmp', `test-report.${process.pid}.tap`)
const child = spawn(
  process.execPath,
  [
    // test processes only (the gateway never runs with it): the upload memory test collects the
    // young generation as it samples RSS, so it measures what is retained, not V8's schedule
    '--expose-gc',
    '--test',
    // one browser at a time: Chromium with a gateway beside it fills this machine's two cores
    `--test-concurrency=${process.env.REVKA_TEST_CONCURRENCY ?? (suite === 'browser' || suite === 'cluster' ? 1 : 2)}`,
    '--test-timeout=120000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: 'inherit', cwd: root, env: { ...process.env, REVKA_TESTING: '1' } },
)
child.on('exit', (code) => {
  let pass = 0,
    fail = 0,
    skip = 0,
    cancelled = 0
  try {
    const text = readFileSync(tap, 'utf8')
    pass = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? 0)
    fail = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? 0)
    skip = Number(/^# skipped (\d+)/m.exec(text)?.[1] ?? 0)
    // a test still pending when its file ended is cancelled, not passed: say so in the summary
    cancelled = Number(/^# cancelled (\d+)/m.exec(text)?.[1] ?? 0)
  } catch {}
  try {
    rmSync(tap)
  } catch {}
  console.log(`${pass} passed, ${fail} failed${cancelled ? `, ${cancelled} cancelled` : ''}${skip ? `, ${skip} skipped` : ''}`)
  process.exit(code || (fail || cancelled ? 1 : 0))
})
