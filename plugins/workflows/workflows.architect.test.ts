import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { rawJson, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { DOUBLE_DIR, saveBody, wfYaml } from './test-support/fixtures.js'
import { modelConfig, startFakeModel, type FakeModel } from './test-support/fake-model.js'
import { watchEvents } from './test-support/sse.js'

// the model answers with whatever `nextAnswer` holds: a fenced YAML, or garbage
let nextAnswer = ''
let model: FakeModel
let k: TestKernel
before(async () => {
  model = await startFakeModel(() => nextAnswer)
  k = await startTestKernel({
    plugins: ['store', 'workflows', 'events', 'agent-runtime'],
    paths: [DOUBLE_DIR],
    listen: true,
    config: modelConfig(model.baseUrl),
  })
})
after(async () => {
  await k.stop()
  await model.close()
})

const call = (method: string, path: string, body?: unknown) => rawJson(k.url!, method, path, { token: k.token, body })
const KREF = 'kref://Revka/Workflows/plan.workflow'
const BASE = 'name: Plan\nsteps:\n  - id: gather\n    type: agent\n    agent: { prompt: a }\n  - id: old\n    type: output\n'

test('validate_yaml: the findings with line numbers, and the step ids added/modified/removed against base_yaml', async () => {
  const proposed = 'name: Plan\nsteps:\n  - id: gather\n    type: agent\n    agent: { prompt: b }\n  - id: store\n    type: output\n'
  const r = await call('POST', '/api/architect/validate_yaml', { yaml: proposed, base_yaml: BASE, intent_summary: 'store instead' })
  assert.deepEqual(r.body, {
    valid: true,
    yaml: proposed,
    summary: 'store instead',
    errors: [],
    warnings: [],
    added_step_ids: ['store'],
    modified_step_ids: ['gather'],
    removed_step_ids: ['old'],
  })
  const bad = await call('POST', '/api/architect/validate_yaml', { yaml: 'name: Plan\nsteps:\n  - type: agent\n  - id: ok\n' })
  assert.equal(bad.body.valid, false)
  assert.deepEqual(
    bad.body.errors.map((e: any) => [e.field, e.line]),
    [['steps[0].id', 3]],
  )
  assert.deepEqual(bad.body.added_step_ids, ['ok'], 'without a base every step is new')
  const none = await call('POST', '/api/architect/validate_yaml', {})
  assert.deepEqual([none.status, none.body.error], [400, 'yaml required'])
})

test('revisions lists them in store order; republish tags one published and broadcasts it', async () => {
  assert.equal((await call('POST', '/api/workflows', saveBody('Plan', BASE))).status, 201)
  assert.equal((await call('PUT', '/api/workflows/Revka/Workflows/plan.workflow', saveBody('Plan', wfYaml('Plan')))).status, 200)
  const revs = (await call('GET', `/api/architect/revisions?workflow_kref=${encodeURIComponent('Revka/Workflows/plan.workflow')}`)).body.revisions
  assert.deepEqual(
    revs.map((r: any) => [r.kref, r.number, r.tags.includes('published')]),
    [
      [`${KREF}?r=1`, 1, false],
      [`${KREF}?r=2`, 2, true],
    ],
  )
  assert.equal(revs[0].metadata.display_name, 'Plan')
  assert.equal((await call('GET', '/api/architect/revisions')).status, 400)

  const sse = await watchEvents(k.url!, k.token, 'workflow.revision.published')
  try {
    const r = await call('POST', '/api/architect/republish', { revision_kref: `${KREF}?r=1` })
    assert.deepEqual(r.body, { ok: true, revision_kref: `${KREF}?r=1` })
    const ev = await sse.waitFor((e) => e.revision_kref === `${KREF}?r=1`)
    assert.deepEqual([ev.revision_number, ev.originating_session, ev.workflow_kref], [1, null, KREF])
  } finally {
    sse.close()
  }
  const listed = (await call('GET', '/api/workflows')).body.workflows.find((w: any) => w.kref === KREF)
  assert.equal(listed.version, '1', 'the list now shows the republished revision')
})

test('revise: the model gets the YAML, the operations and the rationale without tools; its YAML becomes an unpublished revision', async () => {
  nextAnswer = 'Here it is:\n```yaml\n' + BASE + '  - id: summarise\n    type: agent\n    depends_on: [gather]\n```\nDone.'
  const ops = [{ op: 'add_step', step_def: { id: 'summarise', type: 'agent' } }, { op: 'delete_step', step_id: 'ghost' }, { op: 'teleport' }]
  const r = await call('POST', '/api/architect/revise', { workflow_kref: 'Revka/Workflows/plan.workflow', operations: ops, rationale: 'needs a summary' })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.deepEqual(r.body, {
    success: true,
    new_revision_kref: `${KREF}?r=3`,
    applied_count: 1,
    skipped_items: [
      { op_index: 1, op: 'delete_step', reason: 'not_applied', details: "step 'ghost' is still there" },
      {
        op_index: 2,
        op: 'teleport',
        reason: 'unknown_operation',
        details: "'teleport' is not one of add_step, edit_step, delete_step, reorder, wire, unwire, insert_into_parallel, extract_from_parallel, rename_step",
      },
    ],
    errors: [],
  })
  const sent = model.requests.at(-1)
  assert.equal(sent.tools, undefined, 'no tools offered')
  const prompt = sent.messages.map((m: any) => m.content).join('\n')
  assert.match(prompt, /needs a summary/)
  assert.match(prompt, /"op": "add_step"/)
  assert.match(prompt, /id: old/, 'the current (published) YAML went to the model')

  const revs = (await call('GET', `/api/architect/revisions?workflow_kref=${encodeURIComponent(KREF)}`)).body.revisions
  assert.deepEqual(
    revs.map((x: any) => [x.number, x.tags.includes('published')]),
    [
      [1, true],
      [2, false],
      [3, false],
    ],
  )
  const three = await call('GET', `/api/workflows/revisions/${encodeURIComponent('Revka/Workflows/plan.workflow?r=3')}`)
  assert.match(three.body.workflow.definition, /id: summarise/)
  assert.equal((await call('GET', '/api/workflows')).body.workflows.find((w: any) => w.kref === KREF).version, '1', 'not published')
})

test('revise: an invalid answer stores nothing; refusals for a missing kref or empty operations', async () => {
  nextAnswer = '```yaml\nname: Plan\nsteps:\n  - type: agent\n```'
  const r = await call('POST', '/api/architect/revise', { workflow_kref: KREF, operations: [{ op: 'edit_step', step_id: 'gather' }] })
  assert.deepEqual([r.body.success, r.body.new_revision_kref, r.body.applied_count], [false, null, 0])
  assert.equal(r.body.errors[0].field, 'steps[0].id')
  const revs = (await call('GET', `/api/architect/revisions?workflow_kref=${encodeURIComponent(KREF)}`)).body.revisions
  assert.equal(revs.length, 3, 'no revision stored')
  assert.deepEqual((await call('POST', '/api/architect/revise', { operations: [{ op: 'add_step' }] })).body.error, 'workflow_kref required')
  assert.deepEqual((await call('POST', '/api/architect/revise', { workflow_kref: KREF, operations: [] })).body.error, 'operations must be non-empty')
  assert.equal((await call('POST', '/api/architect/revise', { workflow_kref: 'Revka/Workflows/ghost.workflow', operations: [{ op: 'add_step' }] })).status, 404)
})
