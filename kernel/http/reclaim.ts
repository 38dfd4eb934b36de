/**
 * Prompt freeing of streamed request bodies. Node's HTTP parser hands every piece of a body to JS
 * as a fresh malloc'd copy (up to 64 KiB each). Once a streamed upload has written a piece to
 * disk nothing references it, but the memory is only freed when V8 collects its Buffer, and V8
 * starts a young-generation GC for such off-heap memory only after 32 MiB of it has piled up
 * (2 × the max semi-space); an upload allocates too little on the JS heap to start one sooner.
 * So a 25 MiB upload kept 25 MiB of dead copies in RSS until some later GC (P7: +27 MiB).
 *
 * Every RECLAIM_BYTES of streamed body (process-wide, so concurrent uploads share one budget) we
 * run one young-generation GC. A scavenge costs in proportion to what is still alive in the young
 * generation (about a millisecond here), not to the garbage, and it is the GC V8 would run anyway,
 * only earlier: a few per 25 MiB upload. Non-streamed bodies are not counted: they are bounded by
 * their route limit and kept whole by the parser anyway.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Streamed body bytes between two young-generation GCs. */
export const RECLAIM_BYTES = 4 * 1024 * 1024

type Gc = (opts?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void

let gc: Gc | null | undefined
let pending = 0

/**
 * V8's own `gc` function, without `--expose-gc` on the command line: a context created while the
 * flag is set gets it (the main context does not, so no global appears), then the flag is unset.
 * null when the runtime refuses; reclaiming is then skipped, never an error.
 */
function getGc(): Gc | null {
  if (gc !== undefined) return gc
  const existing = (globalThis as { gc?: Gc }).gc
  if (typeof existing === 'function') return (gc = existing)
  try {
    setFlagsFromString('--expose-gc')
    const fn = runInNewContext('gc') as unknown
    gc = typeof fn === 'function' ? (fn as Gc) : null
  } catch {
    gc = null
  } finally {
    try { setFlagsFromString('--no-expose-gc') } catch { /* the flag only affects new contexts */ }
  }
  return gc
}

/** Note `bytes` of streamed body handed on; past the budget, collect the young generation. */
export function noteStreamedBytes(bytes: number): void {
  pending += bytes
  if (pending < RECLAIM_BYTES) return
  pending = 0
  const fn = getGc()
  if (fn) fn({ type: 'minor' })
}
