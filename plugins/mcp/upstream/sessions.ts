/**
 * MCP sessions of the in-process server: a session is a credential (id + bearer token, only its
 * hash kept) plus a working directory and a progress channel that `GET /session/:id/events`
 * subscribers read. Bounded: past `max` sessions the least recently used one without live
 * subscribers is forgotten, so minting sessions in a loop cannot grow memory.
 */
import { randomBytes } from 'node:crypto'
import { sha256Hex, timingSafeEqualStr } from '@revka/plugin-sdk'

/** One `notifications/progress` as the events channel carries it (contract §3.4). */
export interface ProgressFrame {
  /** the client's progressToken, or null when the call asked for none */
  token: string | number | null
  progress: number
  total: number | null
  message: string | null
  tool: string
  timestamp: string
}

export interface McpSession {
  readonly id: string
  readonly cwd: string
  readonly createdAt: string
  /** recency rank (a counter, not a clock: two uses in one millisecond still order) */
  lastUsed: number
}

interface Entry extends McpSession {
  tokenHash: string
  /** never evicted (the gateway's own session) */
  pinned: boolean
  listeners: Set<(f: ProgressFrame) => void>
}

export interface MintedSession {
  session_id: string
  token: string
  cwd: string
}

export class SessionStore {
  private sessions = new Map<string, Entry>()
  private tick = 0

  constructor(private readonly max = 256) {}

  get size(): number {
    return this.sessions.size
  }

  /** a fresh session; `pinned` ones (the gateway's own) survive eviction */
  mint(cwd: string, pinned = false): MintedSession {
    this.evict()
    const id = randomBytes(16).toString('hex')
    // hex, so the token is a valid RFC 7230 token wherever a client puts it
    const token = randomBytes(32).toString('hex')
    this.sessions.set(id, {
      id,
      cwd,
      createdAt: new Date().toISOString(),
      lastUsed: ++this.tick,
      tokenHash: sha256Hex(token),
      listeners: new Set(),
      pinned,
    })
    return { session_id: id, token, cwd }
  }

  /** the session when `token` is its bearer; undefined otherwise (unknown id or wrong token) */
  verify(id: string | undefined, token: string | undefined): McpSession | undefined {
    if (!id || !token) return undefined
    const s = this.sessions.get(id)
    // hash the presented token even for an unknown id, so timing does not tell ids apart
    const ok = timingSafeEqualStr(sha256Hex(token), s?.tokenHash ?? '')
    if (!s || !ok) return undefined
    s.lastUsed = ++this.tick
    return s
  }

  /** deliver a progress frame to the session's live event subscribers */
  publish(id: string, frame: ProgressFrame): void {
    const s = this.sessions.get(id)
    if (!s) return
    for (const fn of s.listeners) fn(frame)
  }

  subscribe(id: string, fn: (f: ProgressFrame) => void): () => void {
    const s = this.sessions.get(id)
    if (!s) return () => {}
    s.listeners.add(fn)
    return () => {
      s.listeners.delete(fn)
    }
  }

  private evict(): void {
    while (this.sessions.size >= this.max) {
      let oldest: Entry | undefined
      for (const s of this.sessions.values()) {
        if (s.listeners.size || s.pinned) continue
        if (!oldest || s.lastUsed < oldest.lastUsed) oldest = s
      }
      // every session has a live subscriber: drop the least recently used anyway
      oldest ??= [...this.sessions.values()].filter((s) => !s.pinned).sort((a, b) => a.lastUsed - b.lastUsed)[0]
      if (!oldest) return
      this.sessions.delete(oldest.id)
    }
  }
}
