import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestKernel } from '@revka/plugin-testing'
import { createSession, startChatKernel } from './test-support/chat-client.js'
import { attachmentsDir, BOUNDARY, filesUnder, upload } from './test-support/upload-client.js'

let k: TestKernel
before(async () => {
  k = await startChatKernel()
  for (const sid of ['mp-tricky', 'mp-bad', 'mp-names', 'mp-late', 'mp-two']) await createSession(k, sid)
})
after(async () => {
  await k.stop()
})

const attachDir = () => attachmentsDir(k)
const allFiles = () => filesUnder(attachDir())

const part = (headers: string, data: Buffer | string) =>
  Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n${headers}\r\n\r\n`), Buffer.from(data), Buffer.from('\r\n')])
const fileHeaders = (filename = 'a.bin') => `Content-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream`
const closing = Buffer.from(`--${BOUNDARY}--\r\n`)

test('bytes that look like boundaries inside the file are stored byte for byte; preamble and epilogue are ignored', async () => {
  const tricky = Buffer.concat([
    Buffer.from(`\r\n--${BOUNDARY.slice(0, 10)}\r\n--`),
    randomBytes(70_000),
    Buffer.from(`\r\n-${BOUNDARY}`),
    Buffer.from(`--${BOUNDARY}`),
  ])
  const body = Buffer.concat([
    Buffer.from('ignored preamble\r\n'),
    part('Content-Disposition: form-data; name="note"', 'hello'),
    part(fileHeaders('t.bin'), tricky),
    closing,
    Buffer.from('ignored epilogue'),
  ])
  const res = await upload(k, { sid: 'mp-tricky', rawBody: body })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  assert.equal(res.body.size, tricky.length)
  assert.ok(readFileSync(join(attachDir(), 'mp-tricky', res.body.file_id)).equals(tricky))
})

test('malformed or file-less multipart gets 400 with its code and writes nothing', async () => {
  const before = allFiles()
  const malformed = 'malformed_multipart',
    missing = 'missing_file'
  const bodies: Array<[string, Buffer | string, string]> = [
    ['no boundary at all', 'just some bytes, no multipart here', malformed],
    ['empty body', '', malformed],
    ['ends inside the part headers', `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n`, malformed],
    ['ends inside the file', part(fileHeaders(), randomBytes(40_000)).subarray(0, 30_000), malformed],
    [
      'more than 64 parts',
      Buffer.concat([...Array.from({ length: 65 }, (_, i) => part(`Content-Disposition: form-data; name="f${i}"`, 'x')), part(fileHeaders(), 'late'), closing]),
      malformed,
    ],
    // busboy skips parts it cannot name, so these bodies have no "file" part
    ['no Content-Disposition', Buffer.concat([part('Content-Type: text/plain', 'abc'), closing]), missing],
    ['not form-data', Buffer.concat([part('Content-Disposition: attachment; name="file"; filename="a"', 'abc'), closing]), missing],
    ['no field name', Buffer.concat([part('Content-Disposition: form-data; filename="a"', 'abc'), closing]), missing],
    ['a boundary line with trailing junk', `--${BOUNDARY}XX\r\n${fileHeaders()}\r\n\r\nabc\r\n--${BOUNDARY}--\r\n`, missing],
  ]
  for (const [what, rawBody, code] of bodies) {
    const res = await upload(k, { sid: 'mp-bad', rawBody })
    assert.equal(res.status, 400, `${what}: ${res.status} ${JSON.stringify(res.body)}`)
    assert.equal(res.body.code, code, what)
  }
  assert.deepEqual(allFiles(), before)
})

test('file names with paths, traversal and control characters are stored under the file id; only a clean last segment is kept', async () => {
  const cases: Array<[string, string]> = [
    ['../../../escape.txt', 'escape.txt'],
    ['..\\\\..\\\\win.ini', 'win.ini'],
    ['/etc/passwd', 'passwd'],
    ['..', 'file'],
    ['a\u0001b<c>.txt', 'abc.txt'],
  ]
  for (const [raw, shown] of cases) {
    const res = await upload(k, { sid: 'mp-names', rawBody: Buffer.concat([part(fileHeaders(raw), 'evil'), closing]) })
    assert.equal(res.status, 201, `${raw}: ${JSON.stringify(res.body)}`)
    assert.equal(res.body.filename, shown, raw)
  }
  // RFC 7578 §4.2: filename* is not used, so an encoded traversal in it cannot name anything
  const star = await upload(k, {
    sid: 'mp-names',
    rawBody: Buffer.concat([part(`Content-Disposition: form-data; name="file"; filename="plain.txt"; filename*=UTF-8''..%2F..%2Fescape.txt`, 'evil'), closing]),
  })
  assert.equal(star.status, 201)
  assert.equal(star.body.filename, 'plain.txt')
  const stored = readdirSync(join(attachDir(), 'mp-names'))
  assert.equal(stored.length, 12, 'six files, each with its sidecar')
  assert.ok(
    stored.every((f) => /^[0-9a-f-]{36}(\.json)?$/.test(f)),
    stored.join(', '),
  )
  const outside = [k.stateDir, join(k.stateDir, 'plugins', 'chat'), attachDir(), join(k.stateDir, 'workspace')].flatMap((dir) =>
    ['escape.txt', 'passwd', 'win.ini'].map((name) => join(dir, name)),
  )
  assert.deepEqual(
    outside.filter((f) => existsSync(f)),
    [],
  )
})

test('a stored file is taken back when the rest of the body turns out malformed', async () => {
  const before = allFiles()
  const body = Buffer.concat([
    part(fileHeaders('first.bin'), randomBytes(10_000)),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\ncut short`),
  ])
  const res = await upload(k, { sid: 'mp-late', rawBody: body })
  assert.equal(res.status, 400)
  assert.equal(res.body.code, 'malformed_multipart')
  assert.deepEqual(allFiles(), before)
})

test('only the first "file" part is kept; a second one is read past', async () => {
  const res = await upload(k, {
    sid: 'mp-two',
    rawBody: Buffer.concat([part(fileHeaders('one.txt'), 'first'), part(fileHeaders('two.txt'), 'second'), closing]),
  })
  assert.equal(res.status, 201)
  assert.equal(res.body.filename, 'one.txt')
  assert.equal(readFileSync(join(attachDir(), 'mp-two', res.body.file_id), 'utf8'), 'first')
  assert.equal(readdirSync(join(attachDir(), 'mp-two')).length, 2)
})
