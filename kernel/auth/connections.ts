/**
 * Live long-lived connections (WebSockets, SSE streams) by the credential that opened them, so a
 * revoked or rotated token ends its connections at once, and shutdown ends them all.
 */
import type { AuthStreamsService } from '@revka/plugin-sdk'

export interface LiveConnection {
  /** end the connection because its credential was revoked */
  revoke(): void
  /** end the connection because the gateway is going away */
  shutdown(): void
  /** end the connection because the plugin that serves it was disabled at runtime */
  pluginDisabled?(): void
}

export class ConnectionTracker implements AuthStreamsService {
  private byCredential = new Map<string, Set<LiveConnection>>()
  private all = new Set<LiveConnection>()
  /** which plugin serves each connection, so disabling one ends exactly its own */
  private byPlugin = new Map<LiveConnection, string>()

  add(credentialId: string | undefined, conn: LiveConnection, pluginId?: string): () => void {
    this.all.add(conn)
    if (pluginId) this.byPlugin.set(conn, pluginId)
    let set: Set<LiveConnection> | undefined
    if (credentialId) {
      set = this.byCredential.get(credentialId) ?? new Set()
      set.add(conn)
      this.byCredential.set(credentialId, set)
    }
    return () => {
      this.all.delete(conn)
      this.byPlugin.delete(conn)
      if (set && credentialId) {
        set.delete(conn)
        if (!set.size) this.byCredential.delete(credentialId)
      }
    }
  }

  revoke(credentialId: string): number {
    const set = this.byCredential.get(credentialId)
    if (!set) return 0
    this.byCredential.delete(credentialId)
    for (const c of set) {
      this.all.delete(c)
      try {
        c.revoke()
      } catch {}
    }
    return set.size
  }

  /** End the live connections of one plugin (disabled at runtime); every other stays open. */
  endPlugin(pluginId: string): number {
    let n = 0
    for (const [c, id] of [...this.byPlugin]) {
      if (id !== pluginId) continue
      n++
      try {
        ;(c.pluginDisabled ?? c.shutdown).call(c)
      } catch {}
    }
    return n
  }

  shutdownAll(): void {
    for (const c of [...this.all]) {
      try {
        c.shutdown()
      } catch {}
    }
    this.all.clear()
    this.byCredential.clear()
    this.byPlugin.clear()
  }

  count(): number {
    return this.all.size
  }
}
