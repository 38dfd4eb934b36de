/**
 * GET /workspace/* for holders of a signed URL: valid links serve the file with the contract's
 * headers; expired, tampered and unsigned links are 403; traversal in every spelling and symlink
 * escapes are refused even when correctly signed, and the secret outside is never served.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ManualClock, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { rawRequest } from '../../test/ingress/support.js'

const SECRET_TEXT = 'TOP-SECRET-OUTSIDE-THE-WORKSPACE'
const clock = new ManualClock()
let k: TestKernel
let ws: string

before(async () => {
  k = await startTestKernel({ plugins: ['workspace'], clock })
  ws = k.kernel.paths.workspaceDir
  mkdirSync(join(ws, 'notes'), { recursive: true })
  writeFileSync(join(ws, 'notes', 'hello.txt'), 'hello from the workspace')
  writeFileSync(join(ws, 'page.html'), '<script>alert(1)</script>')
  writeFileSync(join(ws, 'a b.txt'), 'spaced')
  // the secret lives in the state dir, next to (not inside) the workspace
  writeFileSync(join(dirname(ws), 'secret.txt'), SECRET_TEXT)
  symlinkSync(join(dirname(ws), 'secret.txt'), join(ws, 'escape.txt'))
  symlinkSync(dirname(ws), join(ws, 'up'))
  symlinkSync(join(ws, 'notes', 'hello.txt'), join(ws, 'alias.txt'))
})
after(async () => {
  await k.stop()
})

/** sign a subject the way the kernel does — what a link minted for a bad path would carry */
function signed(rawPath: string, subject: string, ttl = 600): string {
  const exp = Math.floor(clock.nowMs / 1000) + ttl
  const sig = createHmac('sha256', k.serviceToken).update(`${subject}\n${exp}`).digest('hex')
  return `${rawPath}?exp=${exp}&sig=${sig}`
}
const get = (path: string) => rawRequest(k.url!, { path })
async function mint(path: string, ttl_secs?: number): Promise<string> {
  const res = await k.inject({
    method: 'POST',
    url: '/api/workspace/sign',
    headers: { 'content-type': 'application/json' },
    payload: { path, ...(ttl_secs ? { ttl_secs } : {}) },
  })
  assert.equal(res.statusCode, 200, res.body)
  return res.json().url
}
function assertNotServed(res: { status: number; body: string; json(): any }, status: number) {
  assert.equal(res.status, status, res.body)
  assert.ok(!res.body.includes(SECRET_TEXT), 'the secret must never be served')
  assert.equal(typeof res.json().code, 'string')
}

test('a minted URL serves the file with the contract headers', async () => {
  const url = await mint('notes/hello.txt')
  assert.match(url, /^\/workspace\/notes\/hello\.txt\?exp=\d+&sig=[0-9a-f]{64}$/)
  const res = await get(url)
  assert.equal(res.status, 200)
  assert.equal(res.body, 'hello from the workspace')
  assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8')
  assert.equal(res.headers['cache-control'], 'private, max-age=300')
  assert.equal(res.headers['x-content-type-options'], 'nosniff')
  const spaced = await get(await mint('a b.txt'))
  assert.equal(spaced.body, 'spaced')
})

test('HTML is served sandboxed so it cannot script the gateway origin', async () => {
  const res = await get(await mint('page.html'))
  assert.equal(res.status, 200)
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8')
  assert.match(String(res.headers['content-security-policy']), /sandbox/)
})

test('expired, tampered path, tampered exp, missing exp/sig → 403 and nothing served', async () => {
  const url = await mint('notes/hello.txt', 60)
  const u = new URL(url, 'http://x')
  const exp = u.searchParams.get('exp')!
  const sig = u.searchParams.get('sig')!
  for (const path of [
    `/workspace/page.html?exp=${exp}&sig=${sig}`,
    `/workspace/notes/hello.txt?exp=${Number(exp) + 3600}&sig=${sig}`,
    `/workspace/notes/hello.txt?exp=${exp}&sig=${sig.slice(0, 63)}${sig.endsWith('0') ? '1' : '0'}`,
    `/workspace/notes/hello.txt?exp=${exp}`,
    `/workspace/notes/hello.txt?sig=${sig}`,
    '/workspace/notes/hello.txt',
  ]) {
    const res = await get(path)
    assert.equal(res.status, 403, path)
    assert.equal(res.json().code, 'forbidden')
    assert.ok(!res.body.includes('hello from the workspace'))
  }
  clock.advance(61_000)
  try {
    const expired = await get(url)
    assert.equal(expired.status, 403)
    assert.match(expired.json().error, /expired/)
  } finally {
    clock.advance(-61_000)
  }
})

test('traversal in every spelling is refused (400) even when correctly signed, and 403 unsigned', async () => {
  const cases: Array<[string, string]> = [
    ['/workspace/../secret.txt', '../secret.txt'],
    ['/workspace/%2e%2e/secret.txt', '../secret.txt'],
    ['/workspace/%2E%2E%2Fsecret.txt', '../secret.txt'],
    ['/workspace/..%2fsecret.txt', '../secret.txt'],
    ['/workspace/notes/../../secret.txt', 'notes/../../secret.txt'],
    ['/workspace/..%5csecret.txt', '..\\secret.txt'],
    ['/workspace/notes%5c..%5c..%5csecret.txt', 'notes\\..\\..\\secret.txt'],
    ['/workspace/notes/hello.txt%00.png', 'notes/hello.txt\u0000.png'],
    [`/workspace/${encodeURIComponent(join(dirname(ws), 'secret.txt'))}`, join(dirname(ws), 'secret.txt')],
    [`/workspace/${join(dirname(ws), 'secret.txt')}`, join(dirname(ws), 'secret.txt')],
    ['/workspace//etc/passwd', '/etc/passwd'],
    ['/workspace/./notes/hello.txt', './notes/hello.txt'],
  ]
  for (const [path, subject] of cases) {
    assertNotServed(await get(signed(path, subject)), 400)
    // an encoded `.`, `/` or `\` is refused by the kernel before routing (400 bad_url,
    // kernel/http/request-checks.ts), signed or not; the plain spellings fail the signature
    assertNotServed(await get(path), /%(2e|2f|5c)/i.test(path) ? 400 : 403)
  }
})

test('a symlink inside the workspace pointing outside is refused; one pointing inside is served', async () => {
  for (const rel of ['escape.txt', 'up/secret.txt']) {
    // not even signed ...
    const sign = await k.inject({ method: 'POST', url: '/api/workspace/sign', headers: { 'content-type': 'application/json' }, payload: { path: rel } })
    assert.equal(sign.statusCode, 400, sign.body)
    assert.equal(sign.json().code, 'invalid_path')
    // ... and a link signed anyway (before the link was planted, say) is not served
    assertNotServed(await get(signed(`/workspace/${rel}`, rel)), 400)
  }
  const inside = await get(await mint('alias.txt'))
  assert.equal(inside.status, 200)
  assert.equal(inside.body, 'hello from the workspace')
})

test('a missing file or a directory → 404', async () => {
  assertNotServed(await get(await mint('notes/nope.txt')), 404)
  assertNotServed(await get(await mint('notes')), 404)
})
