/**
 * First pass over a skin ZIP: the central directory only, nothing inflated yet. Every name is
 * checked as the raw bytes the archive holds (yauzl's `decodeStrings: false`): yauzl would
 * otherwise turn `\` into `/` and read a name from the Info-ZIP Unicode extra field, so the name we
 * check would not be the name another tool writes. Each refusal is a 400 naming the entry.
 */
import { httpError } from '@revka/plugin-sdk'
import type { Entry, ZipFile } from 'yauzl'
import { SKIN_LIMITS } from './limits.js'

export const MANIFEST_NAME = 'revka-skin.json'
const FILE_EXT = /\.(json|png|jpe?g|webp)$/i
const IMAGE_EXT = /\.(png|jpe?g|webp)$/i
const S_IFMT = 0o170000
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000
const utf8 = new TextDecoder('utf-8', { fatal: true })

export interface SkinEntry {
  /** the path as written into the skin's folder */
  name: string
  entry: Entry
}

/** A 400 that names the entry (`entry` in the body too, for clients that show it). */
export function entryError(code: string, name: string, why: string): Error {
  return httpError(400, code, `ZIP entry "${name}": ${why}`, { extra: { entry: name } })
}

/** The entry's name as UTF-8 text; a name that is not valid UTF-8 is shown escaped and refused. */
function entryName(raw: Buffer): string {
  try {
    return utf8.decode(raw)
  } catch {
    const shown = [...raw].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('')
    throw entryError('invalid_entry_name', shown, 'the name is not valid UTF-8')
  }
}

/** zip-slip and friends: what would let a name land outside the skin's folder, or mean two things */
function checkPath(name: string): void {
  if (name.includes('\\')) throw entryError('zip_slip', name, 'backslashes are not allowed in paths')
  if (name.startsWith('/')) throw entryError('zip_slip', name, 'absolute paths are not allowed')
  if (/^[A-Za-z]:/.test(name)) throw entryError('zip_slip', name, 'drive letters are not allowed')
  if (/[\x00-\x1f\x7f]/.test(name)) throw entryError('invalid_entry_name', name, 'control characters are not allowed in paths')
  const segments = name.replace(/\/$/, '').split('/')
  if (segments.includes('..')) throw entryError('zip_slip', name, '".." is not allowed in paths')
  if (segments.some((s) => s === '' || s === '.')) throw entryError('invalid_entry_name', name, 'empty or "." path segments are not allowed')
  if (name.length > SKIN_LIMITS.maxNameLength)
    throw entryError('invalid_entry_name', name.slice(0, 80) + '…', `paths are limited to ${SKIN_LIMITS.maxNameLength} characters`)
}

/** The Unix file type from the external attributes (upper 16 bits); 0 when the archiver set none. */
function fileType(e: Entry): number {
  return ((e.externalFileAttributes >>> 16) & S_IFMT) >>> 0
}

/** Read the central directory (no entry is inflated) and return the files, checked and in order. */
export function listEntries(zip: ZipFile): Promise<SkinEntry[]> {
  if (zip.entryCount > SKIN_LIMITS.maxEntries) {
    return Promise.reject(
      httpError(
        400,
        'too_many_entries',
        `The ZIP has ${zip.entryCount} entries; a skin may have at most ${SKIN_LIMITS.maxFiles} files (${SKIN_LIMITS.maxEntries} entries with folders)`,
      ),
    )
  }
  return new Promise((resolve, reject) => {
    const files: SkinEntry[] = []
    const seen = new Map<string, string>()
    let failed = false
    const fail = (e: unknown) => {
      if (!failed) {
        failed = true
        reject(e)
      }
    }
    zip.on('error', (e: Error) => fail(httpError(400, 'invalid_zip', `Not a valid ZIP archive: ${e.message}`)))
    zip.on('end', () => {
      if (!failed) resolve(files)
    })
    zip.on('entry', (e: Entry) => {
      if (failed) return
      try {
        const name = entryName(e.fileName as unknown as Buffer)
        checkPath(name)
        const type = fileType(e)
        if (type === S_IFLNK) throw entryError('symlink_entry', name, 'symbolic links are not allowed')
        const isDir = name.endsWith('/') || type === S_IFDIR
        if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw entryError('special_entry', name, 'only regular files and folders are allowed')
        // case and Unicode form folded: two names one filesystem would store as one file
        const key = name.replace(/\/$/, '').normalize('NFC').toLowerCase()
        const before = seen.get(key)
        if (before !== undefined)
          throw entryError('duplicate_entry', name, before === name ? 'the name appears twice' : `it names the same file as "${before}"`)
        seen.set(key, name)
        if (!isDir) {
          if (e.isEncrypted()) throw entryError('encrypted_entry', name, 'encrypted entries are not supported')
          if (e.compressionMethod !== 0 && e.compressionMethod !== 8)
            throw entryError('unsupported_compression', name, `compression method ${e.compressionMethod} is not supported (stored or deflate only)`)
          if (files.length >= SKIN_LIMITS.maxFiles) throw entryError('too_many_files', name, `a skin may have at most ${SKIN_LIMITS.maxFiles} files`)
          if (!FILE_EXT.test(name)) throw entryError('file_type_not_allowed', name, 'only .json, .png, .jpg, .jpeg and .webp files are allowed')
          const base = name.slice(name.lastIndexOf('/') + 1)
          if (base === MANIFEST_NAME && name !== MANIFEST_NAME)
            throw entryError('nested_manifest', name, `${MANIFEST_NAME} must sit at the root of the ZIP, once`)
          if (name !== MANIFEST_NAME && !(name.startsWith('assets/') && IMAGE_EXT.test(name))) {
            throw entryError('file_outside_assets', name, 'every file besides revka-skin.json must be a .png, .jpg, .jpeg or .webp image under assets/')
          }
          files.push({ name, entry: e })
        }
        zip.readEntry()
      } catch (err) {
        fail(err)
      }
    })
    zip.readEntry()
  })
}
