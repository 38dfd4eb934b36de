/**
 * The domain store's interface contract (test-support/store-contract.ts) on the embedded SQLite
 * store; the same cases run on PostgreSQL in test/cluster/cluster.store.test.ts.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteDomainStore } from './sqlite-store.js'
import { CONTRACT_LIMITS, storeContract } from './test-support/store-contract.js'

const TABLES = ['projects', 'spaces', 'items', 'revisions', 'tags', 'artifacts', 'edges', 'bundle_members']
let dir: string
let raw: SqliteDomainStore
const db = () => (raw as any).c.db

storeContract({
  async open() {
    dir = mkdtempSync(join(tmpdir(), 'revka-store-'))
    raw = await SqliteDomainStore.open(dir, CONTRACT_LIMITS)
    return raw
  },
  async reopen() {
    raw.close()
    raw = await SqliteDomainStore.open(dir, CONTRACT_LIMITS)
    return raw
  },
  async close() {
    raw.close()
    rmSync(dir, { recursive: true, force: true })
  },
  async snapshot() {
    const out: Record<string, unknown> = {}
    for (const t of TABLES) out[t] = db().prepare(`SELECT * FROM ${t}`).all()
    return JSON.stringify(out)
  },
  async failOnTag(tag, message) {
    db().exec(`CREATE TEMP TRIGGER boom BEFORE INSERT ON main.tags WHEN NEW.tag = '${tag}' BEGIN SELECT RAISE(ABORT, '${message}'); END`)
    return async () => db().exec('DROP TRIGGER boom')
  },
  outsideFile: () => join(dir, 'domain.db'),
  orphanFiles: true,
  reopenSays: 'WAL on disk, counters recounted',
  afterReopen() {
    assert.equal(statSync(join(dir, 'domain.db')).mode & 0o777, 0o600)
  },
})
