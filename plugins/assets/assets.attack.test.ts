import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { filesUnder, startDomainKernel, storeSnapshot, type DomainKernel } from './test-support/domain.js'

let d: DomainKernel
let item = ''
let rev = ''
let rev2 = ''
let fileArt = ''
let linkArt = ''
before(async () => {
  d = await startDomainKernel(['assets'])
  const made = await d.store.createItem({
    space_path: '/Story/Docs',
    item_name: 'doc',
    kind: 'doc',
    revision: {
      artifacts: [
        { name: 'body.md', file: { content: 'body' } },
        { name: 'link', location: '/srv/x.md' },
      ],
    },
  })
  item = made.item.kref
  rev = made.revision!.kref
  rev2 = (await d.store.createRevision(item, {})).kref
  const arts = await d.store.listArtifacts(rev)
  fileArt = arts.find((a) => a.name === 'body.md')!.kref
  linkArt = arts.find((a) => a.name === 'link')!.kref
  await d.store.createEdge({ source_kref: rev, target_kref: rev2, edge_type: 'NEXT' })
  await d.store.createItem({ space_path: '/Story/Docs', item_name: 'pack', kind: 'bundle' })
  await d.store.addBundleMember('kref://Story/Docs/pack.bundle', item)
})
after(async () => {
  await d.k.stop()
})

type Case = [method: string, path: string, body: unknown, status: number, why: string]

test('attack: malformed krefs, traversal in names and paths, missing/empty/mistyped fields, unknown and duplicate entities — each refused with its status, the store and its files unchanged', async () => {
  const ghost = 'kref://Story/Docs/ghost.doc'
  const cases: Case[] = [
    // malformed krefs → 400 kref_invalid
    ['POST', '/api/assets/revisions', { item_kref: 'kref://Story/../etc/passwd.doc' }, 400, 'traversal segment'],
    ['POST', '/api/assets/revisions', { item_kref: '/etc/passwd' }, 400, 'absolute path'],
    ['POST', '/api/assets/revisions', { item_kref: 'Story/Docs/nokind' }, 400, 'no kind'],
    ['POST', '/api/assets/revisions/publish', { kref: `${item}?r=abc` }, 400, 'bad selector'],
    ['POST', '/api/assets/edges', { source_kref: rev, target_kref: 'kref://kref://Story/Docs/doc.doc?r=1', edge_type: 'X' }, 400, 'doubled scheme'],
    ['POST', '/api/assets/bundles/members', { bundle_kref: 'kref://Story/Docs\\..\\pack.bundle', item_kref: item }, 400, 'backslash'],
    ['POST', '/api/assets/artifacts/deprecate', { kref: `${rev}&a=../../etc`, deprecated: true }, 400, 'artifact name with separators'],
    // separators and traversal where a name is expected
    ['POST', '/api/assets/projects', { name: '..' }, 400, 'project ..'],
    ['POST', '/api/assets/projects', { name: 'a/b' }, 400, 'project with /'],
    ['POST', '/api/assets/spaces', { parent_path: '/Story', name: '../Escape' }, 400, 'space name ..'],
    ['POST', '/api/assets/spaces', { parent_path: '/Story/../Other', name: 'x' }, 400, 'parent path ..'],
    ['POST', '/api/assets/items', { space_path: '/Story/Docs', item_name: '../x', kind: 'doc' }, 400, 'item name with /'],
    ['POST', '/api/assets/items', { space_path: '/Story/Docs', item_name: 'x', kind: 'a/b' }, 400, 'kind with /'],
    ['POST', '/api/assets/bundles', { space_path: '/Story/Docs', bundle_name: '..' }, 400, 'bundle name ..'],
    [
      'POST',
      '/api/assets/artifacts',
      { revision_kref: rev, name: '../../escape.md', location: '', write_file: true, content: 'x' },
      400,
      'artifact name with /',
    ],
    // missing or mistyped (422) and empty (400) fields
    ['POST', '/api/assets/items', { space_path: '/Story/Docs', kind: 'doc' }, 422, 'item_name missing'],
    ['POST', '/api/assets/items', { space_path: '/Story/Docs', item_name: 7, kind: 'doc' }, 422, 'item_name a number'],
    ['POST', '/api/assets/items', { space_path: '/Story/Docs', item_name: '   ', kind: 'doc' }, 400, 'item_name blank'],
    ['POST', '/api/assets/items/deprecate', { kref: item }, 422, 'deprecated missing'],
    ['POST', '/api/assets/items/deprecate', { kref: item, deprecated: 'yes' }, 422, 'deprecated a string'],
    ['POST', '/api/assets/revisions/tags', { kref: rev, tag: '' }, 400, 'tag empty'],
    ['POST', '/api/assets/revisions/tags', { kref: rev, tag: 'a b' }, 400, 'tag with a space'],
    ['POST', '/api/assets/revisions/tags', { kref: rev, tag: 'latest' }, 400, 'latest is virtual'],
    ['POST', '/api/assets/items', { space_path: '/Story/Docs', item_name: 'm', kind: 'doc', metadata: ['x'] }, 422, 'metadata a list'],
    ['POST', '/api/assets/artifacts', { revision_kref: rev, name: 'n' }, 422, 'location missing'],
    ['PUT', '/api/assets/artifacts/content', { artifact_kref: fileArt, revision_kref: rev }, 422, 'content missing'],
    ['POST', '/api/assets/items', [], 422, 'a list body'],
    // unknown → 404
    ['POST', '/api/assets/revisions', { item_kref: ghost }, 404, 'revision of an unknown item'],
    ['POST', '/api/assets/items/deprecate', { kref: ghost, deprecated: true }, 404, 'deprecate unknown'],
    ['POST', '/api/assets/revisions/tags', { kref: `${item}?r=99`, tag: 'x' }, 404, 'tag unknown revision'],
    ['POST', '/api/assets/edges', { source_kref: rev, target_kref: `${ghost}?r=1`, edge_type: 'X' }, 404, 'edge to unknown'],
    ['POST', '/api/assets/bundles/members', { bundle_kref: 'kref://Story/Docs/pack.bundle', item_kref: ghost }, 404, 'member unknown'],
    ['PUT', '/api/assets/artifacts/content', { artifact_kref: `${rev}&a=nope`, revision_kref: rev, content: 'x' }, 404, 'edit unknown artifact'],
    // duplicates → 409
    ['POST', '/api/assets/items', { space_path: '/Story/Docs', item_name: 'doc', kind: 'doc' }, 409, 'item exists'],
    ['POST', '/api/assets/edges', { source_kref: rev, target_kref: rev2, edge_type: 'NEXT' }, 409, 'edge exists'],
    ['POST', '/api/assets/artifacts', { revision_kref: rev, name: 'link', location: '/srv/y.md' }, 409, 'artifact name taken'],
    ['POST', '/api/assets/bundles/members', { bundle_kref: 'kref://Story/Docs/pack.bundle', item_kref: item }, 409, 'member exists'],
    // locations
    [
      'POST',
      '/api/assets/artifacts',
      { revision_kref: rev2, name: 'w', location: '/etc/cron.d/evil', write_file: true, content: '* * * * * root x' },
      400,
      'write_file to a chosen path',
    ],
    ['POST', '/api/assets/artifacts', { revision_kref: item, name: 'w', location: '', write_file: true, content: 'x' }, 400, 'write_file without r='],
    ['POST', '/api/assets/artifacts', { revision_kref: rev2, name: 'rel', location: '../../etc/passwd' }, 400, 'relative location'],
    ['POST', '/api/assets/artifacts', { revision_kref: rev2, name: 'v', location: '/etc/passwd', validate_exists: true }, 403, 'validate outside'],
    [
      'POST',
      '/api/assets/artifacts',
      { revision_kref: rev2, name: 'v', location: join(d.store.artifactRoot, 'escape-link'), validate_exists: true },
      403,
      'validate symlink out',
    ],
    [
      'POST',
      '/api/assets/artifacts',
      { revision_kref: rev2, name: 'v', location: join(d.store.artifactRoot, 'missing.md'), validate_exists: true },
      400,
      'validate missing',
    ],
    // edits
    ['PUT', '/api/assets/artifacts/content', { artifact_kref: fileArt, revision_kref: rev2, content: 'x' }, 400, 'artifact of another revision'],
    [
      'PUT',
      '/api/assets/artifacts/content',
      { artifact_kref: linkArt, revision_kref: rev, content: 'x' },
      400,
      'in-place edit of a file the store did not write',
    ],
    [
      'PUT',
      '/api/assets/artifacts/content',
      { artifact_kref: fileArt, revision_kref: rev, content: 'é'.repeat(600 * 1024) },
      413,
      'content over 1 MiB in UTF-8',
    ],
    [
      'POST',
      '/api/assets/artifacts',
      { revision_kref: rev2, name: 'big', location: '', write_file: true, content: 'x'.repeat(1024 * 1024 + 1) },
      413,
      'artifact content over 1 MiB',
    ],
    // protected
    ['POST', '/api/assets/revisions/tags', { kref: rev, tag: 'current' }, 403, 'current tag'],
  ]
  symlinkSync('/etc/passwd', join(d.store.artifactRoot, 'escape-link'))
  const snap = await storeSnapshot(d.store)
  const files = filesUnder(d.store.artifactRoot)
  for (const [method, path, body, status, why] of cases) {
    const res = await d.call(method, path, body)
    assert.equal(res.status, status, `${why}: ${res.text}`)
    assert.equal(typeof res.body?.error, 'string', why)
  }
  assert.equal(await storeSnapshot(d.store), snap, 'no refused request changed the store')
  assert.deepEqual(filesUnder(d.store.artifactRoot), files, 'no refused request wrote a file')
})

test('attack: a non-JSON body is 415, a body over 2 MiB is 413, a wrong credential is 401 — the store unchanged', async () => {
  const snap = await storeSnapshot(d.store)
  const text = await d.call('POST', '/api/assets/projects', 'name=Evil', { 'content-type': 'application/x-www-form-urlencoded' })
  assert.equal(text.status, 415)
  const big = await d.call(
    'POST',
    '/api/assets/items',
    JSON.stringify({ space_path: '/Story/Docs', item_name: 'big', kind: 'doc', metadata: { x: 'y'.repeat(2 * 1024 * 1024) } }),
  )
  assert.equal(big.status, 413)
  const res = await fetch(`${d.k.url}/api/assets/projects`, {
    method: 'POST',
    headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Evil' }),
  })
  assert.equal(res.status, 401)
  assert.equal(await storeSnapshot(d.store), snap)
  assert.equal(await d.store.getProject('Evil'), null)
})
