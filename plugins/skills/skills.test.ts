import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { pluginStateSnapshot, rawJson, startTestKernel, treeSnapshot, type TestKernel } from '@revka/plugin-testing'

let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['store', 'skills'], listen: true })
})
after(async () => {
  await k.stop()
})

const call = (method: string, path: string, body?: unknown) => rawJson(k.url!, method, path, { token: k.token, body })
const snapshot = () => pluginStateSnapshot(k.stateDir, 'store')

const LONG = '# Parse YAML\n' + 'é'.repeat(300)

test('round trip: empty list, create 201 with SKILL.md, get it whole, update, deprecate hides, delete 204', async () => {
  assert.deepEqual((await call('GET', '/api/skills')).body, { skills: [], total_count: 0, page: 1, per_page: 9 })
  const c = await call('POST', '/api/skills', { name: 'Parse YAML', description: 'reads yaml', content: LONG, domain: 'Data', tags: ['yaml', 'parsing'] })
  assert.equal(c.status, 201)
  assert.deepEqual(
    { ...c.body.skill, created_at: undefined },
    {
      kref: 'kref://CognitiveMemory/Skills/parse-yaml.skill',
      name: 'parse-yaml',
      item_name: 'parse-yaml',
      deprecated: false,
      created_at: undefined,
      description: 'reads yaml',
      content: LONG,
      domain: 'Data',
      tags: ['yaml', 'parsing'],
      revision_number: 1,
    },
  )
  const one = await call('GET', '/api/skills/CognitiveMemory/Skills/parse-yaml.skill')
  assert.equal(one.status, 200)
  assert.equal(one.body.skill.content, LONG, 'GET one returns the full SKILL.md')
  const list = await call('GET', '/api/skills')
  assert.equal(list.body.total_count, 1)
  assert.equal(list.body.skills[0].content, '', 'lists carry only the metadata preview')

  const u = await call('PUT', '/api/skills/CognitiveMemory/Skills/parse-yaml.skill', {
    name: 'Parse YAML',
    description: 'reads yaml v2',
    content: '# v2',
    domain: 'Data',
  })
  assert.equal(u.status, 200)
  assert.equal(u.body.skill.revision_number, 2)
  assert.equal(u.body.skill.name, 'parse-yaml')
  assert.equal((await call('GET', '/api/skills/CognitiveMemory/Skills/parse-yaml.skill')).body.skill.content, '# v2')
  assert.equal((await call('GET', '/api/skills?q=v2')).body.total_count, 1, 'search sees the current revision')
  assert.equal((await call('GET', '/api/skills?q=yaml')).body.skills[0].description, 'reads yaml v2')

  const d = await call('POST', '/api/skills/deprecate', { kref: 'kref://CognitiveMemory/Skills/parse-yaml.skill', deprecated: true })
  assert.deepEqual([d.status, d.body.skill.deprecated, d.body.skill.content], [200, true, '# v2'])
  assert.equal((await call('GET', '/api/skills')).body.total_count, 0)
  assert.equal((await call('GET', '/api/skills?include_deprecated=true')).body.total_count, 1)
  assert.equal((await call('DELETE', '/api/skills/CognitiveMemory/Skills/parse-yaml.skill')).status, 204)
  assert.equal((await call('GET', '/api/skills/CognitiveMemory/Skills/parse-yaml.skill')).status, 404)
  assert.equal(treeSnapshot(join(k.stateDir, 'plugins', 'store', 'artifacts')), '', 'the SKILL.md files went with it')
})

test('a kref sent with its scheme is not prefixed twice (skills; the reference doubles it — quirk not copied)', async () => {
  await call('POST', '/api/skills', { name: 'Scheme', description: 'd', content: 'c', domain: 'x' })
  const r = await call('GET', '/api/skills/kref://CognitiveMemory/Skills/scheme.skill')
  assert.equal(r.status, 200)
  assert.equal(r.body.skill.kref, 'kref://CognitiveMemory/Skills/scheme.skill')
  assert.equal((await call('DELETE', '/api/skills/kref://CognitiveMemory/Skills/scheme.skill')).status, 204)
})

test('bad input: traversal and malformed krefs 400, missing fields 422, duplicate 409, unknown 404 — the store is unchanged', async () => {
  assert.equal((await call('POST', '/api/skills', { name: 'Keep', description: 'd', content: 'c', domain: 'x' })).status, 201)
  const before = await snapshot()
  for (const p of [
    '/api/skills/CognitiveMemory/../Skills/keep.skill',
    '/api/skills/..',
    '/api/skills//etc/passwd',
    '/api/skills/CognitiveMemory/Skills/ke\\ep.skill',
    '/api/skills/keep',
  ]) {
    for (const m of ['GET', 'PUT', 'DELETE']) {
      const r = await call(m, p, m === 'PUT' ? { name: 'Keep', description: 'd', content: 'x', domain: 'x' } : undefined)
      assert.deepEqual([r.status, r.body.error_code], [400, 'kref_invalid'], `${m} ${p}`)
    }
  }
  for (const b of [
    { name: 'N', description: 'd', content: 'c' },
    { name: 'N', description: 'd', domain: 'x' },
    { name: 'N', description: 'd', content: 'c', domain: 'x', tags: 'a,b' },
  ]) {
    assert.equal((await call('POST', '/api/skills', b)).status, 422, JSON.stringify(b))
  }
  const dup = await call('POST', '/api/skills', { name: 'keep', description: 'other', content: 'other', domain: 'x' })
  assert.deepEqual([dup.status, dup.body.error_code], [409, 'conflict'])
  for (const [m, p] of [
    ['GET', '/api/skills/CognitiveMemory/Skills/ghost.skill'],
    ['DELETE', '/api/skills/CognitiveMemory/Skills/ghost.skill'],
    ['DELETE', '/api/skills/Revka/AgentPool/keep.skill'],
  ]) {
    const r = await call(m, p)
    assert.deepEqual([r.status, r.body.error_code], [404, 'not_found'], `${m} ${p}`)
  }
  assert.equal((await call('POST', '/api/skills/deprecate', { kref: 'kref://CognitiveMemory/Skills/ghost.skill', deprecated: true })).status, 404)
  assert.equal((await call('POST', '/api/skills/deprecate', { kref: 'kref://CognitiveMemory/Skills/keep.skill' })).status, 422)
  assert.equal(await snapshot(), before)
  const anon = await fetch(k.url + '/api/skills')
  assert.equal(anon.status, 401)
})
