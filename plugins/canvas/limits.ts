/**
 * What the canvas store may hold (issue 10 item 4): a loopback flood of 256 KiB renders once took
 * the gateway to 1.5 GB and every canvas slot. Canvases live in memory on purpose, so they get a
 * byte budget over everything, quotas per credential (canvases and bytes), and idle eviction.
 *
 * A "credential" is the SDK's `credentialKey`: a paired device by its id, every tokenless loopback
 * caller together as `loopback`, the agent's `canvas_render` tool as `agent`.
 */

export interface CanvasLimits {
  /** canvases over all credentials (the contract's 100) */
  maxCanvases: number
  /** bytes held by every frame of every canvas */
  maxTotalBytes: number
  /** canvases one credential may have created and still hold */
  credentialCanvases: number
  /** bytes the frames one credential rendered may hold */
  credentialBytes: number
  /** a canvas without viewers and without renders for this long is evicted */
  idleMs: number
}

export const DEFAULT_LIMITS: CanvasLimits = {
  maxCanvases: 100,
  maxTotalBytes: 64 * 1024 * 1024,
  credentialCanvases: 32,
  credentialBytes: 16 * 1024 * 1024,
  idleMs: 10 * 60_000,
}

/** what a frame costs besides its content: its id, type, timestamp and bookkeeping */
export const FRAME_OVERHEAD = 256

/**
 * The memory a frame's content holds, counted so the budget is never an underestimate: V8 keeps an
 * all-Latin-1 string at one byte per character and any other at two, while the contract's limit is
 * on UTF-8 bytes. ASCII is exact; anything else is charged the larger of its UTF-8 size and two
 * bytes per UTF-16 unit.
 */
export function heldBytes(content: string): number {
  const utf8 = Buffer.byteLength(content, 'utf8')
  const bytes = utf8 === content.length ? utf8 : Math.max(utf8, 2 * content.length)
  return bytes + FRAME_OVERHEAD
}

/** A render the store will not take: the route answers it as `{error, code, retry_after}`. */
export interface StoreRefusal {
  status: 429 | 507
  code: 'too_many_canvases' | 'canvas_quota_exceeded' | 'canvas_storage_full'
  message: string
  retryAfter: number
}

/** seconds a refused client is told to wait: room comes back when canvases are cleared or go idle */
export const REFUSAL_RETRY_AFTER = 60

export function refusal(status: StoreRefusal['status'], code: StoreRefusal['code'], message: string): StoreRefusal {
  return { status, code, message, retryAfter: REFUSAL_RETRY_AFTER }
}

export function isStoreRefusal(x: unknown): x is StoreRefusal {
  return typeof x === 'object' && x !== null && typeof (x as StoreRefusal).status === 'number' && typeof (x as StoreRefusal).code === 'string'
}

/** options (revka.plugin.json) → limits; the kernel has validated and filled the defaults */
export function limitsFrom(o: {
  max_canvases?: number
  max_total_bytes?: number
  credential_canvases?: number
  credential_bytes?: number
  idle_secs?: number
}): CanvasLimits {
  return {
    maxCanvases: o.max_canvases ?? DEFAULT_LIMITS.maxCanvases,
    maxTotalBytes: o.max_total_bytes ?? DEFAULT_LIMITS.maxTotalBytes,
    credentialCanvases: o.credential_canvases ?? DEFAULT_LIMITS.credentialCanvases,
    credentialBytes: o.credential_bytes ?? DEFAULT_LIMITS.credentialBytes,
    idleMs: (o.idle_secs ?? DEFAULT_LIMITS.idleMs / 1000) * 1000,
  }
}
