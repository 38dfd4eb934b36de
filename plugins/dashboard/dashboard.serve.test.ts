/**
 * The dashboard as a browser meets it, over real sockets: the files under /_app/ with their cache
 * rules, ETags and pre-compressed copies; index.html for every client route; and around it the
 * kernel's rules for what is not a page (unknown /api, /ws, /admin → 404 JSON; other methods → 405).
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { FIXTURE_WEB_ROOT, rawGet } from './test-support.js'

const APP_JS = readFileSync(join(FIXTURE_WEB_ROOT, 'assets/app.js'))
const INDEX = readFileSync(join(FIXTURE_WEB_ROOT, 'index.html'), 'utf8')

let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['dashboard', 'status', 'pairing'], env: { REVKA_WEB_ROOT: FIXTURE_WEB_ROOT }, listen: true })
})
after(async () => {
  await k?.stop()
})

test('an asset under assets/ is cached for a year, with its type, an ETag and a 304 on revalidation', async () => {
  const res = await rawGet(k.url!, '/_app/assets/app.js')
  assert.equal(res.status, 200)
  assert.match(String(res.headers['content-type']), /^(application|text)\/javascript/)
  assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable')
  assert.match(String(res.headers.vary), /accept-encoding/i)
  assert.deepEqual(res.body, APP_JS)
  const etag = String(res.headers.etag)
  assert.ok(etag.length > 2, 'an ETag is sent')

  const again = await rawGet(k.url!, '/_app/assets/app.js', { 'if-none-match': etag })
  assert.equal(again.status, 304)
  assert.equal(again.body.length, 0)

  const head = await rawGet(k.url!, '/_app/assets/app.js', {}, 'HEAD')
  assert.equal(head.status, 200)
  assert.equal(head.body.length, 0)
  assert.equal(Number(head.headers['content-length']), APP_JS.length)
})

test('pre-compressed copies are sent to clients that accept them, the plain file to the others', async () => {
  const br = await rawGet(k.url!, '/_app/assets/app.js', { 'accept-encoding': 'gzip, deflate, br' })
  assert.equal(br.status, 200)
  assert.equal(br.headers['content-encoding'], 'br')
  assert.match(String(br.headers['content-type']), /javascript/)
  assert.deepEqual(brotliDecompressSync(br.body), APP_JS)

  const gz = await rawGet(k.url!, '/_app/assets/app.js', { 'accept-encoding': 'br;q=0, gzip' })
  assert.equal(gz.headers['content-encoding'], 'gzip')
  assert.deepEqual(gunzipSync(gz.body), APP_JS)

  const plain = await rawGet(k.url!, '/_app/assets/app.js', { 'accept-encoding': 'identity' })
  assert.equal(plain.headers['content-encoding'], undefined)
  assert.deepEqual(plain.body, APP_JS)
  assert.match(String(plain.headers.vary), /accept-encoding/i, 'caches must key on Accept-Encoding')
  // each encoding is its own representation: its own validator
  assert.notEqual(br.headers.etag, plain.headers.etag)
})

test('a file outside assets/ is revalidated every time; a missing file is 404 JSON, not the page', async () => {
  const icon = await rawGet(k.url!, '/_app/favicon.svg')
  assert.equal(icon.status, 200)
  assert.equal(icon.headers['cache-control'], 'no-cache')
  assert.match(String(icon.headers['content-type']), /^image\/svg\+xml/)

  for (const path of ['/_app/assets/missing.js', '/_app/', '/_app/assets', '/_app/assets/']) {
    const res = await rawGet(k.url!, path)
    assert.equal(res.status, 404, path)
    assert.match(String(res.headers['content-type']), /^application\/json/, path)
    assert.equal(JSON.parse(res.text).code, 'not_found', path)
  }
})

test('every client route is index.html, 200, no-cache, with an ETag', async () => {
  let etag = ''
  for (const path of ['/', '/dashboard', '/cron', '/cron/jobs/42?tab=runs', '/apix', '/wsx', '/administrator']) {
    const res = await rawGet(k.url!, path)
    assert.equal(res.status, 200, path)
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', path)
    assert.equal(res.headers['cache-control'], 'no-cache', path)
    assert.equal(res.text, INDEX, `${path}: no prefix, so the page is unchanged`)
    etag = String(res.headers.etag)
  }
  const revalidated = await rawGet(k.url!, '/cron', { 'if-none-match': etag })
  assert.equal(revalidated.status, 304)
  assert.equal(revalidated.body.length, 0)
  const head = await rawGet(k.url!, '/dashboard', {}, 'HEAD')
  assert.equal(head.status, 200)
  assert.equal(head.body.length, 0)
})

test('unknown /api, /ws and /admin paths stay 404 JSON; known routes still answer', async () => {
  const upgrade = { connection: 'upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }
  const cases: Array<[string, Record<string, string>]> = [
    ['/api', {}],
    ['/api/x', {}],
    ['/api/x', { authorization: `Bearer ${k.token}` }],
    ['/api/', {}],
    ['/ws', {}],
    ['/ws/x', {}],
    ['/admin', {}],
    ['/admin/x/y', {}],
  ]
  for (const [path, headers] of cases) {
    const res = await rawGet(k.url!, path, headers)
    assert.equal(res.status, 404, path)
    assert.match(String(res.headers['content-type']), /^application\/json/, path)
    assert.equal(JSON.parse(res.text).code, 'not_found', path)
  }
  const ws = await k.inject({ url: '/ws/x', headers: upgrade })
  assert.equal(ws.statusCode, 404)
  assert.equal(ws.json().code, 'not_found')
  const health = await rawGet(k.url!, '/health')
  assert.equal(health.status, 200)
  assert.equal(JSON.parse(health.text).status, 'ok')
})

test('unmatched non-GET requests answer 405 with Allow; under /api, /ws and /admin they stay 404', async () => {
  for (const [method, path] of [
    ['POST', '/dashboard'],
    ['DELETE', '/'],
    ['PUT', '/_app/assets/app.js'],
    ['PATCH', '/cron/1'],
  ]) {
    const res = await k.inject({ method, url: path, payload: method === 'DELETE' ? undefined : { a: 1 } })
    assert.equal(res.statusCode, 405, `${method} ${path}`)
    assert.equal(res.headers.allow, 'GET, HEAD')
    assert.equal(res.json().code, 'method_not_allowed')
  }
  for (const path of ['/api/x', '/admin/x', '/ws/x']) {
    const res = await k.inject({ method: 'POST', url: path })
    assert.equal(res.statusCode, 404, path)
    assert.equal(res.json().code, 'not_found')
  }
})
