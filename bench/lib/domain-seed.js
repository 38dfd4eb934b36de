// Seeds a domain store for benchmarks, through the store's own interface (SqliteDomainStore, the
// backend the `store` plugin serves), in the gateway's state dir before the gateway starts:
// `items` items of kind `memory` spread over `spaces` spaces of the memory project, each with
// `revisions` revisions (title/summary metadata), and one edge from each item's latest revision to
// the next item's. Batches run inside one SQLite transaction each (the store's own transactions
// nest as savepoints), so 100,000 items take seconds, not minutes.
import { join } from 'node:path'
import { ROOT } from './proc.js'

export async function seedDomain(stateDir, { items = 100_000, revisions = 3, spaces = 20, project = 'CognitiveMemory', batch = 2000 } = {}) {
  const { SqliteDomainStore } = await import(join(ROOT, 'plugins/store/sqlite-store.js'))
  const { storeLimits } = await import(join(ROOT, 'plugins/store/limits.js'))
  const store = await SqliteDomainStore.open(join(stateDir, 'plugins', 'store'), storeLimits({}))
  const db = store.c.db
  const t0 = performance.now()
  try {
    const perSpace = Math.ceil(items / spaces)
    let prev = null
    for (let start = 0; start < items; start += batch) {
      db.exec('BEGIN')
      try {
        for (let i = start; i < Math.min(items, start + batch); i++) {
          const space = `/${project}/Space${String(Math.floor(i / perSpace)).padStart(2, '0')}`
          const { item } = await store.createItem({
            space_path: space,
            item_name: `memory-${i}`,
            kind: i % 10 === 0 ? 'decision' : 'memory',
            revision: { metadata: { title: `Memory ${i}`, summary: `summary of memory ${i} about topic ${i % 97}` } },
          })
          let last
          for (let r = 1; r < revisions; r++)
            last = await store.createRevision(item.kref, { metadata: { title: `Memory ${i} r${r + 1}`, summary: `revised summary ${i} topic ${i % 97}` } })
          const latest = last?.kref ?? `${item.kref}?r=1`
          if (prev && prev.space === space) await store.createEdge({ source_kref: latest, target_kref: prev.kref, edge_type: 'RELATED_TO' })
          prev = { kref: latest, space }
        }
        db.exec('COMMIT')
      } catch (e) {
        db.exec('ROLLBACK')
        throw e
      }
    }
  } finally {
    store.close()
  }
  return { seconds: (performance.now() - t0) / 1000 }
}
