/**
 * One `/ws/canvas/:id` viewer, with bounded buffering. `ws` never refuses a send, so a viewer that
 * stops reading would otherwise pin every frame in memory (up to 256 KiB each). Instead, once it has
 * `queue` sends not yet handed to the OS, or its socket holds more than `maxBufferedBytes`, newer
 * frames are skipped and counted. When it catches up it is told
 * `{"type":"lagged","canvas_id","missed_frames":n}` and then gets the newest skipped frame, so a
 * viewer always ends on the canvas's current state and `frames received + missed_frames` equals
 * the frames rendered.
 */
import type { RevkaSocket } from '@revka/plugin-sdk'
import type { Frame, FrameSink } from './store.js'

const OPEN = 1

export interface LagBounds {
  /** sends in flight (queued in `ws`/the socket, not yet written to the OS) */
  queue: number
  /** bytes the socket may hold unsent */
  maxBufferedBytes: number
}

export class CanvasSubscriber implements FrameSink {
  private inFlight = 0
  /** frames skipped since the viewer last had room */
  private skipped = 0
  /** the newest skipped frame: delivered after the lagged notice */
  private newestSkipped: Frame | null = null

  constructor(
    private readonly socket: RevkaSocket,
    private readonly canvasId: string,
    private readonly bounds: LagBounds,
    /** called with each lag episode's missed count (for /api/status) */
    private readonly onMissed: (n: number) => void = () => {},
  ) {}

  /** true while frames are being skipped for this viewer */
  get lagging(): boolean {
    return this.skipped > 0
  }

  /** send outside the frame stream (the connect greeting), counted like any other send */
  greet(message: Record<string, unknown>): void {
    this.write(message)
  }

  deliver(frame: Frame): void {
    if (this.socket.readyState !== OPEN) return
    if (!this.hasRoom()) {
      this.skipped++
      this.newestSkipped = frame
      return
    }
    // a new frame supersedes the skipped ones: all of them were missed
    if (this.skipped) this.reportLag(this.skipped)
    this.sendFrame(frame)
  }

  private hasRoom(): boolean {
    return this.inFlight < this.bounds.queue && this.socket.bufferedAmount <= this.bounds.maxBufferedBytes
  }

  /** after a send reached the OS: if this viewer fell behind and now has room, catch it up */
  private drained(): void {
    if (!this.skipped || !this.hasRoom() || this.socket.readyState !== OPEN) return
    const newest = this.newestSkipped!
    const missed = this.skipped - 1
    if (missed) this.reportLag(missed)
    else {
      this.skipped = 0
      this.newestSkipped = null
    }
    this.sendFrame(newest)
  }

  private reportLag(missed: number): void {
    this.skipped = 0
    this.newestSkipped = null
    this.onMissed(missed)
    this.write({ type: 'lagged', canvas_id: this.canvasId, missed_frames: missed })
  }

  private sendFrame(frame: Frame): void {
    this.write({ type: 'frame', canvas_id: this.canvasId, frame })
  }

  private write(message: Record<string, unknown>): void {
    this.inFlight++
    try {
      this.socket.send(JSON.stringify(message), (err) => {
        this.inFlight--
        if (!err) this.drained()
      })
    } catch {
      // the socket closed between the readyState check and the send: nothing to deliver to
      this.inFlight--
    }
  }
}
