/**
 * Second pass: inflate the entries the first pass accepted, counting every byte as it comes out of
 * the inflater. Header sizes are never trusted for a limit: a forged `uncompressedSize` of 10 bytes
 * on a 1 GB stream is cut at the total budget or the ratio, whichever comes first, and the bytes
 * read must also equal the declared size (the contract's own rule).
 */
import { createWriteStream, mkdirSync } from 'node:fs'
import { dirname, resolve, sep } from 'node:path'
import { Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Entry, ZipFile } from 'yauzl'
import { isHttpError } from '@revka/plugin-sdk'
import { entryError, type SkinEntry } from './zip-entries.js'
import { SKIN_LIMITS } from './limits.js'

/** Bytes inflated so far across the whole archive. */
export class InflateBudget {
  used = 0
}

function openStream(zip: ZipFile, e: Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((res, rej) => zip.openReadStream(e, (err, s) => (err ? rej(err) : res(s!))))
}

/** Counts inflated bytes and refuses at the total budget, the ratio, or `cap` for this entry. */
function counter(name: string, e: Entry, budget: InflateBudget, cap: number): Transform {
  let mine = 0
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      mine += chunk.length
      budget.used += chunk.length
      if (budget.used > SKIN_LIMITS.maxTotalBytes)
        return cb(entryError('too_large_uncompressed', name, `the files together inflate to more than ${SKIN_LIMITS.maxTotalBytes} bytes`))
      if (mine > cap) return cb(entryError('entry_too_large', name, `the file inflates to more than ${cap} bytes`))
      if (mine > SKIN_LIMITS.ratioFloorBytes && mine > Math.max(e.compressedSize, 1) * SKIN_LIMITS.maxRatio) {
        return cb(entryError('compression_ratio', name, `the file inflates more than ${SKIN_LIMITS.maxRatio}× its compressed size (a ZIP bomb?)`))
      }
      cb(null, chunk)
    },
    flush(cb) {
      if (mine !== e.uncompressedSize) return cb(entryError('size_mismatch', name, `read ${mine} bytes but the ZIP declares ${e.uncompressedSize}`))
      cb()
    },
  })
}

/** yauzl's own errors (bad deflate data, its size assertion) become a 400 naming the entry. */
function asEntryError(name: string, err: unknown): Error {
  if (isHttpError(err)) return err
  const msg = (err as Error)?.message ?? String(err)
  if (/bytes in the stream|expected \d+|uncompressedSize/i.test(msg)) return entryError('size_mismatch', name, 'the data does not match its declared size')
  return entryError('corrupt_entry', name, `the data cannot be read (${msg})`)
}

/** Inflate one entry into memory, at most `cap` bytes (the manifest). */
export async function readEntry(zip: ZipFile, f: SkinEntry, budget: InflateBudget, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c)
      cb()
    },
  })
  try {
    await pipeline(await openStream(zip, f.entry), counter(f.name, f.entry, budget, cap), sink)
  } catch (err) {
    throw asEntryError(f.name, err)
  }
  return Buffer.concat(chunks)
}

/**
 * Inflate one entry to `<root>/<name>`. `root` is a fresh staging folder only this import writes;
 * the resolved target must stay inside it (the names were checked already: this is the last line).
 * Files are created exclusively (`wx`), 0600, so nothing that was there is followed or overwritten.
 */
export async function extractEntry(zip: ZipFile, f: SkinEntry, root: string, budget: InflateBudget): Promise<void> {
  const target = resolve(root, f.name)
  if (!target.startsWith(resolve(root) + sep)) throw entryError('zip_slip', f.name, 'the path leaves the skin folder')
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 })
  try {
    await pipeline(
      await openStream(zip, f.entry),
      counter(f.name, f.entry, budget, SKIN_LIMITS.maxTotalBytes),
      createWriteStream(target, { flags: 'wx', mode: 0o600 }),
    )
  } catch (err) {
    throw asEntryError(f.name, err)
  }
}
