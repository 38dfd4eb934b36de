/**
 * Attacks on the dashboard's file handling, over real sockets with the path sent exactly as
 * written: traversal (plain, with backslashes, percent-encoded), dotfiles, and symlinks that lead
 * out of the web root — to a file, to a folder, and as the pre-compressed copy of an asset. Each
 * is refused, and the secret beside the web root never appears in any answer. A web root that
 * overlaps the state dir is refused as a whole.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { cleanupCopies, rawGet, webRootCopy } from './test-support.js'

const SECRET = 'TOP-SECRET-7f3a'

let k: TestKernel
before(async () => {
  const { base, web } = webRootCopy()
  // what an attacker is after: files beside the web root (as config.toml is beside a state dir)
  writeFileSync(join(base, 'config.toml'), `api_key = "${SECRET}"\n`)
  mkdirSync(join(base, 'private'))
  writeFileSync(join(base, 'private', 'key.pem'), SECRET)
  // links out of the web root: a file, a folder, and the .br copy of a real asset
  symlinkSync(join(base, 'config.toml'), join(web, 'assets', 'leak.js'))
  symlinkSync(join(base, 'private'), join(web, 'assets', 'outside'))
  writeFileSync(join(web, 'assets', 'evil.js'), 'console.log("evil.js")\n')
  symlinkSync(join(base, 'config.toml'), join(web, 'assets', 'evil.js.br'))
  // a dotfile and a dot-folder inside the web root
  mkdirSync(join(web, '.git'))
  writeFileSync(join(web, '.git', 'config'), SECRET)
  writeFileSync(join(web, 'assets', '.hidden.js'), SECRET)
  // a link that stays inside the web root is fine
  symlinkSync(join(web, 'assets', 'app.js'), join(web, 'assets', 'alias.js'))
  k = await startTestKernel({ plugins: ['dashboard'], env: { REVKA_WEB_ROOT: web }, listen: true })
})
after(async () => {
  try {
    await k?.stop()
  } finally {
    cleanupCopies()
  }
})

test('traversal, encoded separators and dotfiles are refused and leak nothing', async () => {
  const attempts: Array<[string, number[]]> = [
    ['/_app/../config.toml', [403, 404]],
    ['/_app/assets/../../config.toml', [403, 404]],
    ['/_app/./assets/app.js', [403, 404]],
    ['/_app//config.toml', [403, 404]],
    ['/_app/assets//../../config.toml', [403, 404]],
    ['/_app/..\\config.toml', [403, 404]],
    ['/_app/assets\\..\\..\\config.toml', [403, 404]],
    // encoded spellings: the kernel refuses non-canonical paths before routing
    ['/_app/%2e%2e/config.toml', [400]],
    ['/_app/%2E%2E/config.toml', [400]],
    ['/_app/..%2fconfig.toml', [400]],
    ['/_app/assets%2f..%2f..%2fconfig.toml', [400]],
    ['/_app/..%5cconfig.toml', [400]],
    ['/_app/%252e%252e/config.toml', [400]],
    ['/_app/assets/app.js%00.html', [400, 404]],
    // dotfiles, dot-folders
    ['/_app/.env', [404]],
    ['/_app/.git/config', [404]],
    ['/_app/assets/.hidden.js', [404]],
    // an absolute path in the wildcard
    ['/_app//etc/passwd', [403, 404]],
  ]
  for (const [path, allowed] of attempts) {
    const res = await rawGet(k.url!, path)
    assert.ok(allowed.includes(res.status), `${path}: ${res.status} ${res.text.slice(0, 120)}`)
    assert.ok(!res.text.includes(SECRET) && !res.text.includes('SECRET='), `${path} leaked a secret`)
    assert.match(String(res.headers['content-type']), /^application\/json/, `${path}: an error, in the one error shape`)
  }
})

test('symlinks out of the web root are not followed: file, folder, or pre-compressed copy', async () => {
  for (const path of ['/_app/assets/leak.js', '/_app/assets/outside/key.pem']) {
    const res = await rawGet(k.url!, path, { 'accept-encoding': 'br, gzip' })
    assert.equal(res.status, 404, `${path}: ${res.text.slice(0, 120)}`)
    assert.ok(!res.text.includes(SECRET), `${path} leaked the secret`)
  }
  // the plain evil.js is inside the root; its .br sibling leads outside and must not be sent
  const br = await rawGet(k.url!, '/_app/assets/evil.js', { 'accept-encoding': 'br' })
  assert.ok(!br.body.includes(Buffer.from(SECRET)), 'the outside file was sent as the .br copy')
  assert.notEqual(br.headers['content-encoding'], 'br')
  const plain = await rawGet(k.url!, '/_app/assets/evil.js')
  assert.equal(plain.status, 200)
  assert.equal(plain.text, 'console.log("evil.js")\n')
  // a link that stays inside is served like the file it names
  const alias = await rawGet(k.url!, '/_app/assets/alias.js')
  assert.equal(alias.status, 200)
  assert.match(alias.text, /fixture dashboard/)
})

test('client routes that look like traversal just get the page', async () => {
  for (const path of ['/../config.toml', '/dashboard/../../config.toml', '/.env']) {
    const res = await rawGet(k.url!, path)
    assert.equal(res.status, 200, path)
    assert.match(res.text, /<title>Fixture dashboard<\/title>/, path)
    assert.ok(!res.text.includes(SECRET), path)
  }
})

test('an index.html that links out of the web root is not served', async () => {
  const { base, web } = webRootCopy()
  writeFileSync(join(base, 'outside.html'), `<html><head></head><body>${SECRET}</body></html>`)
  rmSync(join(web, 'index.html'))
  symlinkSync(join(base, 'outside.html'), join(web, 'index.html'))
  const k2 = await startTestKernel({ plugins: ['dashboard'], env: { REVKA_WEB_ROOT: web }, listen: true })
  try {
    const res = await rawGet(k2.url!, '/')
    assert.equal(res.status, 503)
    assert.ok(!res.text.includes(SECRET))
    assert.match(res.text, /link leading out of the web root/)
  } finally {
    await k2.stop()
  }
})

test('a web root that is, holds or lies in the state dir is refused: the service token is never an asset', async () => {
  const { base } = webRootCopy()
  const state = join(base, 'state')
  mkdirSync(state)
  // a page, so that only the overlap is wrong
  writeFileSync(join(state, 'index.html'), '<html><head></head><body>state page</body></html>')
  writeFileSync(join(base, 'index.html'), '<html><head></head><body>parent page</body></html>')
  for (const setup of [{ config: '[gateway]\nweb_root = "."\n' }, { env: { REVKA_WEB_ROOT: base } }]) {
    const k2 = await startTestKernel({ plugins: ['dashboard'], stateDir: state, ...setup, listen: true })
    try {
      const token = k2.serviceToken
      for (const path of ['/', '/_app/service-token', '/_app/state/service-token', '/_app/config.toml', '/_app/kernel/devices.db']) {
        const res = await rawGet(k2.url!, path)
        assert.equal(res.status, 503, `${JSON.stringify(setup)} ${path}: ${res.status}`)
        assert.ok(!res.text.includes(token), `${path} leaked the service token`)
        assert.match(res.text, /overlaps the gateway's state dir/)
      }
    } finally {
      await k2.stop()
    }
  }
})
