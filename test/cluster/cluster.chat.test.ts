/**
 * Issue 18, chat sessions on the cluster's PostgreSQL: two real gateway processes (chat and the
 * offline model) over real WebSockets and HTTP. A session started on A is listed on B with its
 * history and continues there (B's turn sees A's messages as context); rename and archive on B
 * show on A; a credential's session cap counts its sessions on both nodes, also when it opens
 * sessions through both at the same moment; messages sent to one session through both nodes at
 * once are all kept, each node's in the order it sent them; the sessions outlive a node's restart. B reaches PostgreSQL through a TCP relay the test can cut:
 * with the engine gone, B's chat routes answer 503 cluster_unavailable and its open socket refuses
 * a turn with a CLUSTER_UNAVAILABLE error frame — the process stays up and recovers by itself.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { openJsonSocket, wsCredentials, type JsonSocket } from '@revka/plugin-testing'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { ADMIN, bearer, engines, json, pairVia, startNode, until } from './support.js'

after(async () => {
  await killAllChildren()
  pgRelay?.cut()
})

const CHAT = { chat: { max_sessions_per_credential: 3, first_frame_wait_ms: 200 } }
// the offline model streams without pauses, so a dozen turns take well under a second each
const OFFLINE = '\n[providers.offline]\ntype = "offline"\nchunk_delay_ms = 0\n'

/** A TCP relay to PostgreSQL: `cut` drops every connection and refuses new ones until `restore`. */
interface Relay {
  server: Server
  url: string
  cut(): void
  restore(): Promise<void>
}
let pgRelay: Relay | undefined

async function relayTo(pgUrl: string): Promise<Relay> {
  const target = new URL(pgUrl)
  const live = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname)
    for (const s of [client, upstream]) {
      live.add(s)
      s.on('error', () => {})
      s.on('close', () => {
        live.delete(s)
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const url = new URL(pgUrl)
  url.port = String(port)
  return {
    server,
    url: url.toString(),
    cut() {
      server.close()
      for (const s of live) s.destroy()
    },
    restore: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
  }
}

/** a node whose `[cluster] postgres_url` is `pgUrl` (startNode reads it from the suite's env) */
async function startVia(id: string, pgUrl: string): Promise<GatewayChild> {
  const real = process.env.REVKA_CLUSTER_PG_URL
  process.env.REVKA_CLUSTER_PG_URL = pgUrl
  try {
    return await startNode(id, { plugins: CHAT, cluster: OFFLINE })
  } finally {
    process.env.REVKA_CLUSTER_PG_URL = real
  }
}

function chat(node: GatewayChild, token: string, query: Record<string, string>): Promise<JsonSocket> {
  const cred = wsCredentials(token, 'header')
  return openJsonSocket(`${node.url.replace(/^http/, 'ws')}/ws/chat?${new URLSearchParams(query)}`, { protocols: ['revka.v1'], headers: cred.headers })
}

/** named sessions opened one after another, each through its node, each closed once started */
async function startSessions(token: string, where: Array<[GatewayChild, string]>): Promise<void> {
  for (const [node, sid] of where) {
    const s = await chat(node, token, { session_id: sid, name: sid })
    await s.next('session_start')
    await s.close()
  }
}

/** one turn on an open socket: its `done` frame's reply */
async function turn(s: JsonSocket, content: string): Promise<string> {
  s.send({ type: 'message', content })
  return (await s.next('done', 15_000)).full_response
}

async function sessions(node: GatewayChild, token: string): Promise<{ sessions: any[]; archived_session_ids: string[] }> {
  const r = await json(`${node.url}/api/sessions?limit=100`, { headers: bearer(token) })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body
}

async function history(node: GatewayChild, token: string, sid: string): Promise<Array<{ role: string; content: string }>> {
  const r = await json(`${node.url}/api/sessions/${sid}/messages?limit=500`, { headers: bearer(token) })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body.messages
}

test('chat sessions are shared by two nodes on PostgreSQL; a lost engine is a 503, not a crash', async () => {
  pgRelay = await relayTo(engines().pg)
  const a = await startNode('chat-a', { plugins: CHAT, cluster: OFFLINE })
  const b = await startVia('chat-b', pgRelay.url)
  const { token } = await pairVia(a, a, 'chat phone')

  // started on A
  const onA = await chat(a, token, { session_id: 'cs-first', name: 'First' })
  assert.equal((await onA.next('session_start')).resumed, false)
  assert.match(await turn(onA, 'hello from A'), /This conversation has 1 message/)
  await onA.close()

  // listed on B with its history, and continued there with A's messages as context
  const listed = (await sessions(b, token)).sessions.find((s) => s.id === 'cs-first')
  assert.equal(listed?.name, 'First')
  assert.equal(listed?.message_count, 2)
  assert.deepEqual(
    (await history(b, token, 'cs-first')).map((m) => m.role),
    ['user', 'assistant'],
  )
  const onB = await chat(b, token, { session_id: 'cs-first' })
  assert.deepEqual(await onB.next('session_start'), { type: 'session_start', session_id: 'cs-first', resumed: true, message_count: 2, name: 'First' })
  assert.match(await turn(onB, 'and again on B'), /This conversation has 3 messages, 2 from you/)
  await onB.close()
  assert.deepEqual(
    (await history(a, token, 'cs-first')).map((m) => m.content.slice(0, 14)),
    ['hello from A', 'You said: "hel', 'and again on B', 'You said: "and'],
  )

  // renamed and archived on B, seen on A
  const put = await json(`${b.url}/api/sessions/cs-first`, {
    method: 'PUT',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Renamed on B' }),
  })
  assert.equal(put.status, 200, JSON.stringify(put.body))
  assert.equal((await sessions(a, token)).sessions.find((s) => s.id === 'cs-first')?.name, 'Renamed on B')
  const del = await json(`${b.url}/api/sessions/cs-first`, { method: 'DELETE', headers: bearer(token) })
  assert.equal(del.status, 200, JSON.stringify(del.body))
  const afterArchive = await sessions(a, token)
  assert.ok(afterArchive.archived_session_ids.includes('cs-first'))
  assert.equal(
    afterArchive.sessions.some((s) => s.id === 'cs-first'),
    false,
  )

  // the cap (3 live sessions per credential) counts the sessions made on both nodes
  await startSessions(token, [
    [a, 'cs-q1'],
    [b, 'cs-q2'],
    [a, 'cs-q3'],
  ])
  const refused = await chat(b, token, { session_id: 'cs-q4', name: 'one too many' }).then(
    () => 0,
    (e) => e.statusCode,
  )
  assert.equal(refused, 507, 'the fourth session is refused on B although B made only one')
  assert.equal(
    (await sessions(a, token)).sessions.some((s) => s.id === 'cs-q4'),
    false,
  )

  // two nodes writing one session at once: every message kept, each node's in its own order
  const wa = await chat(a, token, { session_id: 'cs-q1' })
  const wb = await chat(b, token, { session_id: 'cs-q1' })
  await Promise.all([wa.next('session_start'), wb.next('session_start')])
  const sends = 6
  for (let i = 0; i < sends; i++) {
    wa.send({ type: 'message', content: `A${i}` })
    wb.send({ type: 'message', content: `B${i}` })
  }
  for (const s of [wa, wb]) for (let i = 0; i < sends; i++) await s.next('done', 15_000)
  await Promise.all([wa.close(), wb.close()])
  const written = await history(b, token, 'cs-q1')
  assert.equal(written.length, 4 * sends, 'every user message and every reply is kept, none twice')
  const users = written.filter((m) => m.role === 'user').map((m) => m.content)
  assert.deepEqual(
    users.filter((c) => c.startsWith('A')),
    Array.from({ length: sends }, (_, i) => `A${i}`),
  )
  assert.deepEqual(
    users.filter((c) => c.startsWith('B')),
    Array.from({ length: sends }, (_, i) => `B${i}`),
  )
  assert.equal((await sessions(a, token)).sessions.find((s) => s.id === 'cs-q1')?.message_count, 4 * sends)

  // A restarted (a crash, then a fresh state dir): the sessions are still there
  await a.kill9()
  const a2 = await startNode('chat-a2', { plugins: CHAT, cluster: OFFLINE })
  assert.deepEqual((await sessions(a2, token)).sessions.map((s) => s.id).sort(), ['cs-q1', 'cs-q2', 'cs-q3'])

  // another credential opens 6 named sessions at once, 3 through each node: its cap of 3 holds
  const racer = await pairVia(a2, b, 'racer')
  const outcomes = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      chat(i % 2 ? b : a2, racer.token, { session_id: `race-${i}`, name: `race ${i}` }).then(
        async (s) => {
          const first = await s.next(undefined, 15_000)
          await s.close()
          return first.type === 'session_start' ? 'created' : first.code
        },
        (e) => `http ${e.statusCode}`,
      ),
    ),
  )
  assert.equal(outcomes.filter((o) => o === 'created').length, 3, JSON.stringify(outcomes))
  for (const o of outcomes) assert.ok(['created', 'SESSION_QUOTA_EXCEEDED', 'http 507'].includes(o), o)
  const raced = (await sessions(b, token)).sessions.filter((s) => s.id.startsWith('race-'))
  assert.equal(raced.length, 3, 'exactly the cap was created across both nodes')

  // B loses PostgreSQL: 503 cluster_unavailable on the routes, an error frame on the socket
  const open = await chat(b, ADMIN, { session_id: 'cs-q2' })
  await open.next('session_start')
  // cut at once: the open's audit append may still hold a pooled connection in its transaction,
  // which once ended the node (a lost checked-out connection was an unheard 'error' event)
  pgRelay.cut()
  const lost = await json(`${b.url}/api/sessions`, { headers: bearer(ADMIN) }).catch((e) => {
    throw new Error(`B did not answer with PostgreSQL gone (${e.message}); its log ends:\n${b.output().slice(-4000)}`)
  })
  assert.equal(lost.status, 503, JSON.stringify(lost.body))
  assert.equal(lost.body.code, 'cluster_unavailable')
  assert.ok(Number(lost.headers.get('retry-after')) > 0)
  const lostHistory = await json(`${b.url}/api/sessions/cs-q2/messages`, { headers: bearer(ADMIN) })
  assert.equal(lostHistory.status, 503)
  open.send({ type: 'message', content: 'while the engine is gone' })
  const refusal = await open.next('error', 15_000)
  assert.equal(refusal.code, 'CLUSTER_UNAVAILABLE')
  assert.ok(refusal.retry_after > 0)
  assert.equal(
    open.frames.some((f) => f.type === 'done'),
    false,
  )
  const upgrade = await chat(b, ADMIN, { session_id: 'cs-new', name: 'during the outage' }).then(
    () => 0,
    (e) => e.statusCode,
  )
  assert.equal(upgrade, 503)
  const late = await chat(b, ADMIN, { session_id: 'cs-q2' })
  assert.equal((await late.next('error', 15_000)).code, 'CLUSTER_UNAVAILABLE')
  assert.equal((await late.closed).code, 1013, 'try again later')
  await open.close()

  // the engine is back: B answers again, and nothing of the refused turn was written
  await pgRelay.restore()
  await until('B reaches PostgreSQL again', async () => (await json(`${b.url}/api/sessions`, { headers: bearer(ADMIN) })).status === 200, 20_000)
  assert.deepEqual(
    (await history(a2, token, 'cs-q2')).map((m) => m.content),
    [],
  )
  assert.doesNotThrow(() => process.kill(b.pid, 0), 'B is still running')
})

test('sessions_per_minute counts the sessions a credential starts through every node', async () => {
  // three a minute: two through A and one through B leave each node's own bucket room, not the cluster's
  const RATE = { chat: { sessions_per_minute: 3, max_sessions_per_credential: 50, first_frame_wait_ms: 200 } }
  const a = await startNode('rate-a', { plugins: RATE, cluster: OFFLINE })
  const b = await startNode('rate-b', { plugins: RATE, cluster: OFFLINE })
  const { token } = await pairVia(a, b, 'rate tester')
  await startSessions(token, [
    [a, 'rate-1'],
    [b, 'rate-2'],
    [a, 'rate-3'],
  ])
  const fourth = await chat(b, token, { session_id: 'rate-4', name: 'one too many this minute' })
  const refusal = await fourth.next('error', 15_000)
  assert.equal(refusal.code, 'SESSION_RATE_LIMITED', JSON.stringify(refusal))
  assert.ok(refusal.retry_after > 0 && refusal.retry_after <= 60, `retry_after ${refusal.retry_after}`)
  assert.equal((await fourth.closed).code, 1008)
  const ids = (await sessions(a, token)).sessions.map((s) => s.id)
  assert.deepEqual(ids.filter((id) => id.startsWith('rate-')).sort(), ['rate-1', 'rate-2', 'rate-3'], 'the fourth session was not stored')
})
