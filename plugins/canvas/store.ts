/**
 * The canvases: each has a current frame and a short history; viewers watch canvas ids. Kept in
 * memory on purpose (as the reference does): a canvas is a live surface, not a document store.
 *
 * What it may hold is bounded (limits.ts): every frame is charged to the credential that rendered
 * it, a canvas to the credential that created it. Viewers are kept apart from canvases, so
 * watching an empty canvas takes no slot (viewers are bounded per credential by the route). How a
 * render makes room is in room.ts; a refused render changes nothing.
 */
import { randomUUID } from 'node:crypto'
import { DEFAULT_LIMITS, heldBytes, isStoreRefusal, type CanvasLimits, type StoreRefusal } from './limits.js'
import { RoomKeeper, type Canvas, type Frame, type HeldFrame } from './room.js'

export type { Frame } from './room.js'

export const CONTENT_TYPES = ['html', 'svg', 'markdown', 'text'] as const
export type ContentType = (typeof CONTENT_TYPES)[number]
/** what a render may carry, in UTF-8 bytes */
export const MAX_CONTENT_BYTES = 256 * 1024
export const MAX_HISTORY = 50
const CANVAS_ID = /^[A-Za-z0-9_.-]{1,128}$/

/** A viewer of one canvas: receives every new frame, synchronously (it bounds itself). */
export interface FrameSink {
  deliver(frame: Frame): void
}

export function isCanvasId(id: unknown): id is string {
  return typeof id === 'string' && CANVAS_ID.test(id)
}

export function isContentType(t: unknown): t is ContentType {
  return typeof t === 'string' && (CONTENT_TYPES as readonly string[]).includes(t)
}

export function contentBytes(content: string): number {
  return Buffer.byteLength(content, 'utf8')
}

export class CanvasStore {
  private readonly canvases = new Map<string, Canvas>()
  private readonly watchers = new Map<string, Set<FrameSink>>()
  private readonly room: RoomKeeper
  private seq = 0

  constructor(
    readonly limits: CanvasLimits = DEFAULT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.room = new RoomKeeper(this.canvases, limits, now, (id) => this.watchers.has(id))
  }

  /** every canvas id that has content or viewers */
  list(): string[] {
    const ids = new Set(this.canvases.keys())
    for (const id of this.watchers.keys()) ids.add(id)
    return [...ids]
  }

  /** canvases holding content (the slots) */
  get size(): number {
    return this.canvases.size
  }

  /** bytes held by every frame (limits.ts says how they are counted) */
  get bytes(): number {
    return this.room.totalBytes
  }

  /** bytes held by the frames one credential rendered */
  bytesOf(who: string): number {
    return this.room.usage(who).bytes
  }

  /** canvases evicted as idle since start */
  get evicted(): number {
    return this.room.evictedCount
  }

  snapshot(id: string): Frame | null {
    return this.canvases.get(id)?.frames.at(-1)?.frame ?? null
  }

  /** oldest first, at most MAX_HISTORY */
  history(id: string): Frame[] {
    return (this.canvases.get(id)?.frames ?? []).map((h) => h.frame)
  }

  /**
   * Make `content` the canvas's current frame for credential `who` and push it to its viewers,
   * creating the canvas if needed; or say why not (nothing is changed then). Callers validate id,
   * type and size first.
   */
  render(id: string, contentType: ContentType, content: string, who: string): Frame | StoreRefusal {
    const bytes = heldBytes(content)
    const existing = this.canvases.get(id)
    const refused = this.room.check(existing, who, bytes)
    if (refused) return refused
    const canvas = existing ?? this.room.create(id, who)
    const held: HeldFrame = { frame: this.frame(contentType, content), owner: who, bytes, seq: ++this.seq }
    this.room.add(canvas, held, MAX_HISTORY)
    this.broadcast(id, held.frame)
    return held.frame
  }

  /**
   * Drop the canvas and its frames. Viewers get a `clear` frame so they blank their view (the
   * reference's signal) and keep watching the now empty id.
   */
  clear(id: string): boolean {
    const canvas = this.canvases.get(id)
    if (canvas) this.room.remove(canvas)
    const watched = this.watchers.has(id)
    if (watched) this.broadcast(id, this.frame('clear', ''))
    return Boolean(canvas) || watched
  }

  /**
   * Watch a canvas id, with content or not yet (a viewer may wait for the first render). Takes no
   * slot. The disposer removes the viewer; the canvas's idle time starts when its last one leaves.
   */
  subscribe(id: string, sink: FrameSink): () => void {
    const set = this.watchers.get(id) ?? new Set()
    set.add(sink)
    this.watchers.set(id, set)
    return () => {
      set.delete(sink)
      if (set.size || this.watchers.get(id) !== set) return
      this.watchers.delete(id)
      const canvas = this.canvases.get(id)
      if (canvas) canvas.touched = this.now()
    }
  }

  /** evict every idle canvas now (a timer calls this, so memory comes back without new renders) */
  sweep(): number {
    return this.room.evictIdle()
  }

  private frame(contentType: string, content: string): Frame {
    return { frame_id: randomUUID(), content_type: contentType, content, timestamp: new Date(this.now()).toISOString() }
  }

  private broadcast(id: string, frame: Frame): void {
    const set = this.watchers.get(id)
    if (set) for (const sink of [...set]) sink.deliver(frame)
  }
}

export { isStoreRefusal }
export type { StoreRefusal }
