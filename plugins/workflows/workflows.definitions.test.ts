import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pluginStateSnapshot, rawJson, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { DOUBLE_DIR, saveBody, wfYaml } from './test-support/fixtures.js'
import { watchEvents } from './test-support/sse.js'

// route-shape tests: the runner is the in-test double (validation with line numbers, no runs)
let k: TestKernel
before(async () => {
  k = await startTestKernel({ plugins: ['store', 'workflows', 'events'], paths: [DOUBLE_DIR], listen: true })
})
after(async () => {
  await k.stop()
})

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  rawJson(k.url!, method, path, { token: k.token, body, headers })
const KREF = 'kref://Revka/Workflows/nightly-report.workflow'
const shipped = (list: any[]) =>
  list
    .filter((w) => w.source === 'builtin')
    .map((w) => w.item_name)
    .sort()

test('create 201 → the Workflow shape, the workflow.yaml artifact, published tag, the event on /api/events, an audit entry', async () => {
  const sse = await watchEvents(k.url!, k.token, 'workflow.revision.published')
  try {
    const yaml = wfYaml('Nightly Report', { extraStep: 'store', onKind: 'document' })
    const c = await call('POST', '/api/workflows', saveBody('Nightly Report', yaml, ['ops', 'daily']), { 'x-revka-session': 'tab-7' })
    assert.equal(c.status, 201, JSON.stringify(c.body))
    assert.deepEqual(
      { ...c.body.workflow, created_at: typeof c.body.workflow.created_at },
      {
        kref: KREF,
        name: 'Nightly Report',
        item_name: 'nightly-report',
        deprecated: false,
        created_at: 'string',
        description: 'Nightly Report description',
        definition: yaml,
        version: '1',
        tags: ['ops', 'daily'],
        steps: 2,
        revision_number: 1,
        source: 'custom',
        triggers: [{ on_kind: 'document', on_tag: 'ready' }],
      },
    )
    const ev = await sse.waitFor((e) => e.type === 'workflow.revision.published')
    assert.deepEqual(
      { ...ev, id: undefined, timestamp: undefined, published_at: typeof ev.published_at },
      {
        type: 'workflow.revision.published',
        id: undefined,
        timestamp: undefined,
        workflow_kref: KREF,
        revision_kref: `${KREF}?r=1`,
        revision_number: 1,
        name: 'Nightly Report',
        published_at: 'string',
        originating_session: 'tab-7',
      },
    )
  } finally {
    sse.close()
  }
  const files = readdirSync(join(k.stateDir, 'plugins', 'store', 'artifacts'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('workflow.yaml'))
  assert.equal(files.length, 1, 'the YAML is the revision artifact workflow.yaml, a file the store wrote')
  assert.match(readFileSync(join(k.stateDir, 'plugins', 'store', 'artifacts', files[0]), 'utf8'), /name: Nightly Report/)
  const audit = readFileSync(join(k.stateDir, 'kernel', 'audit', 'audit.log'), 'utf8')
  assert.match(audit, /Workflow created: Nightly Report \(kref:\/\/Revka\/Workflows\/nightly-report\.workflow\?r=1\)/)
})

test('list merges the shipped built-ins; update is a new published revision; revisions/{encoded kref} reads exactly one', async () => {
  const list = (await call('GET', '/api/workflows')).body.workflows
  const mine = list.find((w: any) => w.kref === KREF)
  assert.equal(mine.version, '1')
  assert.deepEqual(shipped(list), ['research-digest', 'reviewed-draft'])
  const digest = list.find((w: any) => w.item_name === 'research-digest')
  assert.deepEqual(
    [digest.kref, digest.revision_number, digest.version, digest.name, digest.steps],
    ['builtin://research-digest', 0, '1.0', 'Research digest', 2],
  )

  const v2 = wfYaml('Nightly Report', { extraStep: 'archive' })
  const u = await call('PUT', '/api/workflows/Revka/Workflows/nightly-report.workflow', saveBody('Nightly Report', v2))
  assert.equal(u.status, 200)
  assert.deepEqual([u.body.workflow.version, u.body.workflow.created_at, u.body.workflow.definition], ['2', null, v2])
  assert.equal(u.body.workflow.triggers, undefined, 'no event trigger any more: the key is omitted')

  const one = await call('GET', `/api/workflows/revisions/${encodeURIComponent('Revka/Workflows/nightly-report.workflow?r=1')}`)
  assert.equal(one.status, 200, JSON.stringify(one.body))
  assert.deepEqual([one.body.workflow.version, one.body.workflow.steps], ['1', 2])
  assert.match(one.body.workflow.definition, /id: store/)
  const withScheme = await call('GET', `/api/workflows/revisions/${encodeURIComponent(KREF + '?r=2')}`)
  assert.equal(withScheme.body.workflow.version, '2')
  const gone = await call('GET', `/api/workflows/revisions/${encodeURIComponent('Revka/Workflows/nightly-report.workflow?r=9')}`)
  assert.deepEqual(gone.body, {
    error: 'workflow revision is invalid: workflow.yaml artifact is missing or unreadable',
    code: 'revision_invalid',
    revision_kref: `${KREF}?r=9`,
  })
  assert.equal(gone.status, 404)

  const q = (await call('GET', '/api/workflows?q=nightly&include_definition=false')).body.workflows
  assert.deepEqual(
    q.map((w: any) => [w.kref, w.definition, w.steps]),
    [[KREF, '', 2]],
  )
})

test('a stored workflow with a built-in slug hides it as builtin-modified; the operator folder adds built-ins', async () => {
  const dir = join(k.stateDir, 'plugins', 'workflows', 'builtins')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'operator-flow.yml'), 'name: Operator flow\nversion: 3\nsteps:\n  - id: a\n    type: compute\n')
  const c = await call('POST', '/api/workflows', saveBody('Reviewed draft', wfYaml('Reviewed draft')))
  assert.equal(c.status, 201)
  const list = (await call('GET', '/api/workflows')).body.workflows
  assert.deepEqual(shipped(list), ['operator-flow', 'research-digest'])
  assert.equal(list.find((w: any) => w.item_name === 'reviewed-draft').source, 'builtin-modified')
  assert.equal(list.find((w: any) => w.item_name === 'operator-flow').version, '3')
  assert.equal((await call('DELETE', '/api/workflows/Revka/Workflows/reviewed-draft.workflow')).status, 204)
})

test('an invalid workflow is 400 with line and field, and nothing is stored', async () => {
  const before = await pluginStateSnapshot(k.stateDir, 'store')
  const bad = await call('POST', '/api/workflows', saveBody('Broken', 'name: Broken\nsteps:\n  - type: agent\n'))
  assert.equal(bad.status, 400)
  assert.deepEqual(bad.body, {
    error: 'Workflow validation failed: cannot save invalid workflow',
    code: 'workflow_invalid',
    valid: false,
    errors: [{ message: 'a step needs an id', severity: 'error', field: 'steps[0].id', line: 3 }],
    warnings: [],
  })
  const syntax = await call('PUT', '/api/workflows/Revka/Workflows/nightly-report.workflow', saveBody('Nightly Report', 'name: [unclosed\n'))
  assert.equal(syntax.status, 400)
  assert.ok(syntax.body.errors[0].line >= 1, 'a YAML syntax error names its line')
  assert.equal(await pluginStateSnapshot(k.stateDir, 'store'), before)
})

test('deprecate hides and restores; delete is 204 and takes the revision files; the dashboard aggregates', async () => {
  const d = await call('POST', '/api/workflows/deprecate', { kref: KREF, deprecated: true })
  assert.deepEqual([d.status, d.body.workflow.deprecated, d.body.workflow.definition], [200, true, ''])
  assert.equal(
    (await call('GET', '/api/workflows')).body.workflows.some((w: any) => w.kref === KREF),
    false,
  )
  assert.equal(
    (await call('GET', '/api/workflows?include_deprecated=true')).body.workflows.some((w: any) => w.kref === KREF),
    true,
  )
  const dash = (await call('GET', '/api/workflows/dashboard')).body.dashboard
  assert.deepEqual([dash.definitions_count, dash.active_runs, dash.total_runs, dash.recent_runs], [3, 0, 0, []])
  await call('POST', '/api/workflows/deprecate', { kref: KREF, deprecated: false })
  assert.equal((await call('DELETE', '/api/workflows/Revka/Workflows/nightly-report.workflow')).status, 204)
  assert.equal((await call('DELETE', '/api/workflows/Revka/Workflows/nightly-report.workflow')).status, 404)
  assert.equal((await call('GET', `/api/workflows/revisions/${encodeURIComponent(KREF + '?r=1')}`)).status, 404)
})
