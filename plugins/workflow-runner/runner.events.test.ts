/**
 * What a dashboard watching `/api/events` sees (a real SSE socket, frames parsed by
 * eventsource-parser): a run going pending → running → paused with its steps, the
 * `human_approval_request`, and after the answer the run completing.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createParser } from 'eventsource-parser'
import { runnerKernel, start, type RunnerKernel } from './test-support/kernel.js'

let g: RunnerKernel
before(async () => {
  g = await runnerKernel({ plugins: ['events'], listen: true })
})
after(async () => {
  await g.k.stop()
})

test('a run progresses live on /api/events', async () => {
  const ac = new AbortController()
  const res = await fetch(`${g.k.url}/api/events`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${g.k.token}` }, signal: ac.signal })
  assert.equal(res.status, 200)
  const seen: any[] = []
  const parser = createParser({
    onEvent: (m) => {
      try {
        seen.push(JSON.parse(m.data))
      } catch {
        /* a comment frame */
      }
    },
  })
  const reading = (async () => {
    const decoder = new TextDecoder()
    try {
      for await (const chunk of res.body as any) parser.feed(decoder.decode(chunk, { stream: true }))
    } catch {
      /* aborted at the end */
    }
  })()
  const until = async (pred: (e: any) => boolean, what: string) => {
    const end = Date.now() + 5000
    while (!seen.some(pred)) {
      if (Date.now() > end) throw new Error(`no ${what} on /api/events; saw ${seen.map((e) => `${e.type}:${e.status ?? ''}`).join(', ')}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  const id = await start(
    g.runner,
    'name: live\nsteps:\n  - id: a\n    type: compute\n    compute: { outputs: { v: "1" } }\n  - id: ok\n    type: human_approval\n    depends_on: [a]\n    human_approval: { message: "go?" }\n',
  )
  await until((e) => e.type === 'human_approval_request' && e.run_id === id, 'approval request')
  const mine = (type: string) => seen.filter((e) => e.type === type && e.run_id === id)
  assert.deepEqual(
    mine('workflow_run').map((e) => e.status),
    ['pending', 'running', 'paused'],
  )
  assert.deepEqual(
    mine('workflow_step').map((e) => `${e.step_id}:${e.status}`),
    ['a:running', 'a:completed', 'ok:running', 'ok:pending'],
  )
  await g.runner.resume(id, { approved: true })
  await until((e) => e.type === 'workflow_run' && e.run_id === id && e.status === 'completed', 'completed run')
  assert.equal(mine('workflow_run').at(-1).steps_completed, 2)
  ac.abort()
  await reading
})
