import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startDomainKernel, storeSnapshot, type DomainKernel } from '../assets/test-support/domain.js'

// a local fake marketplace: records what it was asked, answers like ClawHub's v1 API
const seen: Array<{ url: string; auth?: string }> = []
const SKILL_MD = '---\nname: pdf-tools\n---\n# PDF tools\nSplit and merge PDFs.\n'
function marketplace(req: IncomingMessage, res: ServerResponse): void {
  seen.push({ url: req.url!, auth: req.headers.authorization })
  const url = new URL(req.url!, 'http://x')
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  if (url.pathname === '/api/v1/search')
    return json(200, { results: [{ slug: 'pdf-tools', score: 0.9 }], q: url.searchParams.get('q'), limit: url.searchParams.get('limit') })
  if (url.pathname === '/api/v1/skills' && url.searchParams.get('sort') === 'trending')
    return json(200, { items: [{ slug: 'pdf-tools' }], nonSuspiciousOnly: url.searchParams.get('nonSuspiciousOnly') })
  if (url.pathname === '/api/v1/skills/pdf-tools')
    return json(200, { slug: 'pdf-tools', displayName: 'PDF tools', description: 'split and merge', latestVersion: { version: '2.1.0' } })
  if (url.pathname === '/api/v1/skills/pdf-tools/file') {
    res.writeHead(200, { 'content-type': 'text/markdown' })
    return void res.end(SKILL_MD)
  }
  if (url.pathname === '/api/v1/skills/no-md') return json(200, { slug: 'no-md' })
  if (url.pathname === '/api/v1/skills/private') return json(401, { error: 'token required' })
  if (url.pathname === '/api/v1/skills/huge') {
    res.writeHead(200, { 'content-type': 'application/json' })
    return void res.end('"' + 'x'.repeat(200_000) + '"')
  }
  json(404, { error: 'skill not found' })
}

const listen = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
  new Promise<Server>((resolve) => {
    const s = createServer(handler)
    s.listen(0, '127.0.0.1', () => resolve(s))
  })
const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`

let fake: Server
let silent: Server
let d: DomainKernel
let silentK: DomainKernel
let none: DomainKernel
let closedPortK: DomainKernel
before(async () => {
  fake = await listen(marketplace)
  silent = await listen(() => {
    /* accepts, never answers */
  })
  d = await startDomainKernel(['clawhub'], {
    config: `[clawhub]\napi_url = "${urlOf(fake)}"\napi_token = "hub-secret"\n`,
    options: { clawhub: { max_response_bytes: 65536 } },
  })
  silentK = await startDomainKernel(['clawhub'], { options: { clawhub: { api_url: urlOf(silent), timeout_secs: 1, max_inflight: 1 } } })
  none = await startDomainKernel(['clawhub'])
  const closed = await listen(() => {})
  const closedUrl = urlOf(closed)
  await new Promise((r) => closed.close(r))
  closedPortK = await startDomainKernel(['clawhub'], { options: { clawhub: { api_url: closedUrl } } })
})
after(async () => {
  for (const k of [d, silentK, none, closedPortK]) await k.k.stop()
  silent.closeAllConnections()
  await new Promise((r) => silent.close(r))
  await new Promise((r) => fake.close(r))
})

test('search, trending and detail pass the marketplace JSON through, with the configured token', async () => {
  const search = await d.call('GET', '/api/clawhub/search?q=pdf%20merge&limit=5')
  assert.equal(search.status, 200)
  assert.deepEqual(search.body, { results: [{ slug: 'pdf-tools', score: 0.9 }], q: 'pdf merge', limit: '5' })
  assert.equal(seen.at(-1)!.auth, 'Bearer hub-secret')
  const trending = await d.call('GET', '/api/clawhub/trending')
  assert.deepEqual(trending.body, { items: [{ slug: 'pdf-tools' }], nonSuspiciousOnly: 'true' })
  assert.ok(seen.at(-1)!.url.includes('limit=20'), 'limit defaults to 20')
  const detail = await d.call('GET', '/api/clawhub/skills/pdf-tools')
  assert.equal(detail.status, 200)
  assert.equal(detail.body.displayName, 'PDF tools')
  assert.equal(detail.body.skill_md, SKILL_MD)
})

test('install stores the skill, its metadata and SKILL.md (published) in the domain store; again is 409', async () => {
  const res = await d.call('POST', '/api/clawhub/install/pdf-tools')
  assert.equal(res.status, 201)
  assert.deepEqual(res.body, {
    installed: true,
    slug: 'pdf-tools',
    name: 'PDF tools',
    kref: 'kref://CognitiveMemory/Skills/pdf-tools.skill',
    description: 'split and merge',
  })
  const rev = (await d.store.currentRevision(res.body.kref))!
  assert.ok(rev.published)
  assert.deepEqual(rev.metadata, {
    description: 'split and merge',
    domain: 'Other',
    tags: 'clawhub,pdf-tools',
    clawhub_slug: 'pdf-tools',
    clawhub_version: '2.1.0',
    source: 'clawhub',
  })
  const [art] = await d.store.listArtifacts(rev.kref)
  assert.equal(art.name, 'SKILL.md')
  const path = art.location.startsWith('file:') ? fileURLToPath(art.location) : art.location
  assert.equal(readFileSync(path, 'utf8'), SKILL_MD)
  const again = await d.call('POST', '/api/clawhub/install/pdf-tools')
  assert.equal(again.status, 409)
})

test('marketplace refusals: 404 passed on, 401 becomes 502, a missing SKILL.md is 502, an oversized answer 502 — nothing installed', async () => {
  const snap = await storeSnapshot(d.store)
  const missing = await d.call('GET', '/api/clawhub/skills/nope')
  assert.equal(missing.status, 404)
  assert.equal(missing.body.code, 'clawhub_upstream_error')
  const priv = await d.call('GET', '/api/clawhub/skills/private')
  assert.equal(priv.status, 502, 'never 401: the dashboard would drop its token')
  assert.equal(priv.body.upstream_status, 401)
  const noMd = await d.call('POST', '/api/clawhub/install/no-md')
  assert.equal(noMd.status, 502)
  assert.equal(noMd.body.error, 'Could not fetch SKILL.md from ClawHub')
  const huge = await d.call('GET', '/api/clawhub/skills/huge')
  assert.equal(huge.status, 502)
  assert.equal(huge.body.code, 'clawhub_response_too_large')
  assert.equal(await storeSnapshot(d.store), snap)
})

test('attack: bad slugs and a missing q are 400 and never reach the marketplace', async () => {
  const before = seen.length
  for (const slug of ['-rf', '.hidden', 'a..b', 'x'.repeat(129), 'a%20b', 'a;b']) {
    for (const [method, path] of [
      ['GET', `/api/clawhub/skills/${slug}`],
      ['POST', `/api/clawhub/install/${slug}`],
    ]) {
      const res = await d.call(method, path)
      assert.equal(res.status, 400, `${method} ${slug}`)
    }
  }
  assert.equal((await d.call('GET', '/api/clawhub/search')).body.code, 'q_required')
  assert.equal((await d.call('GET', '/api/clawhub/search?q=x&limit=-1')).status, 400)
  assert.equal(seen.length, before)
})

test('no marketplace configured: 503 with a code, Retry-After and what to set', async () => {
  for (const [method, path] of [
    ['GET', '/api/clawhub/search?q=x'],
    ['GET', '/api/clawhub/trending'],
    ['GET', '/api/clawhub/skills/pdf-tools'],
    ['POST', '/api/clawhub/install/pdf-tools'],
  ]) {
    const res = await none.call(method, path)
    assert.equal(res.status, 503, path)
    assert.equal(res.body.code, 'clawhub_not_configured')
    assert.match(res.body.error, /api_url/)
    assert.ok(Number(res.headers.get('retry-after')) > 0)
  }
  assert.equal(await none.store.getItem('kref://CognitiveMemory/Skills/pdf-tools.skill'), null)
})

test('a marketplace that never answers is 504 within the timeout (and max_inflight refuses a second caller meanwhile); a closed port is 503 unreachable', async () => {
  const t0 = Date.now()
  const res = await silentK.call('GET', '/api/clawhub/trending')
  const took = Date.now() - t0
  assert.equal(res.status, 504)
  assert.equal(res.body.code, 'clawhub_timeout')
  assert.ok(took >= 900 && took < 5000, `answered after ${took} ms (timeout_secs = 1)`)
  // max_inflight = 1: while one request waits on the silent marketplace, the next is refused at once
  const waiting = silentK.call('POST', '/api/clawhub/install/pdf-tools')
  await new Promise((r) => setTimeout(r, 100))
  const busy = await silentK.call('GET', '/api/clawhub/trending')
  assert.equal(busy.status, 503)
  assert.equal(busy.body.code, 'clawhub_busy')
  assert.equal(busy.headers.get('retry-after'), '1')
  const install = await waiting
  assert.equal(install.status, 504)
  assert.equal(await silentK.store.getItem('kref://CognitiveMemory/Skills/pdf-tools.skill'), null)
  const closed = await closedPortK.call('GET', '/api/clawhub/search?q=x')
  assert.equal(closed.status, 503)
  assert.equal(closed.body.code, 'clawhub_unreachable')
  assert.match(closed.body.error, /ECONNREFUSED/)
  assert.equal(closed.headers.get('retry-after'), '10')
})
