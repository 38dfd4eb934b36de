/**
 * `[gateway.tls]`: the gateway serves HTTPS only, with the operator's PEM files; mutual TLS admits
 * pinned (or CA-signed) client certificates and drops everyone else after the handshake, before a
 * request reaches any handler. Bad TLS settings stop the start with an error naming the key.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { startTestKernel } from '@revka/plugin-testing'
import { REPO_ROOT } from './helpers/kernel.js'

const dir = mkdtempSync(join(tmpdir(), 'revka-tls-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** a self-signed EC certificate for localhost/127.0.0.1 (openssl, as an operator would make one) */
function selfSigned(name: string): { cert: string; key: string; pin: string } {
  const cert = join(dir, `${name}.crt`)
  const key = join(dir, `${name}.key`)
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  )
  // the pin in the form operators copy from `openssl x509 -fingerprint -sha256` (upper case, colons)
  return { cert, key, pin: new X509Certificate(readFileSync(cert)).fingerprint256 }
}

const server = selfSigned('server')
const alice = selfSigned('alice')
const mallory = selfSigned('mallory')

function get(url: string, opts: { cert?: { cert: string; key: string } } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        ca: readFileSync(server.cert),
        ...(opts.cert ? { cert: readFileSync(opts.cert.cert), key: readFileSync(opts.cert.key) } : {}),
      },
      (res) => {
        let body = ''
        res.on('data', (d) => {
          body += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.setTimeout(5000, () => req.destroy(new Error('timed out')))
  })
}

function tlsConfig(extra = ''): string {
  return `[gateway.tls]\nenabled = true\ncert_path = "${server.cert}"\nkey_path = "${server.key}"\n${extra}`
}

test('with [gateway.tls] the gateway answers HTTPS with the configured certificate, and plain HTTP gets nothing', async () => {
  const k = await startTestKernel({ plugins: ['status', 'pairing'], config: tlsConfig() })
  try {
    assert.match(k.url!, /^https:\/\/127\.0\.0\.1:\d+$/)
    const health = await get(`${k.url}/health`)
    assert.equal(health.status, 200)
    assert.equal(JSON.parse(health.body).status, 'ok')
    const port = new URL(k.url!).port
    // a plaintext request never reaches the router
    const plain = await new Promise<string>((resolve) => {
      const req = http.get(`http://127.0.0.1:${port}/health`, (res) => resolve(`HTTP ${res.statusCode}`))
      req.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`))
      req.setTimeout(3000, () => req.destroy(new Error('timeout')))
    })
    assert.match(plain, /^error|^HTTP 400/)
  } finally {
    await k.stop()
  }
})

test('mutual TLS with pinned certificates: the pinned client is served, others are dropped before HTTP', async () => {
  const k = await startTestKernel({
    plugins: ['status', 'pairing'],
    config: tlsConfig(`[gateway.tls.client_auth]\nenabled = true\npinned_certs = ["${alice.pin}"]\n`),
  })
  try {
    assert.equal((await get(`${k.url}/health`, { cert: alice })).status, 200)
    await assert.rejects(get(`${k.url}/health`, { cert: mallory }), /socket hang up|ECONNRESET|EPIPE|certificate/i)
    await assert.rejects(get(`${k.url}/health`), /socket hang up|ECONNRESET|EPIPE|certificate/i)
  } finally {
    await k.stop()
  }
})

test('optional client certificates: none is fine, an unpinned one is still refused', async () => {
  const k = await startTestKernel({
    plugins: ['status', 'pairing'],
    config: tlsConfig(
      `[gateway.tls.client_auth]\nenabled = true\nrequire_client_cert = false\npinned_certs = ["${alice.pin.toLowerCase().replace(/:/g, '')}"]\n`,
    ),
  })
  try {
    assert.equal((await get(`${k.url}/health`)).status, 200)
    assert.equal((await get(`${k.url}/health`, { cert: alice })).status, 200)
    await assert.rejects(get(`${k.url}/health`, { cert: mallory }), /socket hang up|ECONNRESET|EPIPE/i)
  } finally {
    await k.stop()
  }
})

test('bad TLS settings stop the start with an error naming the key', async () => {
  const cases: Array<[string, RegExp]> = [
    ['[gateway.tls]\nenabled = true\n', /gateway\.tls\.enabled needs gateway\.tls\.cert_path and gateway\.tls\.key_path/],
    [
      `[gateway.tls]\nenabled = true\ncert_path = "${join(dir, 'missing.crt')}"\nkey_path = "${server.key}"\n`,
      /REVKA_ERR_TLS|gateway\.tls\.cert_path.*missing\.crt.*ENOENT/,
    ],
    [`[gateway.tls]\nenabled = true\ncert_path = "${server.cert}"\nkey_path = "${alice.key}"\n`, /key and certificate cannot be used together/],
    [tlsConfig('[gateway.tls.client_auth]\nenabled = true\npinned_certs = ["not-a-pin"]\n'), /pinned_certs: "not-a-pin" is not a SHA-256 fingerprint/],
    [tlsConfig('[gateway.tls.client_auth]\nenabled = true\n'), /needs ca_cert_path or pinned_certs/],
  ]
  for (const [config, message] of cases) {
    await assert.rejects(startTestKernel({ plugins: ['status'], config }), message, config)
  }
  // disabled TLS needs no files at all
  const k = await startTestKernel({ plugins: ['status'], config: '[gateway.tls]\nenabled = false\ncert_path = "/nope"\n' })
  try {
    assert.match(k.url!, /^http:\/\//)
  } finally {
    await k.stop()
  }
})

test('revka gateway get-paircode reaches a TLS gateway, trusting exactly its configured certificate', async () => {
  const k = await startTestKernel({ plugins: ['status', 'pairing', 'admin'], config: tlsConfig() })
  try {
    const port = new URL(k.url!).port
    const env: NodeJS.ProcessEnv = { ...process.env, REVKA_STATE_DIR: k.stateDir }
    delete env.REVKA_GATEWAY_PORT
    // asynchronous: the gateway under test runs in this process
    const cli = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
        execFile(process.execPath, [join(REPO_ROOT, 'bin', 'revka.js'), ...args], { env, encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
          res({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
        })
      })
    const code = await cli(['gateway', 'get-paircode', '--new', '--json', '--port', port])
    assert.equal(code.status, 0, code.stderr)
    assert.match(JSON.parse(code.stdout).pairing_code, /^\d{6}$/)
    // a gateway presenting another certificate is not trusted, even one the CLI could chain
    const other = await startTestKernel({
      plugins: ['status', 'pairing', 'admin'],
      config: `[gateway.tls]\nenabled = true\ncert_path = "${alice.cert}"\nkey_path = "${alice.key}"\n`,
    })
    try {
      const wrong = await cli(['gateway', 'get-paircode', '--port', new URL(other.url!).port])
      assert.notEqual(wrong.status, 0)
      assert.match(
        wrong.stderr,
        /refused the certificate the gateway presented, CN=alice \(SHA-256 [0-9A-F:]+\): it is not the configured gateway\.tls\.cert_path .*server\.crt/,
      )
    } finally {
      await other.stop()
    }
  } finally {
    await k.stop()
  }
})

test("--url https://… trusts the state dir's configured certificate too (get-paircode, stop), and a refusal says which certificate and why", async () => {
  const k = await startTestKernel({ plugins: ['status', 'pairing', 'admin'], config: tlsConfig() })
  const other = await startTestKernel({
    plugins: ['status', 'pairing', 'admin'],
    config: `[gateway.tls]\nenabled = true\ncert_path = "${alice.cert}"\nkey_path = "${alice.key}"\n`,
  })
  const bare = mkdtempSync(join(tmpdir(), 'revka-tls-bare-'))
  try {
    const env: NodeJS.ProcessEnv = { ...process.env }
    delete env.REVKA_GATEWAY_PORT
    delete env.REVKA_STATE_DIR
    const cli = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
        execFile(process.execPath, [join(REPO_ROOT, 'bin', 'revka.js'), ...args], { env, encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
          res({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
        })
      })
    const code = await cli(['gateway', 'get-paircode', '--new', '--json', '--url', k.url!, '--state-dir', k.stateDir])
    assert.equal(code.status, 0, code.stderr)
    assert.match(JSON.parse(code.stdout).pairing_code, /^\d{6}$/)

    // another gateway's self-signed certificate: named, with the system's verdict and the configured one
    const wrong = await cli(['gateway', 'get-paircode', '--url', other.url!, '--state-dir', k.stateDir])
    assert.equal(wrong.status, 1)
    assert.match(
      wrong.stderr,
      /refused the certificate the gateway presented, CN=alice \(SHA-256 [0-9A-F:]+\): the system's CAs do not trust it \(DEPTH_ZERO_SELF_SIGNED_CERT\); it is not the configured gateway\.tls\.cert_path .*server\.crt/,
    )
    // a state dir without [gateway.tls]: the message says what to pass
    const none = await cli(['stop', '--url', k.url!, '--state-dir', bare])
    assert.equal(none.status, 1)
    assert.match(none.stderr, /CN=server .*system's CAs do not trust it .*no \[gateway\.tls\] certificate is configured in the state dir .*--state-dir/)
    assert.equal((await get(`${k.url}/health`)).status, 200, 'a refused stop reached nothing')

    const stop = await cli(['stop', '--url', k.url!, '--state-dir', k.stateDir])
    assert.equal(stop.status, 0, stop.stderr)
    await assert.rejects(async () => {
      for (let i = 0; i < 50; i++) {
        await get(`${k.url}/health`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }, 'the gateway stopped')
  } finally {
    rmSync(bare, { recursive: true, force: true })
    await other.stop()
    await k.stop().catch(() => {})
  }
})
