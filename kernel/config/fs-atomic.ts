/**
 * Durable writes. lowdb and naive writeFile leave a torn or empty file behind a crash; every file
 * the kernel owns is written to a unique temp file, fsynced, renamed over the target, and the folder
 * fsynced, so a reader sees either the old or the new content, never a mix.
 */
import { readdirSync, unlinkSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

// one implementation, shared with plugins through the SDK
export { writeFileAtomicSync, fsyncDir } from '@revka/plugin-sdk'

/**
 * Remove temp files a crash left behind mid-write for `path` (they may hold a full copy of the
 * file, secrets included). Safe at start, before anything writes.
 */
export function sweepTempFiles(path: string): number {
  const dir = dirname(path)
  const prefix = `.${basename(path)}.`
  let n = 0
  try {
    for (const f of readdirSync(dir)) {
      if (f.startsWith(prefix) && f.endsWith('.tmp')) {
        try {
          unlinkSync(join(dir, f))
          n++
        } catch {}
      }
    }
  } catch {}
  return n
}
