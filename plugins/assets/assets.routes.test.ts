import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { startDomainKernel, type DomainKernel } from './test-support/domain.js'

let d: DomainKernel
before(async () => {
  d = await startDomainKernel(['assets'])
})
after(async () => {
  await d.k.stop()
})

const ok = async (method: string, path: string, body?: unknown) => {
  const res = await d.call(method, path, body)
  assert.equal(res.status, 200, `${method} ${path}: ${res.text}`)
  return res.body
}

test('projects, spaces, items, revisions, publish, tags and deprecation through the wire', async () => {
  const { project } = await ok('POST', '/api/assets/projects', { name: ' Story ', description: 'a novel' })
  assert.equal(project.name, 'Story', 'required strings are trimmed')
  assert.equal((await ok('POST', '/api/assets/projects', { name: 'Story' })).project.name, 'Story', 'a duplicate project is 200 with the project')
  const { space } = await ok('POST', '/api/assets/spaces', { parent_path: '/Story', name: 'Characters' })
  assert.equal(space.path, '/Story/Characters')
  assert.equal((await ok('POST', '/api/assets/spaces', { parent_path: 'Story', name: 'Characters' })).space.path, '/Story/Characters')
  const { item } = await ok('POST', '/api/assets/items', {
    space_path: '/Story/Characters',
    item_name: 'hero',
    kind: 'character',
    metadata: { age: 30, traits: ['brave', 'kind'] },
  })
  assert.equal(item.kref, 'kref://Story/Characters/hero.character')
  assert.deepEqual(item.metadata, { age: '30', traits: 'brave,kind' }, 'metadata values become strings')
  const dup = await d.call('POST', '/api/assets/items', { space_path: '/Story/Characters', item_name: 'hero', kind: 'character' })
  assert.equal(dup.status, 409)
  assert.equal(dup.body.error_code, 'conflict')

  const r1 = (await ok('POST', '/api/assets/revisions', { item_kref: item.kref, metadata: { mood: 'calm' } })).revision
  assert.equal(r1.number, 1)
  assert.ok(!r1.tags.includes('published'), 'a new revision is not tagged')
  const r2 = (await ok('POST', '/api/assets/revisions', { item_kref: item.kref })).revision
  const pub = (await ok('POST', '/api/assets/revisions/publish', { kref: r1.kref })).revision
  assert.ok(pub.tags.includes('published'))
  const tagged = (await ok('POST', '/api/assets/revisions/tags', { kref: r2.kref, tag: 'candidate' })).revision
  assert.ok(tagged.tags.includes('candidate'))
  const moved = (await ok('POST', '/api/assets/revisions/tags', { kref: r1.kref, tag: 'candidate' })).revision
  assert.ok(moved.tags.includes('candidate'))
  assert.ok(!(await d.store.getRevision(r2.kref))!.tags.includes('candidate'), 'a tag is a per-item pointer')
  const untagged = (await ok('DELETE', '/api/assets/revisions/tags', { kref: r1.kref, tag: 'candidate' })).revision
  assert.ok(!untagged.tags.includes('candidate'))
  assert.equal((await ok('POST', '/api/assets/revisions/deprecate', { kref: r2.kref, deprecated: true })).revision.deprecated, true)
  assert.equal((await ok('POST', '/api/assets/items/deprecate', { kref: item.kref, deprecated: true })).item.deprecated, true)
  assert.equal(
    (await ok('POST', '/api/assets/items/deprecate', { kref: `${item.kref}?r=1`, deprecated: false })).item.deprecated,
    false,
    'selectors are stripped for item operations',
  )
})

test('the current tag is protected: 403 to set or remove it, and nothing moves', async () => {
  const { item, revision } = await d.store.createItem({ space_path: '/Story/Patches', item_name: 'p1', kind: 'patch', revision: { tags: ['current'] } })
  const r2 = await d.store.createRevision(item.kref, {})
  for (const method of ['POST', 'DELETE']) {
    const res = await d.call(method, '/api/assets/revisions/tags', { kref: method === 'POST' ? r2.kref : revision!.kref, tag: 'current' })
    assert.equal(res.status, 403)
    assert.match(res.body.error, /current tag is high-risk; use kumiho_patch_apply/)
  }
  assert.ok((await d.store.getRevision(revision!.kref))!.tags.includes('current'))
  assert.ok(!(await d.store.getRevision(r2.kref))!.tags.includes('current'))
})

test('bundles: list across the project, create, members with their revisions, protected canon bundles', async () => {
  const a = await d.store.createItem({ space_path: '/Story/Characters', item_name: 'villain', kind: 'character', revision: { tags: ['current'] } })
  const { bundle } = await ok('POST', '/api/assets/bundles', { space_path: '/Story/Characters', bundle_name: 'cast' })
  assert.equal(bundle.kref, 'kref://Story/Characters/cast.bundle')
  await ok('POST', '/api/assets/bundles', { space_path: '/Story', bundle_name: 'series-main-canon' })
  assert.deepEqual(
    (await ok('GET', '/api/assets/bundles?project=Story')).bundles.map((b: any) => b.name),
    ['cast', 'series-main-canon'],
  )
  assert.deepEqual(
    (await ok('GET', `/api/assets/bundles?project=Story&space_path=${encodeURIComponent('/Story/Characters')}`)).bundles.map((b: any) => b.name),
    ['cast'],
  )
  assert.deepEqual((await ok('GET', '/api/assets/bundles?project=Empty')).bundles, [])

  const added = (await ok('POST', '/api/assets/bundles/members', { bundle_kref: bundle.kref, item_kref: a.item.kref })).result
  assert.equal(added.item_kref, a.item.kref)
  const members = await ok('GET', `/api/assets/bundles/members?bundle_kref=${encodeURIComponent(bundle.kref)}`)
  assert.equal(members.total_count, 1)
  const m = members.members[0]
  assert.deepEqual(Object.keys(m).sort(), ['current_revision', 'error', 'item', 'latest_revision', 'membership'])
  assert.equal(m.item.kref, a.item.kref)
  assert.equal(m.latest_revision.number, 1)
  assert.equal(m.current_revision.kref, a.revision!.kref)
  assert.equal(m.error, null)

  const canon = 'kref://Story/series-main-canon.bundle'
  const refused = await d.call('POST', '/api/assets/bundles/members', { bundle_kref: canon, item_kref: a.item.kref })
  assert.equal(refused.status, 403)
  assert.equal(refused.body.error, 'protected canon bundles require explicit confirmation')
  assert.equal((await d.store.listBundleMembers(canon)).total_count, 0)
  await ok('POST', '/api/assets/bundles/members', { bundle_kref: canon, item_kref: a.item.kref, allow_protected: true })
  assert.equal((await d.call('DELETE', '/api/assets/bundles/members', { bundle_kref: canon, item_kref: a.item.kref })).status, 403)
  await ok('DELETE', '/api/assets/bundles/members', { bundle_kref: canon, item_kref: a.item.kref, allow_protected: true })
  assert.equal((await d.store.listBundleMembers(canon)).total_count, 0)
  assert.equal(
    (await d.call('DELETE', '/api/assets/bundles/members', { bundle_kref: bundle.kref, item_kref: 'kref://Story/Characters/nobody.character' })).status,
    404,
  )
})

test('edges and the dependency graph (direction aliases, depth, node limit, edge type)', async () => {
  const mk = async (name: string) => (await d.store.createItem({ space_path: '/Story/Graph', item_name: name, kind: 'doc', revision: {} })).revision!.kref
  const [a, b, c] = [await mk('a'), await mk('b'), await mk('c')]
  const { edge } = await ok('POST', '/api/assets/edges', { source_kref: a, target_kref: b, edge_type: 'DEPENDS_ON' })
  assert.deepEqual([edge.source_kref, edge.target_kref, edge.edge_type], [a, b, 'DEPENDS_ON'])
  await ok('POST', '/api/assets/edges', { source_kref: b, target_kref: c, edge_type: 'DEPENDS_ON' })
  assert.equal((await d.call('POST', '/api/assets/edges', { source_kref: a, target_kref: b, edge_type: 'DEPENDS_ON' })).status, 409)

  const q = (s: string) => ok('GET', `/api/assets/dependency-graph?revision_kref=${encodeURIComponent(a)}${s}`)
  const one = await q('')
  assert.deepEqual(Object.keys(one).sort(), ['center_kref', 'depth', 'direction', 'edge_type', 'edges', 'node_limit', 'nodes', 'truncated'])
  assert.deepEqual([one.direction, one.depth, one.edge_type, one.node_limit, one.truncated], ['both', 1, null, 100, false])
  assert.deepEqual(
    one.nodes.map((n: any) => n.kref),
    [a, b],
  )
  const node = one.nodes[0]
  assert.deepEqual([node.item_name, node.kind, node.revision_number, node.missing], ['a', 'doc', 1, false])
  assert.equal(node.outgoing_edges.length, 1)
  assert.deepEqual(
    (await q('&direction=upstream&depth=3')).nodes.map((n: any) => n.kref),
    [a, b, c],
  )
  assert.deepEqual(
    (await q('&direction=dependents&depth=3')).nodes.map((n: any) => n.kref),
    [a],
  )
  const capped = await q('&depth=3&node_limit=2')
  assert.equal(capped.truncated, true)
  assert.equal(capped.nodes.length, 2)
  assert.equal((await q('&edge_type=OTHER')).nodes.length, 1)
  assert.equal((await q('&depth=99')).depth, 3, 'depth is clamped')
})

test('artifacts: a link, a file the store writes, deprecation, and content edits in place or as a new revision', async () => {
  const { item, revision } = await d.store.createItem({ space_path: '/Story/Docs', item_name: 'ch1', kind: 'chapter', revision: {} })
  const link = (await ok('POST', '/api/assets/artifacts', { revision_kref: revision!.kref, name: 'remote', location: 's3://bucket/ch1.md' })).artifact
  assert.equal(link.location, 's3://bucket/ch1.md')
  const fileUri = (await ok('POST', '/api/assets/artifacts', { revision_kref: revision!.kref, name: 'local', location: 'file:///srv/ch1.md' })).artifact
  assert.equal(fileUri.location, 'file:///srv/ch1.md', 'the file:// style is kept')
  const written = (
    await ok('POST', '/api/assets/artifacts', { revision_kref: revision!.kref, name: 'ch1.md', location: '', write_file: true, content: '# One' })
  ).artifact
  assert.ok(written.location.startsWith(d.store.artifactRoot + '/'), "written under the store's artifact dir")
  assert.equal(readFileSync(written.location, 'utf8'), '# One')
  assert.equal(written.metadata.generated_location, 'true')
  const linked = (
    await ok('POST', '/api/assets/artifacts', { revision_kref: revision!.kref, name: 'again', location: written.location, validate_exists: true })
  ).artifact
  assert.equal(linked.location, written.location)

  // unpublished: edited in place
  const inPlace = await ok('PUT', '/api/assets/artifacts/content', { artifact_kref: written.kref, revision_kref: revision!.kref, content: '# One, edited' })
  assert.deepEqual([inPlace.created_revision, inPlace.copied_artifacts], [false, 0])
  assert.equal(readFileSync(written.location, 'utf8'), '# One, edited')

  // published: a new revision with every artifact copied and the edited one in a new file
  await d.store.tagRevision(revision!.kref, 'published')
  const edit = await ok('PUT', '/api/assets/artifacts/content', {
    artifact_kref: written.kref,
    revision_kref: revision!.kref,
    content: '# One, second edition',
  })
  assert.equal(edit.created_revision, true)
  assert.equal(edit.copied_artifacts, 4)
  assert.equal(edit.revision.number, 2)
  assert.ok(!edit.revision.tags.includes('published'), 'the new revision is not tagged')
  assert.equal(edit.revision.metadata.edited_from_revision, revision!.kref)
  assert.equal(edit.revision.metadata.edited_by, 'revka-asset-browser')
  assert.equal(edit.artifact.metadata.edited_from_artifact, written.kref)
  assert.notEqual(edit.artifact.location, written.location)
  assert.equal(readFileSync(edit.artifact.location, 'utf8'), '# One, second edition')
  assert.equal(readFileSync(written.location, 'utf8'), '# One, edited', 'the published file is untouched')
  assert.deepEqual((await d.store.listArtifacts(edit.revision.kref)).map((a) => a.name).sort(), ['again', 'ch1.md', 'local', 'remote'])

  assert.equal((await ok('POST', '/api/assets/artifacts/deprecate', { kref: link.kref, deprecated: true })).artifact.deprecated, true)
  assert.ok(item)
})
