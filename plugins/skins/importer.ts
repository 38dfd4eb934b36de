/**
 * One skin import, in the contract's order (§13): body checks, every entry's name and type from
 * the central directory, the manifest (read first, bounded), then the assets it may reference are
 * inflated into a private staging folder with the size and ratio limits, and only a complete skin
 * is moved into place. Any failure removes the stage: nothing partial stays on disk.
 */
import { httpError, isHttpError } from '@revka/plugin-sdk'
import yauzl from 'yauzl'
import type { ZipFile } from 'yauzl'
import { SKIN_LIMITS } from './limits.js'
import { parseManifest, type SkinManifest } from './manifest.js'
import type { SkinStore } from './store.js'
import { listEntries, MANIFEST_NAME } from './zip-entries.js'
import { extractEntry, InflateBudget, readEntry } from './zip-extract.js'

function openZip(body: Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(body, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false }, (err, zip) => {
      if (err || !zip) return reject(httpError(400, 'invalid_zip', `Not a ZIP archive: ${err?.message ?? 'unreadable'}`))
      resolve(zip)
    })
  })
}

export interface ImportOptions {
  /**
   * Called with the validated manifest before anything is written: throws to refuse (the quota).
   * A single node counts its folder (`localQuota`); a cluster counts the shared table and answers
   * the revision the local copy is written with, in the same rename as its files.
   */
  admit(manifest: SkinManifest): void | number | Promise<void | number>
  /** where a write failure's detail goes (the client gets no paths) */
  onWriteError(err: Error): void
}

export async function importSkin(body: unknown, store: SkinStore, opts: ImportOptions): Promise<SkinManifest> {
  const bytes = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body, 'utf8') : null
  if (!bytes || bytes.length === 0) throw httpError(400, 'empty_body', 'Send the skin as the raw ZIP bytes of the request body')
  const zip = await openZip(bytes)
  let stage: string | null = null
  try {
    const files = await listEntries(zip)
    const manifestEntry = files.find((f) => f.name === MANIFEST_NAME)
    if (!manifestEntry) throw httpError(400, 'manifest_missing', `The ZIP has no ${MANIFEST_NAME} at its root`)
    const budget = new InflateBudget()
    const manifestBytes = await readEntry(zip, manifestEntry, budget, SKIN_LIMITS.maxManifestBytes)
    const manifest = parseManifest(manifestBytes, new Set(files.map((f) => f.name)))
    const revision = (await opts.admit(manifest)) ?? undefined
    stage = store.newStage()
    for (const f of files) if (f !== manifestEntry) await extractEntry(zip, f, stage, budget)
    store.commit(stage, manifest, revision)
    stage = null
    return manifest
  } catch (e) {
    if (isHttpError(e)) throw e
    opts.onWriteError(e as Error)
    throw httpError(500, 'skin_write_failed', 'The skin could not be stored; nothing was kept (see the gateway log)')
  } finally {
    if (stage) store.discard(stage)
    zip.close()
  }
}

/** 507 when a new id would pass `maxSkins` (replacing a stored skin is always allowed) */
export function quotaRefusal(maxSkins: number): Error {
  return httpError(507, 'skin_quota_exceeded', `At most ${maxSkins} imported skins; delete one first`, { extra: { limit: maxSkins } })
}

/** the single node's quota: the skins in its own folder */
export function localQuota(store: SkinStore, maxSkins: number): ImportOptions['admit'] {
  return (m) => {
    if (!store.has(m.id) && store.count() >= maxSkins) throw quotaRefusal(maxSkins)
  }
}
