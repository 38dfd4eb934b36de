/**
 * GET /api/openapi.json over real sockets: bearer only; the document validates as OpenAPI 3.1 with
 * a real validator; it lists exactly the routes the kernel's route table holds, with each auth
 * surface as its security scheme and the kernel's limits as x-revka-* extensions.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Validator } from '@seriousme/openapi-schema-validator'
import { KernelServices, type RouteInfo } from '@revka/plugin-sdk'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { PathTemplates, toOpenApiPath } from './paths.js'

// one plugin for each auth surface, limit and declaration the document has to show
const PLUGINS = ['openapi', 'status', 'admin', 'pairing', 'workspace', 'auth-profiles', 'events', 'nodes', 'canvas', 'linq', 'agent-runtime', 'dashboard']
let k: TestKernel
let url: string
let doc: any
let routes: RouteInfo[]

before(async () => {
  k = await startTestKernel({ plugins: PLUGINS, options: { linq: { signing_secret: 'linq-secret' } } })
  url = await k.listen()
  const res = await fetch(`${url}/api/openapi.json`, { headers: { authorization: `Bearer ${k.token}` } })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /application\/json/)
  doc = await res.json()
  routes = k.kernel.service(KernelServices.routes)!.list()
})
after(async () => {
  await k.stop()
})

const op = (path: string, method: string) => doc.paths[path]?.[method.toLowerCase()]
/** a route's operation, wherever its path item is (routes of one shape share one) */
const opOf = (r: RouteInfo, method: string) =>
  Object.values(doc.paths as Record<string, Record<string, any>>)
    .flatMap((item) => Object.values(item))
    .find((o) => o.operationId === `${r.plugin}:${method}:${r.url}`)

test('without a credential, or with a wrong one → 401; the document is not shown', async () => {
  for (const headers of [{}, { authorization: 'Bearer not-a-token' }] as Array<Record<string, string>>) {
    const res = await fetch(`${url}/api/openapi.json`, { headers })
    assert.equal(res.status, 401)
    const body = (await res.json()) as any
    assert.equal(typeof body.error, 'string')
    assert.equal(body.openapi, undefined)
  }
})

test('the document is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', async () => {
  const validator = new Validator()
  const res = await validator.validate(structuredClone(doc))
  assert.equal(res.valid, true, JSON.stringify(res.errors, null, 2))
  assert.equal(validator.version, '3.1')
  assert.equal(doc.openapi, '3.1.0')
  assert.equal(doc.info.version, k.kernel.version)
  // control: the validator does refuse a document we broke on purpose
  const broken = structuredClone(doc)
  broken.paths['/health'].get.security = 'none'
  assert.equal((await new Validator().validate(broken)).valid, false)
})

test('every route of every enabled plugin is there, and nothing else', () => {
  const want = new Set(routes.flatMap((r) => r.methods.map((m) => `${r.plugin}:${m}:${r.url}`)))
  const got = new Set(Object.values(doc.paths as Record<string, Record<string, any>>).flatMap((item) => Object.values(item).map((o) => o.operationId)))
  assert.deepEqual([...got].sort(), [...want].sort())
  assert.ok(want.size > 30, `expected the chosen plugins' routes, got ${want.size}`)
  for (const plugin of PLUGINS.filter((p) => p !== 'agent-runtime')) {
    assert.ok(
      routes.some((r) => r.plugin === plugin),
      `no route of ${plugin}`,
    )
  }
  assert.equal(op('/api/openapi.json', 'GET')['x-revka-plugin'], 'openapi')
})

test('auth surfaces become security schemes, per route', () => {
  assert.deepEqual(op('/health', 'GET').security, [])
  // bearer route with a public view for a caller with no credential
  assert.deepEqual(op('/api/status', 'GET').security, [{ bearer: [] }, { serviceToken: [] }, {}])
  assert.deepEqual(op('/api/openapi.json', 'GET').security, [{ bearer: [] }, { serviceToken: [] }])
  assert.deepEqual(op('/admin/shutdown', 'POST').security, [{ loopback: [] }])
  assert.deepEqual(op('/api/auth/profiles/{id}/resolve', 'POST').security, [{ serviceToken: [] }])
  // an EventSource stream takes ?token= and not the service token
  assert.deepEqual(op('/api/events', 'GET').security, [{ bearer: [] }, { queryToken: [] }])
  const signed = routes.find((r) => r.auth !== 'provider' && r.auth.includes('signed'))!
  assert.ok(signed, 'workspace declares a signed route')
  const signedOp = opOf(signed, signed.methods[0])
  assert.ok(signedOp.security.some((s: object) => 'signedUrl' in s))
  const linq = op('/linq', 'POST')
  assert.deepEqual(linq.security, [{ webhookSignature: [] }])
  assert.deepEqual(linq['x-revka-secret'], { env: 'REVKA_LINQ_SIGNING_SECRET', config: 'signing_secret' })
  const used = new Set(
    Object.values(doc.paths as Record<string, Record<string, any>>).flatMap((item) =>
      Object.values(item).flatMap((o) => o.security.flatMap((s: object) => Object.keys(s))),
    ),
  )
  assert.deepEqual([...used].sort(), Object.keys(doc.components.securitySchemes).sort())
  for (const scheme of Object.values(doc.components.securitySchemes) as any[]) assert.ok(scheme.description.length > 20)
})

test('WebSocket routes: a 101 with the subprotocol, the credential in the query allowed', () => {
  const ws = routes.find((r) => r.websocket)!
  const o = opOf(ws, 'GET')
  assert.ok(o.responses['101'])
  assert.deepEqual(o['x-revka-websocket'], ws.subprotocol ? { subprotocol: ws.subprotocol } : {})
  assert.ok(o.security.some((s: object) => 'queryToken' in s))
})

test('limits are x-revka-* extensions with the values the kernel enforces; declared schemas are kept', () => {
  for (const r of routes) {
    for (const m of r.methods) {
      const o = opOf(r, m)
      assert.equal(o['x-revka-timeout-ms'], r.timeoutMs, `${m} ${r.url}`)
      if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(m)) assert.equal(o['x-revka-body-limit'], r.bodyLimit, `${m} ${r.url}`)
      assert.equal(o['x-revka-rate-limit-per-minute'], r.rateLimitPerMinute, `${m} ${r.url}`)
      if (r.schema?.body) assert.deepEqual(o.requestBody.content['application/json'].schema, r.schema.body)
    }
  }
  assert.equal(op('/linq', 'POST')['x-revka-rate-limit-per-minute'], 60)
  assert.ok(
    routes.some((r) => r.schema?.body),
    'a chosen plugin declares a body schema',
  )
  // path parameters are declared for every template variable
  const canvas = op('/api/canvas/{id}', 'GET')
  assert.deepEqual(
    canvas.parameters.filter((p: any) => p.in === 'path').map((p: any) => p.name),
    ['id'],
  )
})

test('the fallback page and wildcards: {wildcard} path parameters, marked', () => {
  const fallback = op('/{wildcard}', 'GET')
  assert.equal(fallback['x-revka-fallback'], true)
  assert.equal(fallback['x-revka-wildcard'], true)
  assert.equal(fallback['x-revka-plugin'], 'dashboard')
})

test('Fastify paths → OpenAPI templates', () => {
  assert.deepEqual(toOpenApiPath('/api/canvas/:id/history'), { path: '/api/canvas/{id}/history', params: ['id'], wildcard: false })
  assert.deepEqual(toOpenApiPath('/workspace/*'), { path: '/workspace/{wildcard}', params: ['wildcard'], wildcard: true })
  assert.deepEqual(toOpenApiPath('/a/:n(^\\d+$)/b'), { path: '/a/{n}/b', params: ['n'], wildcard: false })
  assert.deepEqual(toOpenApiPath('/time::now/:x'), { path: '/time:now/{x}', params: ['x'], wildcard: false })
  assert.deepEqual(toOpenApiPath('/a/*/b'), { path: '/a/*/b', params: [], wildcard: false })
})

test('routes of one shape share a path item: the first names the parameters, a wildcard stays marked', () => {
  const t = new PathTemplates()
  assert.deepEqual(t.for('/api/sessions/:id'), { path: '/api/sessions/{id}', params: ['id'], wildcard: false })
  assert.deepEqual(t.for('/api/sessions/*'), { path: '/api/sessions/{id}', params: ['id'], wildcard: true })
  assert.deepEqual(t.for('/api/sessions/:sid/messages').path, '/api/sessions/{sid}/messages')
})
