/**
 * Which build is served, and what happens when it is not there: `REVKA_WEB_ROOT` beats
 * `[gateway] web_root`, which beats the built-in console. A configured root that is missing or has
 * no index.html gets a start-up diagnostic (health) and a 503 plain-text hint, never a crash, and
 * recovers without a restart once the build appears. An unbuilt console gets a page saying so.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'
import { cleanupCopies, FIXTURE_WEB_ROOT, rawGet, webRootCopy } from './test-support.js'
import { chooseWebRoot } from './web-root.js'

after(() => cleanupCopies())

test('a missing REVKA_WEB_ROOT: the gateway starts, health names the problem, pages answer 503 with a hint', async () => {
  const missing = join(tmpdir(), 'revka-no-such-web-root-' + process.pid)
  const k = await startTestKernel({ plugins: ['dashboard', 'status', 'pairing'], env: { REVKA_WEB_ROOT: missing }, listen: true })
  try {
    assert.equal(k.plugin('dashboard')?.status, 'started')
    for (const path of ['/', '/dashboard', '/_app/assets/app.js']) {
      const res = await rawGet(k.url!, path)
      assert.equal(res.status, 503, path)
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8')
      assert.equal(res.headers['retry-after'], '60')
      assert.ok(res.text.includes(missing) && res.text.includes('REVKA_WEB_ROOT'), res.text)
      assert.match(res.text, /does not exist/)
    }
    const health = JSON.parse((await rawGet(k.url!, '/health')).text)
    assert.equal(health.status, 'degraded')
    const component = JSON.stringify(health.runtime)
    assert.match(component, /REVKA_ERR_DASHBOARD_WEB_ROOT/)
    // the API is untouched
    const status = await rawGet(k.url!, '/api/status', { authorization: `Bearer ${k.token}` })
    assert.equal(status.status, 200)
  } finally {
    await k.stop()
  }
})

test('[gateway] web_root without index.html: 503 naming the key, then served once the build appears', async () => {
  const { base, web } = webRootCopy()
  rmSync(join(web, 'index.html'))
  // relative to config.toml's folder (the state dir)
  const state = join(base, 'state')
  mkdirSync(state)
  const k = await startTestKernel({ plugins: ['dashboard'], stateDir: state, config: '[gateway]\nweb_root = "../web"\n', listen: true })
  try {
    const before = await rawGet(k.url!, '/')
    assert.equal(before.status, 503)
    assert.match(before.text, /has no index\.html/)
    assert.match(before.text, /\[gateway\] web_root/)
    copyFileSync(join(FIXTURE_WEB_ROOT, 'index.html'), join(web, 'index.html'))
    const afterBuild = await rawGet(k.url!, '/dashboard')
    assert.equal(afterBuild.status, 200)
    assert.match(afterBuild.text, /Fixture dashboard/)
    assert.equal((await rawGet(k.url!, '/_app/assets/app.js')).status, 200)
  } finally {
    await k.stop()
  }
})

test('REVKA_WEB_ROOT wins over [gateway] web_root; a non-string web_root refuses the start', async () => {
  const k = await startTestKernel({
    plugins: ['dashboard'],
    config: '[gateway]\nweb_root = "/nowhere/at/all"\n',
    env: { REVKA_WEB_ROOT: FIXTURE_WEB_ROOT },
    listen: true,
  })
  try {
    const res = await rawGet(k.url!, '/')
    assert.equal(res.status, 200)
    assert.match(res.text, /Fixture dashboard/)
  } finally {
    await k.stop()
  }
  await assert.rejects(startTestKernel({ plugins: ['dashboard'], config: '[gateway]\nweb_root = 42\n' }), /gateway\.web_root must be a non-empty string/)
})

test('without a configured root the built-in console is served; unbuilt, a page says how to build it', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'revka-console-'))
  const k = await startTestKernel({
    plugins: ['dashboard', 'status', 'pairing'],
    options: { dashboard: { console_dir: empty } },
    env: { REVKA_WEB_ROOT: undefined },
    listen: true,
  })
  try {
    const res = await rawGet(k.url!, '/')
    assert.equal(res.status, 200)
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8')
    assert.match(res.text, /operator console has not been built/)
    assert.match(res.text, /npm run build/)
    assert.equal((await rawGet(k.url!, '/_app/assets/app.js')).status, 404)
    assert.equal(JSON.parse((await rawGet(k.url!, '/health')).text).status, 'ok', 'an unbuilt console does not degrade the gateway')
  } finally {
    await k.stop()
    rmSync(empty, { recursive: true, force: true })
  }
  const k2 = await startTestKernel({
    plugins: ['dashboard'],
    options: { dashboard: { console_dir: FIXTURE_WEB_ROOT } },
    env: { REVKA_WEB_ROOT: undefined },
    listen: true,
  })
  try {
    assert.match((await rawGet(k2.url!, '/cron')).text, /Fixture dashboard/)
  } finally {
    await k2.stop()
  }
  // the default console folder is console/dist beside the plugin
  const dflt = chooseWebRoot({ configPath: (p) => resolve('/state', p), consoleDir: '/plugins/dashboard/console/dist' })
  assert.deepEqual(dflt, { kind: 'console', dir: '/plugins/dashboard/console/dist', origin: 'the built-in console' })
  assert.equal(chooseWebRoot({ config: 'web', configPath: (p) => resolve('/state', p), consoleDir: '/c' }).dir, '/state/web')
})
