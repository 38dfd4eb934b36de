/**
 * Attack (issue 10 item 6): no disk quotas. Attachments to made-up session ids were accepted, with
 * no delete route; 1,000 sessions were created in 1.1 s over `?name=`; `GET /api/sessions` was
 * unpaginated. Here each is tried with real sockets: uploads to a session that does not exist or
 * belongs to another credential, a burst of session creations from one token, attachment deletion,
 * and a paged session list.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { TestKernel } from '@revka/plugin-testing'
import { chatStateDir, chatUpgrade, createSession, openChat, startChatKernel } from './test-support/chat-client.js'
import { upload } from './test-support/upload-client.js'

let k: TestKernel
before(async () => {
  k = await startChatKernel()
})
after(async () => {
  await k.stop()
})

const bearer = (token = k.token!) => ({ authorization: `Bearer ${token}` })
const filesOf = (sid: string) => {
  const dir = join(chatStateDir(k, 'attachments'), sid)
  return existsSync(dir) ? readdirSync(dir) : []
}

test('an upload to a session id nobody created gets 404 and writes nothing', async () => {
  let accepted = 0
  for (let i = 0; i < 5; i++) {
    const res = await upload(k, { sid: `made-up-${i}`, content: 'filler' })
    if (res.status === 201) accepted++
    else {
      assert.equal(res.status, 404)
      assert.equal(res.body.code, 'session_not_found')
      assert.deepEqual(Object.keys(res.body).sort(), ['code', 'error'])
    }
    assert.deepEqual(filesOf(`made-up-${i}`), [])
  }
  assert.equal(accepted, 0, `${accepted} of 5 uploads to made-up sessions were accepted`)
})

test('an upload to another credential’s session gets 403; its owner’s upload is accepted', async () => {
  const other = k.pairDevice('other-owner').token
  await createSession(k, 'owned-by-other', other)
  const res = await upload(k, { sid: 'owned-by-other', content: 'not yours' })
  assert.equal(res.status, 403, JSON.stringify(res.body))
  assert.equal(res.body.code, 'session_not_owned')
  assert.deepEqual(filesOf('owned-by-other'), [])
  const own = await upload(k, { sid: 'owned-by-other', content: 'mine', token: other })
  assert.equal(own.status, 201)
})

test('DELETE an attachment removes it (owner only); archiving a session removes all of its files', async () => {
  await createSession(k, 'del-files')
  const a = await upload(k, { sid: 'del-files', content: 'first file' })
  const b = await upload(k, { sid: 'del-files', content: 'second file' })
  assert.equal(a.status, 201)
  assert.equal(b.status, 201)

  const stranger = k.pairDevice('stranger').token
  const refused = await k.inject({ method: 'DELETE', url: `/api/sessions/del-files/attachments/${a.body.file_id}`, headers: bearer(stranger) })
  assert.equal(refused.statusCode, 403)
  assert.ok(filesOf('del-files').includes(a.body.file_id), 'a refused delete leaves the file')

  const del = await k.inject({ method: 'DELETE', url: `/api/sessions/del-files/attachments/${a.body.file_id}`, headers: bearer() })
  assert.equal(del.statusCode, 200, del.body)
  assert.deepEqual(del.json(), { deleted: true, session_id: 'del-files', file_id: a.body.file_id })
  assert.deepEqual(filesOf('del-files').sort(), [b.body.file_id, `${b.body.file_id}.json`].sort())
  const again = await k.inject({ method: 'DELETE', url: `/api/sessions/del-files/attachments/${a.body.file_id}`, headers: bearer() })
  assert.equal(again.statusCode, 404)
  assert.equal(again.json().code, 'attachment_not_found')
  const bad = await k.inject({ method: 'DELETE', url: '/api/sessions/del-files/attachments/a.b', headers: bearer() })
  assert.equal(bad.statusCode, 400)

  assert.equal((await k.inject({ method: 'DELETE', url: '/api/sessions/del-files', headers: bearer() })).statusCode, 200)
  assert.equal(existsSync(join(chatStateDir(k, 'attachments'), 'del-files')), false, 'the archived session’s files are gone')
})

test('a burst of session creations from one token is cut at the rate with 429 + Retry-After; others are unaffected', async () => {
  const burst = k.pairDevice('burst').token
  const statuses: number[] = []
  let refusal: Awaited<ReturnType<typeof chatUpgrade>> | undefined
  for (let i = 0; i < 40; i++) {
    const r = await chatUpgrade(k, { session_id: `burst-${i}`, name: `n${i}` }, burst)
    statuses.push(r.status)
    if (r.status !== 101) refusal ??= r
  }
  const created = statuses.filter((s) => s === 101).length
  const listed = (await k.inject({ url: '/api/sessions?limit=500', headers: bearer() })).json().sessions.filter((s: any) => s.id.startsWith('burst-')).length
  assert.equal(created, 20, `${created} of 40 creations were let in: ${statuses.join(',')}`)
  assert.equal(listed, 20)
  assert.ok(refusal, 'the rest were refused')
  assert.equal(refusal.status, 429)
  assert.equal(refusal.body.code, 'session_rate_limited')
  assert.ok(Number(refusal.headers['retry-after']) >= 1, 'Retry-After header')
  assert.equal(refusal.body.retry_after, Number(refusal.headers['retry-after']))
  // a socket without a name creates its session with its first message: that message is refused
  const quiet = await openChat(k, { token: burst, query: { session_id: 'burst-by-message' } })
  try {
    await quiet.next('session_start')
    quiet.send({ type: 'message', content: 'create me' })
    const frame = await quiet.next('error')
    assert.equal(frame.code, 'SESSION_RATE_LIMITED')
    assert.ok(frame.retry_after >= 1)
  } finally {
    await quiet.close()
  }
  assert.equal((await k.inject({ url: '/api/sessions/burst-by-message/messages', headers: bearer() })).json().messages.length, 0, 'nothing stored')
  // the limit is on creating: the same token still reopens an existing session, and others still create
  assert.equal((await chatUpgrade(k, { session_id: 'burst-0' }, burst)).status, 101)
  assert.equal((await chatUpgrade(k, { session_id: 'burst-other', name: 'x' })).status, 101)
})

test('GET /api/sessions pages with ?limit and a cursor; the pages cover every session once', async () => {
  const pager = k.pairDevice('pager').token
  for (let i = 0; i < 12; i++) await createSession(k, `page-${String(i).padStart(2, '0')}`, pager)
  const first = await k.inject({ url: '/api/sessions?limit=5', headers: bearer() })
  assert.equal(first.statusCode, 200)
  const body = first.json()
  assert.equal(body.sessions.length + body.archived_session_ids.length, 5, 'one page of 5')
  assert.equal(typeof body.next_before, 'string')
  const seen: string[] = [...body.sessions.map((s: any) => s.id), ...body.archived_session_ids]
  let cursor: string | undefined = body.next_before
  for (let n = 0; cursor; n++) {
    assert.ok(n < 100)
    const page = (await k.inject({ url: `/api/sessions?limit=5&before=${encodeURIComponent(cursor)}`, headers: bearer() })).json()
    seen.push(...page.sessions.map((s: any) => s.id), ...page.archived_session_ids)
    cursor = page.next_before
  }
  assert.equal(new Set(seen).size, seen.length, 'no session twice')
  for (let i = 0; i < 12; i++) assert.ok(seen.includes(`page-${String(i).padStart(2, '0')}`))
  for (const q of ['limit=0', 'limit=x', 'limit=100000', 'before=%%%']) {
    const res = await k.inject({ url: `/api/sessions?${q}`, headers: bearer() })
    assert.equal(res.statusCode, 400, q)
  }
})
