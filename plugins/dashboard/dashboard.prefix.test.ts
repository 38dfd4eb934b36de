/**
 * The dashboard under `[gateway] path_prefix`: index.html is rewritten (`/_app/` → `{prefix}/_app/`
 * and a script setting `window.__REVKA_BASE__` first in `<head>`), the page answers at `{prefix}`
 * and every client route below it, the assets are served under the prefix, and nothing outside it.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createContext, runInContext } from 'node:vm'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { FIXTURE_WEB_ROOT, rawGet } from './test-support.js'
import { rewriteIndex, scriptString, urlPrefix } from './index-page.js'

let k: TestKernel
let origin: string
before(async () => {
  k = await startTestKernel({
    plugins: ['dashboard', 'status'],
    config: '[gateway]\npath_prefix = "/revka"\n',
    env: { REVKA_WEB_ROOT: FIXTURE_WEB_ROOT },
    listen: true,
  })
  origin = new URL(k.url!).origin
})
after(async () => {
  await k?.stop()
})

test('the page at {prefix} and below is rewritten for the prefix', async () => {
  for (const path of ['/revka', '/revka/dashboard', '/revka/cron/7?x=1']) {
    const res = await rawGet(origin, path)
    assert.equal(res.status, 200, path)
    assert.equal(res.headers['cache-control'], 'no-cache')
    assert.match(res.text, /<head>\n?<script>window\.__REVKA_BASE__="\/revka";<\/script>/, `${path}: the base script comes first in <head>`)
    assert.match(res.text, /src="\/revka\/_app\/assets\/app\.js"/)
    assert.match(res.text, /href="\/revka\/_app\/favicon\.svg"/)
    assert.doesNotMatch(res.text, /"\/_app\//, 'no asset URL is left without the prefix')
  }
})

test('{prefix}/ is a 308 to {prefix}; paths outside the prefix are 404 JSON', async () => {
  const slash = await rawGet(origin, '/revka/?next=%2Fcron')
  assert.equal(slash.status, 308)
  assert.equal(slash.headers.location, '/revka?next=%2Fcron')
  for (const path of ['/', '/dashboard', '/_app/assets/app.js', '/revkafoo', '/revka-x/dashboard']) {
    const res = await rawGet(origin, path)
    assert.equal(res.status, 404, path)
    assert.equal(JSON.parse(res.text).code, 'not_found', path)
  }
  for (const path of ['/revka/api/x', '/revka/ws/x', '/revka/admin']) {
    const res = await rawGet(origin, path)
    assert.equal(res.status, 404, path)
    assert.equal(JSON.parse(res.text).code, 'not_found', path)
  }
  const post = await k.inject({ method: 'POST', url: '/revka/dashboard' })
  assert.equal(post.statusCode, 405)
  assert.equal((await k.inject({ method: 'POST', url: '/elsewhere' })).statusCode, 404, 'outside the prefix nothing exists')
})

test('assets are served under the prefix with their cache rules', async () => {
  const res = await rawGet(origin, '/revka/_app/assets/app.js')
  assert.equal(res.status, 200)
  assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable')
  const health = await rawGet(origin, '/revka/health')
  assert.equal(health.status, 200)
})

test('a prefix with quotes and markup cannot break out of the page', () => {
  const prefix = '/a"b\'</script><script>alert(1)</script>&x\u2028'
  const html = '<!doctype html><html><head><meta charset="utf-8"><script src="/_app/assets/app.js"></script></head><body></body></html>'
  const out = rewriteIndex(html, prefix)
  // exactly the two scripts, nothing injected
  assert.equal(out.match(/<script/g)?.length, 2)
  assert.ok(!out.includes('alert(1)</script>'))
  // the injected script sets exactly the prefix
  const script = /<script>(.*?)<\/script>/.exec(out)![1]
  const win: Record<string, unknown> = {}
  // the inline script runs as a browser would run it: in a context of its own that has only `window`
  runInContext(script, createContext({ window: win }))
  assert.equal(win.__REVKA_BASE__, prefix)
  // the asset URL carries the prefix percent-encoded (`/` stays a separator): no quote ends the attribute
  assert.match(out, /src="\/a%22b%27%3C\/script%3E%3Cscript%3Ealert%281%29%3C\/script%3E%26x%E2%80%A8\/_app\/assets\/app\.js"/)
  assert.equal(urlPrefix('/revka/v1'), '/revka/v1')
  assert.equal(scriptString('</script>'), '"\\u003c/script\\u003e"')
  // a page without <head> still gets the script, first
  assert.ok(rewriteIndex('<p>x</p>', '/p').startsWith('<script>window.__REVKA_BASE__="/p";</script>'))
  assert.equal(rewriteIndex(html, ''), html, 'no prefix: unchanged')
})
