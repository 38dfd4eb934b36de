/**
 * Batch reads and the rolling full-text row (test-support/batch-contract.ts) on the embedded
 * SQLite store; the same cases run on PostgreSQL in test/cluster/cluster.store.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteDomainStore } from './sqlite-store.js'
import { storeLimits } from './limits.js'
import { batchContract } from './test-support/batch-contract.js'

let dir: string
let raw: SqliteDomainStore

batchContract({
  async open() {
    dir = mkdtempSync(join(tmpdir(), 'revka-store-batch-'))
    raw = await SqliteDomainStore.open(dir, storeLimits({ max_revisions_per_item: 40 }))
    return raw
  },
  async close() {
    raw.close()
    rmSync(dir, { recursive: true, force: true })
  },
  statements: () => ((raw as any).c.statements as Map<string, unknown>).size,
})
