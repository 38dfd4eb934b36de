import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startDomainKernel, storeSnapshot, type DomainKernel } from '../assets/test-support/domain.js'

let d: DomainKernel
let r1 = ''
let r2 = ''
before(async () => {
  d = await startDomainKernel(['kumiho-proxy'])
  const made = await d.store.createItem({
    space_path: '/Lib/Books/Old',
    item_name: 'dune',
    kind: 'book',
    author: 'alice',
    metadata: { genre: 'sf' },
    revision: { metadata: { title: 'Dune', blurb: 'spice melange' }, artifacts: [{ name: 'cover.txt', location: '/nowhere/cover.txt' }] },
  })
  r1 = made.revision!.kref
  r2 = (await d.store.createRevision(made.item.kref, { username: 'bob', metadata: { title: 'Dune (2nd)' }, tags: ['published'] })).kref
  const other = await d.store.createItem({ space_path: '/Lib/Books', item_name: 'emma', kind: 'book', revision: {} })
  await d.store.createEdge({ source_kref: r2, target_kref: other.revision!.kref, edge_type: 'CITES' })
  const bundle = await d.store.createItem({ space_path: '/Lib/Books', item_name: 'shelf', kind: 'bundle' })
  await d.store.addBundleMember(bundle.item.kref, made.item.kref, { added_by: 'alice' })
})
after(async () => {
  await d.k.stop()
})

const get = async (path: string, status = 200) => {
  const res = await d.call('GET', `/api/kumiho/${path}`)
  assert.equal(res.status, status, `${path}: ${res.text}`)
  assert.match(res.headers.get('content-type')!, /^application\/json/)
  return res.body
}
const q = encodeURIComponent

test('projects, spaces, items, revisions, artifacts, edges, search and bundle members in Kumiho shapes', async () => {
  assert.deepEqual((await get('health')).status, 'ok')
  assert.ok((await get('projects')).some((p: any) => p.name === 'Lib' && p.deprecated === false && typeof p.created_at === 'string'))
  assert.deepEqual(
    (await get(`spaces?parent_path=${q('/Lib')}`)).map((s: any) => s.path),
    ['/Lib/Books'],
  )
  const deep = await get(`spaces?parent_path=${q('/Lib')}&recursive=true`)
  assert.deepEqual(deep.map((s: any) => s.path).sort(), ['/Lib/Books', '/Lib/Books/Old'])
  assert.deepEqual(
    Object.keys(deep.find((s: any) => s.path === '/Lib/Books/Old')).filter((k) => ['path', 'name', 'parent_path', 'type', 'created_at'].includes(k)).length,
    5,
  )

  const items = await get(`items?space_path=${q('/Lib/Books/Old')}`)
  assert.equal(items.length, 1)
  assert.equal(items[0].kref, 'kref://Lib/Books/Old/dune.book')
  assert.equal(items[0].item_name, 'dune')
  assert.equal(items[0].name, 'dune')
  assert.equal(items[0].author_display, 'alice', 'author_display added where author is set')
  assert.deepEqual(items[0].metadata, { genre: 'sf' })

  const revs = await get(`revisions?item_kref=${q('kref://Lib/Books/Old/dune.book')}`)
  assert.deepEqual(
    revs.map((r: any) => [r.number, r.latest]),
    [
      [1, false],
      [2, true],
    ],
  )
  assert.equal(revs[1].author_display, 'bob', 'username counts too')
  assert.ok(revs[1].tags.includes('published'))
  assert.equal((await get(`revisions/by-kref?kref=${q(r1)}`)).number, 1)
  assert.equal((await get(`revisions/by-kref?kref=${q('kref://Lib/Books/Old/dune.book')}&t=published`)).number, 2)
  assert.equal((await get(`revisions/latest?item_kref=${q('Lib/Books/Old/dune.book')}`)).kref, r2, 'the scheme is optional and never doubled')

  const arts = await get(`artifacts?revision_kref=${q(r1)}`)
  assert.deepEqual(
    arts.map((a: any) => [a.name, a.location, a.revision_kref]),
    [['cover.txt', '/nowhere/cover.txt', r1]],
  )

  for (const direction of ['outgoing', 'out', '0']) assert.equal((await get(`edges?kref=${q(r2)}&direction=${direction}`)).length, 1)
  assert.equal((await get(`edges?kref=${q(r2)}&direction=incoming`)).length, 0)
  assert.deepEqual(
    (await get(`edges?kref=${q(r2)}&direction=both&edge_type=CITES`)).map((e: any) => e.edge_type),
    ['CITES'],
  )

  const hits = await get(`items/fulltext-search?query=melange&context=Lib&include_revision_metadata=true`)
  assert.deepEqual(
    hits.map((h: any) => h.item.item_name),
    ['dune'],
  )
  assert.equal(typeof hits[0].score, 'number')

  const members = await get(`bundles/members?bundle_kref=${q('kref://Lib/Books/shelf.bundle')}`)
  assert.equal(members.total_count, 1)
  assert.equal(members.members[0].item_kref, 'kref://Lib/Books/Old/dune.book')
  assert.equal(members.members[0].added_by, 'alice')
})

test('a read right after a write sees it (no proxy cache)', async () => {
  const path = `items?space_path=${q('/Lib/Books')}`
  const before = (await get(path)).length
  await d.store.createItem({ space_path: '/Lib/Books', item_name: 'fresh', kind: 'book' })
  assert.equal((await get(path)).length, before + 1)
  await d.store.deleteItem('kref://Lib/Books/fresh.book')
  assert.equal((await get(path)).length, before)
})

test('attack: malformed krefs and paths are 400, unknown paths and entities 404 with error_code; nothing changes', async () => {
  const snap = await storeSnapshot(d.store)
  for (const kref of [
    'kref://Lib/../etc/passwd.book',
    '/etc/passwd',
    'kref://kref://Lib/Books/x.book',
    'Lib',
    'kref://Lib/Books/x.book?r=0',
    'kref://Lib/Books/x.book?z=1',
  ]) {
    const res = await d.call('GET', `/api/kumiho/revisions/by-kref?kref=${q(kref)}`)
    assert.equal(res.status, 400, kref)
    assert.equal(res.body.error_code, 'kref_invalid')
  }
  assert.equal((await d.call('GET', `/api/kumiho/items?space_path=${q('/Lib/../Secret')}`)).status, 400)
  assert.equal((await d.call('GET', '/api/kumiho/items')).body.code, 'missing_parameter')
  assert.equal((await d.call('GET', `/api/kumiho/items?space_path=/Lib&space_path=/Other`)).status, 400, 'a repeated parameter')
  assert.equal((await d.call('GET', `/api/kumiho/items?space_path=/Lib&limit=-3`)).status, 400)
  for (const path of ['nope', 'projects/extra', '__proto__', 'constructor', 'hasOwnProperty']) {
    const res = await d.call('GET', `/api/kumiho/${path}`)
    assert.equal(res.status, 404, path)
    assert.equal(res.body.error_code, 'not_found')
  }
  const unknown = await d.call('GET', `/api/kumiho/revisions/by-kref?kref=${q('kref://Lib/Books/ghost.book?r=1')}`)
  assert.equal(unknown.status, 404)
  assert.equal(unknown.body.error_code, 'not_found')
  assert.equal((await d.call('GET', `/api/kumiho/revisions?item_kref=${q('kref://Lib/Books/ghost.book')}`)).status, 404)
  assert.equal(await storeSnapshot(d.store), snap)
  const res = await fetch(`${d.k.url}/api/kumiho/projects`, { headers: { authorization: 'Bearer nope' } })
  assert.equal(res.status, 401)
})
