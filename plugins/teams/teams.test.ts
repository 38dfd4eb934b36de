import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { pluginStateSnapshot, rawJson, sqliteSnapshot, startTestKernel, type TestKernel } from '@revka/plugin-testing'

let k: TestKernel
const A = 'kref://Revka/AgentPool/ann.agent'
const B = 'kref://Revka/AgentPool/bob.agent'
const C = 'kref://Revka/AgentPool/cy.agent'
before(async () => {
  k = await startTestKernel({ plugins: ['store', 'agents', 'teams'], listen: true })
  for (const [name, role] of [
    ['Ann', 'lead'],
    ['Bob', 'dev'],
    ['Cy', 'qa'],
  ]) {
    assert.equal((await call('POST', '/api/agents', { name, identity: `I am ${name}`, soul: 's', role, expertise: ['x', 'y'] })).status, 201)
  }
})
after(async () => {
  await k.stop()
})

const call = (method: string, path: string, body?: unknown) => rawJson(k.url!, method, path, { token: k.token, body })
const snapshot = () => pluginStateSnapshot(k.stateDir, 'store')

test('round trip: a team of agents — create 201, list, get members and edges, update, deprecate hides, delete 204', async () => {
  assert.deepEqual((await call('GET', '/api/teams')).body, { teams: [], total_count: 0, page: 1, per_page: 9 })
  const c = await call('POST', '/api/teams', {
    name: 'Core Team',
    description: 'builds',
    members: [A, B],
    edges: [{ from_kref: B, to_kref: A, edge_type: 'REPORTS_TO' }],
  })
  assert.equal(c.status, 201)
  const t = c.body.team
  assert.equal(t.kref, 'kref://Revka/Teams/Core Team.bundle')
  assert.equal(t.name, 'Core Team')
  assert.deepEqual(
    t.members.map((m: any) => [m.kref, m.name, m.role, m.identity, m.expertise, m.avatar_url]),
    [
      [A, 'ann', 'lead', 'I am Ann', ['x', 'y'], null],
      [B, 'bob', 'dev', 'I am Bob', ['x', 'y'], null],
    ],
  )
  assert.deepEqual(t.edges, [{ from_kref: B, to_kref: A, edge_type: 'REPORTS_TO' }])

  const list = await call('GET', '/api/teams')
  assert.equal(list.body.total_count, 1)
  assert.deepEqual(
    { ...list.body.teams[0], created_at: undefined },
    {
      kref: t.kref,
      name: 'Core Team',
      description: 'builds',
      deprecated: false,
      created_at: undefined,
      avatar_url: null,
      avatar_artifact_name: null,
      avatar_filename: null,
      avatar_mime: null,
      members: [],
      edges: [],
      member_count: 2,
      member_names: ['ann', 'bob'],
      edge_count: 1,
    },
  )

  // editing an agent keeps the team's edges visible (the reference loses them: quirk not copied)
  assert.equal((await call('PUT', '/api/agents/Revka/AgentPool/bob.agent', { name: 'Bob', identity: 'new Bob', soul: 's' })).status, 200)
  const got = await call('GET', '/api/teams/Revka/Teams/Core Team.bundle'.replace(' ', '%20'))
  assert.equal(got.status, 200)
  assert.deepEqual(got.body.team.edges, [{ from_kref: B, to_kref: A, edge_type: 'REPORTS_TO' }])
  assert.equal(got.body.team.members[1].identity, 'new Bob')

  const u = await call('PUT', '/api/teams/Revka/Teams/Core%20Team.bundle', {
    name: 'Core Team',
    description: 'ships',
    members: [A, C],
    edges: [{ from_kref: C, to_kref: A, edge_type: 'DEPENDS_ON' }],
  })
  assert.equal(u.status, 200)
  assert.deepEqual(
    u.body.team.members.map((m: any) => m.kref),
    [A, C],
  )
  assert.deepEqual(u.body.team.edges, [{ from_kref: C, to_kref: A, edge_type: 'DEPENDS_ON' }])
  const sum = (await call('GET', '/api/teams')).body.teams[0]
  assert.deepEqual([sum.description, sum.member_names, sum.edge_count], ['ships', ['ann', 'cy'], 1], 'the list reads the new published revision')

  assert.deepEqual((await call('POST', '/api/teams/deprecate', { kref: t.kref, deprecated: true })).body, { success: true })
  assert.equal((await call('GET', '/api/teams')).body.total_count, 0)
  assert.equal((await call('GET', '/api/teams?include_deprecated=true')).body.teams[0].deprecated, true)
  assert.equal((await call('DELETE', '/api/teams/kref://Revka/Teams/Core%20Team.bundle')).status, 204, 'a kref sent with its scheme is not prefixed twice')
  assert.equal((await call('GET', '/api/teams?include_deprecated=true')).body.total_count, 0)
  // the agents stay, and no edge of the team is left on them
  assert.equal((await call('GET', '/api/agents')).body.total_count, 3)
  const db = await sqliteSnapshot(join(k.stateDir, 'plugins', 'store', 'domain.db'))
  assert.deepEqual(JSON.parse(db).edges, [])
})

test('graph validation: self edge, dangling ref, reciprocal DEPENDS_ON, cycle → 400 validation_errors; nothing stored', async () => {
  const before = await snapshot()
  const cases: Array<[string, unknown[]]> = [
    ['self_edge', [{ from_kref: A, to_kref: A, edge_type: 'SUPPORTS' }]],
    ['dangling_ref', [{ from_kref: A, to_kref: C, edge_type: 'SUPPORTS' }]],
    [
      'reciprocal_depends',
      [
        { from_kref: A, to_kref: B, edge_type: 'DEPENDS_ON' },
        { from_kref: B, to_kref: A, edge_type: 'depends_on' },
      ],
    ],
    [
      'cycle',
      [
        { from_kref: A, to_kref: B, edge_type: 'SUPPORTS' },
        { from_kref: B, to_kref: A, edge_type: 'FEEDS_INTO' },
      ],
    ],
  ]
  for (const [code, edges] of cases) {
    const r = await call('POST', '/api/teams', { name: 'Bad', members: [A, B], edges })
    assert.equal(r.status, 400, code)
    assert.equal(r.body.error, 'Team graph is invalid')
    assert.ok(
      r.body.validation_errors.some((e: any) => e.code === code && e.message),
      `${code}: ${JSON.stringify(r.body)}`,
    )
  }
  assert.equal(await snapshot(), before)
  // REPORTS_TO both ways orders nothing: accepted
  const ok = await call('POST', '/api/teams', {
    name: 'Loop',
    members: [A, B],
    edges: [
      { from_kref: A, to_kref: B, edge_type: 'REPORTS_TO' },
      { from_kref: B, to_kref: A, edge_type: 'REPORTS_TO' },
    ],
  })
  assert.equal(ok.status, 201)
  assert.equal((await call('DELETE', '/api/teams/Revka/Teams/Loop.bundle')).status, 204)
})

test('bad input: traversal/malformed krefs 400, missing name 422, bad name 400, duplicate 409, unknown team or member 404 — the store is unchanged', async () => {
  assert.equal((await call('POST', '/api/teams', { name: 'Keep', members: [A] })).status, 201)
  const before = await snapshot()
  for (const p of [
    '/api/teams/Revka/../Teams/Keep.bundle',
    '/api/teams/..',
    '/api/teams//etc/passwd',
    '/api/teams/Revka/Teams/Ke\\ep.bundle',
    '/api/teams/Keep',
  ]) {
    for (const m of ['GET', 'PUT', 'DELETE']) {
      const r = await call(m, p, m === 'PUT' ? { name: 'Keep' } : undefined)
      assert.deepEqual([r.status, r.body.error_code], [400, 'kref_invalid'], `${m} ${p}`)
    }
  }
  assert.equal((await call('POST', '/api/teams', { description: 'no name' })).status, 422)
  assert.equal((await call('POST', '/api/teams', { name: 'X', members: 'ann' })).status, 422)
  assert.equal((await call('POST', '/api/teams', { name: 'X', edges: [{ from_kref: A }] })).status, 422)
  for (const name of ['a/b', '..', 'x?y', ' ']) assert.equal((await call('POST', '/api/teams', { name })).status, 400, name)
  assert.equal((await call('POST', '/api/teams', { name: 'X', members: ['kref://Revka/../x.agent'] })).status, 400)
  const dup = await call('POST', '/api/teams', { name: 'Keep' })
  assert.deepEqual([dup.status, dup.body.error_code], [409, 'conflict'])
  const ghostMember = await call('POST', '/api/teams', { name: 'New', members: [A, 'kref://Revka/AgentPool/ghost.agent'] })
  assert.deepEqual([ghostMember.status, ghostMember.body.error_code], [404, 'not_found'])
  for (const [m, p] of [
    ['GET', '/api/teams/Revka/Teams/Ghost.bundle'],
    ['PUT', '/api/teams/Revka/Teams/Ghost.bundle'],
    ['DELETE', '/api/teams/Revka/Teams/Ghost.bundle'],
    ['DELETE', '/api/teams/Revka/AgentPool/ann.agent'],
  ]) {
    const r = await call(m, p, m === 'PUT' ? { name: 'Ghost' } : undefined)
    assert.deepEqual([r.status, r.body.error_code], [404, 'not_found'], `${m} ${p}`)
  }
  assert.equal((await call('POST', '/api/teams/deprecate', { kref: 'kref://Revka/Teams/Ghost.bundle', deprecated: true })).status, 404)
  assert.equal(await snapshot(), before)
  assert.equal((await fetch(k.url + '/api/teams')).status, 401)
})

test('team avatar: PNG upload → published revision, signed URL serves it; the agents route does not serve team avatars', async () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 9, 9])
  const form = new FormData()
  form.append('kref', 'kref://Revka/Teams/Keep.bundle')
  form.append('file', new Blob([png], { type: 'image/png' }), 'team.png')
  const res = await fetch(k.url + '/api/teams/avatar', { method: 'POST', headers: { authorization: `Bearer ${k.token}` }, body: form })
  assert.equal(res.status, 200)
  const team = ((await res.json()) as any).team
  assert.equal(team.avatar_mime, 'image/png')
  assert.deepEqual(
    team.members.map((m: any) => m.kref),
    [A],
    'members kept',
  )
  const img = await fetch(k.url + team.avatar_url)
  assert.deepEqual([img.status, Buffer.from(await img.arrayBuffer())], [200, png])
  const asAgent = team.avatar_url.split('?')[0].replace('/api/teams/', '/api/agents/')
  assert.equal((await fetch(k.url + k.kernel.auth.signUrl(asAgent))).status, 404)
  const missing = new FormData()
  missing.append('file', new Blob([png], { type: 'image/png' }), 'team.png')
  const r = await fetch(k.url + '/api/teams/avatar', { method: 'POST', headers: { authorization: `Bearer ${k.token}` }, body: missing })
  assert.deepEqual([r.status, ((await r.json()) as any).error], [400, 'missing team kref'])
})
