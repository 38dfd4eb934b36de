/**
 * Graceful shutdown of the real gateway process. SIGTERM arrives while a slow request is in flight
 * (a fixture route, and a synchronous webhook agent turn when plugins/webhook exists), an SSE
 * stream (/api/events) is open and a WebSocket (/ws/chat) is open: the requests still get their
 * 2xx, the stream ends, the socket is closed with 1001, new requests are turned away, and the
 * process exits 0 within the drain bound (10 s by default). `revka stop` (POST /admin/shutdown)
 * ends a gateway with exit code 0 too.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { builtinManifests, reliabilityConfig, reliabilityOptions, ROOT } from './support/builtins.js'
import { errorShapeViolation } from './support/contract-shape.js'
import { killAllChildren, spawnGateway, writePluginsFile, type GatewayChild } from './support/gateway-child.js'
import { removeTempDirs, tempDir, within } from './support/run-pool.js'

const SLOW_FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'slow-route')
/** the kernel's default drain bound, plus start-to-exit slack for a busy machine */
const DRAIN_MS = 10_000
const EXIT_BOUND_MS = DRAIN_MS + 2_000

after(async () => {
  await killAllChildren()
  removeTempDirs()
})

async function startGateway(admin: string, configExtra = ''): Promise<GatewayChild> {
  const stateDir = tempDir('revka-shutdown-')
  // the offline model streams slowly here, so a webhook turn takes a couple of seconds
  writeFileSync(join(stateDir, 'config.toml'), reliabilityConfig(configExtra).replace('chunk_delay_ms = 0', 'chunk_delay_ms = 200'))
  const options = { ...reliabilityOptions(builtinManifests(), stateDir), 'reliability-slow-route': {} }
  const pluginsFile = writePluginsFile(join(stateDir, 'revka.plugins.json'), options, [SLOW_FIXTURE])
  return spawnGateway({ stateDir, pluginsFile, adminToken: admin })
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  ms: number
  at: number
}

function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c) => {
        text += c
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, ms: Date.now() - t0, at: Date.now() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** An open SSE stream: resolves once its first bytes arrived; `ended` settles when the server ends it. */
function openSse(url: string, token: string): Promise<{ status: number; ended: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, agent: false }, (res) => {
      let text = ''
      let endResolve!: (s: string) => void
      const ended = new Promise<string>((r) => {
        endResolve = r
      })
      res.setEncoding('utf8')
      res.once('data', () => resolve({ status: res.statusCode ?? 0, ended }))
      res.on('data', (c) => {
        text += c
      })
      res.on('end', () => endResolve(text))
      res.on('close', () => endResolve(text))
      res.on('error', () => endResolve(text))
    })
    req.on('error', reject)
    req.end()
  })
}

function openChat(url: string, token: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/chat`, ['revka.v1'], { headers: { authorization: `Bearer ${token}` } })
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })))
    ws.once('message', () => resolve({ ws, closed }))
    ws.once('unexpected-response', (_q, res) => reject(new Error(`/ws/chat upgrade refused: ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

test(
  'SIGTERM drains: in-flight requests get 2xx, the SSE stream ends, the WebSocket closes 1001, exit 0 within the drain bound',
  { timeout: 90_000 },
  async (t) => {
    const admin = randomBytes(24).toString('hex')
    const gw = await startGateway(admin)
    const bearer = { authorization: `Bearer ${admin}` }
    const ids = new Set(builtinManifests().map((m) => m.id))

    const sse = ids.has('events') ? await openSse(`${gw.url}/api/events`, admin) : null
    if (sse) assert.equal(sse.status, 200, 'GET /api/events did not open')
    else t.diagnostic('plugins/events is not there: no SSE stream in this test')
    const chat = ids.has('chat') ? await openChat(gw.url, admin) : null
    if (!chat) t.diagnostic('plugins/chat is not there: no WebSocket in this test')

    const inFlight: Array<{ what: string; answer: Promise<Answer> }> = [
      { what: 'GET /reliability/slow (fixture)', answer: send(`${gw.url}/reliability/slow?ms=2500`, 'GET', bearer) },
    ]
    if (ids.has('webhook')) {
      inFlight.push({
        what: 'POST /webhook (agent turn)',
        answer: send(
          `${gw.url}/webhook`,
          'POST',
          { ...bearer, 'content-type': 'application/json' },
          JSON.stringify({ message: 'a turn that is still streaming when SIGTERM arrives' }),
        ),
      })
    } else t.diagnostic('plugins/webhook is not there: only the fixture route is in flight')
    await new Promise((r) => setTimeout(r, 400))

    const t0 = Date.now()
    gw.signal('SIGTERM')
    // streams are ended first thing in a shutdown: once this one has, the gateway is draining
    if (sse) {
      const text = await within(sse.ended, EXIT_BOUND_MS, 'the SSE stream to end')
      assert.match(text, /shutting_down/, `the SSE stream ended without its shutdown event: ${JSON.stringify(text.slice(-300))}`)
    } else await new Promise((r) => setTimeout(r, 300))
    // while draining, a new request is turned away (refused, or a 503 in the contract's shape)
    const late = await within(
      send(`${gw.url}/health`, 'GET', {}).catch((e: NodeJS.ErrnoException) => e.code ?? e.message),
      5000,
      'a request sent while draining',
    )
    if (typeof late === 'object') {
      assert.equal(late.status, 503, `a request after SIGTERM got ${late.status}: ${late.body}`)
      assert.equal(errorShapeViolation({ status: late.status, headers: late.headers, body: late.body, method: 'GET' }), null)
    }

    for (const f of inFlight) {
      const a = await within(f.answer, EXIT_BOUND_MS, f.what)
      assert.ok(a.status >= 200 && a.status < 300, `${f.what} in flight at SIGTERM got ${a.status}: ${a.body.slice(0, 300)}`)
      // it really was still running when the signal came, or this proves nothing about draining
      assert.ok(a.at > t0, `${f.what} finished before SIGTERM was sent`)
      t.diagnostic(`${f.what}: ${a.status} after ${a.ms} ms`)
    }
    if (chat) {
      const { code } = await within(chat.closed, EXIT_BOUND_MS, 'the WebSocket to close')
      assert.equal(code, 1001, `WebSocket close code ${code}, want 1001 (going away)`)
    }
    const end = await within(gw.exited, EXIT_BOUND_MS, 'the gateway to exit after SIGTERM')
    const took = end.at - t0
    assert.equal(end.code, 0, `exit ${end.code ?? end.signal} after SIGTERM\n${gw.output().slice(-2000)}`)
    assert.ok(took <= EXIT_BOUND_MS, `exit took ${took} ms (bound ${EXIT_BOUND_MS})`)
    t.diagnostic(`exit 0 ${took} ms after SIGTERM`)
  },
)

test('`revka stop` (POST /admin/shutdown) stops a running gateway with exit code 0', { timeout: 60_000 }, async () => {
  const admin = randomBytes(24).toString('hex')
  const gw = await startGateway(admin)
  const stop = spawn(process.execPath, [join(ROOT, 'bin', 'revka.js'), 'stop', '--url', gw.url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  stop.stdout.on('data', (c) => {
    out += c
  })
  stop.stderr.on('data', (c) => {
    out += c
  })
  const stopCode = await within(new Promise<number | null>((r) => stop.once('exit', (c) => r(c))), 15_000, '`revka stop` to finish')
  assert.equal(stopCode, 0, `revka stop exited ${stopCode}: ${out}`)
  const end = await within(gw.exited, EXIT_BOUND_MS, 'the gateway to exit after `revka stop`')
  assert.equal(end.code, 0, `gateway exit ${end.code ?? end.signal} after revka stop\n${gw.output().slice(-2000)}`)
})
