/**
 * The fallback route (SDK `fallback: true`): declared only as `GET /*`, one per gateway, and it
 * overlaps no other plugin's routes (it answers only what they leave). Without one, unmatched
 * requests stay 404 JSON whatever their method — no page, no 405.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel } from '@revka/plugin-testing'
import type { RouteDeclaration } from '@revka/plugin-sdk'
import { RouteTable } from '../../kernel/http/route-table.js'

const handler = () => 'page'
const route = (over: Partial<RouteDeclaration>): RouteDeclaration =>
  ({ method: 'GET', url: '/*', auth: 'public', fallback: true, handler, ...over }) as RouteDeclaration

test('a fallback is GET /* only, one per gateway, and overlaps no other route', () => {
  const table = new RouteTable()
  for (const bad of [
    route({ method: 'POST' }),
    route({ method: ['GET', 'POST'] }),
    route({ url: '/app/*' }),
    route({ url: '/' }),
    route({ websocket: true } as any),
  ]) {
    assert.throws(() => table.add('dash', bad), /REVKA_ERR_ROUTE_FALLBACK/)
  }
  table.add('other', { method: 'GET', url: '/api/things', auth: 'bearer', handler })
  table.add('other', { method: 'GET', url: '/files/*', auth: 'public', handler })
  table.add('dash', route({}))
  table.add('dash', { method: 'GET', url: '/_app/*', auth: 'public', handler })
  // another plugin's routes, added after the fallback, are not refused as overlapping it
  table.add('later', { method: 'GET', url: '/later/*', auth: 'public', handler })
  assert.throws(() => table.add('second', route({})), /REVKA_ERR_ROUTE_OVERLAP: .*dash already serves the fallback page/)
  // a fallback still needs its auth declared
  assert.throws(() => new RouteTable().add('dash', route({ auth: undefined as any })), /REVKA_ERR_ROUTE_NO_AUTH/)
})

test('without a fallback, unmatched GETs and other methods are 404 JSON', async () => {
  const k = await startTestKernel({ plugins: ['status'] })
  try {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await k.inject({ method, url: '/dashboard' })
      assert.equal(res.statusCode, 404, method)
      assert.equal(res.json().code, 'not_found')
    }
  } finally {
    await k.stop()
  }
})
