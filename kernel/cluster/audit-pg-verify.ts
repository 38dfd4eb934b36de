/**
 * Checking the cluster's shared audit chain (kernel/cluster/audit-pg.ts) the way the file log is
 * checked (kernel/audit/verify.ts, the same per-entry rules in chain.ts `linkError`), from one
 * snapshot (REPEATABLE READ) so appends of other nodes during the walk do not look like damage.
 *
 * Rows in `seq` order from the head's `first_seq`: each row's `seq` is the expected one (a deleted
 * row is a gap), its entry parses and carries that sequence, links to the previous hash and hashes
 * to its `entry_hash`; the last one is the head's (a deleted tail is noticed too). The first
 * failure names its position: `line` is the sequence + 1, `file` the table.
 */
import type { AuditVerdict } from '@revka/plugin-sdk'
import { GENESIS_HASH, linkError, type ChainCursor } from '../audit/chain.js'
import type { SharedSql } from './shared-sql.js'

export const SHARED_CHAIN = 'postgresql:revka_audit_chain'
const PAGE = 1000

export function verifySharedChain(sql: SharedSql, key: Buffer | null): Promise<AuditVerdict> {
  return sql.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
    const head = (await tx.query<{ first_seq: string; next_seq: string; last_hash: string }>('SELECT first_seq, next_seq, last_hash FROM revka_audit_head'))
      .rows[0]
    const first = Number(head.first_seq)
    const next = Number(head.next_seq)
    const at: ChainCursor = { seq: null, hash: null, signed: 0 }
    let count = 0
    const broken = (why: string, seq: number): AuditVerdict => ({
      verified: false,
      error: `${why} at sequence ${seq} of the shared chain`,
      file: SHARED_CHAIN,
      line: seq + 1,
      entry_count: count,
    })
    for (let after = first - 1; ;) {
      const { rows } = await tx.query<{ seq: string; event_type: string; entry: string }>(
        'SELECT seq, event_type, entry FROM revka_audit_chain WHERE seq > $1 ORDER BY seq LIMIT $2',
        [after, PAGE],
      )
      for (const row of rows) {
        const seq = Number(row.seq)
        const expected = at.seq === null ? first : at.seq + 1
        if (seq !== expected) return broken(`missing entry (expected ${expected}, found ${seq})`, expected)
        let e: any
        try {
          e = JSON.parse(row.entry)
        } catch {
          return broken('unparseable entry', seq)
        }
        const wrong = linkError(e, at, key)
        if (wrong) return broken(wrong, seq)
        if (e.sequence !== seq) return broken(`entry says sequence ${e.sequence}`, seq)
        if (seq === 0 && e.prev_hash !== GENESIS_HASH) return broken('prev_hash mismatch (entry 0 must follow the genesis hash)', seq)
        // the list filters on the column: it must say what the hashed entry says
        if (row.event_type !== e.event_type) return broken('event_type column differs from the entry', seq)
        if (key && typeof e.signature === 'string') at.signed++
        at.seq = seq
        at.hash = e.entry_hash
        count++
      }
      if (rows.length < PAGE) break
      after = Number(rows[rows.length - 1].seq)
    }
    const last = at.seq ?? first - 1
    if (last + 1 !== next) return broken(`missing entry (the chain ends at ${last}, its head at ${next - 1})`, last + 1)
    if (at.hash !== null && at.hash !== head.last_hash) return broken('the head does not hold the last entry_hash', last)
    return { verified: true, entry_count: count, files: 1, signed_entries: at.signed }
  })
}
