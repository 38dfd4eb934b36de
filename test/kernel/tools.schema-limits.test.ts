/**
 * Attack (issue 10 item 7), from the plugin side: the tool registry is the one place every tool
 * passes through, so a plugin tool whose schema is 150,000 deep, cyclic, over 64 KiB or not JSON
 * (or that has no schema or description) is left out there, and the turn and MCP tools/list keep
 * serving every other tool. A schema spoiled in place after the registry checked it is caught by
 * the turn's and MCP's own last-resort guards.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import type { TestKernel } from '@revka/plugin-testing'
import { bootMcp, listToolNames } from '../../plugins/mcp/test-helpers.js'
import { checkToolSchema, MAX_SCHEMA_DEPTH } from '../../kernel/lifecycle/tool-schema.js'

const fixture = (rel: string) => fileURLToPath(new URL(rel, import.meta.url))
const BAD_TOOLS = fixture('../fixtures/bad-tools')
const TOOL_PROBE = fixture('../fixtures/tool-probe')
const TURN_PROBE = fixture('../../plugins/agent-runtime/test-fixtures/turn-probe')
const BAD = ['fx_deep', 'fx_cyclic', 'fx_large', 'fx_bigint', 'fx_no_schema', 'fx_no_description']

async function registryNames(k: TestKernel): Promise<string[]> {
  const res = await k.inject({ url: '/fx/tools' })
  assert.equal(res.statusCode, 200, res.body.slice(0, 300))
  return res.json().tools.map((t: { name: string }) => t.name)
}

async function turn(k: TestKernel, text: string): Promise<{ ok: boolean; error?: { message: string }; events: any[] }> {
  const res = await k.inject({ method: 'POST', url: '/fx/agent/turn', payload: { messages: [{ role: 'user', content: text }] } })
  assert.equal(res.statusCode, 200, res.body.slice(0, 300))
  return res.json()
}

test('plugin tools with unserviceable schemas are left out; turns and MCP tools/list serve the rest', async () => {
  const m = await bootMcp({ plugins: ['agent-runtime', 'pairing'], paths: [BAD_TOOLS, TOOL_PROBE, TURN_PROBE] })
  try {
    const listed = await registryNames(m.k)
    for (const want of ['fx_good', 'fx_add', 'current_time', 'fx_echo']) assert.ok(listed.includes(want), `${want} in ${listed.join(', ')}`)
    assert.deepEqual(
      BAD.filter((n) => listed.includes(n)),
      [],
      'no bad tool is listed',
    )

    const r = await turn(m.k, '/tool fx_good {"x":1}')
    assert.equal(r.ok, true, JSON.stringify(r.error))
    assert.equal(r.events.find((e) => e.type === 'tool_result')?.output, 'fx_good ran')

    const names = await listToolNames(m)
    assert.ok(names.includes('fx_good') && names.includes('fx_add'), names.join(', '))
    assert.deepEqual(
      BAD.filter((n) => names.includes(n)),
      [],
    )

    // fx_good's own schema object, already checked, now nests 150,000 deep
    assert.equal((await m.k.inject({ method: 'POST', url: '/fx/bad-tools/spoil' })).statusCode, 200)
    const after = await turn(m.k, '/tool fx_add {"a":2,"b":3}')
    assert.equal(after.ok, true, JSON.stringify(after.error))
    assert.equal(after.events.find((e) => e.type === 'tool_result')?.output, 'sum=5')
    const names2 = await listToolNames(m)
    assert.ok(names2.includes('fx_add'), names2.join(', '))
    assert.equal(names2.includes('fx_good'), false, 'the spoiled tool is left out of tools/list')
  } finally {
    await m.stop()
  }
})

test('the schema check is iterative and bounded: 150,000 levels and a self-reference are judged, not followed', () => {
  let deep: Record<string, unknown> = {}
  for (let i = 0; i < 150_000; i++) deep = { p: deep }
  assert.equal(checkToolSchema(deep)?.code, 'tool_schema_too_deep')
  const self: Record<string, unknown> = { type: 'object' }
  self.items = self
  assert.equal(checkToolSchema(self)?.code, 'tool_schema_too_deep')
  let edge: Record<string, unknown> = {}
  for (let i = 1; i < MAX_SCHEMA_DEPTH; i++) edge = { p: edge }
  assert.equal(checkToolSchema(edge), null, `${MAX_SCHEMA_DEPTH} levels pass`)
  assert.equal(checkToolSchema({ p: edge })?.code, 'tool_schema_too_deep')
  assert.equal(checkToolSchema({ enum: new Array(100_000).fill(0) })?.code, 'tool_schema_too_large')
  assert.equal(checkToolSchema({ max: 1n })?.code, 'tool_schema_invalid')
  assert.equal(checkToolSchema([])?.code, 'tool_schema_invalid')
  assert.equal(checkToolSchema({ type: 'object', properties: { a: { type: 'string', description: undefined } } }), null, 'undefined is left out, as JSON does')
})
