import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startDomainKernel, type DomainKernel } from '../assets/test-support/domain.js'

let d: DomainKernel
const rev: Record<string, string> = {}
before(async () => {
  d = await startDomainKernel(['memory-graph'])
  const add = async (space: string, name: string, kind: string, md: Record<string, string> = {}) => {
    const { revision } = await d.store.createItem({ space_path: space, item_name: name, kind, revision: { metadata: md } })
    rev[name] = revision!.kref
  }
  await add('/CognitiveMemory/Facts', 'sky', 'fact', { title: 'The sky', summary: 'is blue because of Rayleigh scattering' })
  await add('/CognitiveMemory/Facts', 'sea', 'fact', { title: 'The sea' })
  await add('/CognitiveMemory/Facts/Deep', 'trench', 'fact', { title: 'Mariana' })
  await add('/CognitiveMemory/Decisions', 'paint', 'decision', { summary: 'paint it blue' })
  await add('/Other/Facts', 'elsewhere', 'fact')
  await d.store.createEdge({ source_kref: rev.sky, target_kref: rev.sea, edge_type: 'RELATED_TO' })
  await d.store.createEdge({ source_kref: rev.paint, target_kref: rev.sky, edge_type: 'DERIVED_FROM', metadata: { why: 'colour' } })
  await d.store.createEdge({ source_kref: rev.sky, target_kref: rev.elsewhere, edge_type: 'RELATED_TO' })
  // a second revision of sea: edges of older revisions still map onto the item node
  await d.store.createRevision('kref://CognitiveMemory/Facts/sea.fact', { metadata: { title: 'The sea, revised' } })
  const { item } = await d.store.createItem({ space_path: '/CognitiveMemory/Facts', item_name: 'old', kind: 'fact', revision: { metadata: {} } })
  await d.store.setItemDeprecated(item.kref, true)
})
after(async () => {
  await d.k.stop()
})

const graph = async (query = '') => {
  const res = await d.call('GET', `/api/memory/graph${query}`)
  assert.equal(res.status, 200, res.text)
  return res.body
}

test('the memory project as nodes and edges in the contract shape', async () => {
  const g = await graph()
  assert.deepEqual(Object.keys(g).sort(), ['edges', 'nodes', 'spaces', 'stats'])
  const ids = g.nodes.map((n: any) => n.id).sort()
  assert.deepEqual(
    ids,
    ['CognitiveMemory/Decisions/paint.decision', 'CognitiveMemory/Facts/Deep/trench.fact', 'CognitiveMemory/Facts/sea.fact', 'CognitiveMemory/Facts/sky.fact'],
    'deprecated and other projects left out',
  )
  const sky = g.nodes.find((n: any) => n.name === 'sky')
  assert.deepEqual(Object.keys(sky).sort(), ['created_at', 'id', 'kind', 'name', 'revision_kref', 'space', 'summary', 'title'])
  assert.equal(sky.space, 'CognitiveMemory/Facts')
  assert.equal(sky.kind, 'fact')
  assert.equal(sky.title, 'The sky')
  assert.equal(sky.revision_kref, rev.sky)
  assert.ok(!Number.isNaN(Date.parse(sky.created_at)))
  assert.equal(g.nodes.find((n: any) => n.name === 'sea').title, 'The sea, revised', 'the latest revision is read')
  assert.equal(g.nodes.find((n: any) => n.name === 'paint').title, null)
  const edges = g.edges.map((e: any) => `${e.source}>${e.target}:${e.edge_type}`).sort()
  assert.deepEqual(
    edges,
    [
      'CognitiveMemory/Decisions/paint.decision>CognitiveMemory/Facts/sky.fact:DERIVED_FROM',
      'CognitiveMemory/Facts/sky.fact>CognitiveMemory/Facts/sea.fact:RELATED_TO',
    ],
    'the edge leaving the node set is dropped',
  )
  assert.deepEqual(g.edges.find((e: any) => e.edge_type === 'DERIVED_FROM').metadata, { why: 'colour' })
  assert.ok(g.spaces.includes('CognitiveMemory') && g.spaces.includes('CognitiveMemory/Facts/Deep') && g.spaces.includes('CognitiveMemory/Skills'))
  assert.ok(g.spaces.every((s: string) => !s.startsWith('/')))
  assert.deepEqual(g.stats, { total_items: 4, total_edges: 2, kinds: { fact: 3, decision: 1 } })
})

test('limit, kinds, space (with or without the leading /), sort and search', async () => {
  const one = await graph('?limit=1&sort=name')
  assert.equal(one.nodes.length, 1)
  assert.equal(one.nodes[0].name, 'paint')
  assert.equal(
    one.stats.total_items,
    4,
    'total_items counts every match, also in spaces the early stop skipped (the reference counted only what it had listed)',
  )
  assert.deepEqual(
    (await graph('?kinds=decision')).nodes.map((n: any) => n.name),
    ['paint'],
  )
  for (const space of ['CognitiveMemory/Facts', '/CognitiveMemory/Facts']) {
    const g = await graph(`?space=${encodeURIComponent(space)}&sort=name`)
    assert.deepEqual(
      g.nodes.map((n: any) => n.name),
      ['sea', 'sky', 'trench'],
      space,
    )
    assert.deepEqual(g.spaces, ['CognitiveMemory/Facts', 'CognitiveMemory/Facts/Deep'])
  }
  const recent = await graph('?sort=recent')
  assert.equal(recent.nodes[0].name, 'paint', 'newest first')
  const found = await graph('?search=Rayleigh')
  assert.deepEqual(
    found.nodes.map((n: any) => n.name),
    ['sky'],
  )
  const other = await graph('?project=Other')
  assert.deepEqual(
    other.nodes.map((n: any) => n.name),
    ['elsewhere'],
  )
  assert.deepEqual(await graph('?project=Nowhere'), { nodes: [], edges: [], spaces: [], stats: { total_items: 0, total_edges: 0, kinds: {} } })
  assert.equal((await graph('?limit=100000')).nodes.length, 4, 'limit is capped at 500, not refused')
})

test('attack: malformed project, space, limit and kinds are 400; a wrong credential 401', async () => {
  for (const q of [
    '?project=..',
    '?project=a%2Fb',
    '?space=%2FCognitiveMemory%2F..%2FOther',
    '?space=CognitiveMemory//x',
    '?limit=-1',
    '?limit=abc',
    '?kinds=a;b',
  ]) {
    const res = await d.call('GET', `/api/memory/graph${q}`)
    assert.equal(res.status, 400, q)
    assert.equal(typeof res.body.error, 'string')
  }
  const res = await fetch(`${d.k.url}/api/memory/graph`, { headers: { authorization: 'Bearer nope' } })
  assert.equal(res.status, 401)
})
