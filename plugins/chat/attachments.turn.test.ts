import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { TestKernel } from '@revka/plugin-testing'
import { createSession, openChat, startChatKernel } from './test-support/chat-client.js'
import { upload } from './test-support/upload-client.js'
import { INLINE_TEXT_MAX_CHARS } from './attachments/resolve.js'

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)])

let k: TestKernel
before(async () => {
  k = await startChatKernel({ options: { 'fx-scripted-runtime': { images: true } } })
  for (const sid of ['att-text', 'att-mixed', 'att-owner', 'att-long']) await createSession(k, sid)
})
after(async () => {
  await k.stop()
})

/** Sends `echo` with the attachments; returns the messages the runtime received. */
async function echoWith(sid: string, attachments: string[]): Promise<any[]> {
  const c = await openChat(k, { query: { session_id: sid } })
  try {
    await c.next('session_start')
    c.send({ type: 'message', content: 'echo', attachments })
    return JSON.parse((await c.next('done')).full_response)
  } finally {
    await c.close()
  }
}

test('a text attachment is inlined into the user message the runtime receives', async () => {
  const up = await upload(k, { sid: 'att-text', content: 'The secret ingredient is cardamom.\n', filename: 'recipe.txt', mime: 'text/plain' })
  assert.equal(up.status, 201)
  const messages = await echoWith('att-text', [up.body.file_id])
  const last = messages.at(-1)
  assert.equal(last.role, 'user')
  assert.equal(last.content[0].text, 'echo')
  assert.match(last.content[1].text, /^\[Attached file: recipe\.txt \(text\/plain, 35 bytes\)\]\nThe secret ingredient is cardamom\.\n$/)
  // the stored history keeps what the user typed; the next turn sees the file again
  const again = await echoWith('att-text', [])
  assert.match(again[0].content[1].text, /cardamom/)
})

test('images become image parts when the runtime supports them; binaries get a one-line note', async () => {
  const img = await upload(k, { sid: 'att-mixed', content: PNG, filename: 'pic.png', mime: 'image/png' })
  const fake = await upload(k, { sid: 'att-mixed', content: Buffer.from([0, 1, 2, 3, 255]), filename: 'fake.png', mime: 'image/png' })
  const bin = await upload(k, { sid: 'att-mixed', content: Buffer.from([0, 159, 146, 150, 0]), filename: 'blob.dat', mime: 'application/octet-stream' })
  const [last] = (await echoWith('att-mixed', [img.body.file_id, fake.body.file_id, bin.body.file_id])).slice(-1)
  assert.equal(last.content[1].type, 'image')
  assert.equal(last.content[1].mime, 'image/png')
  assert.ok(last.content[1].path.endsWith(`/attachments/att-mixed/${img.body.file_id}`))
  assert.match(last.content[2].text, /^\[Attached binary file: fake\.png \(image\/png, 5 bytes\)/, 'a "PNG" whose bytes are not one is binary')
  assert.match(last.content[3].text, /^\[Attached binary file: blob\.dat/)
  assert.equal(last.content.length, 4)
})

test('file ids resolve only inside their own session; unknown and malformed ids get a note', async () => {
  const other = await upload(k, { sid: 'att-owner', content: 'private to owner', filename: 'p.txt' })
  const [last] = (await echoWith('att-thief', [other.body.file_id, '../att-owner/' + other.body.file_id, 'nope'])).slice(-1)
  for (const part of last.content.slice(1)) {
    assert.equal(part.type, 'text')
    assert.match(part.text, /is not available in this session/)
    assert.doesNotMatch(part.text, /private to owner/)
  }
})

test('long text is cut at 200 000 characters with a note', async () => {
  const up = await upload(k, { sid: 'att-long', content: 'é'.repeat(INLINE_TEXT_MAX_CHARS + 10), filename: 'long.txt' })
  const [last] = (await echoWith('att-long', [up.body.file_id])).slice(-1)
  const text: string = last.content[1].text
  assert.equal((text.match(/é/g) ?? []).length, INLINE_TEXT_MAX_CHARS)
  assert.match(text, /truncated: the first 200000 characters are shown\]$/)
})
