/**
 * Byte and slot accounting for the canvas store, and how a render makes room (issue 10 item 4).
 *
 * A render is first checked against what can never be freed for it — the current frames of other
 * canvases that are watched or recently written — so a refusal changes nothing. Once it is known
 * to fit, room is made in this order:
 *
 * 1. the canvas's own history beyond MAX_HISTORY;
 * 2. the writer's own superseded frames (history), oldest first, until the writer is within its
 *    byte quota: a credential that renders a lot only ever pushes out its own history;
 * 3. while over the total budget: idle canvases (no viewers, no render for `idleMs`), least
 *    recently used first; then superseded frames of whichever credential holds the most bytes.
 *
 * Current frames of live canvases are never dropped to make room: those renders are refused —
 * 429 `canvas_quota_exceeded` when the writer's own canvases fill its quota, 507
 * `canvas_storage_full` when live canvases fill the budget, 429 `too_many_canvases` when every
 * slot holds a live canvas.
 */
import { refusal, type CanvasLimits, type StoreRefusal } from './limits.js'

/** One rendered frame of a canvas, as viewers and the REST API see it. */
export interface Frame {
  frame_id: string
  /** one of CONTENT_TYPES, or `clear` for the notice a DELETE sends to viewers */
  content_type: string
  content: string
  timestamp: string
}

export interface HeldFrame {
  frame: Frame
  /** credential key of the writer, charged `bytes` */
  owner: string
  bytes: number
  /** render order, for "oldest first" */
  seq: number
}

export interface Canvas {
  id: string
  /** credential key of the creator, charged one canvas */
  owner: string
  /** oldest first; the last is the current frame */
  frames: HeldFrame[]
  /** last render, or when its last viewer left */
  touched: number
}

interface Usage {
  bytes: number
  canvases: number
}

const NONE: Usage = Object.freeze({ bytes: 0, canvases: 0 })

export class RoomKeeper {
  totalBytes = 0
  evictedCount = 0
  private readonly byCredential = new Map<string, Usage>()

  constructor(
    private readonly canvases: Map<string, Canvas>,
    private readonly limits: CanvasLimits,
    private readonly now: () => number,
    private readonly watched: (id: string) => boolean,
  ) {}

  usage(who: string): Usage {
    return this.byCredential.get(who) ?? NONE
  }

  /** why a render of `bytes` by `who` into `canvas` (undefined: a new one) cannot fit, or null */
  check(canvas: Canvas | undefined, who: string, bytes: number): StoreRefusal | null {
    const l = this.limits
    if (!canvas) {
      const mine = this.usage(who).canvases
      if (mine >= l.credentialCanvases) {
        return refusal(429, 'canvas_quota_exceeded', `This credential holds ${mine} canvases (at most ${l.credentialCanvases}). Clear unused canvases first.`)
      }
      if (this.canvases.size >= l.maxCanvases && !this.oldestIdle(undefined)) {
        return refusal(429, 'too_many_canvases', `Maximum canvas count (${l.maxCanvases}) reached. Clear unused canvases first.`)
      }
    }
    // what stays whatever is freed: current frames (this canvas's is about to be superseded)
    let own = bytes
    let live = bytes
    const idleBefore = this.now() - l.idleMs
    for (const c of this.canvases.values()) {
      if (c === canvas) continue
      const current = c.frames.at(-1)
      if (!current) continue
      if (current.owner === who) own += current.bytes
      if (!this.isIdle(c, idleBefore)) live += current.bytes
    }
    if (own > l.credentialBytes) {
      return refusal(
        429,
        'canvas_quota_exceeded',
        `This credential's canvases hold ${own - bytes} bytes; this render (${bytes} bytes) would pass its quota of ${l.credentialBytes}. Clear unused canvases first.`,
      )
    }
    if (live > l.maxTotalBytes) {
      return refusal(507, 'canvas_storage_full', `Canvas storage is full (budget ${l.maxTotalBytes} bytes). Clear unused canvases first.`)
    }
    return null
  }

  /** a new, empty canvas (after `check` said it fits: evicts the least recently used idle one if full) */
  create(id: string, who: string): Canvas {
    if (this.canvases.size >= this.limits.maxCanvases) {
      const idle = this.oldestIdle(undefined)
      if (idle) this.evict(idle)
    }
    const canvas: Canvas = { id, owner: who, frames: [], touched: this.now() }
    this.canvases.set(id, canvas)
    this.charge(who, 0, 1)
    return canvas
  }

  /** append a frame (after `check`), then make room as the header says */
  add(canvas: Canvas, held: HeldFrame, maxHistory: number): void {
    canvas.frames.push(held)
    canvas.touched = this.now()
    this.charge(held.owner, held.bytes, 0)
    while (canvas.frames.length > maxHistory) this.drop(canvas, 0)
    while (this.usage(held.owner).bytes > this.limits.credentialBytes) {
      if (!this.dropOldestSuperseded(held.owner)) break
    }
    while (this.totalBytes > this.limits.maxTotalBytes) {
      const idle = this.oldestIdle(canvas)
      if (idle) {
        this.evict(idle)
        continue
      }
      const heaviest = this.heaviestWithHistory()
      if (!heaviest || !this.dropOldestSuperseded(heaviest)) break
    }
  }

  /** remove a canvas and give back what its frames and slot held */
  remove(canvas: Canvas): void {
    if (this.canvases.get(canvas.id) !== canvas) return
    this.canvases.delete(canvas.id)
    for (const h of canvas.frames) this.charge(h.owner, -h.bytes, 0)
    canvas.frames = []
    this.charge(canvas.owner, 0, -1)
  }

  /** evict every idle canvas; returns how many */
  evictIdle(): number {
    const before = this.now() - this.limits.idleMs
    let n = 0
    for (const c of [...this.canvases.values()])
      if (this.isIdle(c, before)) {
        this.evict(c)
        n++
      }
    return n
  }

  private evict(canvas: Canvas): void {
    this.remove(canvas)
    this.evictedCount++
  }

  private isIdle(c: Canvas, idleBefore: number): boolean {
    return c.touched <= idleBefore && !this.watched(c.id)
  }

  private oldestIdle(except: Canvas | undefined): Canvas | null {
    const before = this.now() - this.limits.idleMs
    let best: Canvas | null = null
    for (const c of this.canvases.values()) {
      if (c === except || !this.isIdle(c, before)) continue
      if (!best || c.touched < best.touched) best = c
    }
    return best
  }

  /** drop `who`'s oldest frame that is not the current frame of its canvas */
  private dropOldestSuperseded(who: string): boolean {
    let at: { canvas: Canvas; index: number; seq: number } | null = null
    for (const c of this.canvases.values()) {
      for (let i = 0; i < c.frames.length - 1; i++) {
        const h = c.frames[i]
        if (h.owner === who && (!at || h.seq < at.seq)) at = { canvas: c, index: i, seq: h.seq }
      }
    }
    if (!at) return false
    this.drop(at.canvas, at.index)
    return true
  }

  /** the credential holding the most bytes in superseded frames' owners (ties: any) */
  private heaviestWithHistory(): string | null {
    const withHistory = new Set<string>()
    for (const c of this.canvases.values()) for (let i = 0; i < c.frames.length - 1; i++) withHistory.add(c.frames[i].owner)
    let best: string | null = null
    for (const who of withHistory) if (!best || this.usage(who).bytes > this.usage(best).bytes) best = who
    return best
  }

  private drop(canvas: Canvas, index: number): void {
    const [h] = canvas.frames.splice(index, 1)
    this.charge(h.owner, -h.bytes, 0)
  }

  private charge(who: string, bytes: number, canvases: number): void {
    const u = this.byCredential.get(who) ?? { bytes: 0, canvases: 0 }
    u.bytes += bytes
    u.canvases += canvases
    this.totalBytes += bytes
    if (u.bytes === 0 && u.canvases === 0) this.byCredential.delete(who)
    else this.byCredential.set(who, u)
  }
}
