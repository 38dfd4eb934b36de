/**
 * Checking the chain (contract §18, "Verify"), over every kept file, oldest first — the chain
 * continues across rotation here. For each line: `sequence` is the expected one, `prev_hash` is
 * the previous `entry_hash`, the recomputed hash matches, and — when the verifier has the key —
 * the signature matches. The first failure names its file and 1-based line.
 *
 * The oldest kept file may start mid-chain (older files were rotated away): its first line is
 * taken as the anchor unless it is sequence 0, which must follow the genesis hash. With a key,
 * an unsigned line after a signed one is a failure: stripping signatures is tampering too.
 *
 * The dashboard asks on every page, so a rotated file that verified is remembered by (inode,
 * size, mtime, ctime) — ctime cannot be set back by a user — and only changed files are re-read.
 */
import { createReadStream, statSync } from 'node:fs'
import { basename } from 'node:path'
import { createInterface } from 'node:readline'
import type { AuditVerdict } from '@revka/plugin-sdk'
import { GENESIS_HASH, linkError } from './chain.js'
import { chainFiles } from './files.js'
import { completeLength } from './backward.js'

interface FileResult {
  firstSeq: number | null
  firstPrev: string | null
  lastSeq: number | null
  lastHash: string | null
  count: number
  signed: number
  unsignedAfterSigned: boolean
  /** an unterminated last fragment: a write cut short (the next gateway start cuts it), not an entry */
  tornBytes: number
  error?: { message: string; line: number }
}

interface ChainState {
  seq: number | null
  hash: string | null
  sawSigned: boolean
}

/** keyed by the file's stamp, not its name: a rotation renames files without changing them */
type Cache = Map<string, FileResult>

function stampOf(path: string): string {
  const s = statSync(path)
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`
}

/**
 * Check one file on its own: internal links, hashes and signatures. Links to the previous file
 * are checked by the caller from `firstSeq`/`firstPrev`, so a verified file can be cached alone.
 */
async function verifyFile(path: string, key: Buffer | null): Promise<FileResult> {
  const r: FileResult = { firstSeq: null, firstPrev: null, lastSeq: null, lastHash: null, count: 0, signed: 0, unsignedAfterSigned: false, tornBytes: 0 }
  const size = statSync(path).size
  const complete = size > 0 ? completeLength(path, size) : 0
  r.tornBytes = size - complete
  if (complete === 0) return r
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8', end: complete - 1 }), crlfDelay: Infinity })
  let lineNo = 0
  const fail = (message: string) => {
    r.error = { message: `${message} at line ${lineNo} of ${basename(path)}`, line: lineNo }
  }
  try {
    for await (const line of rl) {
      lineNo++
      if (!line.trim()) continue
      let e: any
      try {
        e = JSON.parse(line)
      } catch {
        fail('unparseable entry')
        break
      }
      const wrong = linkError(e, { seq: r.lastSeq, hash: r.lastHash, signed: r.signed }, key)
      if (wrong) {
        fail(wrong)
        break
      }
      if (r.lastSeq === null) {
        r.firstSeq = e.sequence
        r.firstPrev = e.prev_hash
      }
      if (key && typeof e.signature === 'string') r.signed++
      r.lastSeq = e.sequence
      r.lastHash = e.entry_hash
      r.count++
    }
  } finally {
    rl.close()
  }
  return r
}

export class AuditVerifier {
  private cache: Cache = new Map()
  private running: Promise<AuditVerdict> | null = null

  constructor(
    private readonly file: string,
    private readonly keep: number,
    private readonly key: Buffer | null,
  ) {}

  /** concurrent callers share one walk */
  verify(): Promise<AuditVerdict> {
    this.running ??= this.walk().finally(() => {
      this.running = null
    })
    return this.running
  }

  private async walk(): Promise<AuditVerdict> {
    const files = chainFiles(this.file, this.keep)
    const state: ChainState = { seq: null, hash: null, sawSigned: false }
    let count = 0
    let signed = 0
    const seen = new Set<string>()
    let cur: FileResult | undefined
    for (const path of files) {
      let stamp: string
      try {
        stamp = stampOf(path)
      } catch {
        continue
      } // rotated away meanwhile
      seen.add(stamp)
      const r = this.cache.get(stamp) ?? (await verifyFile(path, this.key))
      // the current file changes with every entry: only rotated files are worth remembering
      if (!r.error && path !== this.file) this.cache.set(stamp, r)
      if (path === this.file) cur = r
      const name = basename(path)
      if (r.firstSeq !== null) {
        if (state.seq === null) {
          if (r.firstSeq === 0 && r.firstPrev !== GENESIS_HASH)
            return {
              verified: false,
              error: `prev_hash mismatch (entry 0 must follow the genesis hash) at line 1 of ${name}`,
              file: name,
              line: 1,
              entry_count: count,
            }
        } else {
          // the file's first entry must continue the previous file's last
          const at = { file: name, line: 1, entry_count: count }
          if (r.firstSeq !== state.seq + 1)
            return { verified: false, error: `sequence gap (expected ${state.seq + 1}, found ${r.firstSeq}) at line 1 of ${name}`, ...at }
          if (r.firstPrev !== state.hash) return { verified: false, error: `prev_hash mismatch (entry ${r.firstSeq}) at line 1 of ${name}`, ...at }
        }
        if (this.key && state.sawSigned && r.signed === 0 && r.count > 0)
          return { verified: false, error: `unsigned entry after signed ones at line 1 of ${name}`, file: name, line: 1, entry_count: count }
      }
      if (r.error) return { verified: false, error: r.error.message, file: name, line: r.error.line, entry_count: count + r.count }
      count += r.count
      signed += r.signed
      if (r.lastSeq !== null) {
        state.seq = r.lastSeq
        state.hash = r.lastHash
      }
      if (r.signed > 0) state.sawSigned = true
    }
    for (const k of this.cache.keys()) if (!seen.has(k)) this.cache.delete(k)
    const torn = cur?.tornBytes ?? 0
    return { verified: true, entry_count: count, files: files.length, signed_entries: signed, ...(torn > 0 ? { torn_tail_bytes: torn } : {}) }
  }
}
