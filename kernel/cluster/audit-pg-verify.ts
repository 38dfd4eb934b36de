/**
 * Checking the cluster's shared audit chain (kernel/cluster/audit-pg.ts) the way the file log is
 * checked (kernel/audit/verify.ts, the same per-entry rules in chain.ts `linkError`), from one
 * snapshot (REPEATABLE READ) so appends of other nodes during the walk do not look like damage.
 *
 * Rows in `seq` order from the head's `first_seq`: each row's `seq` is the expected one (a deleted
 * row is a gap), its entry parses and carries that sequence, links to the previous hash and hashes
 * to its `entry_hash`; the last one is the head's (a deleted tail is noticed too). The first
 * failure names its position: `line` is the sequence + 1, `file` the table.
 *
 * The dashboard asks on every page, so the verified prefix is remembered with a stamp PostgreSQL
 * computes without sending the rows: their count and their newest `xmin` (the transaction that
 * wrote a row version — an UPDATE or a re-INSERT gets a newer one, a DELETE changes the count).
 * When the stamp still holds, only the rows after the prefix are read; otherwise the whole chain.
 */
import type { AuditVerdict, SqlQueryable } from '@revka/plugin-sdk'
import { GENESIS_HASH, linkError, type ChainCursor } from '../audit/chain.js'
import type { SharedSql } from './shared-sql.js'

export const SHARED_CHAIN = 'postgresql:revka_audit_chain'
const PAGE = 1000

/** a verified prefix: its last entry, the first signed one, and the stamp of its rows */
interface Prefix {
  last: number
  hash: string
  firstSigned: number | null
  maxXmin: number
}

interface Head {
  first: number
  next: number
  lastHash: string
}

export class SharedChainVerifier {
  private prefix: Prefix | null = null

  constructor(
    private readonly sql: SharedSql,
    private readonly key: Buffer | null,
  ) {}

  verify(): Promise<AuditVerdict> {
    return this.sql.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
      const h = (await tx.query<{ first_seq: string; next_seq: string; last_hash: string }>('SELECT first_seq, next_seq, last_hash FROM revka_audit_head'))
        .rows[0]
      const head: Head = { first: Number(h.first_seq), next: Number(h.next_seq), lastHash: h.last_hash }
      const start = await this.reusable(tx, head)
      return this.walk(tx, head, start)
    })
  }

  /** where the walk may start: after the remembered prefix when its rows are as they were */
  private async reusable(tx: SqlQueryable, head: Head): Promise<Prefix | null> {
    const p = this.prefix
    this.prefix = null
    if (!p || head.first > p.last) return null
    const r = await tx.query<{ n: string; max_xmin: string | null }>(
      'SELECT count(*) AS n, max(xmin::text::bigint) AS max_xmin FROM revka_audit_chain WHERE seq BETWEEN $1 AND $2',
      [head.first, p.last],
    )
    const stamp = r.rows[0]
    // rows pruned off the front lower the count and never raise the newest xmin
    if (Number(stamp.n) !== p.last - head.first + 1 || Number(stamp.max_xmin) > p.maxXmin) return null
    return p
  }

  private async walk(tx: SqlQueryable, head: Head, from: Prefix | null): Promise<AuditVerdict> {
    const key = this.key
    let firstSigned = from?.firstSigned ?? null
    const at: ChainCursor = from ? { seq: from.last, hash: from.hash, signed: firstSigned === null ? 0 : 1 } : { seq: null, hash: null, signed: 0 }
    let maxXmin = from?.maxXmin ?? 0
    const verified = () => (at.seq === null ? 0 : at.seq - head.first + 1)
    const broken = (why: string, seq: number): AuditVerdict => ({
      verified: false,
      error: `${why} at sequence ${seq} of the shared chain`,
      file: SHARED_CHAIN,
      line: seq + 1,
      entry_count: verified(),
    })
    for (let after = at.seq ?? head.first - 1; ;) {
      const { rows } = await tx.query<{ seq: string; event_type: string; entry: string; xmin: string }>(
        'SELECT seq, event_type, entry, xmin::text AS xmin FROM revka_audit_chain WHERE seq > $1 ORDER BY seq LIMIT $2',
        [after, PAGE],
      )
      for (const row of rows) {
        const seq = Number(row.seq)
        const expected = at.seq === null ? head.first : at.seq + 1
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
        if (key && typeof e.signature === 'string' && firstSigned === null) firstSigned = seq
        if (firstSigned !== null) at.signed = 1
        at.seq = seq
        at.hash = e.entry_hash
        maxXmin = Math.max(maxXmin, Number(row.xmin))
      }
      if (rows.length < PAGE) break
      after = Number(rows[rows.length - 1].seq)
    }
    const last = at.seq ?? head.first - 1
    if (last + 1 !== head.next) return broken(`missing entry (the chain ends at ${last}, its head at ${head.next - 1})`, last + 1)
    if (at.hash !== null && at.hash !== head.lastHash) return broken('the head does not hold the last entry_hash', last)
    if (at.seq !== null && at.hash !== null) this.prefix = { last: at.seq, hash: at.hash, firstSigned, maxXmin }
    // with a key, every entry from the first signed one on is signed (linkError refuses a gap)
    const signed = key && firstSigned !== null ? last - Math.max(firstSigned, head.first) + 1 : 0
    return { verified: true, entry_count: verified(), files: 1, signed_entries: signed }
  }
}
