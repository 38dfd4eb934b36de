import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openChat, startChatKernel } from './test-support/chat-client.js'

test('a session resumes after a kernel restart on the same state dir, and its history reaches the runtime', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'revka-chat-resume-'))
  try {
    const k1 = await startChatKernel({ stateDir })
    try {
      const c = await openChat(k1, { query: { session_id: 'resume-me' } })
      assert.equal((await c.next('session_start')).resumed, false)
      c.send({ type: 'message', content: 'remember the word pineapple' })
      await c.next('done')
      await c.close()
    } finally {
      await k1.stop()
    }

    const k2 = await startChatKernel({ stateDir })
    try {
      const c = await openChat(k2, { query: { session_id: 'resume-me' } })
      assert.deepEqual(await c.next('session_start'), { type: 'session_start', session_id: 'resume-me', resumed: true, message_count: 2 })
      c.send({ type: 'message', content: 'echo' })
      const seen = JSON.parse((await c.next('done')).full_response)
      assert.deepEqual(seen, [
        { role: 'user', content: 'remember the word pineapple' },
        { role: 'assistant', content: 'ok: remember the word pineapple' },
        { role: 'user', content: 'echo' },
      ])
      await c.close()
    } finally {
      await k2.stop()
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true })
  }
})

test('a page_context hint is prepended for the runtime but not persisted', async () => {
  const k = await startChatKernel()
  try {
    const c = await openChat(k, { query: { session_id: 'page-1' } })
    await c.next('session_start')
    c.send({ type: 'message', content: 'echo', page_context: 'workflows' })
    const seen = JSON.parse((await c.next('done')).full_response)
    assert.match(seen[0].content, /^\[The user is on the Workflows page of the dashboard[^\]]*\]\n\necho$/)
    const stored = (await k.inject({ url: '/api/sessions/page-1/messages', headers: { authorization: `Bearer ${k.token}` } })).json()
    assert.equal(stored.messages[0].content, 'echo')
    await c.close()
  } finally {
    await k.stop()
  }
})
