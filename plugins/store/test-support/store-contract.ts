/**
 * The domain store's interface contract (DOMAIN.md §2), run against each backend: the SQLite
 * store (plugins/store/store.interface.test.ts) and the PostgreSQL one
 * (test/cluster/cluster.store.test.ts). The cases speak only the SDK interface, as route plugins
 * do; what needs the engine itself (a snapshot of every row, a failure injected mid-transaction,
 * a reopen) is the harness's.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { formatKref, isDomainError, itemKref, parseKref, slugify, type DomainStore } from '@revka/plugin-sdk'
import { storeLimits, type StoreLimits } from '../limits.js'
import { seed } from '../seed.js'

/** the bounds the cases hit */
export const CONTRACT_LIMITS: StoreLimits = storeLimits({
  max_items_per_space: 50,
  max_metadata_bytes: 2048,
  max_revisions_per_item: 5,
  max_artifact_bytes: 4096,
})

export interface StoreHarness {
  /** a fresh, empty store with CONTRACT_LIMITS */
  open(): Promise<DomainStore>
  /** the same data through a store opened anew */
  reopen(): Promise<DomainStore>
  close(): Promise<void>
  /** every row of every table, to prove a refused write changed nothing */
  snapshot(): Promise<string>
  /** make the engine refuse (with `message`) to store the tag `tag`, mid-transaction; resolves with the undo */
  failOnTag(tag: string, message: string): Promise<() => Promise<void>>
  /** a file outside the artifact root (a symlink to it must not count as contained) */
  outsideFile(): string
  /** true when a file can sit where the store would write one without a row (SQLite: files before rows) */
  orphanFiles: boolean
  reopenSays: string
  afterReopen?(): Promise<void> | void
}

export function storeContract(h: StoreHarness): void {
  // the tests speak only the SDK interface, as route plugins do
  let s: DomainStore
  before(async () => {
    s = await h.open()
    await seed(s, { harness: 'Revka', memory: 'CognitiveMemory' })
  })
  after(() => h.close())

  const rejects = (p: Promise<unknown>, code: string, status: number) =>
    assert.rejects(p, (e: any) => isDomainError(e) && e.code === code && e.statusCode === status && e.options.extra?.error_code === code)

  const snapshot = () => h.snapshot()
  const files = (): string[] => {
    const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]))
    return walk(s.artifactRoot)
  }

  test('first start seeds the harness and memory projects with the spaces the dashboard expects', async () => {
    assert.deepEqual(
      (await s.listProjects()).map((p) => p.name),
      ['CognitiveMemory', 'Revka'],
    )
    assert.deepEqual((await s.listSpaces({ parent_path: '/Revka' })).map((x) => x.path).sort(), [
      '/Revka/AgentPool',
      '/Revka/Teams',
      '/Revka/WorkflowRunRequests',
      '/Revka/WorkflowRuns',
      '/Revka/Workflows',
    ])
    assert.deepEqual(
      (await s.listSpaces({ parent_path: 'CognitiveMemory' })).map((x) => [x.path, x.type, x.parent_path]),
      [['/CognitiveMemory/Skills', 'root', '/CognitiveMemory']],
    )
    const again = await s.ensureSpace('/Revka/AgentPool')
    assert.equal(again.created, false)
  })

  test('an item with its first revision round-trips; published and latest sit on it', async () => {
    const { item, revision } = await s.createItem({
      space_path: '/Revka/AgentPool',
      item_name: 'senior-rust',
      kind: 'agent',
      author: 'ann',
      revision: { metadata: { display_name: 'Senior Rust', expertise: 'rust,tokio' }, tags: ['published'] },
    })
    assert.equal(item.kref, 'kref://Revka/AgentPool/senior-rust.agent')
    assert.equal(item.author, 'ann')
    assert.equal(revision!.kref, 'kref://Revka/AgentPool/senior-rust.agent?r=1')
    assert.deepEqual(revision!.tags, ['latest', 'published'])
    assert.equal(revision!.published, true)
    assert.equal(revision!.latest, true)
    const got = await s.getRevision('Revka/AgentPool/senior-rust.agent?t=published')
    assert.deepEqual(got!.metadata, { display_name: 'Senior Rust', expertise: 'rust,tokio' })
    assert.equal((await s.getItem('kref://Revka/AgentPool/senior-rust.agent?r=1'))!.item_name, 'senior-rust')
    await rejects(s.createItem({ space_path: '/Revka/AgentPool', item_name: 'senior-rust', kind: 'agent' }), 'conflict', 409)
  })

  test('a tag is a per-item pointer: tagging r2 moves published off r1; latest is virtual', async () => {
    const k = 'kref://Revka/AgentPool/senior-rust.agent'
    const r2 = await s.createRevision(k, { metadata: { display_name: 'Senior Rust 2' }, tags: ['published'] })
    assert.equal(r2.number, 2)
    const r1 = await s.getRevision(k + '?r=1')
    assert.equal(r1!.published, false)
    assert.equal(r1!.latest, false)
    assert.deepEqual(r1!.tags, [])
    const r3 = await s.createRevision(k, { metadata: { display_name: 'draft' } })
    assert.equal((await s.currentRevision(k))!.number, 2, 'published wins over latest')
    assert.equal((await s.currentRevision(k, 'latest'))!.number, 3)
    assert.equal((await s.getRevision(k + '?t=latest'))!.number, 3)
    assert.equal((await s.getRevision(k))!.number, 3)
    await s.tagRevision(r3.kref, 'published')
    assert.equal((await s.currentRevision(k))!.number, 3)
    assert.equal((await s.getRevision(k + '?r=2'))!.published, false)
    await rejects(s.tagRevision(r3.kref, 'latest'), 'invalid_input', 400)
    await s.untagRevision(r3.kref, 'published')
    assert.equal(await s.getRevision(k + '?t=published'), null)
    assert.deepEqual(
      (await s.listRevisions(k)).map((r) => r.number),
      [1, 2, 3],
    )
  })

  test('deprecate hides an item from lists unless include_deprecated', async () => {
    await s.createItem({ space_path: '/Revka/AgentPool', item_name: 'old-one', kind: 'agent' })
    await s.setItemDeprecated('Revka/AgentPool/old-one.agent', true)
    const visible = await s.listItems({ space_path: '/Revka/AgentPool', kinds: ['agent'] })
    assert.deepEqual(
      visible.items.map((i) => i.item_name),
      ['senior-rust'],
    )
    assert.equal(visible.total, 1)
    const all = await s.listItems({ space_path: '/Revka/AgentPool', kinds: ['agent'], include_deprecated: true })
    assert.deepEqual(
      all.items.map((i) => [i.item_name, i.deprecated]),
      [
        ['old-one', true],
        ['senior-rust', false],
      ],
    )
    assert.equal((await s.search({ query: 'old', kinds: ['agent'] })).total, 0)
    assert.equal((await s.search({ query: 'old', kinds: ['agent'], include_deprecated: true })).total, 1)
  })

  test('full-text search: words of names and metadata, scoped by context and kind, paged', async () => {
    for (let i = 0; i < 12; i++) {
      await s.createItem({
        space_path: '/CognitiveMemory/Skills',
        item_name: `skill-${i}`,
        kind: 'skill',
        revision: { metadata: { description: i % 2 ? 'parses YAML files' : 'reads TOML' } },
      })
    }
    const yaml = await s.search({ query: 'yaml', context: 'CognitiveMemory', limit: 4 })
    assert.equal(yaml.total, 6)
    assert.equal(yaml.items.length, 4)
    assert.ok(yaml.items.every((h) => h.item.kind === 'skill' && h.score > 0))
    const page2 = await s.search({ query: 'yaml', context: '/CognitiveMemory/Skills', limit: 4, offset: 4 })
    assert.equal(page2.items.length, 2)
    assert.equal((await s.search({ query: 'yaml', context: 'Revka' })).total, 0)
    assert.equal((await s.search({ query: 'rust', kinds: ['agent'] })).items[0].item.item_name, 'senior-rust', 'slug parts are words')
    assert.equal((await s.search({ query: 'TOM' })).total, 6, 'the last word is a prefix')
    // FTS syntax in user text is only words
    assert.equal((await s.search({ query: '"yaml" OR NEAR(' })).total, 0)
    assert.equal((await s.search({ query: '*** ) (' })).total, 0)
    // diacritics are folded on both sides (FTS5 remove_diacritics; the PostgreSQL store folds its texts)
    await s.createItem({ space_path: '/CognitiveMemory/Skills', item_name: 'clinic', kind: 'skill', revision: { metadata: { description: 'Ärzte im Café' } } })
    assert.equal((await s.search({ query: 'arzte cafe' })).items[0]?.item.item_name, 'clinic')
    assert.equal((await s.search({ query: 'CAFÉ' })).total, 1)
    await s.deleteItem('CognitiveMemory/Skills/clinic.skill')
    // older revisions only with include_revision_metadata
    await s.createRevision('CognitiveMemory/Skills/skill-0.skill', { metadata: { description: 'now different' } })
    assert.equal((await s.search({ query: 'toml', context: 'CognitiveMemory' })).total, 5)
    assert.equal((await s.search({ query: 'toml', context: 'CognitiveMemory', include_revision_metadata: true })).total, 6)
  })

  test('krefs: the grammar, and every malformed kref is a 400 kref_invalid', async () => {
    for (const bad of [
      '',
      'kref://',
      'kref://kref://Revka/AgentPool/a.agent',
      'Revka',
      'Revka/a.agent/',
      'Revka/../etc/a.agent',
      '/etc/passwd',
      'kref:///Revka/AgentPool/a.agent',
      'Revka/AgentPool/noext',
      'Revka/AgentPool/a.agent?r=0',
      'Revka/AgentPool/a.agent?r=1&t=x',
      'Revka/AgentPool/a.agent?x=1',
      'Revka/Agent\\Pool/a.agent',
      'Revka/AgentPool/a.agent?r=1&a=../x',
      'http://Revka/AgentPool/a.agent',
      'Revka//a.agent',
    ]) {
      await rejects(s.getItem(bad), 'kref_invalid', 400)
    }
    assert.equal(await s.getItem('Revka/AgentPool/missing.agent'), null)
    await rejects(s.createRevision('Revka/AgentPool/missing.agent', {}), 'not_found', 404)
    await rejects(s.createItem({ space_path: '/Revka/AgentPool', item_name: '../x', kind: 'agent' }), 'invalid_input', 400)
    await rejects(s.createItem({ space_path: '/Revka/AgentPool', item_name: 'a/b', kind: 'agent' }), 'invalid_input', 400)
    await rejects(s.createItem({ space_path: '/Revka/../AgentPool', item_name: 'ab', kind: 'agent' }), 'kref_invalid', 400)
  })

  test('a failing write rolls back: a duplicate artifact name in a new item leaves no item and no file', async () => {
    const before = await snapshot()
    const filesBefore = files()
    await rejects(
      s.createItem({
        space_path: '/Revka/Teams',
        item_name: 'doomed',
        kind: 'bundle',
        revision: {
          metadata: { a: 'b' },
          tags: ['published'],
          artifacts: [
            { name: 'x.md', file: { content: 'one' } },
            { name: 'y.md', file: { content: 'two' } },
            { name: 'x.md', location: '/tmp/x' },
          ],
        },
      }),
      'conflict',
      409,
    )
    // one too large after a file was written
    await rejects(
      s.createItem({
        space_path: '/Revka/Teams',
        item_name: 'doomed',
        kind: 'bundle',
        revision: {
          artifacts: [
            { name: 'ok.md', file: { content: 'fine' } },
            { name: 'big.bin', file: { content: Buffer.alloc(5000) } },
          ],
        },
      }),
      'too_large',
      413,
    )
    // a bad metadata value
    await rejects(
      s.createItem({
        space_path: '/Revka/Teams',
        item_name: 'doomed',
        kind: 'bundle',
        revision: { metadata: { n: 1 as unknown as string } },
      }),
      'invalid_input',
      400,
    )
    // the database itself fails mid-transaction, after the item, revision and file were written
    const undo = await h.failOnTag('boom', 'disk says no')
    try {
      await assert.rejects(
        s.createItem({
          space_path: '/Revka/NewSpace',
          item_name: 'doomed',
          kind: 'bundle',
          revision: { metadata: { a: 'b' }, tags: ['boom'], artifacts: [{ name: 'x.md', file: { content: 'one' } }] },
        }),
        /disk says no/,
      )
      await assert.rejects(
        s.createRevision('Revka/AgentPool/senior-rust.agent', { tags: ['boom'], artifacts: [{ name: 'x.md', file: { content: 'one' } }] }),
        /disk says no/,
      )
    } finally {
      await undo()
    }
    assert.equal(await snapshot(), before)
    assert.deepEqual(files(), filesBefore)
    assert.equal(await s.getItem('Revka/Teams/doomed.bundle'), null)
    assert.equal(await s.getSpace('/Revka/NewSpace'), null, 'the space the write would have created is rolled back too')
  })

  test('krefs format and parse back; a kref sent with its scheme is not prefixed twice (quirk of §1.3 not copied)', () => {
    const k = parseKref('kref://Revka/AgentPool/sub/senior-rust.agent?r=3&a=profile-avatar')
    assert.deepEqual(k, { project: 'Revka', spaces: ['AgentPool', 'sub'], name: 'senior-rust', kind: 'agent', revision: 3, artifact: 'profile-avatar' })
    assert.equal(formatKref(k), 'kref://Revka/AgentPool/sub/senior-rust.agent?r=3&a=profile-avatar')
    assert.equal(formatKref(parseKref('Revka/Teams/My Team.v1.bundle?t=published')), 'kref://Revka/Teams/My Team.v1.bundle?t=published')
    assert.equal(parseKref('Revka/Teams/My Team.v1.bundle').name, 'My Team.v1')
    assert.equal(itemKref('Revka/AgentPool/a.agent?t=published'), 'kref://Revka/AgentPool/a.agent')
    assert.equal(slugify('  Senior Rust / Ops_Lead!! '), 'senior-rust-ops-lead')
    assert.equal(slugify('Ärzte Team'), 'ärzte-team')
  })

  test('quotas: metadata bytes 413, revisions per item and items per space 507, nothing written', async () => {
    const k = 'Revka/Workflows/q.workflow'
    await s.createItem({ space_path: '/Revka/Workflows', item_name: 'q', kind: 'workflow', revision: {} })
    let before = await snapshot()
    await rejects(s.createRevision(k, { metadata: { big: 'x'.repeat(3000) } }), 'too_large', 413)
    assert.equal(await snapshot(), before)
    for (let i = 2; i <= 5; i++) await s.createRevision(k, {})
    before = await snapshot()
    await rejects(s.createRevision(k, {}), 'quota_exceeded', 507)
    assert.equal(await snapshot(), before)
    for (let i = 0; i < 49; i++) await s.createItem({ space_path: '/Revka/WorkflowRuns', item_name: `run-${i}`, kind: 'workflow_run' })
    await s.createItem({ space_path: '/Revka/WorkflowRuns', item_name: 'run-49', kind: 'workflow_run' })
    before = await snapshot()
    await rejects(s.createItem({ space_path: '/Revka/WorkflowRuns', item_name: 'run-50', kind: 'workflow_run' }), 'quota_exceeded', 507)
    assert.equal(await snapshot(), before)
    // a delete frees a slot
    await s.deleteItem('Revka/WorkflowRuns/run-0.workflow_run')
    await s.createItem({ space_path: '/Revka/WorkflowRuns', item_name: 'run-50', kind: 'workflow_run' })
  })

  test('artifacts: store-written files are atomic, contained, rewritable; delete removes them', async () => {
    const { revision } = await s.createItem({
      space_path: '/CognitiveMemory/Skills',
      item_name: 'md',
      kind: 'skill',
      revision: {
        artifacts: [
          { name: 'SKILL.md', file: { content: '# hi' } },
          { name: 'remote', location: 'https://example.com/x' },
        ],
      },
    })
    const arts = await s.listArtifacts(revision!.kref)
    assert.deepEqual(
      arts.map((a) => a.name),
      ['SKILL.md', 'remote'],
    )
    const md = (await s.getArtifact('CognitiveMemory/Skills/md.skill?r=1&a=SKILL.md'))!
    assert.equal(md.revision_kref, revision!.kref)
    assert.equal(readFileSync(md.location, 'utf8'), '# hi')
    assert.equal(statSync(md.location).mode & 0o777, 0o600)
    assert.equal(await s.containedArtifactPath('file://' + md.location), md.location)
    assert.equal(await s.containedArtifactPath(md.location + '/../../../../../../domain.db'), null)
    assert.equal(await s.containedArtifactPath('/etc/passwd'), null)
    const link = join(s.artifactRoot, 'escape')
    symlinkSync(h.outsideFile(), link)
    assert.equal(await s.containedArtifactPath(link), null, 'a symlink out of the root is refused')
    rmSync(link)
    await s.writeArtifactFile(md.kref, { content: '# changed' })
    assert.equal(readFileSync(md.location, 'utf8'), '# changed')
    await rejects(s.writeArtifactFile('CognitiveMemory/Skills/md.skill?r=1&a=remote', { content: 'x' }), 'invalid_input', 400)
    assert.deepEqual(
      (await s.findArtifactsByLocation('https://example.com/x')).map((a) => a.kref),
      ['kref://CognitiveMemory/Skills/md.skill?r=1&a=remote'],
    )
    await rejects(s.createArtifact(revision!.kref, { name: 'SKILL.md', location: '/x' }), 'conflict', 409)
    // an orphan file where a new artifact's file would go: refused with overwrite false, replaced by default
    const orphan = join(dirname(md.location), 'notes.md')
    writeFileSync(orphan, 'orphan')
    if (h.orphanFiles) {
      await rejects(s.createArtifact(revision!.kref, { name: 'notes.md', file: { content: 'new', overwrite: false } }), 'conflict', 409)
      assert.equal(readFileSync(orphan, 'utf8'), 'orphan')
      assert.equal(await s.getArtifact(revision!.kref + '&a=notes.md'), null)
    }
    await s.createArtifact(revision!.kref, { name: 'notes.md', file: { content: 'new' } })
    assert.equal(readFileSync(orphan, 'utf8'), 'new')
    await s.deleteItem('CognitiveMemory/Skills/md.skill')
    assert.equal(existsSync(md.location), false)
    assert.equal(await s.getItem('CognitiveMemory/Skills/md.skill'), null)
  })

  test('edges between revisions by direction and type; bundles list members; deletes cascade', async () => {
    const a = (await s.createItem({ space_path: '/Revka/AgentPool', item_name: 'ea', kind: 'agent', revision: {} })).revision!
    const b = (await s.createItem({ space_path: '/Revka/AgentPool', item_name: 'eb', kind: 'agent', revision: {} })).revision!
    await s.createEdge({ source_kref: a.kref, target_kref: b.kref, edge_type: 'DEPENDS_ON' })
    await s.createEdge({ source_kref: b.kref, target_kref: a.kref, edge_type: 'SUPPORTS', metadata: { w: '1' } })
    await rejects(s.createEdge({ source_kref: a.kref, target_kref: b.kref, edge_type: 'DEPENDS_ON' }), 'conflict', 409)
    await rejects(s.createEdge({ source_kref: a.kref, target_kref: 'Revka/AgentPool/none.agent?r=1', edge_type: 'X' }), 'not_found', 404)
    assert.deepEqual(
      (await s.listEdges({ kref: a.kref, direction: 'outgoing' })).map((e) => [e.target_kref, e.edge_type]),
      [[b.kref, 'DEPENDS_ON']],
    )
    assert.deepEqual(
      (await s.listEdges({ kref: a.kref, direction: 'incoming' })).map((e) => e.edge_type),
      ['SUPPORTS'],
    )
    assert.equal((await s.listEdges({ kref: 'Revka/AgentPool/ea.agent', direction: 'both' })).length, 2)
    assert.equal((await s.listEdges({ kref: a.kref, edge_type: 'SUPPORTS' })).length, 1)
    const team = (await s.createItem({ space_path: '/Revka/Teams', item_name: 'Team A', kind: 'bundle', revision: {} })).item
    const m = await s.addBundleMember(team.kref, 'Revka/AgentPool/ea.agent', { added_by: 'ann' })
    assert.deepEqual(m.added_in_revision, 1)
    await s.addBundleMember(team.kref, 'Revka/AgentPool/eb.agent')
    await rejects(s.addBundleMember(team.kref, 'Revka/AgentPool/eb.agent'), 'conflict', 409)
    await rejects(s.addBundleMember('Revka/AgentPool/ea.agent', 'Revka/AgentPool/eb.agent'), 'invalid_input', 400)
    assert.equal((await s.listBundleMembers(team.kref)).total_count, 2)
    await s.deleteItem('Revka/AgentPool/eb.agent')
    assert.deepEqual(
      (await s.listBundleMembers(team.kref)).members.map((x) => x.item_kref),
      ['kref://Revka/AgentPool/ea.agent'],
    )
    assert.equal((await s.listEdges({ kref: a.kref })).length, 0)
  })

  test(`data survives a reopen (${h.reopenSays})`, async () => {
    s = await h.reopen()
    assert.equal((await s.currentRevision('Revka/AgentPool/senior-rust.agent'))!.number, 3)
    assert.equal((await s.listItems({ space_path: '/Revka/WorkflowRuns' })).total, 50)
    await rejects(s.createItem({ space_path: '/Revka/WorkflowRuns', item_name: 'run-x', kind: 'workflow_run' }), 'quota_exceeded', 507)
    await h.afterReopen?.()
  })
}
