import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestKernel } from '@revka/plugin-testing'
import { createSession, startChatKernel } from './test-support/chat-client.js'
import { attachmentsDir, BOUNDARY, filesUnder, upload } from './test-support/upload-client.js'

let k: TestKernel
before(async () => {
  k = await startChatKernel()
  // uploads go to existing sessions of the caller (attack tests: chat.quota.attack.test.ts)
  for (const sid of ['up-ok', 'up-chunked', 'up-bad', 'up-anon']) await createSession(k, sid)
})
after(async () => {
  await k.stop()
})

const attachDir = () => attachmentsDir(k)
const allFiles = () => filesUnder(attachDir())

test('an upload answers 201 with its metadata and is stored as <sid>/<file_id> plus a sidecar', async () => {
  const res = await upload(k, { sid: 'up-ok', content: 'hello attachment\n', filename: '../../etc/notes.txt', mime: 'text/plain' })
  assert.equal(res.status, 201)
  const b = res.body
  assert.deepEqual(Object.keys(b).sort(), ['created_at', 'file_id', 'filename', 'mime', 'session_id', 'size'])
  assert.match(b.file_id, /^[0-9a-f-]{36}$/)
  assert.equal(b.filename, 'notes.txt', 'the client path is not kept')
  assert.equal(b.size, 17)
  assert.equal(b.mime, 'text/plain')
  assert.equal(b.session_id, 'up-ok')
  const dir = join(attachDir(), 'up-ok')
  assert.equal(readFileSync(join(dir, b.file_id), 'utf8'), 'hello attachment\n')
  assert.deepEqual(JSON.parse(readFileSync(join(dir, `${b.file_id}.json`), 'utf8')), b)
  assert.deepEqual(readdirSync(dir).sort(), [b.file_id, `${b.file_id}.json`].sort(), 'no temp file left')
})

test('a chunked upload (no Content-Length) streams too', async () => {
  const res = await upload(k, { sid: 'up-chunked', size: 300_000, filename: 'big.bin', mime: 'application/octet-stream', chunked: true })
  assert.equal(res.status, 201)
  assert.equal(res.body.size, 300_000)
})

test('bad requests get 400 and leave nothing behind', async () => {
  const before = allFiles()
  const missing = await upload(k, { sid: 'up-bad', content: 'x', field: 'document' })
  assert.equal(missing.status, 400)
  assert.equal(missing.body.code, 'missing_file')
  const empty = await upload(k, { sid: 'up-bad', content: '' })
  assert.equal(empty.status, 400)
  assert.equal(empty.body.code, 'empty_file')
  const notMultipart = await upload(k, { sid: 'up-bad', content: 'x', headers: { 'content-type': 'application/octet-stream' } })
  assert.equal(notMultipart.status, 400)
  assert.equal(notMultipart.body.code, 'not_multipart')
  const truncated = await upload(k, {
    sid: 'up-bad',
    rawBody: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhalf a file`,
  })
  assert.equal(truncated.status, 400)
  assert.equal(truncated.body.code, 'malformed_multipart')
  assert.deepEqual(Object.keys(empty.body).sort(), ['code', 'error'])
  assert.deepEqual(allFiles(), before)
})

test('traversal in the session id gets 400 and writes nothing anywhere', async () => {
  const before = allFiles()
  for (const sid of ['..%2f..', '..%2F..%2Fescape', 'a/b', '%2e%2e', '..', '.', 'a.b', 'x'.repeat(129), '%00']) {
    const res = await upload(k, { path: `/api/sessions/${sid}/attachments`, content: 'evil' })
    assert.equal(res.status, 400, `${sid} → ${res.status} ${JSON.stringify(res.body)}`)
    // an id spelled with %-escapes is refused by the kernel before routing (bad_url); the rest by chat
    assert.ok(['invalid_session_id', 'bad_url'].includes(res.body.code), res.body.code)
  }
  assert.deepEqual(allFiles(), before)
  assert.equal(existsSync(join(k.stateDir, 'plugins', 'chat', 'escape')), false)
  assert.equal(existsSync(join(k.stateDir, 'workspace', 'escape')), false)
  assert.equal(existsSync(join(k.stateDir, 'escape')), false)
})

test('no bearer (or the wrong one) gets 401 and nothing is written', async () => {
  const before = allFiles()
  const none = await upload(k, { sid: 'up-anon', content: 'x', token: null })
  assert.equal(none.status, 401)
  const wrong = await upload(k, { sid: 'up-anon', content: 'x', token: 'nope' })
  assert.equal(wrong.status, 401)
  assert.deepEqual(allFiles(), before)
})
