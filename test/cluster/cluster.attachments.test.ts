/**
 * Chat attachments in cluster mode, over real engines: behind a load balancer the upload and the
 * chat socket land on different nodes. A file uploaded through B is attached to a turn that runs on
 * A (A copies it from the shared row); deleted through B, A's next turn no longer sees it and A's
 * copy is gone. The per-credential quota counts the files of both nodes — also two uploads racing
 * through both nodes at its edge — and a refused upload leaves no file on the node that took it.
 * Archiving the session through one node removes its files for the whole cluster.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openJsonSocket, wsCredentials, type JsonSocket } from '@revka/plugin-testing'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { bearer, engines, json, pairVia, startNode } from './support.js'

let A: GatewayChild, B: GatewayChild
let token: string
const dirA = mkdtempSync(join(tmpdir(), 'revka-cluster-att-a-'))
const dirB = mkdtempSync(join(tmpdir(), 'revka-cluster-att-b-'))
const QUOTA = 100
const CHAT = { chat: { attachments_quota_bytes_per_credential: QUOTA, first_frame_wait_ms: 200 } }
const OFFLINE = '\n[providers.offline]\ntype = "offline"\nchunk_delay_ms = 0\n'

before(async () => {
  // the suite's files share one PostgreSQL: the install total starts from nothing
  const db = new pg.Pool({ connectionString: engines().pg, max: 1 })
  const { rows } = await db.query(`SELECT to_regclass('chat_attachments') AS t`)
  if (rows[0].t) await db.query('DELETE FROM chat_attachments')
  await db.end()
  A = await startNode('atta', { plugins: CHAT, cluster: OFFLINE, stateDir: dirA })
  B = await startNode('attb', { plugins: CHAT, cluster: OFFLINE, stateDir: dirB })
  token = (await pairVia(A, A, 'attachments operator')).token
  const s = await chat(A, { session_id: 'att-shared', name: 'With files' })
  await s.next('session_start')
  await s.close()
})

after(async () => {
  await killAllChildren()
})

function chat(node: GatewayChild, query: Record<string, string>): Promise<JsonSocket> {
  const cred = wsCredentials(token, 'header')
  return openJsonSocket(`${node.url.replace(/^http/, 'ws')}/ws/chat?${new URLSearchParams(query)}`, { protocols: ['revka.v1'], headers: cred.headers })
}

async function upload(node: GatewayChild, text: string, name = 'note.txt') {
  const form = new FormData()
  form.append('file', new Blob([text], { type: 'text/plain' }), name)
  return json(`${node.url}/api/sessions/att-shared/attachments`, { method: 'POST', headers: bearer(token), body: form })
}

/** one turn on `node` with the attachments; the offline model's reply names what it was given */
async function turnWith(node: GatewayChild, attachments: string[]): Promise<string> {
  const s = await chat(node, { session_id: 'att-shared' })
  try {
    await s.next('session_start')
    s.send({ type: 'message', content: 'what did I attach?', attachments })
    return (await s.next('done', 15_000)).full_response
  } finally {
    await s.close()
  }
}

const copyOn = (dir: string, fileId: string) => existsSync(join(dir, 'plugins', 'chat', 'attachments', 'att-shared', fileId))
const filesOn = (dir: string) => {
  const d = join(dir, 'plugins', 'chat', 'attachments', 'att-shared')
  return existsSync(d) ? readdirSync(d).filter((n) => !n.endsWith('.json')) : []
}
const remove = (node: GatewayChild, fileId: string) =>
  json(`${node.url}/api/sessions/att-shared/attachments/${fileId}`, { method: 'DELETE', headers: bearer(token) })

test('uploaded through B, attached to a turn on A; deleted through B, gone on A', async () => {
  const up = await upload(B, 'Cardamom is the secret ingredient.')
  assert.equal(up.status, 201, JSON.stringify(up.body))
  const id = up.body.file_id as string
  assert.equal(copyOn(dirA, id), false)
  assert.match(await turnWith(A, [id]), /You attached one item: text starting "\[Attached file: note\.txt \(text\/plain, 34 bytes\)\] Cardamom is"/)
  assert.equal(copyOn(dirA, id), true, 'A copied the file from its row')

  const del = await remove(B, id)
  assert.equal(del.status, 200, JSON.stringify(del.body))
  // the offline model quotes the first 60 characters of the note the turn got instead of the file
  const gone = await turnWith(A, [id])
  assert.match(gone, new RegExp(`text starting "\\[Attachment "${id}" is not av`))
  assert.doesNotMatch(gone, /Cardamom/)
  assert.equal(copyOn(dirA, id), false, 'A dropped its copy once the row was gone')
  assert.equal((await remove(A, id)).status, 404, 'deleted once, for every node')
})

test('the per-credential quota counts both nodes; a refused upload leaves no file', async () => {
  const first = await upload(A, 'x'.repeat(60))
  assert.equal(first.status, 201, JSON.stringify(first.body))
  const before = filesOn(dirB)
  const refused = await upload(B, 'y'.repeat(60))
  assert.equal(refused.status, 507, JSON.stringify(refused.body))
  assert.equal(refused.body.code, 'attachment_quota_exceeded')
  assert.deepEqual(filesOn(dirB), before, 'nothing kept on B')
  // at the quota already: refused before the body is read
  assert.equal((await upload(B, 'z'.repeat(40))).status, 201)
  const full = await upload(A, 'w')
  assert.equal(full.status, 507, JSON.stringify(full.body))
  assert.equal((await remove(B, first.body.file_id)).status, 200)
})

test('two uploads racing through both nodes at the quota edge: one is kept', async () => {
  // 40 bytes are stored; 60 fit once more, not twice
  const beforeA = filesOn(dirA)
  const beforeB = filesOn(dirB)
  const [a, b] = await Promise.all([upload(A, 'a'.repeat(60), 'a.txt'), upload(B, 'b'.repeat(60), 'b.txt')])
  assert.deepEqual([a.status, b.status].sort(), [201, 507], `${JSON.stringify(a.body)} ${JSON.stringify(b.body)}`)
  const [loserDir, loserBefore] = a.status === 507 ? [dirA, beforeA] : [dirB, beforeB]
  assert.deepEqual(filesOn(loserDir).sort(), loserBefore.sort(), 'the refused upload left nothing on its node, not even a temp file')
})

test("a file stored on A before A joined the cluster stays A's: used by A's turns, not removed for want of a row", async () => {
  // as a single gateway leaves it: the file and its sidecar, with no row and no `shared` mark
  const dir = join(dirA, 'plugins', 'chat', 'attachments', 'att-shared')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const meta = { file_id: 'legacy-1', filename: 'old.txt', size: 26, mime: 'text/plain', session_id: 'att-shared', created_at: new Date().toISOString() }
  writeFileSync(join(dir, 'legacy-1'), 'Saffron from the old days.')
  writeFileSync(join(dir, 'legacy-1.json'), JSON.stringify(meta))
  assert.match(await turnWith(A, ['legacy-1']), /text starting "\[Attached file: old\.txt \(text\/plain, 26 bytes\)\] Saffron/)
  assert.equal(copyOn(dirA, 'legacy-1'), true)
  assert.match(await turnWith(B, ['legacy-1']), /is not av/, 'B never had it')
})

test('archiving the session through B removes its files for the whole cluster', async () => {
  const db = new pg.Pool({ connectionString: engines().pg, max: 1 })
  try {
    const count = async () => Number((await db.query(`SELECT count(*) AS n FROM chat_attachments WHERE session_id = 'att-shared'`)).rows[0].n)
    assert.ok((await count()) > 0)
    const copies = filesOn(dirA).filter((f) => !f.startsWith('.') && f !== 'legacy-1')
    assert.ok(copies.length > 0)
    const del = await json(`${B.url}/api/sessions/att-shared`, { method: 'DELETE', headers: bearer(token) })
    assert.equal(del.status, 200, JSON.stringify(del.body))
    assert.equal(await count(), 0)
    // a copy A still holds is never used again: the next lookup finds no row and removes it
    for (const f of copies) assert.equal((await remove(A, f)).status, 404)
    // A's own file from before the cluster is A's to remove
    assert.equal((await remove(A, 'legacy-1')).status, 200)
    assert.deepEqual(filesOn(dirA), [])
  } finally {
    await db.end()
  }
})
