/**
 * Imported skins in cluster mode, over real engines: a skin imported through A is listed and its
 * assets served by B; replaced through B, A serves the new files; deleted through B, A answers 404
 * and drops its copy; a skin a node imported before it joined stays that node's. `max_skins`
 * counts the whole cluster, also when two nodes import at its edge at once, and a refused import
 * leaves no copy on the node that refused it. A lost PostgreSQL is 503 `cluster_unavailable` on
 * the list, which recovers alone.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { killAllChildren, type GatewayChild } from '../reliability/support/gateway-child.js'
import { PNG_1PX, skinManifest, skinZip } from '../../plugins/skins/test-support/zip-writer.js'
import { bearer, engines, json, pairVia, pg as pgEngine, startNode, until } from './support.js'

let A: GatewayChild, B: GatewayChild
let token: string
const dirA = mkdtempSync(join(tmpdir(), 'revka-cluster-skins-a-'))
const dirB = mkdtempSync(join(tmpdir(), 'revka-cluster-skins-b-'))
/** other bytes under the same name (the plugin checks the extension, not the image) */
const PNG_OTHER = Buffer.concat([PNG_1PX, Buffer.from('replaced')])

before(async () => {
  // the suite's files share one PostgreSQL: start without skins another run left
  const db = new pg.Pool({ connectionString: engines().pg, max: 1 })
  const { rows } = await db.query(`SELECT to_regclass('skins_imported') AS t`)
  if (rows[0].t) await db.query('DELETE FROM skins_imported')
  await db.end()
  // a skin A imported as a single gateway, before it joined: its folder, with no revision
  const own = join(dirA, 'plugins', 'skins', 'skins', 'heirloom')
  mkdirSync(join(own, 'assets'), { recursive: true, mode: 0o700 })
  writeFileSync(join(own, 'manifest.json'), skinManifest({ id: 'heirloom', name: 'heirloom' }))
  writeFileSync(join(own, 'assets', 'logo.png'), PNG_1PX)
  const plugins = { skins: { max_skins: 2 } }
  A = await startNode('ska', { plugins, stateDir: dirA })
  B = await startNode('skb', { plugins, stateDir: dirB })
  token = (await pairVia(A, A, 'skins operator')).token
})

after(async () => {
  await killAllChildren()
})

const importOn = (n: GatewayChild, zip: Buffer) =>
  json(`${n.url}/api/skins/import`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/zip' }, body: zip })
const imported = async (n: GatewayChild) => {
  const r = await json(`${n.url}/api/skins`, { headers: bearer(token) })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return (r.body.skins as any[]).filter((s) => !s.builtin).map((s) => `${s.id}@${s.version}`)
}
const asset = async (n: GatewayChild, id: string, file: string) => {
  const r = await fetch(`${n.url}/api/skins/${id}/assets/${file}`)
  return { status: r.status, type: r.headers.get('content-type'), bytes: Buffer.from(await r.arrayBuffer()) }
}
const localCopy = (dir: string, id: string) => existsSync(join(dir, 'plugins', 'skins', 'skins', id))
/** a valid skin whose second file carries `logo`: replacing it changes what the nodes serve */
const zipOf = (id: string, version = '1.0.0', logo = PNG_1PX) => skinZip([{ name: 'assets/second.png', data: logo }], skinManifest({ id, name: id, version }))

test("a skin A imported before it joined the cluster stays A's: served there, not listed, named in A's log", async () => {
  assert.equal((await asset(A, 'heirloom', 'logo.png')).status, 200)
  assert.equal((await asset(B, 'heirloom', 'logo.png')).status, 404)
  assert.deepEqual(await imported(A), [])
  assert.equal(localCopy(dirA, 'heirloom'), true)
  assert.match(A.output(), /skins imported before this node joined the cluster[^\n]*heirloom|heirloom[^\n]*skins imported before this node joined the cluster/)
})

test('imported on A: listed and served by B, byte for byte', async () => {
  const r = await importOn(A, zipOf('ocean'))
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.deepEqual(await imported(B), ['ocean@1.0.0'])
  assert.equal(localCopy(dirB, 'ocean'), false, 'B has no copy before anyone asks it for a file')
  const got = await asset(B, 'ocean', 'logo.png')
  assert.equal(got.status, 200)
  assert.equal(got.type, 'image/png')
  assert.deepEqual(got.bytes, PNG_1PX)
  assert.equal(localCopy(dirB, 'ocean'), true, 'B extracted its copy from the shared row')
})

test('replaced through B: A lists the new version at once and serves the new files', async () => {
  const r = await importOn(B, zipOf('ocean', '2.0.0', PNG_OTHER))
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.deepEqual(await imported(A), ['ocean@2.0.0'])
  await until('A serves the replaced file', async () => (await asset(A, 'ocean', 'second.png')).bytes.equals(PNG_OTHER), 5_000)
})

test('max_skins counts the whole cluster: a third skin is refused on either node and leaves no copy', async () => {
  assert.equal((await importOn(A, zipOf('forest'))).status, 200)
  const refused = await importOn(B, zipOf('desert'))
  assert.equal(refused.status, 507, JSON.stringify(refused.body))
  assert.equal(refused.body.code, 'skin_quota_exceeded')
  assert.equal(localCopy(dirB, 'desert'), false)
  assert.deepEqual((await imported(A)).sort(), ['forest@1.0.0', 'ocean@2.0.0'])
  // replacing a stored skin is not a new one
  assert.equal((await importOn(B, zipOf('forest', '1.1.0'))).status, 200)
})

test('two nodes importing at the quota edge at once: exactly one is stored', async () => {
  assert.equal((await json(`${B.url}/api/skins/forest`, { method: 'DELETE', headers: bearer(token) })).status, 204)
  const [a, b] = await Promise.all([importOn(A, zipOf('tide-a')), importOn(B, zipOf('tide-b'))])
  assert.deepEqual([a.status, b.status].sort(), [200, 507], `${JSON.stringify(a.body)} ${JSON.stringify(b.body)}`)
  const list = await imported(B)
  assert.equal(list.length, 2, list.join(', '))
  const loser = a.status === 507 ? { dir: dirA, id: 'tide-a' } : { dir: dirB, id: 'tide-b' }
  assert.equal(localCopy(loser.dir, loser.id), false, 'the refused import left no copy')
})

test('deleted through B: A answers 404 and drops its copy', async () => {
  assert.equal((await asset(A, 'ocean', 'logo.png')).status, 200)
  assert.equal(localCopy(dirA, 'ocean'), true)
  assert.equal((await json(`${B.url}/api/skins/ocean`, { method: 'DELETE', headers: bearer(token) })).status, 204)
  assert.ok(!(await imported(A)).some((s) => s.startsWith('ocean@')))
  await until('A no longer serves the deleted skin', async () => (await asset(A, 'ocean', 'logo.png')).status === 404, 5_000)
  assert.equal(localCopy(dirA, 'ocean'), false)
  assert.ok(!readdirSync(join(dirA, 'plugins', 'skins', 'skins')).includes('ocean'))
})

test('PostgreSQL lost: the list is 503 cluster_unavailable, and it recovers alone', async () => {
  pgEngine('stop')
  try {
    const r = await json(`${A.url}/api/skins`, { headers: bearer(token) })
    assert.equal(r.status, 503, JSON.stringify(r.body))
    assert.equal(r.body.code, 'cluster_unavailable')
  } finally {
    pgEngine('start')
  }
  await until('the list answers again', async () => (await json(`${A.url}/api/skins`, { headers: bearer(token) })).status === 200, 30_000)
})
