/**
 * A durable delivery queue for webhooks: an append-only JSONL journal, fsynced before a delivery is
 * acknowledged, so a 200 is never lost — a crash and restart replays what was not finished.
 * Records: `enq` (a delivery), `try` (an attempt began), `reply` (the agent's answer, so a send that
 * fails is retried without running the agent again), `done` (finished or given up). Idempotency keys
 * of recent deliveries are rebuilt from the journal so a provider's retry after a restart is still
 * recognised. The journal is compacted at open and every few thousand appends (finished entries
 * older than the idempotency window dropped).
 */
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { LRUCache } from 'lru-cache'

export interface QueuedDelivery<M = unknown> {
  id: string
  key?: string
  at: number
  /**
   * when the key's de-duplication window starts, if not `at`: later for a delivery signed with a
   * timestamp ahead of our clock, so its key lives as long as its signature can be accepted
   */
  keyAt?: number
  attempts: number
  message: M
  /** the agent's answer once the turn ran: a failed send is retried without a second turn */
  reply?: string
}

type Rec<M> =
  | { op: 'enq'; d: QueuedDelivery<M> }
  | { op: 'done'; id: string; at: number; ok: boolean }
  | { op: 'try'; id: string }
  | { op: 'reply'; id: string; text: string }
  /** written first by a compaction: the inbound messages counted so far (their `enq` lines go) */
  | { op: 'stats'; received: number; last_at: number | null }

/** appends after which the file is rewritten from memory, so a long-running gateway's journal stays small */
const COMPACT_EVERY = 5_000

export class DeliveryJournal<M = unknown> {
  private fd: number
  private pending = new Map<string, QueuedDelivery<M>>()
  /**
   * idempotency key → time first seen, at most `maxKeys` (the oldest goes first: read with peek,
   * walked oldest first, so a compaction writes them back in the order a replay rebuilds)
   */
  private keys: LRUCache<string, number>
  private readonly path: string
  private appends = 0
  /** inbound messages ever journalled (GET /api/channels' message_count) and the newest one's time */
  private received = 0
  private lastAt: number | null = null

  constructor(
    dir: string,
    private readonly windowMs: number,
    maxKeys = 10_000,
    now = Date.now(),
  ) {
    this.keys = new LRUCache({ max: maxKeys })
    // private: the journal holds every message a contact sent (earlier versions made it 0644)
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    this.path = join(dir, 'deliveries.jsonl')
    // a missing or empty journal has nothing to drop: rewriting it would cost an fsync per
    // webhook provider on every start, for nothing
    if (this.replay(now)) this.compact(now)
    this.fd = openSync(this.path, 'a', 0o600)
    if ((statSync(this.path).mode & 0o077) !== 0) chmodSync(this.path, 0o600)
  }

  /** false when there was no journal, or an empty one */
  private replay(now: number): boolean {
    if (!existsSync(this.path)) return false
    const text = readFileSync(this.path, 'utf8')
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      let r: Rec<M>
      try {
        r = JSON.parse(line)
      } catch {
        continue
      } // a torn last line from a crash
      if (r.op === 'stats') {
        this.received = r.received
        this.lastAt = r.last_at
      } else if (r.op === 'enq') {
        this.count(r.d)
        this.pending.set(r.d.id, r.d)
        if (r.d.key && now - (r.d.keyAt ?? r.d.at) < this.windowMs) this.keys.set(r.d.key, r.d.keyAt ?? r.d.at)
      } else if (r.op === 'try') {
        const d = this.pending.get(r.id)
        if (d) d.attempts++
      } else if (r.op === 'reply') {
        const d = this.pending.get(r.id)
        if (d) d.reply = r.text
      } else if (r.op === 'done') {
        this.pending.delete(r.id)
      }
    }
    return text.length > 0
  }

  private compact(now: number): void {
    // pending deliveries are counted again when their `enq` lines are replayed: the stats line holds the rest
    const lines: string[] = [JSON.stringify({ op: 'stats', received: this.received - this.pendingMessages(), last_at: this.lastAt })]
    for (const d of this.pending.values()) lines.push(JSON.stringify({ op: 'enq', d }))
    // keep finished deliveries' keys while their window lasts, as already-done entries
    const pendingKeys = new Set([...this.pending.values()].map((d) => d.key))
    // rentries is typed (K | V)[]; it yields [key, value] pairs like entries()
    for (const [key, at] of [...this.keys.rentries()] as [string, number][]) {
      if (pendingKeys.has(key)) continue
      if (now - at < this.windowMs) {
        lines.push(JSON.stringify({ op: 'enq', d: { id: `k:${key}`, key, at, attempts: 0, message: null } }))
        lines.push(JSON.stringify({ op: 'done', id: `k:${key}`, at, ok: true }))
      } else this.keys.delete(key)
    }
    const tmp = `${this.path}.compact`
    const fd = openSync(tmp, 'w', 0o600)
    writeSync(fd, lines.length ? lines.join('\n') + '\n' : '')
    fsyncSync(fd)
    closeSync(fd)
    renameSync(tmp, this.path)
  }

  private append(rec: Rec<M>): void {
    writeSync(this.fd, JSON.stringify(rec) + '\n')
    fsyncSync(this.fd)
    if (++this.appends >= COMPACT_EVERY) {
      this.appends = 0
      closeSync(this.fd)
      this.compact(Date.now())
      this.fd = openSync(this.path, 'a', 0o600)
    }
  }

  /** true if a delivery with this key was seen inside the window */
  seen(key: string, now = Date.now()): boolean {
    const at = this.keys.peek(key)
    return at !== undefined && now - at < this.windowMs
  }

  private count(d: QueuedDelivery<M>): void {
    if (d.message === null || d.message === undefined) return
    this.received++
    this.lastAt = Math.max(this.lastAt ?? 0, d.at)
  }

  private pendingMessages(): number {
    let n = 0
    for (const d of this.pending.values()) if (d.message) n++
    return n
  }

  /** inbound messages journalled since the journal began, and the newest one's time (ms) */
  stats(): { received: number; lastAt: number | null } {
    return { received: this.received, lastAt: this.lastAt }
  }

  /** persist a delivery (durable when this returns) */
  enqueue(d: QueuedDelivery<M>): void {
    this.append({ op: 'enq', d })
    this.count(d)
    this.pending.set(d.id, d)
    if (d.key) {
      this.keys.set(d.key, d.keyAt ?? d.at) // past maxKeys, the LRU drops the oldest key
    }
  }

  attempt(id: string): void {
    const d = this.pending.get(id)
    if (!d) return
    d.attempts++
    this.append({ op: 'try', id })
  }

  /** persist the agent's reply to a pending delivery (durable when this returns) */
  saveReply(id: string, text: string): void {
    const d = this.pending.get(id)
    if (!d) return
    d.reply = text
    this.append({ op: 'reply', id, text })
  }

  finish(id: string, ok: boolean): void {
    if (!this.pending.delete(id)) return
    this.append({ op: 'done', id, at: Date.now(), ok })
  }

  list(): QueuedDelivery<M>[] {
    return [...this.pending.values()].sort((a, b) => a.at - b.at)
  }

  get size(): number {
    return this.pending.size
  }

  close(): void {
    try {
      closeSync(this.fd)
    } catch {}
  }
}
