/**
 * The auth matrix, generated from the kernel's own route table: every route of every loaded plugin
 * (all built-ins found under plugins/ at run time, plus the auth-probe fixture) is attacked with
 * every credential mistake that applies to its declared surfaces. A route added tomorrow is in
 * tomorrow's matrix without anyone editing this file.
 *
 * Expected: 401 where a bearer/service credential could have let the request in, 403 where only
 * loopback or a signature could have; provider routes fail closed (401 bad signature, or 503 when
 * their secret is not configured). The probe's handlers count invocations: they must stay at zero.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { probeState, totalCalls } from '../fixtures/auth-probe/index.js'
import { bearer, builtinIds, forgedToken, PROBE_DIR, within } from './support.js'

type RouteRec = ReturnType<TestKernel['kernel']['routes']['active']>[number]

interface Ctx {
  revoked: string
  rotatedOut: string
  valid: string
  service: string
}

interface Attack {
  name: string
  applies(r: RouteRec): boolean
  /** 'fresh' = a new non-loopback client per request, so the failure limiter never answers 429 */
  from: 'fresh' | '127.0.0.1'
  headers(c: Ctx): Record<string, string>
  expect(r: RouteRec): number[]
}

const has = (r: RouteRec, s: string) => r.auth.surfaces.has(s as any)
const credentialed = (r: RouteRec) => has(r, 'bearer') || has(r, 'service')
const isProvider = (r: RouteRec) => !!r.auth.provider
/** what a request without a usable credential must get on this route */
const denied = (r: RouteRec): number[] => (isProvider(r) ? [401, 503] : credentialed(r) ? [401] : [403])
const guarded = (r: RouteRec) => !has(r, 'public')

const ATTACKS: Attack[] = [
  // an `anonymous` route (GET /api/status) answers its public view to a caller with no credential
  // at all (plugins/status/status.public.test); every credential mistake below is still refused there
  { name: 'no credential', applies: (r) => guarded(r) && r.decl.anonymous !== true, from: 'fresh', headers: () => ({}), expect: denied },
  { name: 'wrong bearer', applies: guarded, from: 'fresh', headers: () => bearer(forgedToken()), expect: denied },
  { name: 'revoked bearer', applies: guarded, from: 'fresh', headers: (c) => bearer(c.revoked), expect: denied },
  { name: 'rotated-out bearer', applies: guarded, from: 'fresh', headers: (c) => bearer(c.rotatedOut), expect: denied },
  { name: 'service token sent as a bearer', applies: guarded, from: 'fresh', headers: (c) => bearer(c.service), expect: denied },
  {
    name: 'valid bearer on a service route',
    applies: (r) => has(r, 'service') && !has(r, 'bearer') && !isProvider(r),
    from: 'fresh',
    headers: (c) => ({ ...bearer(c.valid), 'x-revka-service-token': c.valid }),
    expect: () => [401],
  },
  {
    name: 'service token on a loopback route',
    applies: (r) => has(r, 'loopback') && !credentialed(r),
    from: 'fresh',
    headers: (c) => ({ 'x-revka-service-token': c.service }),
    expect: () => [403],
  },
  ...(['x-forwarded-for', 'forwarded', 'x-real-ip'] as const).map((h): Attack => ({
    name: `spoofed ${h} on a loopback route`,
    applies: (r) => has(r, 'loopback'),
    from: '127.0.0.1',
    headers: () => ({ [h]: h === 'forwarded' ? 'for=127.0.0.1' : '127.0.0.1' }),
    expect: (r) => (credentialed(r) ? [401] : [403]),
  })),
]

function concretePath(url: string): string {
  return url.replace(/:[^/]+/g, 'dummy-1').replace(/\*$/, 'dummy/file.txt')
}

const WS_UPGRADE = {
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
}

test('auth matrix: every route of every plugin refuses every credential mistake', async (t) => {
  const ids = builtinIds()
  const k = await startTestKernel({ plugins: ids, paths: [PROBE_DIR], env: { PROBE_SECRET: undefined } })
  try {
    assert.equal(k.plugin('auth-probe')?.status, 'started')
    // a plugin that failed to load (someone's work in progress, a missing option) is reported, and
    // whatever routes it managed to declare must still fail closed: 503 before any auth decision
    const started = new Set(
      k
        .plugins()
        .filter((p) => p.status === 'started')
        .map((p) => p.id),
    )
    for (const p of k.plugins().filter((p) => p.enabled && p.status !== 'disabled' && p.status !== 'started')) {
      t.diagnostic(`plugin ${p.id} is ${p.status} (${p.diagnostic ?? p.lastError ?? ''}); its routes are checked for 503 only`)
    }
    const pairing = k.kernel.auth.pairing
    const revokedDev = k.pairDevice('to-revoke')
    assert.ok(pairing.revoke(revokedDev.deviceId))
    const rotatedDev = k.pairDevice('to-rotate')
    assert.ok(pairing.rotate(rotatedDev.deviceId))
    const ctx: Ctx = { revoked: revokedDev.token, rotatedOut: rotatedDev.token, valid: k.token!, service: k.serviceToken }

    const routes = k.kernel.routes.active()
    const probe = probeState(k.stateDir)
    const devicesBefore = pairing
      .listDevices()
      .map((d) => d.id)
      .sort()
    const codeBefore = pairing.status().code

    // the table really holds what we think: all probe surfaces, and routes from the built-ins
    const probeUrls = routes.filter((r) => r.pluginId === 'auth-probe').map((r) => r.url)
    for (const u of [
      '/probe/bearer',
      '/probe/service',
      '/probe/loopback',
      '/probe/loopback-or-bearer',
      '/probe/signed/:name',
      '/probe/provider',
      '/probe/ws',
      '/probe/events',
      '/probe/items/:id',
    ]) {
      assert.ok(probeUrls.includes(u), `probe route ${u} missing from the kernel's route table`)
    }

    let n = 0
    const failures: string[] = []
    const covered = new Map<string, number>()
    for (const r of routes) {
      const methods = [...r.methods]
      if (methods.includes('GET') && !r.decl.websocket && !methods.includes('HEAD')) methods.push('HEAD')
      for (const method of methods) {
        for (const a of ATTACKS) {
          if (!a.applies(r)) continue
          const remoteAddress = a.from === 'fresh' ? `2001:db8::${(++n).toString(16)}` : '127.0.0.1'
          const headers: Record<string, string> = { ...a.headers(ctx) }
          if (r.decl.websocket) {
            Object.assign(headers, WS_UPGRADE)
            if (r.decl.subprotocol) headers['sec-websocket-protocol'] = r.decl.subprotocol
          }
          const label = `${a.name}: ${method} ${r.url} (${r.pluginId})`
          // a streaming handler that wrongly let the request in would never answer: name it, don't hang
          const res = await within(k.inject({ method, url: concretePath(r.url), headers, remoteAddress }), 5000, label)
          // the kernel's own routes (owner `kernel`: POST /admin/plugins/:id/enable|disable) always run
          const want = started.has(r.pluginId) || r.pluginId === 'kernel' ? a.expect(r) : [503]
          if (!want.includes(res.statusCode)) {
            failures.push(`${label} → ${res.statusCode} (want ${want.join('/')}) ${res.body.slice(0, 160)}`)
            continue
          }
          if (method !== 'HEAD') {
            let body: any
            try {
              body = res.json()
            } catch {
              body = null
            }
            if (typeof body?.error !== 'string' || typeof body?.code !== 'string')
              failures.push(`${label} → body is not {error, code}: ${res.body.slice(0, 160)}`)
          }
          covered.set(r.pluginId, (covered.get(r.pluginId) ?? 0) + 1)
        }
      }
    }
    assert.deepEqual(failures, [], `auth matrix failures:\n${failures.join('\n')}`)

    // nothing ran and nothing changed
    assert.equal(totalCalls(probe), 0, `probe handlers ran: ${JSON.stringify(probe.counts)}`)
    assert.equal(probe.wsOpen + probe.sseOpen, 0)
    assert.deepEqual(
      pairing
        .listDevices()
        .map((d) => d.id)
        .sort(),
      devicesBefore,
      'device list changed',
    )
    assert.equal(pairing.status().code, codeBefore, 'pairing code changed')
    assert.equal(k.kernel.auth.connections.count(), 0)

    // every plugin with a non-public route was attacked, and the probe on each of its surfaces
    for (const r of routes) if (guarded(r)) assert.ok((covered.get(r.pluginId) ?? 0) > 0, `no attack reached plugin ${r.pluginId}`)
    assert.ok((covered.get('auth-probe') ?? 0) >= 40, `probe got only ${covered.get('auth-probe')} attacks`)

    // the gateway is still up (a bypassed /admin/shutdown would have stopped it)
    const ok = await k.inject({ url: '/probe/bearer', headers: bearer(k.token!) })
    assert.equal(ok.statusCode, 200, 'positive control: a valid bearer still works after the matrix')
  } finally {
    await k.stop()
  }
})
