/**
 * A channel contact's deliveries form one conversation: each turn sees what the contact said
 * before and what the agent answered (same channel, thread and sender), another contact's history
 * never, and the history survives a restart. Driven through WATI with a runtime that can echo the
 * messages it was given.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestKernel } from '@revka/plugin-testing'
import { sleep, startFakeApi } from './support.js'
import { ConversationHistory } from '../../plugin-sdk/src/webhook/history.js'

const SCRIPTED_RUNTIME = fileURLToPath(new URL('../../plugins/chat/test-fixtures/scripted-runtime', import.meta.url))
const SECRET = 'wati-shared-secret-for-history'
const headers = { 'content-type': 'application/json', 'x-revka-webhook-secret': SECRET }
const delivery = (id: string, waId: string, text: string) =>
  JSON.stringify({
    id: `w-${id}`,
    whatsappMessageId: id,
    conversationId: `conv-${waId}`,
    eventType: 'message',
    type: 'text',
    text,
    waId,
    senderName: 'Bo',
    owner: false,
  })
const textOf = (url: string) => new URL(url, 'http://x').searchParams.get('messageText') ?? ''

test("each delivery continues its contact's conversation, only that contact's, across a restart", async () => {
  const api = await startFakeApi()
  const state = mkdtempSync(join(tmpdir(), 'revka-history-'))
  const boot = () =>
    startTestKernel({
      stateDir: state,
      plugins: ['wati'],
      paths: [SCRIPTED_RUNTIME],
      options: { wati: { webhook_secret: SECRET, api_token: 't', api_base_url: api.url } },
    })
  const say = async (k: Awaited<ReturnType<typeof boot>>, id: string, waId: string, text: string, nth: number) => {
    const res = await k.inject({ method: 'POST', url: '/wati', headers, payload: delivery(id, waId, text) })
    assert.equal(res.statusCode, 200, res.body)
    const sent = await api.waitFor(nth)
    return textOf(sent[nth - 1].url)
  }
  let k = await boot()
  try {
    assert.equal(await say(k, 'm1', '15550000001', 'hello there', 1), 'ok: hello there')
    const seen = JSON.parse(await say(k, 'm2', '15550000001', 'echo', 2))
    assert.deepEqual(seen, [
      { role: 'user', content: 'hello there' },
      { role: 'assistant', content: 'ok: hello there' },
      { role: 'user', content: 'echo' },
    ])
    // another contact starts from nothing
    assert.deepEqual(JSON.parse(await say(k, 'm3', '15550000002', 'echo', 3)), [{ role: 'user', content: 'echo' }])

    // on disk: one private file per conversation, named without the contact's number
    const dir = join(state, 'plugins', 'wati', 'webhook-wati', 'conversations')
    const files = readdirSync(dir)
    assert.equal(files.length, 2)
    for (const f of files) {
      assert.ok(!f.includes('1555'), f)
      assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600)
    }
    assert.ok(files.some((f) => readFileSync(join(dir, f), 'utf8').includes('hello there')))
    // let the last delivery be marked done (a stop while its send is in flight replays it at the
    // next start, which is right, but would be one more reply to tell apart below)
    await sleep(300)
  } finally {
    await k.stop()
  }
  k = await boot()
  try {
    // after a restart the first contact's conversation goes on where it was
    const seen = JSON.parse(await say(k, 'm4', '15550000001', 'echo', 4))
    assert.deepEqual(seen.map((m: { content: string }) => m.content).slice(0, 2), ['hello there', 'ok: hello there'])
    assert.equal(seen.at(-1).content, 'echo')
  } finally {
    await k.stop()
    await api.close()
    rmSync(state, { recursive: true, force: true })
  }
})

test("the history is bounded, recorded once per delivery, and never read from another conversation's file", () => {
  const dir = mkdtempSync(join(tmpdir(), 'revka-history-unit-'))
  try {
    const h = new ConversationHistory(dir, 4)
    h.record('c1', 'd1', 'one', 'ONE')
    // the same delivery again (a turn re-run after a crash before its reply was journalled)
    h.record('c1', 'd1', 'one', 'ONE again')
    assert.deepEqual(
      h.messages('c1', 'dX').map((m) => m.content),
      ['one', 'ONE'],
    )
    h.record('c1', 'd2', 'two', 'TWO')
    h.record('c1', 'd3', 'three', '')
    // newest 4 kept, and a history never opens with an answer
    assert.deepEqual(
      h.messages('c1', 'dX').map((m) => m.content),
      ['two', 'TWO', 'three'],
    )
    // a turn does not see its own delivery as history
    assert.deepEqual(
      h.messages('c1', 'd3').map((m) => m.content),
      ['two', 'TWO'],
    )
    // a file whose recorded conversation differs (hash collision, foreign file) is ignored
    const [f] = readdirSync(dir)
    const doc = JSON.parse(readFileSync(join(dir, f), 'utf8'))
    writeFileSync(join(dir, f), JSON.stringify({ ...doc, conversation: 'someone-else' }))
    assert.deepEqual(h.messages('c1', 'dX'), [])
    writeFileSync(join(dir, f), '{torn')
    assert.deepEqual(h.messages('c1', 'dX'), [])
    // 0 turns history off
    const off = new ConversationHistory(dir, 0)
    off.record('c2', 'd1', 'x', 'y')
    assert.deepEqual(off.messages('c2', 'dX'), [])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
