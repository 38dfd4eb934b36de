/**
 * Attack (issue 10 item 6): attachments had no total cap, and one credential could create sessions
 * without end. With a 1 MiB install quota and a cap of 3 sessions per credential: the upload that
 * would pass the quota gets 507 and leaves nothing; deleting frees room; the quota counts what is
 * already on disk after a restart; the fourth session of one credential is refused.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { chatStateDir, chatUpgrade, createSession, openChat, SCRIPTED_RUNTIME, startChatKernel } from './test-support/chat-client.js'
import { upload } from './test-support/upload-client.js'

const KiB = 1024
const options = { chat: { attachments_quota_bytes: 1024 * KiB, max_sessions_per_credential: 3 } }

let k: TestKernel
before(async () => {
  k = await startChatKernel({ options })
})
after(async () => {
  await k.stop()
})

const filesOf = (sid: string) => {
  const dir = join(chatStateDir(k, 'attachments'), sid)
  return existsSync(dir) ? readdirSync(dir) : []
}

test('the upload that would pass the install quota gets 507 and leaves nothing; deleting frees room', async () => {
  await createSession(k, 'quota-a')
  const statuses: number[] = []
  const ids: string[] = []
  let refusal: any
  for (let i = 0; i < 4; i++) {
    const res = await upload(k, { sid: 'quota-a', size: 400 * KiB, filename: `f${i}.bin`, mime: 'application/octet-stream' })
    statuses.push(res.status)
    if (res.status === 201) ids.push(res.body.file_id)
    else refusal ??= res.body
  }
  assert.deepEqual(statuses, [201, 201, 507, 507], `statuses ${statuses.join(',')}`)
  assert.equal(refusal.code, 'attachment_quota_exceeded')
  assert.deepEqual(Object.keys(refusal).sort(), ['code', 'error'])
  assert.equal(filesOf('quota-a').length, 4, 'two files and their sidecars; no temp file of a refused one')

  const del = await k.inject({ method: 'DELETE', url: `/api/sessions/quota-a/attachments/${ids[0]}`, headers: { authorization: `Bearer ${k.token}` } })
  assert.equal(del.statusCode, 200)
  assert.equal((await upload(k, { sid: 'quota-a', size: 400 * KiB, filename: 'again.bin' })).status, 201)
})

test('after a restart the quota still counts the files already stored', async () => {
  const stateDir = k.stateDir
  const token = k.token!
  const again = await startTestKernel({ plugins: ['chat'], paths: [SCRIPTED_RUNTIME], options, stateDir })
  try {
    // the first kernel is still running on the same state dir: its files are what is on disk
    const res = await upload(again, { sid: 'quota-a', size: 400 * KiB, filename: 'late.bin', token })
    assert.equal(res.status, 507, JSON.stringify(res.body))
  } finally {
    await again.stop()
  }
})

test('a credential’s fourth session is refused with 507; another credential still creates', async () => {
  const device = k.pairDevice('capped').token
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await chatUpgrade(k, { session_id: `cap-${i}`, name: `c${i}` }, device)).status)
  assert.deepEqual(statuses, [101, 101, 101, 507])
  const refused = await chatUpgrade(k, { session_id: 'cap-9', name: 'x' }, device)
  assert.equal(refused.body.code, 'session_quota_exceeded')
  // without a name the session would be created by the first message: that message is refused
  const quiet = await openChat(k, { token: device, query: { session_id: 'cap-by-message' } })
  try {
    await quiet.next('session_start')
    quiet.send({ type: 'message', content: 'one more' })
    assert.equal((await quiet.next('error')).code, 'SESSION_QUOTA_EXCEEDED')
  } finally {
    await quiet.close()
  }
  // archiving one frees a slot
  assert.equal((await k.inject({ method: 'DELETE', url: '/api/sessions/cap-0', headers: { authorization: `Bearer ${device}` } })).statusCode, 200)
  assert.equal((await chatUpgrade(k, { session_id: 'cap-4', name: 'y' }, device)).status, 101)
  assert.equal((await chatUpgrade(k, { session_id: 'cap-other', name: 'z' })).status, 101)
})

test('one credential cannot fill the install: its sessions’ attachments stop at the per-credential quota, others still upload', async () => {
  const own = await startChatKernel({ options: { chat: { attachments_quota_bytes: 4096 * KiB, attachments_quota_bytes_per_credential: 1024 * KiB } } })
  try {
    const other = own.pairDevice('other').token
    await createSession(own, 'greedy-1')
    await createSession(own, 'greedy-2')
    await createSession(own, 'modest', other)
    const statuses = []
    for (const sid of ['greedy-1', 'greedy-2', 'greedy-2']) statuses.push((await upload(own, { sid, size: 400 * KiB, filename: 'g.bin' })).status)
    assert.deepEqual(statuses, [201, 201, 507], 'the third 400 KiB file passes the 1 MiB of this credential')
    assert.equal((await upload(own, { sid: 'modest', size: 400 * KiB, filename: 'm.bin', token: other })).status, 201)
  } finally {
    await own.stop()
  }
})
