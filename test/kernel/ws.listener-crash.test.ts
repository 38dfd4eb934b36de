/**
 * A plugin's WebSocket listener that throws must not end the gateway. The kernel hands plugins a
 * `ws` socket whose 'message' events are emitted from the TCP socket's 'data' handler: a throw in a
 * listener (a naive recursive walk over a frame nested 150,000 deep overflows the stack), or a
 * rejected promise an async listener returns, was an uncaught exception and the process exited.
 * The kernel now runs every listener a plugin adds so that a failure is logged (rate-limited, no
 * payload), that socket is closed with 1011, and the gateway keeps serving everyone else.
 *
 * The gateway runs as a child process (`revka gateway`), so "the process ended" is observed as it
 * happens in production. Each route gets the deep frame; after each one the process must still be
 * alive and answer /health (a dead one is recorded and restarted, so one run lists every route that
 * crashes). Built-in routes are attacked too: /ws/chat, /ws/canvas/x, /ws/mcp/events, /ws/terminal
 * (when node-pty loads) and /ws/nodes.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { spawnGateway, type GatewayProcess } from '../ingress/gateway-process.js'
import { removeDir, ROOT, wsUrl } from '../auth/support.js'

const FIXTURE = join(ROOT, 'test', 'fixtures', 'ws-crash')
const TOKEN = 'rk_' + 'c0ffee'.repeat(10) + 'abcd'
const AUTH = { authorization: `Bearer ${TOKEN}` }
const DEEP = '['.repeat(150_000) + ']'.repeat(150_000)

const dirs: string[] = []
after(() => {
  for (const d of dirs) removeDir(d)
})

function ptyLoads(): boolean {
  try {
    createRequire(import.meta.url)('node-pty')
    return true
  } catch {
    return false
  }
}

async function boot(): Promise<GatewayProcess> {
  const state = mkdtempSync(join(tmpdir(), 'rk-wscrash-'))
  dirs.push(state)
  const home = join(state, 'home')
  mkdirSync(home, { mode: 0o700 })
  // only the plugins named here, by folder: another built-in (or one in the making) stays out
  const builtins = ['status', 'agent-runtime', 'chat', 'canvas', 'nodes', 'terminal', 'mcp']
  const plugins: Record<string, { enabled: boolean; options?: Record<string, unknown> }> = { 'fx-ws-crash': { enabled: true } }
  for (const id of builtins) plugins[id] = { enabled: true }
  plugins.mcp.options = { home_dir: home }
  const file = join(state, 'revka.plugins.json')
  writeFileSync(file, JSON.stringify({ builtins: false, paths: [FIXTURE, ...builtins.map((id) => join(ROOT, 'plugins', id))], plugins }))
  return spawnGateway(state, file, { REVKA_GATEWAY_ADMIN_TOKEN: TOKEN, HOME: home })
}

async function alive(g: GatewayProcess): Promise<boolean> {
  try {
    const r = await fetch(`${g.url}/health`)
    return r.status === 200
  } catch {
    return false
  }
}

interface Attack {
  name: string
  path: (g: GatewayProcess) => Promise<string>
  protocol?: string
  closeAfter?: boolean
  skip?: string
}

/**
 * Open the socket, send `frame`, then a ping: frames are handled in order, so the pong (or the
 * socket dying) says the gateway has run the listeners for the frame. Resolves with the close code
 * when the gateway closed the socket, else 0 (the socket is closed by us then).
 */
function attack(url: string, protocol: string | undefined, frame: string, closeAfter = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol ? [protocol] : [], { headers: AUTH, maxPayload: 64 * 1024 * 1024 })
    let code = 0
    ws.on('error', () => {
      /* a gateway that died resets the socket: the close below reports it */
    })
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${url}: upgrade refused with ${res.statusCode}`)))
    ws.once('open', () => {
      ws.send(frame)
      ws.ping()
    })
    ws.once('pong', () => {
      if (closeAfter) ws.close(1000)
      // give a closing gateway the chance to say so; otherwise we close
      else
        setImmediate(() => {
          if (ws.readyState === WebSocket.OPEN) ws.close(1000)
        })
    })
    ws.once('close', (c) => {
      code = code || c
      resolve(code === 1000 || code === 1005 ? 0 : code)
    })
  })
}

test('a throwing or rejecting WebSocket listener closes its socket with 1011; the gateway keeps serving (fixture routes and every built-in ws route)', async () => {
  let g = await boot()
  const died: string[] = []
  const codes: Record<string, number> = {}
  const attacks: Attack[] = [
    { name: 'fx walk (sync throw)', path: async () => '/ws/fx-crash/walk' },
    { name: 'fx async (rejected promise)', path: async () => '/ws/fx-crash/async' },
    { name: 'fx close listener', path: async () => '/ws/fx-crash/close', closeAfter: true },
    { name: '/ws/chat', path: async () => '/ws/chat', protocol: 'revka.v1' },
    { name: '/ws/canvas/x', path: async () => '/ws/canvas/x', protocol: 'revka.v1' },
    {
      name: '/ws/mcp/events',
      protocol: 'revka.v1',
      path: async (gw) => {
        const r = await fetch(`${gw.url}/api/mcp/session`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: '{}' })
        assert.equal(r.status, 200, await r.clone().text())
        const s = (await r.json()) as { session_id: string; token: string }
        return `/ws/mcp/events?session_id=${s.session_id}&mcp_token=${s.token}`
      },
    },
    { name: '/ws/terminal', path: async () => '/ws/terminal', protocol: 'revka.v1', skip: ptyLoads() ? undefined : 'node-pty does not load' },
    { name: '/ws/nodes', path: async () => '/ws/nodes', protocol: 'revka.nodes.v1' },
  ]
  try {
    for (const a of attacks) {
      if (a.skip) {
        console.log(`# ${a.name}: skipped (${a.skip})`)
        continue
      }
      // the close-listener route throws on close, not on the frame: a shallow one is enough
      const frame = a.closeAfter ? '[[1,2],[3]]' : DEEP
      codes[a.name] = await attack(wsUrl(g.url, await a.path(g)), a.protocol, frame, a.closeAfter)
      if (!(await alive(g))) {
        died.push(a.name)
        await g.kill()
        g = await boot()
      }
    }
    console.log(`# close codes: ${JSON.stringify(codes)}; gateway died after: ${JSON.stringify(died)}`)
    assert.deepEqual(died, [], 'the gateway process ended')
    assert.equal(codes['fx walk (sync throw)'], 1011)
    assert.equal(codes['fx async (rejected promise)'], 1011)

    // another socket on the same route still works
    const ws = new WebSocket(wsUrl(g.url, '/ws/fx-crash/walk'), [], { headers: AUTH })
    await new Promise((r, j) => {
      ws.once('open', r)
      ws.once('error', j)
    })
    const reply = new Promise<any>((r) => ws.once('message', (d) => r(JSON.parse(String(d)))))
    ws.send('[[1,2],[3]]')
    assert.deepEqual(await reply, { type: 'leaves', n: 3 })
    ws.close()

    // logged without the payload
    const out = g.output()
    assert.match(out, /REVKA_ERR_WS_LISTENER/)
    assert.ok(!out.includes('[[[[[[[[[['), 'the frame was logged')
  } finally {
    await g.kill()
  }
})
