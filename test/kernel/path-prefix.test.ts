import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'

test('with [gateway] path_prefix every route lives under the prefix and nothing outside it', async () => {
  const k = await startTestKernel({ plugins: ['status', 'pairing'], config: '[gateway]\npath_prefix = "/revka"\n' })
  try {
    const inside = await fetch(`${new URL(k.url!).origin}/revka/health`)
    assert.equal(inside.status, 200)
    assert.equal(((await inside.json()) as any).status, 'ok')
    const outside = await fetch(`${new URL(k.url!).origin}/health`)
    assert.equal(outside.status, 404)
    assert.equal(((await outside.json()) as any).code, 'not_found')
    const slash = await fetch(`${new URL(k.url!).origin}/revka/?x=1`, { redirect: 'manual' })
    assert.equal(slash.status, 308)
    assert.equal(slash.headers.get('location'), '/revka?x=1')
    const authed = await fetch(`${new URL(k.url!).origin}/revka/api/status`, { headers: { authorization: `Bearer ${k.token}` } })
    assert.equal(authed.status, 200)
  } finally {
    await k.stop()
  }
})
