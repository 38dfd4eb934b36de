/**
 * The store and notification step types on a real domain store: `output` writes an item,
 * `resolve` finds it by kind, tag and name pattern and hands its metadata and artifact on, `tag`
 * moves a tag onto it, `deprecate` hides it; `notify` reaches the dashboard over the bus and a
 * notify that reaches no channel fails the step, saying which channel and why.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { DomainStoreRef, type DomainStore } from '@revka/plugin-sdk'
import { runnerKernel, start, step, waitRun, type RunnerKernel } from './test-support/kernel.js'

let g: RunnerKernel
let store: DomainStore
before(async () => {
  g = await runnerKernel()
  store = g.k.kernel.service(DomainStoreRef)!
})
after(async () => {
  await g.k.stop()
})

test('output → resolve → tag → deprecate on the store, with notify to the dashboard', async () => {
  const id = await start(
    g.runner,
    `
name: report chain
inputs:
  - name: who
steps:
  - id: write
    type: output
    output:
      template: "report for \${inputs.who}"
      format: markdown
      entity_space: /Revka/Reports
      entity_kind: report
      entity_name: daily-\${inputs.who}
      entity_metadata: { owner: "\${inputs.who}" }
  - id: find
    type: resolve
    depends_on: [write]
    resolve: { kind: report, tag: ready, space: /Revka/Reports, name_pattern: "daily-*", artifact_name: output.md, fields: [owner] }
  - id: mark
    type: tag
    tag_step: { item_kref: "\${find.output_data.item_kref}", tag: reviewed }
  - id: hide
    type: deprecate
    depends_on: [mark]
    deprecate_step: { item_kref: "\${find.output_data.item_kref}", reason: superseded }
  - id: tell
    type: notify
    depends_on: [hide]
    notify: { channels: [dashboard], title: "Done", message: "\${find.output_data.owner}: \${find.output_data.content}" }
`,
    { who: 'ada' },
  )
  const d = await waitRun(g.runner, id, ['completed', 'failed'])
  assert.equal(d.status, 'completed', d.error)
  const kref = 'kref://Revka/Reports/daily-ada.report'
  assert.deepEqual(step(d, 'find')!.output_data, {
    item_kref: kref,
    name: 'daily-ada',
    revision_kref: `${kref}?r=1`,
    owner: 'ada',
    content: 'report for ada',
    count: 1,
  })
  const rev = (await store.currentRevision(kref, 'latest'))!
  assert.deepEqual([...rev.tags].sort(), ['latest', 'ready', 'reviewed'])
  assert.equal((await store.getItem(kref))!.deprecated, true)
  const ev = g.k.events.all().find((e: any) => e.type === 'channel_event' && e.payload?.run_id === id) as any
  assert.deepEqual(ev.payload.content, { title: 'Done', message: 'ada: report for ada' })
  assert.deepEqual(step(d, 'tell')!.output_data!.delivery, { dashboard: 'delivered' })
})

test('resolve with fail_if_missing fails when nothing matches; notify to a channel that is not there fails naming it', async () => {
  const d = await waitRun(
    g.runner,
    await start(g.runner, 'name: miss\nsteps:\n  - id: find\n    type: resolve\n    resolve: { kind: nothing, fail_if_missing: true }\n'),
    ['completed', 'failed'],
  )
  assert.equal(d.status, 'failed')
  assert.match(step(d, 'find')!.error!, /no nothing item tagged 'published' in \/Revka/)
  const n = await waitRun(
    g.runner,
    await start(g.runner, 'name: n\nsteps:\n  - id: tell\n    type: notify\n    notify: { channels: [slack], message: hi }\n'),
    ['completed', 'failed'],
  )
  assert.equal(n.status, 'failed')
  assert.match(step(n, 'tell')!.error!, /notify reached no channel: slack: channel 'slack' is not enabled or cannot send/)
})

test('a workflow run by name is loaded from the store: its published revision, else its latest; workflow.yaml, another .yaml artifact, or metadata', async () => {
  const wf = (v: string) => `name: Stored Flow\nsteps:\n  - id: a\n    type: compute\n    compute: { outputs: { v: "${v}" } }\n`
  await store.createItem({
    space_path: '/Revka/Workflows',
    item_name: 'stored-flow',
    kind: 'workflow',
    revision: { tags: ['published'], artifacts: [{ name: 'workflow.yaml', file: { content: wf('one') } }] },
  })
  await store.createRevision('kref://Revka/Workflows/stored-flow.workflow', { artifacts: [{ name: 'draft.yml', file: { content: wf('draft') } }] })
  const run = async (name: string) => {
    const r = await g.runner.run({ workflow: name })
    if ('refused' in r) throw new Error(r.message)
    return waitRun(g.runner, r.run_id, ['completed', 'failed'])
  }
  const d = await run('Stored Flow')
  assert.deepEqual(step(d, 'a')!.output_data, { v: 'one' }, 'the published revision, found by display name → slug')
  assert.equal(d.workflow_revision_kref, 'kref://Revka/Workflows/stored-flow.workflow?r=1')
  await store.createItem({ space_path: '/Revka/Workflows', item_name: 'meta-flow', kind: 'workflow', revision: { metadata: { definition: wf('meta') } } })
  assert.deepEqual(step(await run('meta-flow'), 'a')!.output_data, { v: 'meta' })
  await store.untagRevision('kref://Revka/Workflows/stored-flow.workflow?r=1', 'published')
  assert.deepEqual(step(await run('stored-flow'), 'a')!.output_data, { v: 'draft' }, 'no published revision: the latest, its .yml artifact')
  const missing = await g.runner.run({ workflow: '../Workflows/x' })
  assert.ok('refused' in missing && missing.code === 'workflow_not_found')
})
