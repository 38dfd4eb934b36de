/**
 * The connected nodes and their in-flight calls. A call belongs to the connection it was sent on:
 * when that connection goes (disconnect, or a newer connection registering the same id), its calls
 * fail at once instead of waiting out their timeout. Every call has a hard deadline.
 */
import { randomUUID } from 'node:crypto'
import type { RevkaSocket } from '@revka/plugin-sdk'

export interface Capability {
  name: string
  description: string
  /** JSON Schema of the arguments */
  parameters: Record<string, unknown>
}

export interface InvokeResult {
  call_id: string
  success: boolean
  output: string
  error: string | null
}

export type InvokeFailure = 'node_not_found' | 'unknown_capability' | 'invalid_args' | 'busy' | 'timeout' | 'disconnected' | 'aborted'

/** Why a call produced no result; the REST route and the tools map `kind` to their own answers. */
export class InvokeError extends Error {
  constructor(
    readonly kind: InvokeFailure,
    message: string,
    readonly callId?: string,
  ) {
    super(message)
    this.name = 'InvokeError'
  }
}

interface Pending {
  resolve(r: InvokeResult): void
  reject(e: InvokeError): void
}

/** One registered node: the socket it speaks on and the calls waiting for its answers. */
export class NodeConnection {
  readonly pending = new Map<string, Pending>()
  constructor(
    readonly nodeId: string,
    readonly capabilities: Capability[],
    readonly socket: RevkaSocket,
  ) {}

  capability(name: string): Capability | undefined {
    return this.capabilities.find((c) => c.name === name)
  }

  /** a `result` frame arrived; false when no call with that id is waiting (late or unknown) */
  settle(callId: string, r: Omit<InvokeResult, 'call_id'>): boolean {
    const p = this.pending.get(callId)
    if (!p) return false
    p.resolve({ call_id: callId, ...r })
    return true
  }

  /** the connection is gone: every waiting call fails now */
  failAll(why: string): void {
    for (const [callId, p] of [...this.pending]) p.reject(new InvokeError('disconnected', why, callId))
  }
}

export interface InvokeOptions {
  timeoutMs: number
  /** the REST client or the agent's turn went away: stop waiting */
  signal?: AbortSignal
}

export type RegisterOutcome = { ok: true; replaced: NodeConnection | null } | { ok: false; error: string; code: 'registry_full' | 'capabilities_full' }

export interface RegistryLimits {
  maxNodes: number
  /** capabilities of all connected nodes together */
  maxCapabilities: number
  /** calls waiting for one node's answers */
  maxPendingPerNode: number
}

export class NodeRegistry {
  private readonly nodes = new Map<string, NodeConnection>()

  constructor(private readonly limits: RegistryLimits) {}

  get size(): number {
    return this.nodes.size
  }

  get(nodeId: string): NodeConnection | undefined {
    return this.nodes.get(nodeId)
  }

  list(): NodeConnection[] {
    return [...this.nodes.values()]
  }

  pendingCount(): number {
    let n = 0
    for (const c of this.nodes.values()) n += c.pending.size
    return n
  }

  /**
   * Add `conn`, replacing a connection registered under the same id (returned so the caller can
   * close it). A new id is refused once `maxNodes` are registered; `releasing` is the socket's own
   * earlier registration under another id, whose slot it is about to give up.
   */
  register(conn: NodeConnection, releasing?: NodeConnection | null): RegisterOutcome {
    const old = this.nodes.get(conn.nodeId) ?? null
    const released = releasing && releasing.nodeId !== conn.nodeId && this.nodes.get(releasing.nodeId) === releasing ? releasing : null
    const { maxNodes, maxCapabilities } = this.limits
    if (!old && this.nodes.size - (released ? 1 : 0) >= maxNodes) {
      return { ok: false, error: `Node registry is full (max_nodes = ${maxNodes})`, code: 'registry_full' }
    }
    // what stays registered besides this node: the one it replaces and the one it renames from go
    let kept = 0
    for (const n of this.nodes.values()) if (n !== old && n !== released) kept += n.capabilities.length
    if (kept + conn.capabilities.length > maxCapabilities) {
      return {
        ok: false,
        code: 'capabilities_full',
        error: `Too many capabilities: connected nodes offer ${kept}, this register adds ${conn.capabilities.length}, and at most ${maxCapabilities} are allowed in all (max_capabilities = ${maxCapabilities})`,
      }
    }
    this.nodes.set(conn.nodeId, conn)
    if (old && old !== conn) old.failAll(`Node ${conn.nodeId} was replaced by a newer connection before answering`)
    return { ok: true, replaced: old && old !== conn ? old : null }
  }

  /** remove `conn` if it is still the registered connection for its id (a replaced one is not) */
  unregister(conn: NodeConnection, why: string): void {
    if (this.nodes.get(conn.nodeId) === conn) this.nodes.delete(conn.nodeId)
    conn.failAll(why)
  }

  /** the plugin is stopping: fail every waiting call and let the nodes know to reconnect later */
  closeAll(): void {
    for (const conn of [...this.nodes.values()]) {
      this.unregister(conn, `Node ${conn.nodeId} is unavailable: the nodes plugin stopped`)
      try {
        conn.socket.close(1001, 'nodes plugin stopping')
      } catch {}
    }
  }

  /** Send an invocation to a node and wait for its `result`, at most `timeoutMs`. */
  invoke(nodeId: string, capability: string, args: unknown, opts: InvokeOptions): Promise<InvokeResult> {
    const conn = this.nodes.get(nodeId)
    if (!conn) return Promise.reject(new InvokeError('node_not_found', `Node not found: ${nodeId}`))
    if (!conn.capability(capability)) {
      const known = conn.capabilities.map((c) => c.name).join(', ') || 'none'
      return Promise.reject(new InvokeError('unknown_capability', `Node ${nodeId} has no capability "${capability}" (it offers: ${known})`))
    }
    if (opts.signal?.aborted) return Promise.reject(new InvokeError('aborted', 'The caller went away'))
    // each waiting call holds a timer and its caller until the hard limit: a node that does not
    // answer must not gather them without bound
    const max = this.limits.maxPendingPerNode
    if (conn.pending.size >= max) {
      return Promise.reject(new InvokeError('busy', `Node ${nodeId} is busy: ${max} calls are already waiting for its answers (max_pending_per_node = ${max})`))
    }
    const callId = randomUUID()
    let frame: string
    try {
      frame = JSON.stringify({ type: 'invoke', call_id: callId, capability, args })
    } catch {
      // args nested a few thousand deep fit in a small body but overflow the serialiser's stack
      return Promise.reject(new InvokeError('invalid_args', 'The arguments cannot be sent to the node: they cannot be serialised as JSON (nested too deep?)'))
    }
    return new Promise<InvokeResult>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer)
        conn.pending.delete(callId)
        opts.signal?.removeEventListener('abort', onAbort)
      }
      const secs = Number((opts.timeoutMs / 1000).toFixed(3))
      const timer = setTimeout(() => {
        finish()
        reject(new InvokeError('timeout', `Node invocation timed out (${secs}s)`, callId))
      }, opts.timeoutMs)
      const onAbort = () => {
        finish()
        reject(new InvokeError('aborted', 'The caller went away', callId))
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      conn.pending.set(callId, {
        resolve: (r) => {
          finish()
          resolve(r)
        },
        reject: (e) => {
          finish()
          reject(e)
        },
      })
      try {
        conn.socket.send(frame, (err) => {
          if (err) conn.pending.get(callId)?.reject(new InvokeError('disconnected', `Node ${nodeId} disconnected before the call was sent`, callId))
        })
      } catch {
        conn.pending.get(callId)?.reject(new InvokeError('disconnected', `Node ${nodeId} disconnected before the call was sent`, callId))
      }
    })
  }
}
