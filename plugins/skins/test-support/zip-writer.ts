/**
 * A tiny ZIP writer for the skins tests: archives are built byte by byte so a test can forge what
 * no archiver would write — `../` names, backslashes, symlink attributes, duplicate names, lying
 * size fields, bomb-grade compression.
 */
import { crc32, deflateRawSync } from 'node:zlib'

export interface ZipEntrySpec {
  name: string | Buffer
  data?: Buffer | string
  /** 0 stored, 8 deflate (default 8) */
  method?: 0 | 8
  /** Unix mode in the upper 16 bits of the external attributes, e.g. 0o120777 for a symlink */
  unixMode?: number
  /** forge the uncompressed size the headers declare */
  declaredSize?: number
  /** `data` already deflated (a big entry repeated under several names is compressed once) */
  deflated?: Buffer
}

const crcs = new WeakMap<Buffer, number>()
function crcOf(data: Buffer): number {
  let c = crcs.get(data)
  if (c === undefined) {
    c = crc32(data)
    crcs.set(data, c)
  }
  return c
}

export function buildZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const name = Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, 'utf8')
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '', 'utf8')
    const method = e.method ?? 8
    const body = method === 8 ? (e.deflated ?? deflateRawSync(data)) : data
    const crc = crcOf(data)
    const size = e.declaredSize ?? data.length
    const flags = Buffer.isBuffer(e.name) ? 0 : 0x0800
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(flags, 6)
    local.writeUInt16LE(method, 8)
    local.writeUInt32LE(0, 10) // time, date
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(size, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28)
    locals.push(local, name, body)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE((3 << 8) | 20, 4) // made by Unix, so the mode bits count
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(flags, 8)
    central.writeUInt16LE(method, 10)
    central.writeUInt32LE(0, 12)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(body.length, 20)
    central.writeUInt32LE(size, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(((e.unixMode ?? 0o100644) << 16) >>> 0, 38)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, name)
    offset += local.length + name.length + body.length
  }
  const cd = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, end])
}

/** A one-pixel PNG (valid bytes, so a browser could show it). */
export const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

export function skinManifest(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schemaVersion: 1,
    id: 'ocean',
    name: 'Ocean',
    version: '1.2.0',
    modes: { dark: { tokens: { '--revka-accent': '#0af', '--revka-radius-md': '6px' }, assets: { brandLogo: 'assets/logo.png' }, preview: 'assets/logo.png' } },
    ...over,
  })
}

/** A valid skin: the manifest plus its logo, and any extra entries. */
export function skinZip(extra: ZipEntrySpec[] = [], manifest = skinManifest()): Buffer {
  return buildZip([{ name: 'revka-skin.json', data: manifest }, { name: 'assets/logo.png', data: PNG_1PX }, ...extra])
}
