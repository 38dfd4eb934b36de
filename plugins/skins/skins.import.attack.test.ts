/**
 * Hostile archives, each built byte by byte: zip-slip names, symlinks, duplicates, zip bombs, lying
 * size fields, too many entries. Each is a 400 (413 for the body) naming the offending entry, and
 * afterwards the disk is exactly as before: no file outside the skin's folder, no partial skin, no
 * staging folder left behind.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { deflateRawSync } from 'node:zlib'
import type { TestKernel } from '@revka/plugin-testing'
import { buildZip, PNG_1PX, skinManifest, skinZip, type ZipEntrySpec } from './test-support/zip-writer.js'
import { bootSkins, importZip, snapshot } from './test-support/skins-kernel.js'

let k: TestKernel
before(async () => {
  k = await bootSkins()
})
after(async () => {
  await k.stop()
})

/** What must not change: every plugin's private folder, the workspace, and the state dir's top level. */
const disk = () => [...snapshot(join(k.stateDir, 'plugins')), ...snapshot(join(k.stateDir, 'workspace')), readdirSync(k.stateDir).sort().join(',')]

async function refusedNaming(zip: Buffer, code: string, entry: string | null, status = 400): Promise<void> {
  const before = disk()
  const res = await importZip(k, zip)
  assert.equal(res.status, status, JSON.stringify(res.json))
  assert.equal(res.json.code, code, JSON.stringify(res.json))
  if (entry !== null) {
    assert.equal(res.json.entry, entry)
    assert.ok(res.json.error.includes(entry), `the message names the entry: ${res.json.error}`)
  }
  assert.deepEqual(disk(), before, 'nothing was written or changed')
  assert.deepEqual(readdirSync(join(k.stateDir, 'plugins', 'skins', 'staging')), [], 'no staging folder is left behind')
  assert.equal(
    ((await (await fetch(`${k.url}/api/skins`, { headers: { authorization: `Bearer ${k.token}` } })).json()) as any).skins.length,
    2,
    'only the built-ins',
  )
}

test('zip-slip names are refused with 400 naming the entry, and nothing lands anywhere', async () => {
  const cases: Array<[string, string]> = [
    ['../evil.png', 'zip_slip'],
    ['assets/../../../evil.png', 'zip_slip'],
    ['assets/../revka-skin.json', 'zip_slip'],
    ['/tmp/revka-skin-abs.png', 'zip_slip'],
    ['assets\\..\\..\\evil.png', 'zip_slip'],
    ['C:/evil.png', 'zip_slip'],
    ['c:evil.png', 'zip_slip'],
    ['assets//double.png', 'invalid_entry_name'],
    ['assets/./dot.png', 'invalid_entry_name'],
  ]
  for (const [name, code] of cases) await refusedNaming(skinZip([{ name, data: PNG_1PX }]), code, name)
  assert.equal(existsSync('/tmp/revka-skin-abs.png'), false)
  assert.equal(existsSync(join(k.stateDir, '..', 'evil.png')), false)
})

test('a symlink entry (Unix mode in the external attributes) is refused, also one pointing inside', async () => {
  await refusedNaming(skinZip([{ name: 'assets/link.png', data: '/etc/passwd', method: 0, unixMode: 0o120777 }]), 'symlink_entry', 'assets/link.png')
  await refusedNaming(skinZip([{ name: 'assets/inner.png', data: 'logo.png', method: 0, unixMode: 0o120777 }]), 'symlink_entry', 'assets/inner.png')
  await refusedNaming(skinZip([{ name: 'assets/fifo.png', data: '', unixMode: 0o010644 }]), 'special_entry', 'assets/fifo.png')
})

test('duplicate names, also differing only in case, are refused', async () => {
  await refusedNaming(skinZip([{ name: 'assets/logo.png', data: Buffer.from('second') }]), 'duplicate_entry', 'assets/logo.png')
  await refusedNaming(skinZip([{ name: 'assets/LOGO.png', data: PNG_1PX }]), 'duplicate_entry', 'assets/LOGO.png')
  await refusedNaming(
    buildZip([
      { name: 'revka-skin.json', data: skinManifest() },
      { name: 'revka-skin.json', data: '{}' },
      { name: 'assets/logo.png', data: PNG_1PX },
    ]),
    'duplicate_entry',
    'revka-skin.json',
  )
})

test('zip bombs: the compression ratio and the total inflated size are measured while inflating', async () => {
  // 8 MiB of zeros deflate to ~8 KB; the header even claims 100 bytes
  const zeros = Buffer.alloc(8 * 1024 * 1024)
  await refusedNaming(skinZip([{ name: 'assets/bomb.png', data: zeros }]), 'compression_ratio', 'assets/bomb.png')
  // the header claims 100 bytes: inflating stops at byte 101
  await refusedNaming(skinZip([{ name: 'assets/bomb.png', data: zeros, declaredSize: 100 }]), 'size_mismatch', 'assets/bomb.png')
  // ~7× compressible data: seven 8 MiB files pass the ratio but not the 50 MiB total
  const bits = randomBytes(8 * 1024 * 1024)
  for (let i = 0; i < bits.length; i++) bits[i] = bits[i] & 1 ? 0x61 : 0x62
  const deflated = deflateRawSync(bits)
  const many: ZipEntrySpec[] = Array.from({ length: 7 }, (_, i) => ({ name: `assets/big${i}.png`, data: bits, deflated }))
  await refusedNaming(skinZip(many), 'too_large_uncompressed', 'assets/big6.png')
})

test('lying size fields: more or fewer bytes than declared', async () => {
  await refusedNaming(skinZip([{ name: 'assets/short.png', data: PNG_1PX, declaredSize: PNG_1PX.length + 10 }]), 'size_mismatch', 'assets/short.png')
  await refusedNaming(skinZip([{ name: 'assets/long.png', data: Buffer.alloc(5000, 7), declaredSize: 10 }]), 'size_mismatch', 'assets/long.png')
  // a stored entry whose sizes disagree is refused by the ZIP reader while listing (not named)
  await refusedNaming(skinZip([{ name: 'assets/stored.png', data: Buffer.alloc(5000, 7), method: 0, declaredSize: 10 }]), 'invalid_zip', null)
})

test('entry counts: 129 files, or a central directory of 600 folder entries', async () => {
  const files: ZipEntrySpec[] = Array.from({ length: 127 }, (_, i) => ({ name: `assets/f${i}.png`, data: PNG_1PX }))
  await refusedNaming(skinZip(files), 'too_many_files', 'assets/f126.png')
  const folders: ZipEntrySpec[] = Array.from({ length: 600 }, (_, i) => ({ name: `assets/d${i}/`, data: '', unixMode: 0o040755 }))
  await refusedNaming(skinZip(folders), 'too_many_entries', null)
})

test('files the contract does not allow: other types, files outside assets/, a nested manifest, bad names', async () => {
  await refusedNaming(skinZip([{ name: 'assets/x.svg', data: '<svg onload="alert(1)"/>' }]), 'file_type_not_allowed', 'assets/x.svg')
  await refusedNaming(skinZip([{ name: 'evil.png', data: PNG_1PX }]), 'file_outside_assets', 'evil.png')
  await refusedNaming(skinZip([{ name: 'assets/revka-skin.json', data: skinManifest() }]), 'nested_manifest', 'assets/revka-skin.json')
  await refusedNaming(
    skinZip([{ name: Buffer.from([0x61, 0x73, 0x73, 0x65, 0x74, 0x73, 0x2f, 0xff, 0xfe, 0x2e, 0x70, 0x6e, 0x67]), data: PNG_1PX }]),
    'invalid_entry_name',
    'assets/\\xff\\xfe.png',
  )
})

test('a failure after assets were already inflated removes the partial skin', async () => {
  const zip = skinZip([
    { name: 'assets/a.png', data: PNG_1PX },
    { name: 'assets/b.png', data: PNG_1PX },
    { name: 'assets/z.png', data: Buffer.alloc(4 * 1024 * 1024) },
  ])
  await refusedNaming(zip, 'compression_ratio', 'assets/z.png')
})

test('body checks: empty, not a ZIP, no manifest, over 25 MiB (413 before the body is read)', async () => {
  await refusedNaming(Buffer.alloc(0), 'empty_body', null)
  await refusedNaming(Buffer.from('PK\u0003\u0004 this is not really a zip'), 'invalid_zip', null)
  await refusedNaming(buildZip([{ name: 'assets/logo.png', data: PNG_1PX }]), 'manifest_missing', null)
  const before = disk()
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      `${k.url}/api/skins/import`,
      { method: 'POST', headers: { authorization: `Bearer ${k.token}`, 'content-length': String(25 * 1024 * 1024 + 1) } },
      (res) => {
        res.resume()
        resolve(res.statusCode!)
      },
    )
    req.on('error', reject)
    req.write(Buffer.alloc(1024))
  })
  assert.equal(status, 413)
  assert.deepEqual(disk(), before)
})

test('without a bearer the import is 401 and nothing is read or written', async () => {
  const before = disk()
  for (const auth of [{}, { authorization: 'Bearer nope' }] as Array<Record<string, string>>) {
    const res = await fetch(`${k.url}/api/skins/import`, { method: 'POST', headers: auth, body: skinZip() })
    assert.equal(res.status, 401)
  }
  assert.deepEqual(disk(), before)
})
