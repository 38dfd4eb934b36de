/**
 * Attack (issue 10 item 3): memory exhaustion through chat history. Each turn used to load up to
 * 200 messages of up to 1 MiB each, and `GET /api/sessions/{id}/messages` answered the whole
 * history at once. Here, at a smaller but telling scale: four sessions of ~5.8 MB history each.
 * The assertions are on bytes and counts (the budgets); RSS is only reported as a diagnostic.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { TestKernel } from '@revka/plugin-testing'
import { createSession, openChat, startChatKernel } from './test-support/chat-client.js'
import { upload } from './test-support/upload-client.js'

const KiB = 1024
const MiB = 1024 * KiB
/** the documented defaults (plugins/chat/limits.ts) */
const MAX_MESSAGE_BYTES = 256 * KiB
const CONTEXT_BUDGET_BYTES = 1 * MiB
const HISTORY_PAGE_BYTES = 1 * MiB
/** JSON framing around the counted content (roles, quotes, the envelope) */
const SLACK = 16 * KiB

const SESSIONS = ['mem-0', 'mem-1', 'mem-2', 'mem-3']
const MESSAGES_PER_SESSION = 12
const BIG = 240 * KiB

let k: TestKernel
const auth = () => ({ authorization: `Bearer ${k.token}` })
const rssMb = () => Math.round(process.memoryUsage.rss() / MiB)

before(async () => {
  k = await startChatKernel()
  // every message is under the per-message budget; the scripted runtime answers `ok: <text>`, so
  // each session holds 24 rows of ~240 KB (~5.8 MB)
  await Promise.all(
    SESSIONS.map(async (sid, s) => {
      const c = await openChat(k, { query: { session_id: sid } })
      try {
        await c.next('session_start')
        for (let i = 0; i < MESSAGES_PER_SESSION; i++) {
          c.send({ type: 'message', content: `${s}:${i} ` + String.fromCharCode(97 + i).repeat(BIG) })
          await c.next('done', 20_000)
        }
      } finally {
        await c.close()
      }
    }),
  )
})
after(async () => {
  await k.stop()
})

test('a chat message over the per-message byte budget gets MESSAGE_TOO_LARGE and is not stored', async () => {
  const c = await openChat(k, { query: { session_id: 'mem-big' } })
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: 'y'.repeat(MAX_MESSAGE_BYTES + 1) })
    const frame = await c.next(undefined, 10_000)
    assert.equal(frame.type, 'error', `the oversize message was answered with ${frame.type}`)
    assert.equal(frame.code, 'MESSAGE_TOO_LARGE')
    c.send({ type: 'message', content: 'y'.repeat(MAX_MESSAGE_BYTES) })
    assert.equal((await c.next('done', 10_000)).type, 'done', 'exactly the budget is accepted')
  } finally {
    await c.close()
  }
  const stored = (await k.inject({ url: '/api/sessions/mem-big/messages', headers: auth() })).json()
  assert.equal(stored.messages.filter((m: any) => m.role === 'user').length, 1, 'only the message within the budget was stored')
})

test('a turn’s context stays within the byte budget, newest messages first (four sessions at once)', async (t) => {
  const rssBefore = rssMb()
  const contexts = await Promise.all(
    SESSIONS.map(async (sid) => {
      const c = await openChat(k, { query: { session_id: sid } })
      try {
        await c.next('session_start')
        c.send({ type: 'message', content: 'echo' })
        return (await c.next('done', 20_000)).full_response as string
      } finally {
        await c.close()
      }
    }),
  )
  t.diagnostic(`RSS ${rssBefore} MB → ${rssMb()} MB after four concurrent turns over ~5.8 MB histories`)
  for (const json of contexts) {
    const bytes = Buffer.byteLength(json)
    assert.ok(bytes <= CONTEXT_BUDGET_BYTES + SLACK, `the runtime received ${bytes} bytes of context`)
    const messages = JSON.parse(json)
    assert.equal(messages.at(-1).content, 'echo', 'the new message is always in the context')
    assert.ok(messages.length >= 3 && messages.length < 2 * MESSAGES_PER_SESSION, `${messages.length} messages`)
    // what is kept is the newest part, in order: the reply just before the new message is the last big one
    assert.match(messages.at(-2).content, new RegExp(`^ok: \\d:${MESSAGES_PER_SESSION - 1} `))
  }
})

test('inlined attachments count against the turn’s budget: a file re-attached in every message does not multiply', async () => {
  await createSession(k, 'mem-files')
  const up = await upload(k, { sid: 'mem-files', content: 'z'.repeat(600 * KiB), filename: 'big.txt', mime: 'text/plain' })
  assert.equal(up.status, 201)
  const c = await openChat(k, { query: { session_id: 'mem-files' } })
  try {
    await c.next('session_start')
    // eight copies of the file inlined (200 000 characters each) would be ~1.6 MB
    for (let i = 0; i < 7; i++) {
      c.send({ type: 'message', content: `file ${i}`, attachments: [up.body.file_id] })
      await c.next('done', 20_000)
    }
    c.send({ type: 'message', content: 'echo', attachments: [up.body.file_id] })
    const json = (await c.next('done', 20_000)).full_response as string
    assert.ok(Buffer.byteLength(json) <= CONTEXT_BUDGET_BYTES + SLACK, `the runtime received ${Buffer.byteLength(json)} bytes of context`)
    const last = JSON.parse(json).at(-1)
    assert.equal(last.content[0].text, 'echo')
    assert.match(last.content[1].text, /^\[Attached file: big\.txt/, 'the newest message still shows its file')
  } finally {
    await c.close()
  }
})

test('a history read answers one page within the byte budget with a cursor, and the pages cover the history', async (t) => {
  const rssBefore = rssMb()
  const pages = await Promise.all(Array.from({ length: 5 }, () => k.inject({ url: '/api/sessions/mem-0/messages', headers: auth() })))
  t.diagnostic(`RSS ${rssBefore} MB → ${rssMb()} MB after five concurrent history reads`)
  for (const p of pages) {
    assert.equal(p.statusCode, 200)
    assert.ok(p.body.length <= HISTORY_PAGE_BYTES + SLACK, `a history answer of ${p.body.length} bytes`)
  }
  const first = pages[0].json()
  assert.equal(first.session_id, 'mem-0')
  assert.equal(first.session_persistence, true)
  assert.ok(first.next_before !== undefined, 'a cursor to the older messages')

  // walking the cursor back reaches the first message, each page within the budget
  const all = [...first.messages]
  let cursor = first.next_before
  for (let n = 0; cursor !== undefined; n++) {
    assert.ok(n < 50, 'the cursor walk ends')
    const res = await k.inject({ url: `/api/sessions/mem-0/messages?before=${encodeURIComponent(cursor)}`, headers: auth() })
    assert.equal(res.statusCode, 200)
    assert.ok(res.body.length <= HISTORY_PAGE_BYTES + SLACK)
    const page = res.json()
    all.unshift(...page.messages)
    cursor = page.next_before
  }
  const users = all.filter((m) => m.role === 'user' && m.content !== 'echo')
  assert.equal(users.length, MESSAGES_PER_SESSION)
  users.forEach((m, i) => assert.ok(m.content.startsWith(`0:${i} `), `message ${i} in order`))
  assert.equal(users[0].content.length, `0:0 `.length + BIG, 'a message that fits is never cut')
})

test('?limit= bounds the count; a bad limit or cursor is a 400 in the contract shape', async () => {
  const two = (await k.inject({ url: '/api/sessions/mem-1/messages?limit=2', headers: auth() })).json()
  assert.equal(two.messages.length, 2)
  assert.ok(two.next_before !== undefined)
  for (const q of ['limit=0', 'limit=abc', 'limit=100000', 'before=-1', 'before=x']) {
    const res = await k.inject({ url: `/api/sessions/mem-1/messages?${q}`, headers: auth() })
    assert.equal(res.statusCode, 400, q)
    assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'error'])
  }
})
