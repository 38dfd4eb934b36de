/**
 * The audit log's writer. One per log file per process (`openWriter` hands out a shared instance),
 * and a file lock around each append so a CLI command writing at the same time continues the same
 * chain instead of forking it. Each entry is one `write` of a whole line, then `fsync`; the
 * sequence and `prev_hash` advance only after that succeeded (§18).
 *
 * Recovery: before the first append, and whenever the file is not the size this writer left it
 * (another process appended or rotated), the chain state is read back from the last good line.
 * A final fragment without its '\n' is a torn write (a crash mid-append: never acknowledged, the
 * sequence never advanced): it is cut off, and the next entry records that it was. A complete
 * line that does not parse is left where it is, so verify points at it; the chain continues from
 * the last line that does. An empty current file continues from the newest rotated one.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fsyncDir } from '@revka/plugin-sdk'
import type { AuditEvent } from '@revka/plugin-sdk'
import { chainEntry, chainPoint, GENESIS_HASH, type Unchained } from './chain.js'
import { completeLength, scanBackwardSync } from './backward.js'
import { AUDIT_LOCK, rotatedName } from './files.js'
import { withFileLock } from './lock.js'

export interface WriterOptions {
  file: string
  maxBytes: number
  keep: number
  signingKey: Buffer | null
}

export type { Unchained }

export interface Recovery {
  /** bytes of a torn last line cut off at recovery */
  tornBytes: number
  /** the sequence the next entry gets */
  nextSequence: number
}

export class AuditWriter {
  private next = 0
  private prev = GENESIS_HASH
  /** what the file looked like after this writer's last append (null: recover first) */
  private known: { ino: number; size: number } | null = null
  private readonly lock: string
  /** recoveries that cut a torn line, for the next entry to report */
  pendingTorn = 0
  refs = 0

  constructor(readonly opts: WriterOptions) {
    mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 })
    this.lock = join(dirname(opts.file), AUDIT_LOCK)
  }

  /** read the chain state back now (at start), so a torn line is cut before anything else runs */
  recoverNow(): Recovery {
    return withFileLock(this.lock, () => this.recover())
  }

  /** chain, sign, append and fsync one entry; throws if it could not be written */
  append(e: Unchained): AuditEvent {
    return withFileLock(this.lock, () => {
      const st = statOrNull(this.opts.file)
      if (!this.known || !st || st.ino !== this.known.ino || st.size !== this.known.size) this.recover()
      const chained = chainEntry(e, this.next, this.prev, this.opts.signingKey)
      const line = Buffer.from(JSON.stringify(chained) + '\n')
      let size = statOrNull(this.opts.file)?.size ?? 0
      if (size > 0 && size + line.length > this.opts.maxBytes) {
        this.rotate()
        size = 0
      }
      const fd = openSync(this.opts.file, 'a', 0o600)
      try {
        writeSync(fd, line)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      if (size === 0) fsyncDir(dirname(this.opts.file))
      this.next = chained.sequence + 1
      this.prev = chained.entry_hash
      this.known = { ino: statSync(this.opts.file).ino, size: size + line.length }
      return chained
    })
  }

  private recover(): Recovery {
    let torn = 0
    const cur = this.opts.file
    const st = statOrNull(cur)
    if (st && st.size > 0) {
      const good = completeLength(cur, st.size)
      if (good < st.size) {
        torn = st.size - good
        const fd = openSync(cur, 'r+')
        try {
          ftruncateSync(fd, good)
          fsyncSync(fd)
        } finally {
          closeSync(fd)
        }
      }
    }
    this.pendingTorn += torn
    let point: ReturnType<typeof chainPoint> = null
    for (const f of [cur, rotatedName(cur, 1)]) {
      const s = statOrNull(f)
      if (s && s.size > 0) {
        scanBackwardSync(f, s.size, (line) => (point = chainPoint(line)) !== null)
        if (point) break
      }
    }
    const p = point as ReturnType<typeof chainPoint>
    this.next = p ? p.sequence + 1 : 0
    this.prev = p ? p.entryHash : GENESIS_HASH
    const after = statOrNull(cur)
    this.known = after ? { ino: after.ino, size: after.size } : null
    return { tornBytes: torn, nextSequence: this.next }
  }

  /** current → .1.log, .1 → .2 … the oldest kept file beyond `keep` is deleted */
  private rotate(): void {
    const cur = this.opts.file
    const oldest = rotatedName(cur, this.opts.keep)
    if (existsSync(oldest)) unlinkSync(oldest)
    for (let n = this.opts.keep - 1; n >= 1; n--) {
      const from = rotatedName(cur, n)
      if (existsSync(from)) renameSync(from, rotatedName(cur, n + 1))
    }
    renameSync(cur, rotatedName(cur, 1))
    fsyncDir(dirname(cur))
  }
}

function statOrNull(path: string): { ino: number; size: number } | null {
  try {
    const s = statSync(path)
    return { ino: s.ino, size: s.size }
  } catch {
    return null
  }
}

const writers = new Map<string, AuditWriter>()

/** the process's one writer for `opts.file` (released with `releaseWriter`) */
export function openWriter(opts: WriterOptions): AuditWriter {
  let w = writers.get(opts.file)
  if (!w) writers.set(opts.file, (w = new AuditWriter(opts)))
  w.refs++
  return w
}

export function releaseWriter(w: AuditWriter): void {
  if (--w.refs <= 0 && writers.get(w.opts.file) === w) writers.delete(w.opts.file)
}
