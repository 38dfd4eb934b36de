/**
 * A webhook channel's state that every node of a cluster must see: the conversation history (what
 * a contact said before and what the agent answered) and the channel's inbound message count and
 * newest message time (`GET /api/channels`). On a single node these live in the plugin's store dir
 * (history files, the journal's stats); in cluster mode, when the provider's plugin lists
 * `shared-sql` under `uses`, `defineWebhook` keeps them here, in the cluster's PostgreSQL — so a
 * contact whose messages land on different nodes is one conversation, and every node reports the
 * same count.
 *
 * Tables are the plugin's own (`<plugin>_channel_history`, `<plugin>_channel_stats`, with `-` in the
 * id written `_`), created under the migration namespace `<plugin>-channel` so they never take
 * step numbers from the plugin's own migrations. They are created lazily, on the first use, so a
 * PostgreSQL that is away while the gateway starts delays them instead of failing the plugin.
 * Bounds are those of the file store: the newest `maxMessages` messages per conversation, each
 * clipped to `MAX_MESSAGE_CHARS`; one stats row per channel.
 */
import type { ChatMessage } from '../agent.js'
import { sha256Hex } from '../crypto.js'
import type { SharedSqlService, SqlMigration } from '../shared-sql.js'
import { MAX_MESSAGE_CHARS, type HistoryStore } from './history.js'

export interface ChannelCounts {
  received: number
  lastAt: number | null
}

function migrations(prefix: string): SqlMigration[] {
  return [
    {
      id: 1,
      name: 'channel history and stats',
      // seq orders a conversation across nodes; (conversation, delivery, role) makes a turn run
      // again after a crash record itself once
      sql: `CREATE TABLE ${prefix}_channel_history (
              conversation TEXT NOT NULL,
              seq BIGSERIAL NOT NULL,
              delivery TEXT NOT NULL,
              role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
              content TEXT NOT NULL,
              PRIMARY KEY (conversation, seq),
              UNIQUE (conversation, delivery, role));
            CREATE TABLE ${prefix}_channel_stats (
              channel TEXT PRIMARY KEY,
              received BIGINT NOT NULL DEFAULT 0,
              last_at_ms BIGINT);`,
    },
  ]
}

export class SharedChannelState implements HistoryStore {
  private readonly prefix: string
  private ready?: Promise<void>
  /** the newest counts this node has read or written: the synchronous `status()` answers with them */
  private known: ChannelCounts = { received: 0, lastAt: null }

  constructor(
    private readonly sql: SharedSqlService,
    private readonly pluginId: string,
    private readonly channel: string,
    private readonly maxMessages: number,
  ) {
    this.prefix = pluginId.replace(/-/g, '_')
  }

  /** the tables exist (migrated once per process; a failure is retried at the next call) */
  private init(): Promise<void> {
    this.ready ??= this.sql.migrate(`${this.pluginId}-channel`, migrations(this.prefix)).then(
      () => undefined,
      (e) => {
        this.ready = undefined
        throw e
      },
    )
    return this.ready
  }

  async messages(conversation: string, delivery: string): Promise<ChatMessage[]> {
    if (this.maxMessages <= 0) return []
    await this.init()
    const r = await this.sql.query<{ role: 'user' | 'assistant'; content: string }>(
      `SELECT role, content FROM ${this.prefix}_channel_history WHERE conversation = $1 AND delivery <> $2 ORDER BY seq DESC LIMIT $3`,
      [sha256Hex(conversation), delivery, this.maxMessages],
    )
    const out = r.rows.reverse()
    // a history opens with what the contact said, not with half of an earlier exchange
    while (out[0]?.role === 'assistant') out.shift()
    return out.map((m) => ({ role: m.role, content: m.content }))
  }

  async record(conversation: string, delivery: string, user: string, assistant: string): Promise<void> {
    if (this.maxMessages <= 0) return
    await this.init()
    const key = sha256Hex(conversation)
    const clip = (s: string) => (s.length > MAX_MESSAGE_CHARS ? s.slice(0, MAX_MESSAGE_CHARS) : s)
    const table = `${this.prefix}_channel_history`
    await this.sql.transaction(async (tx) => {
      const insert = `INSERT INTO ${table} (conversation, delivery, role, content) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`
      await tx.query(insert, [key, delivery, 'user', clip(user)])
      if (assistant.trim()) await tx.query(insert, [key, delivery, 'assistant', clip(assistant)])
      // keep the newest maxMessages: everything older than the maxMessages-th newest goes
      await tx.query(
        `DELETE FROM ${table} WHERE conversation = $1 AND seq < (
           SELECT seq FROM ${table} WHERE conversation = $1 ORDER BY seq DESC OFFSET $2 LIMIT 1)`,
        [key, this.maxMessages - 1],
      )
    })
  }

  /** count `n` inbound messages received at `at` (ms), whichever node acknowledged them */
  async counted(n: number, at: number): Promise<void> {
    await this.init()
    const r = await this.sql.query<{ received: string; last_at_ms: string | null }>(
      `INSERT INTO ${this.prefix}_channel_stats AS s (channel, received, last_at_ms) VALUES ($1, $2, $3)
       ON CONFLICT (channel) DO UPDATE SET received = s.received + excluded.received, last_at_ms = GREATEST(s.last_at_ms, excluded.last_at_ms)
       RETURNING received, last_at_ms`,
      [this.channel, n, at],
    )
    this.remember(r.rows[0])
  }

  /** the channel's inbound count and newest message time over the whole cluster */
  async stats(): Promise<ChannelCounts> {
    await this.init()
    const r = await this.sql.query<{ received: string; last_at_ms: string | null }>(
      `SELECT received, last_at_ms FROM ${this.prefix}_channel_stats WHERE channel = $1`,
      [this.channel],
    )
    this.remember(r.rows[0])
    return this.known
  }

  /** what this node last read or wrote (for callers that cannot wait, e.g. `status()`) */
  get lastKnown(): ChannelCounts {
    return this.known
  }

  private remember(row: { received: string; last_at_ms: string | null } | undefined): void {
    // BIGINT comes back as a string from pg
    if (row) this.known = { received: Number(row.received), lastAt: row.last_at_ms === null ? null : Number(row.last_at_ms) }
  }
}
