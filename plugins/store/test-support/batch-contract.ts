/**
 * Batch reads and the rolling full-text row, run against each backend (store.batch.test.ts on
 * SQLite, test/cluster/cluster.store.test.ts on PostgreSQL): many krefs answered at once, and a
 * search that follows every new revision.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { isDomainError, type DomainStore } from '@revka/plugin-sdk'

export interface BatchHarness {
  /** a fresh store allowing 40 revisions per item */
  open(): Promise<DomainStore>
  close(): Promise<void>
  /** SQL texts the engine has prepared (SQLite): a batch read must not add one per list length */
  statements?: () => number
}

export function batchContract(h: BatchHarness): void {
  let s: DomainStore
  before(async () => {
    s = await h.open()
  })
  after(() => h.close())

  test('currentRevisions answers many krefs at once: latest or published, null for missing or revision-less items, keyed by the kref as given', async () => {
    const krefs: string[] = []
    for (let i = 0; i < 30; i++) {
      const { item } = await s.createItem({ space_path: '/P/Batch', item_name: `n${i}`, kind: 'note', revision: { metadata: { title: `t${i}-1` } } })
      await s.createRevision(item.kref, { metadata: { title: `t${i}-2` } })
      krefs.push(item.kref)
    }
    await s.tagRevision(`${krefs[3]}?r=1`, 'published')
    const { item: bare } = await s.createItem({ space_path: '/P/Batch', item_name: 'bare', kind: 'note' })
    const asked = [...krefs, bare.kref, 'kref://P/Batch/missing.note', krefs[0]]

    const latest = await s.currentRevisions(asked, 'latest')
    assert.equal(latest.size, asked.length - 1)
    for (let i = 0; i < 30; i++) assert.equal(latest.get(krefs[i])?.metadata.title, `t${i}-2`)
    assert.equal(latest.get(krefs[3])?.latest, true)
    assert.equal(latest.get(bare.kref), null)
    assert.equal(latest.get('kref://P/Batch/missing.note'), null)

    const current = await s.currentRevisions(asked)
    assert.equal(current.get(krefs[3])?.metadata.title, 't3-1')
    assert.deepEqual(current.get(krefs[3])?.tags, ['published'])
    assert.equal(current.get(krefs[4])?.metadata.title, 't4-2')
    // same answers as the one-kref read
    for (const k of asked) assert.deepEqual(current.get(k), await s.currentRevision(k))

    if (h.statements) {
      const before = h.statements()
      await s.currentRevisions(krefs.slice(0, 7), 'latest')
      await s.currentRevisions(krefs.slice(0, 19), 'latest')
      assert.equal(h.statements(), before)
    }

    await assert.rejects(s.currentRevisions([krefs[0], 'kref://../x.note']), (e: any) => isDomainError(e) && e.statusCode === 400)
  })

  test('listEdges over many revision, tag and item krefs resolves both ends in one read', async () => {
    const r: string[] = []
    for (let i = 0; i < 12; i++) r.push((await s.createItem({ space_path: '/P/Edges', item_name: `e${i}`, kind: 'note', revision: {} })).revision!.kref)
    for (let i = 0; i < 11; i++) await s.createEdge({ source_kref: r[i], target_kref: r[i + 1], edge_type: 'NEXT', metadata: { i: String(i) } })
    await s.createEdge({ source_kref: r[0], target_kref: r[5], edge_type: 'SEE' })

    const all = await s.listEdges({ kref: r, direction: 'both' })
    assert.equal(all.length, 12)
    const next3 = all.find((e) => e.source_kref === r[3] && e.edge_type === 'NEXT')
    assert.deepEqual([next3?.target_kref, next3?.metadata], [r[4], { i: '3' }])

    const out = await s.listEdges({ kref: [r[0], r[5]], direction: 'outgoing' })
    assert.deepEqual(
      out.map((e) => `${e.source_kref}>${e.target_kref}:${e.edge_type}`).sort(),
      [`${r[0]}>${r[1]}:NEXT`, `${r[0]}>${r[5]}:SEE`, `${r[5]}>${r[6]}:NEXT`].sort(),
    )
    assert.equal((await s.listEdges({ kref: [r[5]], direction: 'incoming', edge_type: 'SEE' })).length, 1)

    // an item kref stands for all its revisions; ?t=latest for the newest; a missing item for none
    const item5 = r[5].replace(/\?r=\d+$/, '')
    const r5b = await s.createRevision(item5, {})
    await s.createEdge({ source_kref: r5b.kref, target_kref: r[7], edge_type: 'NEXT' })
    assert.equal((await s.listEdges({ kref: item5, direction: 'outgoing' })).length, 2)
    assert.equal((await s.listEdges({ kref: `${item5}?t=latest`, direction: 'outgoing' })).length, 1)
    await s.tagRevision(r[5], 'stable')
    assert.equal((await s.listEdges({ kref: [`${item5}?t=stable`, 'kref://P/Edges/nope.note'], direction: 'outgoing' }))[0].target_kref, r[6])

    if (h.statements) {
      const before = h.statements()
      await s.listEdges({ kref: r.slice(0, 3), direction: 'both' })
      await s.listEdges({ kref: r.slice(0, 9), direction: 'both' })
      assert.equal(h.statements(), before)
    }
  })

  test('the full-text row follows each new revision: current values searchable, older ones only with include_revision_metadata, at most 20 kept', async () => {
    const { item } = await s.createItem({
      space_path: '/P/Fts',
      item_name: 'rolling-doc',
      kind: 'doc',
      metadata: { owner: 'zed' },
      revision: { metadata: { word: 'v0z' } },
    })
    const found = async (query: string, older = false) => (await s.search({ query, context: 'P/Fts', include_revision_metadata: older })).total
    assert.equal(await found('v0z'), 1)
    assert.equal(await found('zed'), 1)
    for (let i = 1; i <= 22; i++) await s.createRevision(item.kref, { metadata: { word: `v${i}z` } })
    assert.equal(await found('v22z'), 1)
    assert.equal(await found('zed'), 1)
    assert.equal(await found('v21z'), 0)
    assert.equal(await found('v21z', true), 1)
    assert.equal(await found('v2z', true), 1)
    // 22 older revisions exist; the two oldest have aged out of the index
    assert.equal(await found('v1z', true), 0)
    assert.equal(await found('v0z', true), 0)
    await s.deleteItem(item.kref)
    assert.equal(await found('zed'), 0)
  })
}
