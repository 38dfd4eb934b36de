import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock, rawJson, startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { saveBody } from './test-support/fixtures.js'
import { E2E_PLUGINS, OFFLINE, REVIEWED_NOTE, waitStatus } from './test-support/reviewed-note.js'
import { watchEvents, type EventWatch } from './test-support/sse.js'

// issue 14, done-when 1: agent → human_approval → output with the REAL runner and the offline
// provider, everything a dashboard does over sockets
let k: TestKernel
let sse: EventWatch
before(async () => {
  k = await startTestKernel({ plugins: E2E_PLUGINS, listen: true, config: OFFLINE })
  sse = await watchEvents(k.url!, k.token, 'workflow_run,workflow_step,human_approval_request,human_approval_resolved,workflow_retry')
  const saved = await call('POST', '/api/workflows', saveBody('Reviewed Note', REVIEWED_NOTE))
  assert.equal(saved.status, 201, JSON.stringify(saved.body))
})
after(async () => {
  sse.close()
  await k.stop()
})

const call = (method: string, path: string, body?: unknown) => rawJson(k.url!, method, path, { token: k.token, body })
const runOf = (id: string) => () => call('GET', `/api/workflows/runs/${id}`)
const outputs = async () => {
  const r = await call('GET', `/api/kumiho/items?space_path=${encodeURIComponent('/Revka/WorkflowOutputs')}`)
  return r.status === 200 ? (r.body as any[]).map((i) => i.item_name) : []
}
const runEvents = (id: string) => sse.events.filter((e) => e.run_id === id)

test('approve: the run pauses after the agent step, is approved through the route, finishes, and its output item is in the store', async () => {
  const started = await call('POST', '/api/workflows/run/Reviewed%20Note', { inputs: { topic: 'tides' } })
  assert.deepEqual([started.status, started.body.status, started.body.workflow], [200, 'pending', 'Reviewed Note'])
  const id = started.body.run_id

  // the dashboard hears the gate open, and the run detail shows where it waits
  const ask = await sse.waitFor((e) => e.type === 'human_approval_request' && e.run_id === id)
  assert.deepEqual([ask.step_id, ask.workflow_name, ask.title], ['review', 'Reviewed Note', 'Publish the note?'])
  assert.match(ask.message, /You said: "Write a note about tides"/, "the approver sees the agent's draft")
  const paused = await waitStatus(runOf(id), ['paused'])
  assert.equal(paused.current_step_instance, 'review')
  assert.deepEqual(
    paused.steps.map((s: any) => [s.step_id, s.status]),
    [
      ['draft', 'completed'],
      ['review', 'pending'],
    ],
  )
  assert.match(paused.steps[0].output_preview, /Write a note about tides/)
  assert.ok(paused.workflow_revision_kref.startsWith('kref://Revka/Workflows/reviewed-note.workflow?r='), 'the stored definition ran')
  assert.deepEqual(await outputs(), [], 'nothing is written before the approval')

  const ok = await call('POST', `/api/workflows/runs/${id}/approve`, { approved: true, feedback: 'ship it' })
  assert.deepEqual([ok.status, ok.body.message], [200, 'Workflow approved'])
  await sse.waitFor((e) => e.type === 'workflow_run' && e.run_id === id && e.status === 'completed')
  const done = await waitStatus(runOf(id), ['completed'])
  assert.deepEqual(
    done.steps.map((s: any) => [s.step_id, s.status]),
    [
      ['draft', 'completed'],
      ['review', 'completed'],
      ['publish', 'completed'],
    ],
  )
  assert.deepEqual([done.steps_completed, done.steps_total, done.error], ['3', '3', ''])

  // the run progressed live on /api/events
  const statuses = runEvents(id)
    .filter((e) => e.type === 'workflow_run')
    .map((e) => e.status)
  assert.deepEqual([statuses[0], statuses.includes('paused'), statuses.at(-1)], ['pending', true, 'completed'])
  assert.ok(runEvents(id).some((e) => e.type === 'human_approval_resolved' && e.approved === true))

  // the output item, as the asset browser reads it: tagged ready, the draft as its artifact
  assert.deepEqual(await outputs(), ['note-tides'])
  const kref = 'kref://Revka/WorkflowOutputs/note-tides.workflow_output'
  const rev = (await call('GET', `/api/kumiho/revisions/latest?item_kref=${encodeURIComponent(kref)}`)).body
  assert.deepEqual([rev.metadata.run_id, rev.metadata.step_id, rev.metadata.workflow, rev.tags.includes('ready')], [id, 'publish', 'Reviewed Note', true])
  const [art] = (await call('GET', `/api/kumiho/artifacts?revision_kref=${encodeURIComponent(rev.kref)}`)).body
  assert.equal(art.name, 'output.md')
  const body = await fetch(`${k.url}/api/artifact-body?location=${encodeURIComponent(art.location)}`, { headers: { authorization: `Bearer ${k.token}` } })
  assert.equal(body.status, 200)
  const text = await body.text()
  assert.match(text, /^You said: "Write a note about tides"/)

  // the agent step's run log, as the dashboard's activity panel reads it
  const agentId = done.steps[0].agent_id
  assert.equal(agentId, `${id.slice(0, 12)}-draft`)
  const act = (await call('GET', `/api/workflows/agent-activity/${agentId}`)).body
  assert.deepEqual([act.title, act.error_count, act.tool_call_count], ['Reviewed Note / draft', 0, 0])
  assert.match(act.last_message, /^You said: "Write a note about tides"/)
  const msgs = (await call('GET', `/api/workflows/agent-activity/${agentId}?view=messages`)).body
  assert.deepEqual(
    msgs.entries.map((e: any) => e.role),
    ['assistant', 'user'],
    'newest first',
  )

  // answered once: a second answer is the runner's 409 (the contract's 502 is kept for real failures); nothing changes
  const again = await call('POST', `/api/workflows/runs/${id}/approve`, { approved: true })
  assert.deepEqual([again.status, again.body.code], [409, 'run_not_paused'])
  assert.match(again.body.error, /is completed, not waiting for an answer/)
  assert.deepEqual(await outputs(), ['note-tides'])
})

test('reject: the run is cancelled at the gate, the output step never runs and nothing is stored', async () => {
  const { run_id: id } = (await call('POST', '/api/workflows/run/reviewed-note', { inputs: { topic: 'storms' } })).body
  await waitStatus(runOf(id), ['paused'])
  const no = await call('POST', `/api/workflows/runs/${id}/approve`, { approved: false, feedback: 'too gloomy' })
  assert.deepEqual([no.status, no.body.message, no.body.approved], [200, 'Workflow rejected', false])
  const end = await waitStatus(runOf(id), ['cancelled', 'completed', 'failed'])
  assert.equal(end.status, 'cancelled')
  assert.match(end.error, /rejected at step 'review': too gloomy/)
  assert.deepEqual(
    end.steps.map((s: any) => [s.step_id, s.status]),
    [
      ['draft', 'completed'],
      ['review', 'completed'],
    ],
    'publish never ran',
  )
  await sse.waitFor((e) => e.type === 'workflow_run' && e.run_id === id && e.status === 'cancelled')
  assert.deepEqual(await outputs(), ['note-tides'], 'no note-storms item')

  // a run that is no longer paused cannot be answered; the list shows both runs' ends
  assert.deepEqual((await call('POST', `/api/workflows/runs/${id}/approve`, { approved: true })).status, 409)
  const list = (await call('GET', '/api/workflows/runs?workflow=Reviewed%20Note')).body
  assert.deepEqual(
    list.runs.slice(0, 2).map((r: any) => r.status),
    ['cancelled', 'completed'],
  )
})

test('cancel while paused: 200, then 409; delete removes the run', async () => {
  const { run_id: id } = (await call('POST', '/api/workflows/run/reviewed-note', { inputs: { topic: 'reefs' } })).body
  await waitStatus(runOf(id), ['paused'])
  const c = await call('POST', `/api/workflows/runs/${id}/cancel`)
  assert.deepEqual([c.status, c.body.cancelled, c.body.status], [200, true, 'cancelled'])
  assert.equal((await call('POST', `/api/workflows/runs/${id}/cancel`)).status, 409)
  assert.equal((await call('POST', `/api/workflows/runs/${id}/approve`, { approved: true })).status, 409)
  assert.equal((await call('DELETE', `/api/workflows/runs/${id}`)).status, 204)
  assert.equal((await call('GET', `/api/workflows/runs/${id}`)).status, 404)
  assert.deepEqual(await outputs(), ['note-tides'])
})

test('retry through the route: a run failed at a step starts again from that step, keeping what completed', async () => {
  const needs = `name: Needs Prereq
steps:
  - id: first
    type: compute
    compute: { outputs: { at: "\${run_id}" } }
  - id: find
    type: resolve
    depends_on: [first]
    resolve: { kind: workflow, space: /Revka/Workflows, name_pattern: "prereq*", fail_if_missing: true }
  - id: after
    type: compute
    compute: { outputs: { found: "\${find.output_data.name}" } }
`
  assert.equal((await call('POST', '/api/workflows', saveBody('Needs Prereq', needs))).status, 201)
  const { run_id: id } = (await call('POST', '/api/workflows/run/needs-prereq')).body
  const failed = await waitStatus(runOf(id), ['failed', 'completed'])
  assert.equal(failed.status, 'failed')
  assert.deepEqual(
    failed.steps.map((s: any) => [s.step_id, s.status]),
    [
      ['first', 'completed'],
      ['find', 'failed'],
    ],
  )
  assert.match(failed.steps[1].error, /no workflow item matching 'prereq\*'/)

  // the user fixes the cause, then retries
  assert.equal((await call('POST', '/api/workflows', saveBody('Prereq', REVIEWED_NOTE.replace('Reviewed Note', 'Prereq')))).status, 201)
  const retry = await call('POST', `/api/workflows/runs/${id}/retry`)
  assert.deepEqual([retry.status, retry.body], [200, { run_id: id, status: 'running', resumed_from: 'find' }])
  await sse.waitFor((e) => e.type === 'workflow_retry' && e.run_id === id)
  const done = await waitStatus(runOf(id), ['completed', 'failed'])
  assert.equal(done.status, 'completed', done.error)
  assert.deepEqual(done.steps.find((s: any) => s.step_id === 'after').output_data, { found: 'prereq' })
  const firstRuns = runEvents(id).filter((e) => e.type === 'workflow_step' && e.step_id === 'first' && e.status === 'completed')
  assert.equal(firstRuns.length, 1, 'the completed step was not run again')
  const twice = await call('POST', `/api/workflows/runs/${id}/retry`)
  assert.equal(twice.status, 502, "a completed run cannot be retried (the contract's 502)")
})

test('a built-in runs by name when the store has no such workflow; an unknown name is still 404', async () => {
  const r = await call('POST', '/api/workflows/run/Research%20digest', { inputs: { topic: 'kelp' } })
  assert.deepEqual([r.status, r.body.workflow], [200, 'Research digest'], JSON.stringify(r.body))
  const done = await waitStatus(runOf(r.body.run_id), ['completed', 'failed'])
  assert.equal(done.status, 'completed', done.error)
  assert.equal(done.workflow_name, 'Research digest')
  assert.equal(done.workflow_item_kref, undefined, 'not a store item')
  assert.match(done.steps[0].output_preview, /Research kelp and write a short digest/)
  const missing = await call('POST', '/api/workflows/run/no-such-flow')
  assert.deepEqual([missing.status, missing.body.code], [404, 'workflow_not_found'])
})

test('a cron trigger fires the real runner under the daemon: the run starts in-process (source cron), with the input defaults, and pauses at its gate', async () => {
  const clock = new ManualClock(Date.parse('2026-12-07T10:00:30Z'))
  const d = await startTestKernel({
    plugins: [...E2E_PLUGINS, 'cron'],
    listen: true,
    config: OFFLINE,
    mode: 'daemon',
    clock,
    options: { cron: { poll_ms: 10 } },
  })
  try {
    const dc = (method: string, path: string, body?: unknown) => rawJson(d.url!, method, path, { token: d.token, body })
    const yaml = REVIEWED_NOTE.replace('inputs:', 'triggers:\n  - cron: "*/5 * * * *"\ninputs:')
    assert.equal((await dc('POST', '/api/workflows', saveBody('Reviewed Note', yaml))).status, 201)
    assert.equal((await dc('GET', '/api/workflows/runs')).body.count, 0)
    clock.advance(5 * 60_000)
    let runs: any[] = []
    for (let i = 0; i < 500 && !runs.length; i++) {
      await new Promise((r) => setTimeout(r, 20))
      runs = (await dc('GET', '/api/cron/__wf_cron_reviewed_note_0/runs')).body.runs
    }
    assert.deepEqual(
      runs.map((r) => r.status),
      ['ok'],
    )
    const id = /^started run (\S+) of workflow 'reviewed-note'$/.exec(runs[0].output)?.[1]
    assert.ok(id, runs[0].output)
    const run = await waitStatus(() => dc('GET', `/api/workflows/runs/${id}`), ['paused'])
    assert.match(run.steps[0].output_preview, /Write a note about tides/, 'the input default was used')
    const started = d.events.all().find((e) => e.type === 'workflow_run' && (e as any).run_id === id) as any
    assert.equal(started.source, 'cron')
  } finally {
    await d.stop()
  }
})
