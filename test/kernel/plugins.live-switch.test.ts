/**
 * `revka plugins enable|disable` on a running gateway, over real sockets: the kernel's loopback +
 * service-token route POST /admin/plugins/:id/enable|disable. While a plugin is disabled its routes
 * answer 503 plugin_disabled, its in-flight request still gets its real answer, its WebSocket closes
 * with 4404 and its SSE stream ends with a plugin_disabled event — while another plugin's socket and
 * stream stay open and keep receiving — then its routes are 404. Enabling mounts its routes, socket
 * and stream live. A plugin others require is refused, naming them. The plugins file is rewritten
 * atomically; each change is an audit entry. Attacks (not loopback, a forwarding header, a wrong or
 * missing token, a cross-site form) are refused and change nothing.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { networkInterfaces } from 'node:os'
import { dirname, join } from 'node:path'
import WebSocket from 'ws'
import type { Kernel } from '../../kernel/index.js'
import { cleanupTemp, fixture, makeKernel, put, tempDir } from './helpers/kernel.js'
import { closed, until, within, wsConnect, wsUrl } from '../auth/support.js'
import { liveState as storeState } from '../fixtures/plugins/fx-live-a/index.js'

after(cleanupTemp)

const IDS = ['fx-live-a', 'fx-live-b', 'fx-live-dep']

function pluginsFile(plugins: Record<string, { enabled: boolean }>): string {
  // what the operator wrote besides `enabled` ($schema, builtins, paths) must survive every rewrite
  const paths = [...IDS, ...Object.keys(plugins).filter((id) => !IDS.includes(id))].map(fixture)
  return put(join(tempDir(), 'revka.plugins.json'), { $schema: 'https://revka.dev/schemas/revka.plugins.json', builtins: false, paths, plugins })
}

async function boot(file: string, host = '127.0.0.1'): Promise<Kernel> {
  const k = makeKernel({ pluginsFile: file, builtinDir: null, host, drainMs: 3000 })
  await k.start()
  return k
}

interface Answer {
  status: number
  json: any
  headers: Record<string, unknown>
}

/** a plain HTTP request from this process (loopback unless `base` names another address) */
function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolveP, reject) => {
    const req = httpRequest(
      base + path,
      { method, agent: false, headers: { ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : { 'content-length': '0' }), ...headers } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c) => {
          text += c
        })
        res.on('end', () => {
          let json: any = text
          try {
            json = JSON.parse(text)
          } catch {}
          resolveP({ status: res.statusCode ?? 0, json, headers: res.headers })
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const token = (k: Kernel) => ({ 'x-revka-service-token': k.auth.serviceToken })
const switchPlugin = (k: Kernel, verb: 'enable' | 'disable', id: string, headers = token(k)) => send(k.url, 'POST', `/admin/plugins/${id}/${verb}`, headers)
const hello = (k: Kernel, id: string) => send(k.url, 'GET', `/fx/${id}/hello`)

async function openWs(k: Kernel, id: string): Promise<WebSocket> {
  const o = await wsConnect(wsUrl(k.url, `/ws/${id}`))
  assert.equal(o.kind, 'open', `the socket of ${id} did not open: ${JSON.stringify(o)}`)
  if (o.kind !== 'open') throw new Error('unreachable')
  assert.deepEqual(o.hello, { type: 'hello', plugin: id })
  return o.ws
}

function nextFrame(ws: WebSocket): Promise<any> {
  return within(new Promise((r) => ws.once('message', (d) => r(JSON.parse(String(d))))), 3000, 'a WebSocket frame')
}

interface Stream {
  status: number
  body(): string
  ended: Promise<string>
  close(): void
}

/** a real SSE client that keeps everything it receives; resolves once the first event is in */
function openStream(url: string): Promise<Stream> {
  return new Promise((resolveP, reject) => {
    const req = httpRequest(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      let body = ''
      let endResolve!: (s: string) => void
      const ended = new Promise<string>((r) => {
        endResolve = r
      })
      const stream: Stream = { status: res.statusCode ?? 0, body: () => body, ended, close: () => req.destroy() }
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        body += c
        if (body.includes('\n\n')) resolveP(stream)
      })
      res.on('close', () => {
        endResolve(body)
        resolveP(stream)
      })
    })
    req.on('error', reject)
    req.end()
  })
}

async function openSse(k: Kernel, id: string): Promise<Stream> {
  const s = await openStream(`${k.url}/fx/${id}/events`)
  assert.equal(s.status, 200)
  assert.match(s.body(), new RegExp(`event: hello\ndata: \\{"plugin":"${id}"\\}`))
  return s
}

/** both live connections of plugin b still work: a ping reaches its socket and its stream */
async function assertBAlive(k: Kernel, ws: WebSocket, sse: Stream, round: number): Promise<void> {
  assert.equal(ws.readyState, WebSocket.OPEN, "the other plugin's WebSocket was closed")
  const frame = nextFrame(ws)
  const ping = await send(k.url, 'POST', '/fx/fx-live-b/ping')
  assert.equal(ping.status, 200)
  assert.deepEqual(ping.json, { streams: 1, sockets: 1 })
  assert.deepEqual(await frame, { type: 'ping', plugin: 'fx-live-b' })
  await until(() => sse.body().split('event: ping').length - 1 >= round, 3000, "the other plugin's stream to receive the ping")
}

const liveState = (k: Kernel, id: string) => storeState(`${k.paths.pluginsStateDir}/${id}`)

async function auditCommands(k: Kernel): Promise<string[]> {
  const { events } = await k.audit.query({ limit: 50, event_type: 'config_change' })
  return events.map((e) => e.action?.command ?? '').filter((c) => c.startsWith('plugin.'))
}

function tempLeftovers(file: string): string[] {
  return readdirSync(dirname(file)).filter((f) => f !== 'revka.plugins.json')
}

test("disable live: refused while required; then 503 while draining, its socket and stream end, the other plugin's stay open, then 404; enable mounts it again", async () => {
  const file = pluginsFile({ 'fx-live-a': { enabled: true }, 'fx-live-b': { enabled: true }, 'fx-live-dep': { enabled: true } })
  const k = await boot(file)
  try {
    const stateA = liveState(k, 'fx-live-a')
    // b's socket and stream are opened first and must live through everything below
    const wsB = await openWs(k, 'fx-live-b')
    const sseB = await openSse(k, 'fx-live-b')

    // a provides the service fx-live-dep requires: refused, named, nothing changed
    const before = readFileSync(file, 'utf8')
    const refused = await switchPlugin(k, 'disable', 'fx-live-a')
    assert.equal(refused.status, 409)
    assert.equal(refused.json.code, 'plugin_required')
    assert.deepEqual(refused.json.dependents, ['fx-live-dep'])
    assert.match(refused.json.error, /required by fx-live-dep/)
    assert.equal((await hello(k, 'fx-live-a')).status, 200)
    assert.equal(readFileSync(file, 'utf8'), before)

    const dep = await switchPlugin(k, 'disable', 'fx-live-dep')
    assert.equal(dep.status, 200, JSON.stringify(dep.json))
    assert.equal((await send(k.url, 'GET', '/fx/dep')).status, 404)

    // a's live traffic: a socket, a stream, a request inside its handler
    const wsA = await openWs(k, 'fx-live-a')
    const wsAClosed = closed(wsA)
    const sseA = await openSse(k, 'fx-live-a')
    const slowRoute = k.routes.active().find((r) => r.url === '/fx/fx-live-a/slow')!
    const slow = send(k.url, 'GET', '/fx/fx-live-a/slow?ms=1500')
    await until(() => slowRoute.inflight === 1, 3000, 'the slow request to reach its handler')

    const disabling = switchPlugin(k, 'disable', 'fx-live-a')
    await until(() => k.pluginInfos().find((p) => p.id === 'fx-live-a')!.status === 'disabled', 3000, 'fx-live-a to start draining')
    const draining = await hello(k, 'fx-live-a')
    assert.equal(draining.status, 503)
    assert.equal(draining.json.code, 'plugin_disabled')
    assert.ok(Number(draining.headers['retry-after']) > 0)
    // one change at a time: b is not touched while a drains
    const busy = await switchPlugin(k, 'disable', 'fx-live-b')
    assert.equal(busy.status, 409)
    assert.equal(busy.json.code, 'change_in_progress')

    assert.deepEqual(await within(wsAClosed, 3000, "a's socket to close"), { code: 4404, reason: 'plugin fx-live-a disabled' })
    const aBody = await within(sseA.ended, 3000, "a's stream to end")
    assert.match(aBody, /event: error\ndata: \{"type":"error","code":"plugin_disabled"/)

    // the request that was already running got its real answer, and the disable waited for it
    const slowAnswer = await slow
    assert.equal(slowAnswer.status, 200)
    assert.deepEqual(slowAnswer.json, { slow: 'done', plugin: 'fx-live-a' })
    const done = await disabling
    assert.equal(done.status, 200, JSON.stringify(done.json))
    assert.equal(done.json.enabled, false)
    assert.equal(done.json.changed, true)
    assert.equal(done.json.connections_ended, 2)
    assert.equal(done.json.requests_unfinished, 0)
    assert.equal(done.json.plugins_file, file)
    assert.equal(stateA.stops, 1)
    assert.equal(stateA.sockets, 0)
    assert.equal(stateA.streams, 0)

    // gone: route, stream and socket are 404
    const gone = await hello(k, 'fx-live-a')
    assert.equal(gone.status, 404)
    assert.equal((await send(k.url, 'GET', '/fx/fx-live-a/events')).status, 404)
    const wsGone = await wsConnect(wsUrl(k.url, '/ws/fx-live-a'))
    assert.equal(wsGone.kind === 'refused' && wsGone.status, 404)

    await assertBAlive(k, wsB, sseB, 1)

    const doc = JSON.parse(readFileSync(file, 'utf8'))
    assert.deepEqual(doc.plugins, { 'fx-live-a': { enabled: false }, 'fx-live-b': { enabled: true }, 'fx-live-dep': { enabled: false } })
    assert.equal(doc.builtins, false)
    assert.equal(doc.$schema, 'https://revka.dev/schemas/revka.plugins.json')
    assert.deepEqual(doc.paths, IDS.map(fixture))
    assert.deepEqual(tempLeftovers(file), [], 'the atomic write left a temp file')

    // dep cannot come back before its provider does; the answer says who provides it
    const early = await switchPlugin(k, 'enable', 'fx-live-dep')
    assert.equal(early.status, 409)
    assert.equal(early.json.code, 'plugin_requirements')
    assert.match(early.json.error, /provided by fx-live-a, which is not running/)

    // enable: set up afresh and mounted live, socket and stream included
    const on = await switchPlugin(k, 'enable', 'fx-live-a')
    assert.equal(on.status, 200, JSON.stringify(on.json))
    assert.equal(on.json.status, 'started')
    assert.equal(stateA.setups, 2)
    assert.equal(stateA.starts, 2)
    assert.deepEqual((await hello(k, 'fx-live-a')).json, { plugin: 'fx-live-a' })
    const wsA2 = await openWs(k, 'fx-live-a')
    const echo = nextFrame(wsA2)
    wsA2.send('again')
    assert.deepEqual(await echo, { type: 'echo', plugin: 'fx-live-a', text: 'again' })
    const sseA2 = await openSse(k, 'fx-live-a')
    assert.equal((await switchPlugin(k, 'enable', 'fx-live-dep')).status, 200)
    assert.deepEqual((await send(k.url, 'GET', '/fx/dep')).json, { via: 'fx-live-a' })
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).plugins['fx-live-a'].enabled, true)

    // and off again, from its runtime-mounted routes this time
    assert.equal((await switchPlugin(k, 'disable', 'fx-live-dep')).status, 200)
    const wsA2Closed = closed(wsA2)
    const off = await switchPlugin(k, 'disable', 'fx-live-a')
    assert.equal(off.status, 200, JSON.stringify(off.json))
    assert.equal((await within(wsA2Closed, 3000, "a's second socket to close")).code, 4404)
    assert.match(await within(sseA2.ended, 3000, "a's second stream to end"), /plugin_disabled/)
    assert.equal((await hello(k, 'fx-live-a')).status, 404)
    assert.equal((await wsConnect(wsUrl(k.url, '/ws/fx-live-a'))).kind, 'refused')

    await assertBAlive(k, wsB, sseB, 2)
    // newest first; a refusal changed nothing and is no entry
    assert.deepEqual(await auditCommands(k), [
      'plugin.disable fx-live-a (2 live connection(s) ended)',
      'plugin.disable fx-live-dep',
      'plugin.enable fx-live-dep (1 route(s))',
      'plugin.enable fx-live-a (6 route(s))',
      'plugin.disable fx-live-a (2 live connection(s) ended)',
      'plugin.disable fx-live-dep',
    ])
    wsB.close()
    sseB.close()
  } finally {
    await k.stop()
  }
})

/** an address of this machine that is not loopback (a request to it arrives from a non-loopback peer) */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  return undefined
}

test('attacks: not loopback, a forwarding header, a wrong, missing or misplaced token, a cross-site form are refused and change nothing; an unknown id is 404', async () => {
  const file = pluginsFile({ 'fx-live-a': { enabled: true }, 'fx-live-b': { enabled: false }, 'fx-live-dep': { enabled: false } })
  // all interfaces, so a request can arrive from a peer that is not loopback
  const k = await boot(file, '0.0.0.0')
  try {
    const stateA = liveState(k, 'fx-live-a')
    const wsA = await openWs(k, 'fx-live-a')
    const before = readFileSync(file, 'utf8')
    const right = k.auth.serviceToken
    const outside = outsideAddress()
    for (const verb of ['disable', 'enable'] as const) {
      const id = verb === 'disable' ? 'fx-live-a' : 'fx-live-b'
      const path = `/admin/plugins/${id}/${verb}`
      if (outside) {
        const remote = await send(`http://${outside}:${k.port}`, 'POST', path, { 'x-revka-service-token': right })
        assert.equal(remote.status, 403, `${verb} from ${outside}`)
        assert.equal(remote.json.code, 'loopback_only')
      } else {
        // no non-loopback interface here: the same request through Fastify from a remote peer
        const remote = await k.app.inject({ method: 'POST', url: path, remoteAddress: '203.0.113.7', headers: { 'x-revka-service-token': right } })
        assert.equal(remote.statusCode, 403)
      }
      for (const h of [{ 'x-forwarded-for': '127.0.0.1' }, { 'x-real-ip': '127.0.0.1' }, { forwarded: 'for=127.0.0.1' }] as Array<Record<string, string>>) {
        const spoofed = await send(k.url, 'POST', path, { ...h, 'x-revka-service-token': right })
        assert.equal(spoofed.status, 403, `${verb} with ${JSON.stringify(h)}`)
        assert.equal(spoofed.json.code, 'loopback_only')
      }
      const attempts: Array<[string, Record<string, string>, string?]> = [
        ['no token', {}],
        ['a wrong token', { 'x-revka-service-token': 'f'.repeat(64) }],
        ['an empty token', { 'x-revka-service-token': '' }],
        ['the token as a bearer', { authorization: `Bearer ${right}` }],
        ['a cross-site form post', { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, 'confirm=1'],
      ]
      for (const [what, headers, body] of attempts) {
        const r = await send(k.url, 'POST', path, headers, body)
        assert.equal(r.status, 401, `${verb} with ${what}: ${JSON.stringify(r.json)}`)
        assert.equal(r.json.code, 'unauthorized')
      }
    }
    for (const verb of ['enable', 'disable'] as const) {
      for (const id of ['fx-nowhere', 'FX-LIVE-A', 'fx-live-a%00']) {
        const r = await send(k.url, 'POST', `/admin/plugins/${id}/${verb}`, { 'x-revka-service-token': right })
        assert.equal(r.status, 404, `${verb} ${id}`)
        assert.equal(r.json.code, 'plugin_not_found', `${verb} ${id}: ${JSON.stringify(r.json)}`)
        assert.match(r.json.error, /No plugin ".*" \(see revka plugins list\)/)
      }
      // an encoded slash never reaches a :param (refused before routing); encoded dots are a dot segment
      const slash = await send(k.url, 'POST', `/admin/plugins/..%2F..%2Fetc/${verb}`, { 'x-revka-service-token': right })
      assert.equal(slash.status, 400, JSON.stringify(slash.json))
      const dots = await send(k.url, 'POST', `/admin/plugins/%2e%2e/${verb}`, { 'x-revka-service-token': right })
      assert.equal(dots.status, 404, JSON.stringify(dots.json))
    }

    // nothing changed: a still serves and its socket is open, b still absent, file and audit untouched
    assert.deepEqual((await hello(k, 'fx-live-a')).json, { plugin: 'fx-live-a' })
    const echo = nextFrame(wsA)
    wsA.send('still here')
    assert.deepEqual(await echo, { type: 'echo', plugin: 'fx-live-a', text: 'still here' })
    assert.equal(stateA.stops, 0)
    assert.equal((await hello(k, 'fx-live-b')).status, 404)
    assert.equal(liveState(k, 'fx-live-b').setups, 0)
    assert.equal(readFileSync(file, 'utf8'), before)
    assert.deepEqual(await auditCommands(k), [])
    wsA.close()
  } finally {
    await k.stop()
  }
})

test('a plugin disabled at start is enabled live: imported, set up, its routes, WebSocket and stream served without a restart; a failing setup is undone; an essential plugin stays', async () => {
  const file = pluginsFile({
    'fx-live-a': { enabled: true },
    'fx-live-b': { enabled: false },
    'fx-live-dep': { enabled: false },
    'fx-throw-setup': { enabled: false },
    'fx-essential': { enabled: true },
  })
  const k = await boot(file)
  try {
    // setup throws after declaring a route: every step is undone, the route never answers
    const failing = await switchPlugin(k, 'enable', 'fx-throw-setup')
    assert.equal(failing.status, 500)
    assert.equal(failing.json.code, 'plugin_enable_failed')
    assert.match(failing.json.error, /fx-throw-setup exploded in setup/)
    assert.equal((await send(k.url, 'GET', '/fx/setup-fail')).status, 404)
    assert.equal(k.pluginInfos().find((p) => p.id === 'fx-throw-setup')!.status, 'disabled')
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).plugins['fx-throw-setup'].enabled, false)
    const essential = await switchPlugin(k, 'disable', 'fx-essential')
    assert.equal(essential.status, 409)
    assert.equal(essential.json.code, 'plugin_essential')
    assert.equal((await send(k.url, 'GET', '/fx/essential')).status, 200)

    const wsA = await openWs(k, 'fx-live-a')
    assert.equal((await hello(k, 'fx-live-b')).status, 404)
    assert.equal((await wsConnect(wsUrl(k.url, '/ws/fx-live-b'))).kind, 'refused')
    const on = await switchPlugin(k, 'enable', 'fx-live-b')
    assert.equal(on.status, 200, JSON.stringify(on.json))
    assert.match(on.json.message, /fx-live-b enabled: started, 6 route\(s\) mounted/)
    assert.deepEqual((await hello(k, 'fx-live-b')).json, { plugin: 'fx-live-b' })
    // the kernel's entry matches concrete paths against the plugin's router (:params included)
    assert.deepEqual((await send(k.url, 'GET', '/fx/fx-live-b/items/7%2B1')).json, { plugin: 'fx-live-b', item: '7+1' })
    assert.equal((await send(k.url, 'GET', '/fx/fx-live-b/items/7/8')).status, 404)
    const wsB = await openWs(k, 'fx-live-b')
    const sseB = await openSse(k, 'fx-live-b')
    await assertBAlive(k, wsB, sseB, 1)
    // enabling again changes nothing
    const again = await switchPlugin(k, 'enable', 'fx-live-b')
    assert.equal(again.status, 200)
    assert.equal(again.json.changed, false)
    assert.equal(liveState(k, 'fx-live-b').setups, 1)
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).plugins['fx-live-b'].enabled, true)
    assert.equal(wsA.readyState, WebSocket.OPEN)
    // what the main instance serves is untouched by the extra router in front of it
    assert.deepEqual((await hello(k, 'fx-live-a')).json, { plugin: 'fx-live-a' })
    assert.equal((await send(k.url, 'GET', '/api/nowhere')).status, 404)
    wsA.close()
    wsB.close()
    sseB.close()
  } finally {
    await k.stop()
  }
})
