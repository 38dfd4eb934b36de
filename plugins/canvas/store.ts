/**
 * The canvases: each has a current frame, a short history and the viewers watching it. Kept in
 * memory on purpose (as the reference does): a canvas is a live surface, not a document store, and
 * the caps below bound what it can hold (100 canvases × 50 frames × 256 KiB).
 */
import { randomUUID } from 'node:crypto'

export const CONTENT_TYPES = ['html', 'svg', 'markdown', 'text'] as const
export type ContentType = (typeof CONTENT_TYPES)[number]
/** what a render may carry, in UTF-8 bytes */
export const MAX_CONTENT_BYTES = 256 * 1024
export const MAX_HISTORY = 50
export const MAX_CANVASES = 100
const CANVAS_ID = /^[A-Za-z0-9_.-]{1,128}$/

export interface Frame {
  frame_id: string
  /** one of CONTENT_TYPES, or `clear` for the notice a DELETE sends to viewers */
  content_type: string
  content: string
  timestamp: string
}

/** A viewer of one canvas: receives every new frame, synchronously (it bounds itself). */
export interface FrameSink {
  deliver(frame: Frame): void
}

interface Entry {
  current: Frame | null
  history: Frame[]
  sinks: Set<FrameSink>
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
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** every canvas that has content or viewers (both count towards MAX_CANVASES) */
  list(): string[] {
    return [...this.entries.keys()]
  }

  get size(): number {
    return this.entries.size
  }

  snapshot(id: string): Frame | null {
    return this.entries.get(id)?.current ?? null
  }

  /** oldest first, at most MAX_HISTORY */
  history(id: string): Frame[] {
    return [...(this.entries.get(id)?.history ?? [])]
  }

  /**
   * Make `content` the canvas's current frame and push it to its viewers. Creates the canvas;
   * null when that would exceed MAX_CANVASES. Callers validate id, type and size first.
   */
  render(id: string, contentType: ContentType, content: string): Frame | null {
    const entry = this.entryFor(id)
    if (!entry) return null
    const frame = this.frame(contentType, content)
    entry.current = frame
    entry.history.push(frame)
    if (entry.history.length > MAX_HISTORY) entry.history.splice(0, entry.history.length - MAX_HISTORY)
    this.broadcast(entry, frame)
    return frame
  }

  /**
   * Drop the canvas's frames. Viewers get a `clear` frame so they blank their view (the
   * reference's signal); a canvas nobody watches is removed, which frees its slot.
   */
  clear(id: string): boolean {
    const entry = this.entries.get(id)
    if (!entry) return false
    entry.current = null
    entry.history = []
    if (entry.sinks.size) this.broadcast(entry, this.frame('clear', ''))
    else this.entries.delete(id)
    return true
  }

  /**
   * Watch a canvas (creating an empty one, as the reference does, so a viewer can wait for the
   * first render). null at capacity. The disposer removes the viewer, and the canvas too when it
   * is then empty and unwatched.
   */
  subscribe(id: string, sink: FrameSink): (() => void) | null {
    const entry = this.entryFor(id)
    if (!entry) return null
    entry.sinks.add(sink)
    return () => {
      entry.sinks.delete(sink)
      if (!entry.sinks.size && !entry.current && this.entries.get(id) === entry) this.entries.delete(id)
    }
  }

  private entryFor(id: string): Entry | null {
    const existing = this.entries.get(id)
    if (existing) return existing
    if (this.entries.size >= MAX_CANVASES) return null
    const entry: Entry = { current: null, history: [], sinks: new Set() }
    this.entries.set(id, entry)
    return entry
  }

  private frame(contentType: string, content: string): Frame {
    return { frame_id: randomUUID(), content_type: contentType, content, timestamp: this.now().toISOString() }
  }

  private broadcast(entry: Entry, frame: Frame): void {
    for (const sink of [...entry.sinks]) sink.deliver(frame)
  }
}
