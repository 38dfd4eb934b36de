/**
 * The cost ledger file: one JSON object per line, appended and fsynced before a write is
 * acknowledged, so a recorded cost survives a crash or power loss. A crash can still cut the line
 * being written; reading back skips such a torn tail (it was never acknowledged) and trims it off,
 * so the next append starts on a fresh line instead of being glued to the fragment.
 */
import { createReadStream, existsSync, mkdirSync } from 'node:fs'
import { open, stat, truncate, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface CostRecord {
  timestamp: string
  model: string
  provider: string
  input_tokens: number
  output_tokens: number
  total_tokens: number
  cost_usd: number
  source: string
  session_id?: string
  agent_id?: string
  agent_title?: string
}

export interface ReadReport {
  records: number
  /** malformed complete lines, skipped */
  skipped: number
  /** bytes of a torn last line that were trimmed */
  tornBytes: number
}

function isRecord(v: any): v is CostRecord {
  return (
    v &&
    typeof v === 'object' &&
    typeof v.model === 'string' &&
    typeof v.timestamp === 'string' &&
    Number.isFinite(v.cost_usd) &&
    Number.isFinite(v.total_tokens)
  )
}

/** Streams every complete, well-formed record to `onRecord`; trims a torn last line. */
export async function readLedger(path: string, onRecord: (r: CostRecord) => void): Promise<ReadReport> {
  const report: ReadReport = { records: 0, skipped: 0, tornBytes: 0 }
  if (!existsSync(path)) return report
  let carry = Buffer.alloc(0)
  const line = (buf: Buffer) => {
    if (!buf.length) return
    try {
      const v = JSON.parse(buf.toString('utf8'))
      if (isRecord(v)) {
        onRecord(v)
        report.records++
        return
      }
    } catch {
      /* counted below */
    }
    report.skipped++
  }
  for await (const chunk of createReadStream(path)) {
    let buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer)
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
      line(buf.subarray(0, nl))
      buf = buf.subarray(nl + 1)
    }
    carry = Buffer.from(buf)
  }
  if (carry.length) {
    report.tornBytes = carry.length
    const { size } = await stat(path)
    await truncate(path, size - carry.length)
  }
  return report
}

export class LedgerWriter {
  /** records waiting for the next write + fsync, with their callers */
  private pending: Array<{ line: string; done: (err?: Error) => void }> = []
  private flushing: Promise<void> | null = null

  private constructor(private fh: FileHandle | null) {}

  /** Opens for appending; a new file's directory entry is fsynced too. */
  static async open(path: string): Promise<LedgerWriter> {
    mkdirSync(dirname(path), { recursive: true })
    const created = !existsSync(path)
    const fh = await open(path, 'a', 0o600)
    if (created) {
      const dir = await open(dirname(path), 'r')
      try {
        await dir.sync()
      } catch {
        /* some filesystems cannot fsync a directory */
      } finally {
        await dir.close()
      }
    }
    return new LedgerWriter(fh)
  }

  /**
   * Appends one record; resolves once it is on disk. Records that arrive while a write is under
   * way go out together in the next one (group commit): with one fsync per record, a burst of
   * turns queued far faster than the disk syncs, every caller waited behind the whole queue, and a
   * crash lost the records of turns answered seconds earlier (found by
   * test/reliability/crash.consistency.test.ts). Order is kept.
   */
  append(rec: CostRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line: JSON.stringify(rec) + '\n', done: (err) => (err ? reject(err) : resolve()) })
      this.flushing ??= this.flush()
    })
  }

  private async flush(): Promise<void> {
    // yield first, so `flushing` is set before this can end (a closed ledger fails synchronously)
    await null
    while (this.pending.length) {
      const batch = this.pending.splice(0)
      try {
        if (!this.fh) throw new Error('the cost ledger is closed')
        await this.fh.write(batch.map((b) => b.line).join(''))
        await this.fh.sync()
        for (const b of batch) b.done()
      } catch (e) {
        for (const b of batch) b.done(e as Error)
      }
    }
    this.flushing = null
  }

  /** Waits for pending appends, then closes. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing
    const fh = this.fh
    this.fh = null
    await fh?.close()
  }
}
