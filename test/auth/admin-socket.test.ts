/**
 * The admin unix socket (`[gateway] admin_socket`): for operators behind a reverse proxy. Real
 * unix-socket requests: every request on it is local whatever its headers, it serves only the
 * loopback routes, the TCP port keeps the strict rules (and with `admin_only_on_socket` refuses
 * loopback routes entirely), the file is 0600 in a 0700 folder, stale files are replaced, live
 * ones and non-sockets are not, the file goes away on stop, and `revka gateway get-paircode` /
 * `revka stop` use it.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { probeState, totalCalls, PROBE } from '../fixtures/auth-probe/index.js'
import { rawExchange } from '../kernel/helpers/wire.js'
import { bearer, PROBE_DIR, removeDir, ROOT, until } from './support.js'

const dirs: string[] = []
after(() => {
  for (const d of dirs) removeDir(d)
})

/** a short state dir: unix socket paths are limited to 107 bytes */
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rk-as-'))
  dirs.push(d)
  return d
}

function boot(dir: string, extra = '') {
  return startTestKernel({
    stateDir: dir,
    plugins: ['pairing', 'admin', 'status'],
    paths: [PROBE_DIR],
    listen: true,
    config: `[gateway]\nadmin_socket = "run/admin.sock"\n${extra}`,
  })
}

function overSocket(socketPath: string, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath, method, path, headers: { 'content-length': '0', ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => {
        text += d
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function tcp(k: TestKernel, method: string, path: string, headers: Record<string, string> = {}) {
  const lines = [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Content-Length: 0',
    'Connection: close',
    ...Object.entries(headers).map(([n, v]) => `${n}: ${v}`),
  ]
  const r = await rawExchange(k.url!, [lines.join('\r\n') + '\r\n\r\n'])
  return { status: r.status, json: JSON.parse(r.body) }
}

test('a request on the admin socket is local whatever its headers; the socket serves only loopback routes', async () => {
  const dir = stateDir()
  const k = await boot(dir)
  const sock = join(dir, 'run', 'admin.sock')
  try {
    assert.equal(statSync(sock).mode & 0o777, 0o600, 'socket mode')
    assert.equal(statSync(join(dir, 'run')).mode & 0o777, 0o700, 'socket folder mode')
    const forwarded = { 'x-forwarded-for': '203.0.113.7', forwarded: 'for=203.0.113.7', 'x-real-ip': '203.0.113.7' }

    const minted = await overSocket(sock, 'POST', '/admin/paircode/new', forwarded)
    assert.equal(minted.status, 200, JSON.stringify(minted.json))
    assert.match(minted.json.pairing_code, /^\d{6}$/)
    assert.equal(k.kernel.auth.pairing.status().code, minted.json.pairing_code)

    const s = probeState(k.stateDir)
    const probe = await overSocket(sock, 'GET', PROBE.loopback, forwarded)
    assert.equal(probe.status, 200)
    assert.equal(probe.json.via, 'loopback')
    assert.equal(probe.json.isLoopback, true)

    // not a loopback route: not on the socket, even with a valid credential
    const calls = totalCalls(s)
    for (const [path, headers] of [
      [PROBE.public, {}],
      [PROBE.bearer, bearer(k.token!)],
      ['/api/status', bearer(k.token!)],
      ['/health', {}],
    ] as const) {
      const r = await overSocket(sock, 'GET', path, headers)
      assert.equal(r.status, 404, `${path} on the admin socket: ${JSON.stringify(r.json)}`)
      assert.equal(r.json.code, 'not_found')
    }
    assert.equal(totalCalls(s), calls)

    // the TCP port keeps the strict rules: forwarded means not local
    const before = k.kernel.auth.pairing.status().code
    const viaTcp = await tcp(k, 'POST', '/admin/paircode/new', { 'X-Forwarded-For': '203.0.113.7' })
    assert.equal(viaTcp.status, 403)
    assert.equal(k.kernel.auth.pairing.status().code, before)
  } finally {
    await k.stop()
  }
  assert.equal(existsSync(sock), false, 'the socket file outlived the gateway')
})

test('admin_only_on_socket: loopback routes refuse on TCP even from 127.0.0.1; bearer doors stay open', async () => {
  const dir = stateDir()
  const k = await boot(dir, 'admin_only_on_socket = true\n')
  const sock = join(dir, 'run', 'admin.sock')
  try {
    const s = probeState(k.stateDir)
    const n = s.counts.loopback
    const r = await tcp(k, 'GET', PROBE.loopback)
    assert.equal(r.status, 403, JSON.stringify(r.json))
    assert.equal(s.counts.loopback, n)
    assert.equal((await tcp(k, 'POST', '/admin/paircode/new')).status, 403)
    const either = await tcp(k, 'GET', PROBE.loopbackOrBearer, bearer(k.token!))
    assert.equal(either.status, 200)
    assert.equal(either.json.via, 'bearer')
    assert.equal((await overSocket(sock, 'GET', PROBE.loopback)).status, 200)
  } finally {
    await k.stop()
  }
})

test('start: a stale socket file is replaced; a live socket, a non-socket or a shared folder is refused', async () => {
  const dir = stateDir()
  const run = join(dir, 'run')
  mkdirSync(run, { mode: 0o700 })
  const sock = join(run, 'admin.sock')
  // stale: a process that bound the path and died without cleaning up
  const died = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`])
  assert.equal(died.signal, 'SIGKILL')
  assert.ok(statSync(sock).isSocket())
  const k = await boot(dir)
  try {
    assert.equal((await overSocket(sock, 'GET', PROBE.loopback)).status, 200)
    // live: a second gateway on the same socket must not take it over
    const dir2 = stateDir()
    writeFileSync(join(dir2, 'config.toml'), '')
    await assert.rejects(
      startTestKernel({ stateDir: dir2, plugins: [], listen: true, config: `[gateway]\nadmin_socket = ${JSON.stringify(sock)}\n` }),
      /REVKA_ERR_ADMIN_SOCKET|in use/,
    )
    assert.equal((await overSocket(sock, 'GET', PROBE.loopback)).status, 200, 'the live socket was taken over')
  } finally {
    await k.stop()
  }
  writeFileSync(sock, 'not a socket')
  await assert.rejects(boot(dir), /not a socket/)
  assert.equal(statSync(sock).isFile(), true, 'a regular file was removed')

  const loose = stateDir()
  mkdirSync(join(loose, 'run'))
  chmodSync(join(loose, 'run'), 0o755)
  await assert.rejects(boot(loose), /must be 0700/)
})

test('revka gateway get-paircode and revka stop go through the admin socket when it is configured', async () => {
  const dir = stateDir()
  // TCP loopback is refused for admin routes, so only the socket can answer the CLI
  const k = await boot(dir, 'admin_only_on_socket = true\n')
  const asked: string[] = []
  k.kernel.onShutdownRequested = (reason) => {
    asked.push(reason)
  }
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, REVKA_STATE_DIR: dir }
    for (const v of ['REVKA_GATEWAY_PORT', 'PORT', 'REVKA_GATEWAY_HOST', 'HOST', 'NODE_OPTIONS']) delete env[v]
    // asynchronously: the gateway under test runs in this process and must keep answering
    const cli = (...args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [join(ROOT, 'bin', 'revka.js'), ...args], { env, encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
          resolve({ status: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr })
        })
      })
    const got = await cli('gateway', 'get-paircode', '--new', '--json')
    assert.equal(got.status, 0, got.stderr)
    const code = JSON.parse(got.stdout).pairing_code
    assert.match(code, /^\d{6}$/)
    assert.equal(k.kernel.auth.pairing.status().code, code)
    const stop = await cli('stop')
    assert.equal(stop.status, 0, stop.stderr)
    await until(() => asked.length > 0, 3000, 'the shutdown request')
    assert.deepEqual(asked, ['POST /admin/shutdown'])
  } finally {
    await k.stop()
  }
})
