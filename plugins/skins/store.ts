/**
 * Skins on disk, in the plugin's private folder (never the workspace):
 * `skins/<id>/manifest.json` + `skins/<id>/assets/…`. An import is built in `staging/<random>/`
 * and renamed into place, so a failed import leaves nothing behind and a reader never sees half a
 * skin; a replaced skin is renamed aside first and removed after the swap.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { writeFileAtomicSync } from '@revka/plugin-sdk'
import { BUILTIN_IDS, SKIN_ID, type SkinManifest } from './manifest.js'

/** beside manifest.json; the asset route serves only `assets/`, so it is never public */
const REVISION_FILE = 'revision'

export class SkinStore {
  readonly skinsDir: string
  readonly stagingDir: string
  private cache: SkinManifest[] | null = null

  constructor(dir: string) {
    this.skinsDir = join(dir, 'skins')
    this.stagingDir = join(dir, 'staging')
  }

  /** Create the folders; remove staging left by a process that died mid-import. */
  init(): void {
    mkdirSync(this.skinsDir, { recursive: true, mode: 0o700 })
    rmSync(this.stagingDir, { recursive: true, force: true })
    mkdirSync(this.stagingDir, { recursive: true, mode: 0o700 })
  }

  /** A fresh folder only this import writes. */
  newStage(): string {
    const dir = join(this.stagingDir, randomBytes(12).toString('hex'))
    mkdirSync(dir, { mode: 0o700 })
    return dir
  }

  discard(stage: string): void {
    rmSync(stage, { recursive: true, force: true })
  }

  /**
   * Write the manifest into the stage and move the stage into place (replacing a skin with that
   * id). In a cluster the local folder is a copy of the shared table's row: `revision` says which.
   */
  commit(stage: string, manifest: SkinManifest, revision?: number): void {
    writeFileAtomicSync(join(stage, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
    if (revision !== undefined) writeFileAtomicSync(join(stage, REVISION_FILE), String(revision))
    const target = join(this.skinsDir, manifest.id)
    let old: string | null = null
    if (existsSync(target)) {
      old = join(this.stagingDir, `old-${randomBytes(12).toString('hex')}`)
      renameSync(target, old)
    }
    try {
      renameSync(stage, target)
    } catch (e) {
      if (old) renameSync(old, target)
      throw e
    }
    if (old) rmSync(old, { recursive: true, force: true })
    this.cache = null
  }

  /** the cluster revision the local copy was extracted from; null for none (or a single node's skin) */
  revision(id: string): number | null {
    try {
      const n = Number(readFileSync(join(this.skinsDir, id, REVISION_FILE), 'utf8'))
      return Number.isSafeInteger(n) ? n : null
    } catch {
      return null
    }
  }

  has(id: string): boolean {
    return existsSync(join(this.skinsDir, id, 'manifest.json'))
  }

  count(): number {
    return this.list().length
  }

  /** Stored skins whose folder name matches their manifest id; built-in ids and broken ones are skipped. */
  list(): SkinManifest[] {
    if (this.cache) return this.cache
    const out: SkinManifest[] = []
    let names: string[]
    try {
      names = readdirSync(this.skinsDir)
    } catch {
      names = []
    }
    for (const name of names) {
      if (!SKIN_ID.test(name) || BUILTIN_IDS.has(name)) continue
      try {
        const m = JSON.parse(readFileSync(join(this.skinsDir, name, 'manifest.json'), 'utf8')) as SkinManifest
        if (m && m.id === name) out.push(m)
      } catch {
        // a folder without a readable manifest is not a skin
      }
    }
    this.cache = out
    return out
  }

  /** Remove a stored skin; false when there was none. */
  delete(id: string): boolean {
    const target = join(this.skinsDir, id)
    if (!existsSync(target)) return false
    const aside = join(this.stagingDir, `del-${randomBytes(12).toString('hex')}`)
    renameSync(target, aside)
    rmSync(aside, { recursive: true, force: true })
    this.cache = null
    return true
  }

  /**
   * The file behind `/api/skins/<id>/assets/<rel>`, resolved canonically (symlinks followed) and
   * required to stay under the skin's `assets/`; null when it does not exist or is not a file.
   */
  assetFile(id: string, rel: string): string | null {
    const base = join(this.skinsDir, id, 'assets')
    let root: string
    let file: string
    try {
      root = realpathSync(base)
      file = realpathSync(resolve(base, rel))
    } catch {
      return null
    }
    if (!file.startsWith(root + sep)) return null
    try {
      return statSync(file).isFile() ? file : null
    } catch {
      return null
    }
  }
}
