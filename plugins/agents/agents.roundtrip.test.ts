import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

let k: TestKernel
let base: string
before(async () => {
  k = await startTestKernel({ plugins: ['store', 'agents'], listen: true })
  base = k.url!
})
after(async () => {
  await k.stop()
})

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${k.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers }
}

/** the tags of an item's revisions, read from the store's own database */
const tags = async (item: string) => {
  const { default: Database } = await import('better-sqlite3')
  const db = new Database(join(k.stateDir, 'plugins', 'store', 'domain.db'), { readonly: true })
  try {
    return db
      .prepare(
        'SELECT r.number, t.tag FROM tags t JOIN revisions r ON r.id = t.revision_id JOIN items i ON i.id = t.item_id WHERE i.item_name = ? ORDER BY t.tag',
      )
      .all(item)
  } finally {
    db.close()
  }
}

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('not really the rest of a png')])

test('an empty pool lists as an empty page, never 404', async () => {
  const r = await call('GET', '/api/agents')
  assert.equal(r.status, 200)
  assert.deepEqual(r.body, { agents: [], total_count: 0, page: 1, per_page: 9 })
})

test('round trip: create 201, list, update (new revision, published moved), deprecate hides, delete 204', async () => {
  const created = await call('POST', '/api/agents', {
    name: 'Senior Rust',
    identity: 'I write Rust',
    soul: 'calm',
    expertise: ['rust', ' tokio '],
    role: 'dev',
  })
  assert.equal(created.status, 201)
  const a = created.body.agent
  assert.deepEqual(
    { ...a, created_at: undefined },
    {
      kref: 'kref://Revka/AgentPool/senior-rust.agent',
      item_name: 'senior-rust',
      kind: 'agent',
      name: 'Senior Rust',
      deprecated: false,
      created_at: undefined,
      identity: 'I write Rust',
      soul: 'calm',
      tone: '',
      role: 'dev',
      agent_type: '',
      model: '',
      system_hint: '',
      expertise: ['rust', 'tokio'],
      revision: 1,
      revision_number: 1,
      avatar_url: null,
      avatar_artifact_name: null,
      avatar_filename: null,
      avatar_mime: null,
    },
  )
  assert.match(a.created_at, /^\d{4}-\d\d-\d\dT/)

  let list = await call('GET', '/api/agents')
  assert.equal(list.body.total_count, 1)
  assert.equal(list.body.agents[0].kref, a.kref)

  // the dashboard strips kref:// and sends the rest with literal slashes
  const updated = await call('PUT', '/api/agents/Revka/AgentPool/senior-rust.agent', {
    name: 'Senior Rust',
    identity: 'I write more Rust',
    soul: 'calm',
    kref: 'ignored',
  })
  assert.equal(updated.status, 200)
  assert.equal(updated.body.agent.revision_number, 2)
  assert.equal(updated.body.agent.identity, 'I write more Rust')
  assert.deepEqual(updated.body.agent.expertise, [], 'an update is a full replace')
  assert.deepEqual(await tags('senior-rust'), [{ number: 2, tag: 'published' }])
  list = await call('GET', '/api/agents')
  assert.equal(list.body.agents[0].revision, 2)

  const dep = await call('POST', '/api/agents/deprecate', { kref: a.kref, deprecated: true })
  assert.equal(dep.status, 200)
  assert.equal(dep.body.agent.deprecated, true)
  assert.equal(dep.body.agent.revision_number, 2)
  assert.equal((await call('GET', '/api/agents')).body.total_count, 0)
  const withDep = await call('GET', '/api/agents?include_deprecated=true')
  assert.deepEqual(
    withDep.body.agents.map((x: any) => [x.item_name, x.deprecated]),
    [['senior-rust', true]],
  )
  assert.equal((await call('POST', '/api/agents/deprecate', { kref: a.kref + '?r=1', deprecated: false })).body.agent.deprecated, false)

  const del = await call('DELETE', '/api/agents/Revka/AgentPool/senior-rust.agent')
  assert.equal(del.status, 204)
  assert.equal((await call('GET', '/api/agents?include_deprecated=true')).body.total_count, 0)
  assert.equal((await call('DELETE', '/api/agents/Revka/AgentPool/senior-rust.agent')).status, 404)
})

test('a kref sent with its scheme is not prefixed twice (agents)', async () => {
  await call('POST', '/api/agents', { name: 'Scheme', identity: 'i', soul: 's' })
  // literal, since the kernel refuses %2F in paths (request-checks.ts)
  const r = await call('PUT', '/api/agents/kref://Revka/AgentPool/scheme.agent', { name: 'Scheme', identity: 'i2', soul: 's' })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.equal(r.body.agent.kref, 'kref://Revka/AgentPool/scheme.agent')
  assert.equal(r.body.agent.revision_number, 2)
})

test('search (q) and paging: per_page clamps to 1..50, page counts from 1', async () => {
  for (const n of ['Alpha Coder', 'Beta Coder', 'Gamma Writer'])
    assert.equal((await call('POST', '/api/agents', { name: n, identity: `I am ${n}`, soul: 's', expertise: ['go'] })).status, 201)
  const coders = await call('GET', '/api/agents?q=coder')
  assert.deepEqual(coders.body.agents.map((x: any) => x.item_name).sort(), ['alpha-coder', 'beta-coder'])
  assert.equal(coders.body.total_count, 2)
  const p = await call('GET', '/api/agents?per_page=2&page=2')
  assert.equal(p.body.per_page, 2)
  assert.equal(p.body.page, 2)
  assert.equal(p.body.agents.length, 2)
  assert.equal(p.body.total_count, 4)
  assert.equal((await call('GET', '/api/agents?per_page=500')).body.per_page, 50)
  assert.equal((await call('GET', '/api/agents?per_page=0')).body.per_page, 1)
})

test('avatar: multipart PNG → new published revision; the signed URL serves it, nothing else', async () => {
  await call('POST', '/api/agents', { name: 'Face', identity: 'i', soul: 's', model: 'm1' })
  const form = new FormData()
  form.append('kref', 'kref://Revka/AgentPool/face.agent')
  form.append('file', new Blob([PNG], { type: 'image/png' }), 'me:1|x.png')
  const res = await fetch(base + '/api/agents/avatar', { method: 'POST', headers: { authorization: `Bearer ${k.token}` }, body: form })
  assert.equal(res.status, 200)
  const agent = ((await res.json()) as any).agent
  assert.equal(agent.revision_number, 2)
  assert.equal(agent.model, 'm1', 'the avatar revision keeps the metadata')
  assert.equal(agent.avatar_mime, 'image/png')
  assert.equal(agent.avatar_filename, 'me_1_x.png')
  assert.equal(agent.avatar_artifact_name, 'profile-avatar')
  assert.match(agent.avatar_url, /^\/api\/agents\/avatar-file\/Revka\/AgentPool\/face\.agent\/r2\/profile-avatar\?exp=\d+&sig=[0-9a-f]+$/)
  const img = await fetch(base + agent.avatar_url)
  assert.equal(img.status, 200)
  assert.equal(img.headers.get('content-type'), 'image/png')
  assert.deepEqual(Buffer.from(await img.arrayBuffer()), PNG)
  // an update keeps the avatar
  const upd = await call('PUT', '/api/agents/Revka/AgentPool/face.agent', { name: 'Face', identity: 'i2', soul: 's' })
  assert.equal(upd.body.agent.avatar_mime, 'image/png')
  assert.equal((await fetch(base + upd.body.agent.avatar_url)).status, 200)
  // tampering with the path breaks the signature; a signed path to a non-avatar file is 404
  assert.equal((await fetch(base + agent.avatar_url.replace('face.agent', 'other.agent'))).status, 403)
  assert.equal((await fetch(base + k.kernel.auth.signUrl('/api/agents/avatar-file/../domain.db'))).status, 404)
  assert.equal((await fetch(base + k.kernel.auth.signUrl('/api/agents/avatar-file/Revka/AgentPool/face.agent/r2'))).status, 404)
})
