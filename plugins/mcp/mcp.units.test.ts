import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SessionStore } from './upstream/sessions.js'
import { SseDataParser } from './proxy/ws-events.js'

test("sessions are bounded: the least recently used goes first, the gateway's pinned one never", () => {
  const s = new SessionStore(3)
  const pinned = s.mint('/', true)
  const a = s.mint('/')
  const b = s.mint('/')
  assert.ok(s.verify(a.session_id, a.token), 'a is used, so b is now the oldest')
  const c = s.mint('/')
  assert.equal(s.size, 3)
  assert.equal(s.verify(b.session_id, b.token), undefined)
  for (const x of [pinned, a, c]) assert.ok(s.verify(x.session_id, x.token))
  assert.equal(s.verify(a.session_id, c.token), undefined, 'a token is bound to its own session')
  assert.equal(s.verify(a.session_id, undefined), undefined)
})

test('SSE data is reassembled across chunks; multi-line data joins with \\n; comments and fields are dropped', () => {
  const p = new SseDataParser()
  const out: string[] = []
  const feed = (x: string) => p.feed(x, (d) => out.push(d))
  feed(': connected\n\nid: 7\nevent: progress\nda')
  feed('ta: {"progress":1}\r\n\r\n')
  feed('data: line one\ndata:line two\n\n: keep-alive\n\n')
  assert.deepEqual(out, ['{"progress":1}', 'line one\nline two'])
})
