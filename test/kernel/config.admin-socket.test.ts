/**
 * `PUT /api/config` runs the checks the next start runs (kernel/config/validate-gateway.ts), so an
 * accepted config can never brick the start. The admin socket's were missing: an `admin_socket`
 * whose folder others can enter, or whose path is a regular file, was written to config.toml and
 * the next start failed with REVKA_ERR_ADMIN_SOCKET. Now the PUT refuses it with 400 unsafe_config
 * and the start's own message, and leaves config.toml as it was. Also: with
 * `admin_only_on_socket`, the 403 a loopback route answers on TCP says where admin is served.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { removeDir } from '../auth/support.js'

const dirs: string[] = []
after(() => {
  for (const d of dirs) removeDir(d)
})

/** short: a unix socket path is at most 107 bytes */
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rk-cas-'))
  dirs.push(d)
  return d
}

const withSocket = (path: string) => `[gateway]\nadmin_socket = ${JSON.stringify(path)}\n`

async function startError(config: string): Promise<string> {
  let message = ''
  await startTestKernel({ stateDir: tempDir(), plugins: [], listen: true, config }).then(
    (k) => k.stop(),
    (e: Error) => {
      message = e.message
    },
  )
  return message
}

async function put(k: TestKernel, body: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${k.url}/api/config`, { method: 'PUT', headers: { 'content-type': 'application/toml', authorization: `Bearer ${k.token}` }, body })
  return { status: res.status, json: (await res.json()) as any }
}

test("an admin_socket the start would refuse (a shared folder, a path that is not a socket) is refused at PUT with the start's message; a private one is accepted", async () => {
  const place = tempDir()
  const loose = join(place, 'loose')
  mkdirSync(loose)
  chmodSync(loose, 0o755)
  const file = join(place, 'private')
  mkdirSync(file, { mode: 0o700 })
  writeFileSync(join(file, 'admin.sock'), 'not a socket')

  const cases = [
    { name: 'shared folder', path: join(loose, 'admin.sock'), start: /^REVKA_ERR_ADMIN_SOCKET: admin_socket: .* must be 0700/ },
    { name: 'not a socket', path: join(file, 'admin.sock'), start: /^REVKA_ERR_ADMIN_SOCKET: admin_socket: .* is not a socket/ },
  ]
  const k = await startTestKernel({ plugins: ['config'], listen: true })
  try {
    const configFile = join(k.stateDir, 'config.toml')
    for (const c of cases) {
      const expected = await startError(withSocket(c.path))
      assert.match(expected, c.start, c.name)
      const before = existsSync(configFile) ? readFileSync(configFile) : null
      const r = await put(k, withSocket(c.path))
      assert.deepEqual({ status: r.status, code: r.json.code }, { status: 400, code: 'unsafe_config' }, `${c.name}: ${JSON.stringify(r.json)}`)
      assert.equal(r.json.error, expected, `${c.name}: not the start's message`)
      const now = existsSync(configFile) ? readFileSync(configFile) : null
      assert.deepEqual(now, before, `${c.name}: config.toml was rewritten`)
    }
    assert.equal(readFileSync(join(file, 'admin.sock'), 'utf8'), 'not a socket', 'the file was touched')

    // a folder that does not exist yet is fine (the start creates it 0700); the PUT creates nothing
    const fresh = join(place, 'fresh', 'admin.sock')
    const ok = await put(k, withSocket(fresh))
    assert.equal(ok.status, 200, JSON.stringify(ok.json))
    assert.equal(existsSync(join(place, 'fresh')), false, 'the PUT created the folder')
  } finally {
    await k.stop()
  }
})

test('admin_only_on_socket: the 403 on TCP says admin routes are served on the admin socket', async () => {
  const dir = tempDir()
  const k = await startTestKernel({
    stateDir: dir,
    plugins: ['pairing', 'admin'],
    listen: true,
    config: '[gateway]\nadmin_socket = "run/admin.sock"\nadmin_only_on_socket = true\n',
  })
  try {
    const before = k.kernel.auth.pairing.status().code
    const r = await fetch(`${k.url}/admin/paircode/new`, { method: 'POST' })
    const body = (await r.json()) as { error: string; code: string }
    assert.equal(r.status, 403)
    assert.match(body.error, /served only on the admin socket/, `it said: ${body.error}`)
    assert.equal(k.kernel.auth.pairing.status().code, before, 'a code was minted')
  } finally {
    await k.stop()
  }
})
