import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { pluginStateSnapshot, rawJson, startTestKernel, type TestKernel } from '@revka/plugin-testing'

let k: TestKernel
let base: string
before(async () => {
  k = await startTestKernel({ plugins: ['store', 'agents'], listen: true })
  base = k.url!
  const r = await call('POST', '/api/agents', { name: 'Keeper', identity: 'i', soul: 's' })
  assert.equal(r.status, 201)
})
after(async () => {
  await k.stop()
})

const snapshot = () => pluginStateSnapshot(k.stateDir, 'store')
const call = (method: string, path: string, body?: unknown) => rawJson(base, method, path, { token: k.token, body })

/** run `fn`, then assert the store's rows and files are byte-for-byte what they were */
async function unchanged(fn: () => Promise<void>): Promise<void> {
  const before = await snapshot()
  await fn()
  assert.equal(await snapshot(), before, 'the store changed')
}

const body = { name: 'X', identity: 'i', soul: 's' }

test('traversal, absolute paths and separators in krefs are 400 kref_invalid; nothing changes', async () => {
  await unchanged(async () => {
    for (const path of [
      '/api/agents/Revka/../AgentPool/keeper.agent',
      '/api/agents/Revka/AgentPool/../../keeper.agent',
      '/api/agents/..',
      '/api/agents//etc/passwd',
      '/api/agents/Revka/AgentPool/kee\\per.agent',
      '/api/agents/nonsense',
      '/api/agents/Revka/AgentPool/keeper',
      '/api/agents/kref://kref://Revka/AgentPool/keeper.agent',
    ]) {
      for (const method of ['PUT', 'DELETE']) {
        const r = await call(method, path, method === 'PUT' ? body : undefined)
        assert.equal(r.status, 400, `${method} ${path}`)
        assert.equal(r.body.error_code, 'kref_invalid')
        assert.match(r.body.error, /^Malformed kref/)
      }
    }
    const dep = await call('POST', '/api/agents/deprecate', { kref: 'kref://Revka/../x.agent', deprecated: true })
    assert.equal(dep.status, 400)
    assert.deepEqual([dep.body.code, dep.body.error_code], ['kref_invalid', 'kref_invalid'])
    assert.equal((await call('POST', '/api/agents/deprecate', { kref: '/etc/passwd', deprecated: true })).status, 400)
  })
})

test('missing or mistyped fields are 422; a name with no letters is 400; nothing changes', async () => {
  await unchanged(async () => {
    for (const b of [
      { name: 'Y', identity: 'i' },
      { identity: 'i', soul: 's' },
      { name: 'Y', identity: 1, soul: 's' },
      { name: 'Y', identity: 'i', soul: 's', expertise: 'rust' },
      [],
    ]) {
      const r = await call('POST', '/api/agents', b)
      assert.equal(r.status, 422, JSON.stringify(b))
      assert.ok(r.body.error)
    }
    assert.equal((await call('PUT', '/api/agents/Revka/AgentPool/keeper.agent', { name: 'Keeper' })).status, 422)
    assert.equal((await call('POST', '/api/agents/deprecate', { kref: 'kref://Revka/AgentPool/keeper.agent' })).status, 422)
    assert.equal((await call('POST', '/api/agents/deprecate', { kref: 'kref://Revka/AgentPool/keeper.agent', deprecated: 'yes' })).status, 422)
    assert.equal((await call('POST', '/api/agents', { name: '!!!', identity: 'i', soul: 's' })).status, 400)
    assert.equal((await call('POST', '/api/agents', '{"name":')).status, 400, 'broken JSON')
    assert.equal((await call('GET', '/api/agents?page=abc')).status, 400)
  })
})

test('a duplicate is 409 and an unknown agent 404, both with {error, error_code}; nothing changes', async () => {
  await unchanged(async () => {
    const dup = await call('POST', '/api/agents', { name: 'keeper', identity: 'other', soul: 'other' })
    assert.equal(dup.status, 409)
    assert.equal(dup.body.error_code, 'conflict')
    for (const [m, p, b] of [
      ['PUT', '/api/agents/Revka/AgentPool/ghost.agent', body],
      ['DELETE', '/api/agents/Revka/AgentPool/ghost.agent', undefined],
      ['POST', '/api/agents/deprecate', { kref: 'kref://Revka/AgentPool/ghost.agent', deprecated: true }],
      // an item that is not an agent of the pool is not reachable through /api/agents
      ['DELETE', '/api/agents/Revka/Teams/keeper.agent', undefined],
      ['DELETE', '/api/agents/Revka/AgentPool/keeper.skill', undefined],
    ] as const) {
      const r = await call(m, p, b)
      assert.equal(r.status, 404, `${m} ${p}`)
      assert.equal(r.body.error_code, 'not_found')
    }
  })
})

test('401 only for a bad credential: none or a wrong one; bad input with a good one never 401', async () => {
  await unchanged(async () => {
    assert.equal((await fetch(base + '/api/agents')).status, 401)
    const wrong = await fetch(base + '/api/agents', {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    assert.equal(wrong.status, 401)
    const svc = await fetch(base + '/api/agents', { headers: { 'x-revka-service-token': k.serviceToken } })
    assert.equal(svc.status, 200, 'the service token is a B credential')
  })
})

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])
const upload = async (parts: { kref?: string; file?: { bytes: Buffer; type: string; name?: string } }) => {
  const form = new FormData()
  if (parts.kref !== undefined) form.append('kref', parts.kref)
  if (parts.file) form.append('file', new Blob([parts.file.bytes], { type: parts.file.type }), parts.file.name ?? 'a.png')
  const res = await fetch(base + '/api/agents/avatar', { method: 'POST', headers: { authorization: `Bearer ${k.token}` }, body: form })
  return { status: res.status, body: (await res.json()) as any }
}

test('avatar attacks: SVG, a lying type, no kref, no file, empty, oversize, unknown agent — refused, nothing stored', async () => {
  const kref = 'kref://Revka/AgentPool/keeper.agent'
  await unchanged(async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    assert.equal((await upload({ kref, file: { bytes: svg, type: 'image/svg+xml' } })).status, 415)
    assert.equal((await upload({ kref, file: { bytes: svg, type: 'image/png' } })).status, 415, 'the bytes decide, not the declared type')
    assert.equal((await upload({ kref, file: { bytes: PNG, type: 'text/html' } })).status, 415)
    assert.deepEqual((await upload({ file: { bytes: PNG, type: 'image/png' } })).body.error, 'missing agent kref')
    assert.deepEqual((await upload({ kref })).body.error, 'missing avatar file')
    assert.deepEqual((await upload({ kref, file: { bytes: Buffer.alloc(0), type: 'image/png' } })).body.error, 'empty avatar file')
    const big = await upload({ kref, file: { bytes: Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024)]), type: 'image/png' } })
    assert.equal(big.status, 413)
    assert.match(big.body.error, /avatar exceeds the 5242880 byte limit/)
    const ghost = await upload({ kref: 'kref://Revka/AgentPool/ghost.agent', file: { bytes: PNG, type: 'image/png' } })
    assert.deepEqual([ghost.status, ghost.body.error], [404, 'agent not found'])
    assert.equal((await upload({ kref: 'kref://Revka/../../x.agent', file: { bytes: PNG, type: 'image/png' } })).status, 400)
    const notMultipart = await call('POST', '/api/agents/avatar', { kref })
    assert.equal(notMultipart.status, 400)
  })
  // and the accepted case still works after all that
  assert.equal((await upload({ kref, file: { bytes: PNG, type: 'application/octet-stream' } })).status, 200)
})
