/**
 * The hook table uses tapable's public API only: a tap's disposer takes it out (the hook is built
 * anew from the taps that remain), the others keep their stage order, and a failing tap is still
 * contained and reported after a rebuild.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Stage, type Disposer } from '@revka/plugin-sdk'
import { callWaterfall, createHookTable, scopedTaps } from '../../kernel/hooks/table.js'

const keep = (d: Disposer) => d

test('a disposed tap is gone from its hook; the remaining taps run in stage order', async () => {
  const failures: string[] = []
  const table = createHookTable((id, hook, e) => failures.push(`${id}/${hook}: ${e.message}`))
  const a = scopedTaps(table, 'plug-a', keep)
  const b = scopedTaps(table, 'plug-b', keep)
  const offA = a.status.tap((doc) => {
    doc.order = [...((doc.order as string[]) ?? []), 'a']
    return doc
  })
  b.status.tap(
    (doc) => {
      doc.order = [...((doc.order as string[]) ?? []), 'b']
      return doc
    },
    { stage: Stage.AUTH },
  )
  const seen: number[] = []
  const offR = a.response.tap((info) => {
    seen.push(info.status)
  })
  assert.deepEqual(((await callWaterfall(table.status, {}, { authenticated: true })) as any).order, ['b', 'a'])
  table.response.call({ method: 'GET', route: '/x', status: 200, durationMs: 1 })

  offA()
  offR()
  assert.deepEqual(((await callWaterfall(table.status, {}, { authenticated: true })) as any).order, ['b'])
  assert.deepEqual(
    table.status.taps.map((t) => t.name),
    ['plug-b'],
  )
  table.response.call({ method: 'GET', route: '/x', status: 201, durationMs: 1 })
  assert.deepEqual(seen, [200], 'the removed response tap no longer runs')
  assert.equal(table.response.taps.length, 0)

  // a tap added after a rebuild is guarded like the first ones
  b.tools.tap(() => {
    throw new Error('boom')
  })
  assert.deepEqual(await table.tools.promise([]), [])
  assert.deepEqual(failures, ['plug-b/tools: boom'])
})

test('the table lists only hooks that plugins tap', () => {
  const table = createHookTable(() => {})
  assert.deepEqual(Object.keys(table).sort(), ['channels', 'health', 'response', 'status', 'tools'])
  assert.ok(Object.isFrozen(table))
})
