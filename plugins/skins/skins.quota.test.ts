/**
 * The import quotas over a real socket: one import at a time for the whole gateway (a second one
 * while the first is still receiving its body gets 429 import_busy with Retry-After), and
 * `imports_per_minute` per client (429 rate_limited). Refused imports write nothing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { skinManifest, skinZip } from './test-support/zip-writer.js'
import { bootSkins, importZip } from './test-support/skins-kernel.js'

test('a second import while one is running is 429 import_busy; the first still completes', async () => {
  const k = await bootSkins()
  try {
    const zip = skinZip()
    // the first import's handler runs as soon as its head arrives (the body is streamed): hold the body
    const first = request(`${k.url}/api/skins/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${k.token}`, 'content-length': String(zip.length) },
    })
    const firstStatus = new Promise<number>((resolve, reject) => {
      first.on('response', (res) => {
        res.resume()
        resolve(res.statusCode!)
      })
      first.on('error', reject)
    })
    first.write(zip.subarray(0, 10))
    let busy: { status: number; json: any } | undefined
    for (let i = 0; i < 50; i++) {
      busy = await importZip(k, skinZip([], skinManifest({ id: 'other', name: 'Other' })))
      if (busy.status === 429) break
      await new Promise((r) => setTimeout(r, 20))
    }
    assert.equal(busy!.status, 429)
    assert.equal(busy!.json.code, 'import_busy')
    assert.ok(busy!.json.retry_after > 0)
    first.end(zip.subarray(10))
    assert.equal(await firstStatus, 200)
    assert.deepEqual(readdirSync(join(k.stateDir, 'plugins', 'skins', 'skins')), ['ocean'], 'the refused import left nothing')
  } finally {
    await k.stop()
  }
})

test('imports_per_minute bounds one client: past it 429 rate_limited, nothing written', async () => {
  const k = await bootSkins({ imports_per_minute: 2 })
  try {
    assert.equal((await importZip(k, skinZip())).status, 200)
    assert.equal((await importZip(k, skinZip([], skinManifest({ id: 'two', name: 'Two' })))).status, 200)
    const third = await importZip(k, skinZip([], skinManifest({ id: 'three', name: 'Three' })))
    assert.equal(third.status, 429)
    assert.equal(third.json.code, 'rate_limited')
    assert.deepEqual(readdirSync(join(k.stateDir, 'plugins', 'skins', 'skins')).sort(), ['ocean', 'two'])
  } finally {
    await k.stop()
  }
})
