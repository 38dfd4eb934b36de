/**
 * The three-step workflow (agent → human_approval → output) on the service: the agent
 * turn gets the assigned agent's identity, soul and skills as its system prompt and only the
 * tools the step names; the run pauses and says so on the bus; approval finishes it and the
 * output item is in the store. A rejection loops back with ${rejection.*}, or cancels the run.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { DomainStoreRef, type DomainStore } from '@revka/plugin-sdk'
import { runnerKernel, start, step, waitRun, type RunnerKernel } from './test-support/kernel.js'

let g: RunnerKernel
let store: DomainStore
before(async () => {
  g = await runnerKernel({ mockAgent: (t) => `draft for: ${t.text}` })
  store = g.k.kernel.service(DomainStoreRef)!
  await store.createItem({
    space_path: '/Revka/AgentPool',
    item_name: 'writer',
    kind: 'agent',
    revision: { metadata: { display_name: 'Wren the Writer', identity: 'a release-notes writer', soul: 'plain words, no hype', role: 'drafter' } },
  })
  await store.createItem({
    space_path: '/CognitiveMemory/Skills',
    item_name: 'brevity',
    kind: 'skill',
    revision: { artifacts: [{ name: 'SKILL.md', file: { content: 'Keep every sentence under 12 words.' } }] },
  })
})
after(async () => {
  await g.k.stop()
})

const YAML = `
name: release notes
inputs:
  - name: topic
steps:
  - id: draft
    type: agent
    assign: writer
    skills: [brevity]
    agent: { prompt: "Write notes about \${inputs.topic}. \${rejection.feedback}", tools: [memory_search] }
  - id: review
    type: human_approval
    depends_on: [draft]
    human_approval: { message: "Approve? \${draft.output}", on_reject_goto: draft, on_reject_max: 1 }
  - id: publish
    type: output
    depends_on: [review]
    output: { template: "\${draft.output}", format: markdown, entity_name: "notes-\${inputs.topic}", entity_tag: ready }
`

async function paused(id: string) {
  return waitRun(g.runner, id, ['paused', 'failed', 'completed'])
}

test('agent → human_approval → output: pauses, is approved, and the output item is in the store', async () => {
  const id = await start(g.runner, YAML, { topic: 'v2' })
  const p = await paused(id)
  assert.equal(p.status, 'paused', p.error)
  assert.equal(p.current_step_instance, 'review')
  const turn = g.k.agent!.turns.at(-1)!
  const system = String(turn.request.messages[0].content)
  assert.match(system, /You are Wren the Writer\./)
  assert.match(system, /Identity: a release-notes writer/)
  assert.match(system, /Soul: plain words, no hype/)
  assert.match(system, /Your role in this step: drafter/)
  assert.match(system, /## Skill: brevity\nKeep every sentence under 12 words\./)
  assert.deepEqual(turn.request.allowedTools, ['memory_search'])
  assert.equal(turn.text.trim(), 'Write notes about v2.')
  const ask = g.k.events.all().find((e) => e.type === 'human_approval_request' && (e as any).run_id === id) as any
  assert.equal(ask.step_id, 'review')
  assert.equal(ask.message, 'Approve? draft for: Write notes about v2. ')

  await g.runner.resume(id, { approved: true, feedback: 'ship it' })
  const d = await waitRun(g.runner, id, ['completed', 'failed', 'cancelled'])
  assert.equal(d.status, 'completed', d.error)
  assert.equal(step(d, 'review')!.output_preview, 'ship it')
  const kref = String(step(d, 'publish')!.output_data!.item_kref)
  assert.equal(kref, 'kref://Revka/WorkflowOutputs/notes-v2.workflow_output')
  const rev = (await store.currentRevision(kref))!
  assert.deepEqual(
    rev.tags.filter((t) => t === 'ready'),
    ['ready'],
  )
  const art = (await store.getArtifact(`${rev.kref}&a=output.md`))!
  assert.equal(await readFile((await store.containedArtifactPath(art.location))!, 'utf8'), 'draft for: Write notes about v2. ')
  await assert.rejects(g.runner.resume(id, { approved: true }), (e: any) => e.statusCode === 409 && e.code === 'run_not_paused')
})

test('a rejection goes back to on_reject_goto with ${rejection.feedback}; past on_reject_max the run is cancelled', async () => {
  const id = await start(g.runner, YAML, { topic: 'v3' })
  assert.equal((await paused(id)).status, 'paused')
  const before = g.k.agent!.turns.length
  await g.runner.resume(id, { approved: false, feedback: 'Shorter please.' })
  assert.equal((await paused(id)).status, 'paused')
  assert.equal(g.k.agent!.turns.length, before + 1, 'the draft ran again')
  assert.equal(g.k.agent!.turns.at(-1)!.text.trim(), 'Write notes about v3. Shorter please.')
  await g.runner.resume(id, { approved: false, feedback: 'no' })
  const d = await waitRun(g.runner, id, ['cancelled', 'completed', 'failed'])
  assert.equal(d.status, 'cancelled')
  assert.match(d.error, /rejected at step 'review' \(on_reject_max 1 reached\): no/)
  assert.equal(step(d, 'publish'), undefined, 'nothing was published')
})

test('human_input pauses with its message; a paused run can be cancelled', async () => {
  const id = await start(
    g.runner,
    'name: ask\nsteps:\n  - id: q\n    type: human_input\n    human_input: { message: "Which region?" }\n  - id: use\n    type: compute\n    depends_on: [q]\n    compute: { outputs: { region: "${q.output}" } }\n',
  )
  assert.equal((await paused(id)).status, 'paused')
  await g.runner.resume(id, { approved: true, feedback: 'eu-west' })
  const d = await waitRun(g.runner, id, ['completed', 'failed'])
  assert.deepEqual(step(d, 'use')!.output_data, { region: 'eu-west' })
  const other = await start(g.runner, 'name: ask\nsteps:\n  - id: q\n    type: human_input\n    human_input: { message: "?" }\n')
  assert.equal((await paused(other)).status, 'paused')
  assert.equal((await g.runner.cancel(other)).status, 'cancelled')
  await assert.rejects(g.runner.resume(other, { approved: true }), (e: any) => e.statusCode === 409)
})

test('a human step nobody answers within its timeout fails the run', async () => {
  const id = await start(g.runner, 'name: late\nsteps:\n  - id: q\n    type: human_approval\n    human_approval: { message: "?", timeout: 0.2 }\n')
  const d = await waitRun(g.runner, id, ['failed', 'completed', 'cancelled'])
  assert.equal(d.status, 'failed')
  assert.match(d.error, /no answer to step 'q' within its timeout/)
})

test("agent activity: the agent step's run log by its agent_id; an unsafe id reads nothing", async () => {
  const id = await start(g.runner, YAML, { topic: 'logs' })
  const p = await paused(id)
  const agentId = String(step(p, 'draft')!.agent_id)
  assert.equal(agentId, `${id.slice(0, 12)}-draft`)
  const s = g.runner.agentActivity(agentId, 'summary', 50)!
  assert.equal(s.title, 'release notes / draft')
  assert.equal(s.last_message, 'draft for: Write notes about logs. ')
  const msgs = g.runner.agentActivity(agentId, 'messages', 50)! as any
  assert.deepEqual(
    msgs.entries.map((e: any) => e.role),
    ['assistant', 'user'],
    'newest first',
  )
  assert.equal(g.runner.agentActivity('../../etc/passwd', 'full', 50), undefined)
  await g.runner.cancel(id)
  assert.ok(await g.runner.deleteRun(id))
  assert.equal(g.runner.agentActivity(agentId, 'summary', 50), undefined, 'deleting the run removed its logs')
})

test("an agent's run log is capped: past 2 MiB one truncated entry says so and nothing more is written", async () => {
  g.k.agent!.reply = 'z'.repeat(3 * 1024 * 1024)
  try {
    const id = await start(g.runner, 'name: chatty\nsteps:\n  - id: talk\n    type: agent\n    agent: { prompt: "say a lot" }\n')
    const d = await waitRun(g.runner, id, ['completed', 'failed'])
    assert.equal(d.status, 'completed', d.error)
    const full = g.runner.agentActivity(String(step(d, 'talk')!.agent_id), 'full', 500) as any
    assert.deepEqual(
      full.entries.map((e: any) => e.type),
      ['truncated', 'message', 'start'],
    )
    assert.match(full.entries[0].message, /log capped at 2097152 bytes/)
    assert.ok(g.runner.getRun(id)!.steps[0].output_preview!.length <= 400)
  } finally {
    g.k.agent!.reply = (t) => `draft for: ${t.text}`
  }
})
