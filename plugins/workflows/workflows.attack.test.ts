import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { pluginStateSnapshot, rawJson, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { DOUBLE_DIR, double, saveBody, wfYaml } from './test-support/fixtures.js'

let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['store', 'workflows'], paths: [DOUBLE_DIR], listen: true })
})
after(async () => {
  await k.stop()
})

const call = (method: string, path: string, body?: unknown) => rawJson(k.url!, method, path, { token: k.token, body })
const snapshot = () => pluginStateSnapshot(k.stateDir, 'store')
const MIB16 = 16 * 1024 * 1024

/** a JSON save body of exactly `bytes` bytes (the YAML padded with a comment) */
function bodyOf(bytes: number): string {
  const base = JSON.stringify(saveBody('Big', wfYaml('Big') + '#'))
  return JSON.stringify(saveBody('Big', wfYaml('Big') + '#' + 'x'.repeat(bytes - base.length)))
}

test('POST/PUT take 16 MiB; 16 MiB + 1 byte is 413 before the handler runs and nothing is stored', async () => {
  const exact = bodyOf(MIB16)
  assert.equal(Buffer.byteLength(exact), MIB16)
  const ok = await call('POST', '/api/workflows', exact)
  assert.equal(ok.status, 201, JSON.stringify(ok.body).slice(0, 300))
  const before = await snapshot()
  const validations = double().calls.filter(([c]) => c === 'validate').length
  for (const [method, path] of [
    ['POST', '/api/workflows'],
    ['PUT', '/api/workflows/Revka/Workflows/big.workflow'],
  ]) {
    const over = await call(method, path, bodyOf(MIB16 + 1))
    assert.equal(over.status, 413, `${method} ${path}`)
    assert.equal(over.body.code, 'payload_too_large')
  }
  assert.equal(double().calls.filter(([c]) => c === 'validate').length, validations, 'the handler never ran: nothing was validated')
  assert.equal(await snapshot(), before, 'nothing stored')
  // the other workflow routes keep the global 64 KiB
  assert.equal((await call('POST', '/api/workflows/deprecate', JSON.stringify({ kref: 'x', deprecated: true, pad: 'x'.repeat(70_000) }))).status, 413)
})

test('the encoded-wildcard seam: revisions/{*kref} takes %2F and %3F, traversal through it is still refused, %2F stays refused elsewhere', async () => {
  const c = await call('POST', '/api/workflows', saveBody('Seam', wfYaml('Seam')))
  assert.equal(c.status, 201)
  const ok = await call('GET', `/api/workflows/revisions/${encodeURIComponent('Revka/Workflows/seam.workflow?r=1')}`)
  assert.equal(ok.status, 200)
  const before = await snapshot()
  const refused: Array<[string, number, string]> = [
    ['/api/workflows/revisions/Revka%2FWorkflows%2F..%2F..%2Fkernel%2Fsecrets.workflow%3Fr%3D1', 400, 'kref_invalid'],
    ['/api/workflows/revisions/..%2F..%2F..%2Fetc%2Fpasswd', 400, 'kref_invalid'],
    ['/api/workflows/revisions/Revka/Workflows/../../etc/passwd.workflow', 400, 'kref_invalid'],
    ['/api/workflows/revisions/%2e%2e%2F%2e%2e%2Fetc%2Fpasswd', 400, 'bad_url'],
    ['/api/workflows/revisions/Revka%2FWorkflows%2F%2E%2E%2Fx.workflow', 400, 'bad_url'],
    ['/api/workflows/revisions/Revka%5CWorkflows%5Cx.workflow', 400, 'bad_url'],
    ['/api/workflows/revisions/Revka%252FWorkflows%252Fx.workflow', 400, 'bad_url'],
    ['/api/workflows/revisions/%2Fetc%2Fpasswd', 400, 'kref_invalid'],
    ['/api%2Fworkflows/revisions/Revka%2FWorkflows%2Fseam.workflow', 400, 'bad_url'],
    ['/api/workflows/Revka%2FWorkflows%2Fseam.workflow', 400, 'bad_url'],
    ['/api/workflows/runs/abc%2F..%2Fdef', 400, 'bad_url'],
  ]
  for (const [path, status, code] of refused) {
    const r = await call(path.startsWith('/api/workflows/Revka') ? 'DELETE' : 'GET', path)
    assert.deepEqual([r.status, r.body?.code], [status, code], path)
  }
  assert.equal(await snapshot(), before, 'nothing changed, the seam workflow still there')
  assert.equal((await call('GET', '/api/workflows')).body.workflows.filter((w: any) => w.item_name === 'seam').length, 1)
})

test('agent-activity: traversal or malformed agent ids are refused before the runner reads anything', async () => {
  const reads = () => double().calls.filter(([c]) => c === 'agentActivity').length
  const n = reads()
  for (const id of ['..', '.hidden', 'a.b', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', 'x%00y', 'a%20b', 'é'.repeat(3), 'x'.repeat(129)]) {
    const r = await call('GET', `/api/workflows/agent-activity/${id}`)
    assert.equal(r.status, 400, id)
  }
  assert.equal(reads(), n, 'the runner was never asked')
  const bad = await call('GET', '/api/workflows/agent-activity/agent-1?view=../../x')
  assert.equal(bad.status, 400)
  assert.equal(reads(), n)
  const ok = await call('GET', '/api/workflows/agent-activity/agent-1?view=errors&limit=100000')
  assert.deepEqual(ok.body, { agent_id: 'agent-1', view: 'errors', total: 0, entries: [] })
  assert.deepEqual(double().calls.at(-1), ['agentActivity', { agentId: 'agent-1', view: 'errors', limit: 500 }], 'limit capped at 500')
  const none = await call('GET', '/api/workflows/agent-activity/agent-2')
  assert.deepEqual([none.status, none.body], [404, { error: 'No run log found for this agent', code: 'run_log_not_found' }])
})

test('no credential → 401 and nothing runs or is stored', async () => {
  const before = await snapshot()
  const calls = double().calls.length
  for (const [m, p] of [
    ['POST', '/api/workflows'],
    ['POST', '/api/workflows/run/seam'],
    ['GET', '/api/workflows/runs'],
    ['POST', '/api/architect/revise'],
  ]) {
    const r = await rawJson(k.url!, m, p, { body: saveBody('X', wfYaml('X')) })
    assert.equal(r.status, 401, `${m} ${p}`)
  }
  assert.equal(double().calls.length, calls)
  assert.equal(await snapshot(), before)
})
