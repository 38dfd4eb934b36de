/**
 * Validation (the `yaml` package + the runner's checks): every finding names the line and the
 * field, types this runner does not execute are refused by name, shell is refused unless the
 * operator allowed it, and the graph is checked (cycles through inferred references, unknown
 * depends_on and jump targets, bounds).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateWorkflow } from './validate.js'

const off = { shellAllowed: false }
const find = (v: ReturnType<typeof validateWorkflow>['validation'], re: RegExp) => v.errors.find((e) => re.test(e.message))

test('a YAML syntax error is reported with its line, and nothing is parsed', () => {
  const { validation, def } = validateWorkflow('name: x\nsteps:\n  - id: a\n    type: compute\n   bad: [\n', off)
  assert.equal(validation.valid, false)
  assert.equal(def, undefined)
  assert.match(validation.errors[0].message, /^YAML: /)
  assert.equal(typeof validation.errors[0].line, 'number')
})

test('a wrong field names its dotted path and its line', () => {
  const yaml = [
    'name: bounds',
    'steps:',
    '  - id: a',
    '    type: compute',
    '    compute: { outputs: { x: "1" } }',
    '  - id: b',
    '    type: compute',
    '    retry: 9',
    '    compute: { outputs: { y: "2" } }',
  ].join('\n')
  const { validation } = validateWorkflow(yaml, off)
  const e = find(validation, /^retry must be/)!
  assert.equal(e.field, 'steps[1].retry')
  assert.equal(e.line, 8)
  assert.equal(e.step_id, 'b')
})

test('types the runner does not execute are refused at validation, naming the type', () => {
  for (const t of ['python', 'a2a', 'manus', 'email', 'image', 'map_reduce', 'group_chat']) {
    const { validation } = validateWorkflow(`name: x\nsteps:\n  - id: a\n    type: ${t}\n`, off)
    const e = find(validation, /not supported by this runner/)!
    assert.ok(e, t)
    assert.match(e.message, new RegExp(`'${t}'`))
    assert.equal(e.field, 'steps[0].type')
    assert.equal(e.line, 4)
  }
  assert.ok(find(validateWorkflow('name: x\nsteps:\n  - id: a\n    type: teleport\n', off).validation, /unknown step type 'teleport'/))
})

test('shell is refused unless the operator allows it, and accepted when allowed', () => {
  const yaml = 'name: x\nsteps:\n  - id: a\n    type: shell\n    shell: { command: "echo hi" }\n'
  const refused = validateWorkflow(yaml, off).validation
  assert.equal(refused.valid, false)
  assert.match(find(refused, /shell/)!.message, /disabled on this gateway.*shell_steps/)
  assert.equal(validateWorkflow(yaml, { shellAllowed: true }).validation.valid, true)
})

test('a cycle through an inferred ${step.…} reference is found; depends_on and goto targets must exist', () => {
  const cycle = validateWorkflow(
    [
      'name: x',
      'steps:',
      '  - id: a',
      '    type: compute',
      '    compute: { outputs: { v: "${b.output}" } }',
      '  - id: b',
      '    type: compute',
      '    depends_on: [a]',
      '    compute: { outputs: { v: "1" } }',
    ].join('\n'),
    off,
  ).validation
  assert.match(find(cycle, /cycle/)!.message, /a, b/)
  const unknown = validateWorkflow(
    [
      'name: x',
      'steps:',
      '  - id: a',
      '    type: compute',
      '    depends_on: [nope]',
      '    compute: { outputs: { v: "1" } }',
      '  - id: g',
      '    type: goto',
      '    goto: { target: nowhere, condition: "true" }',
    ].join('\n'),
    off,
  ).validation
  assert.equal(find(unknown, /depends_on names 'nope'/)!.field, 'steps[0].depends_on[0]')
  assert.equal(find(unknown, /goto target 'nowhere'/)!.line, 9)
})

test('bounds: goto max_iterations ≤ 20, parallel max_concurrency ≤ 10, for_each ≤ 50 items; control types only at the top level', () => {
  const v = validateWorkflow(
    [
      'name: x',
      'steps:',
      '  - id: a',
      '    type: compute',
      '    compute: { outputs: { v: "1" } }',
      '  - id: g',
      '    type: goto',
      '    goto: { target: a, condition: "true", max_iterations: 21 }',
      '  - id: p',
      '    type: parallel',
      '    parallel:',
      '      max_concurrency: 11',
      '      steps:',
      '        - id: inner',
      '          type: human_approval',
      '  - id: f',
      '    type: for_each',
      '    for_each: { range: "1..3", max_iterations: 51, steps: [{ id: body, type: compute, compute: { outputs: { i: "${for_each.item}" } } }] }',
    ].join('\n'),
    off,
  ).validation
  assert.ok(find(v, /^max_iterations must be an integer from 1 to 20/))
  assert.ok(find(v, /^max_concurrency must be an integer from 1 to 10/))
  assert.ok(find(v, /^max_iterations must be an integer from 1 to 50/))
  assert.equal(find(v, /cannot run inside parallel or for_each/)!.step_id, 'inner')
})

test('a valid workflow reports its name, every step id (nested too) and its cron triggers; a bad cron is an error', () => {
  const { validation, def } = validateWorkflow(
    [
      'name: nightly',
      'triggers:',
      '  - cron: "0 3 * * *"',
      '    timezone: Europe/Paris',
      'steps:',
      '  - id: p',
      '    type: parallel',
      '    parallel: { join: any, steps: [{ id: c1, type: compute, compute: { outputs: { a: "1" } } }] }',
      '  - id: out',
      '    type: output',
      '    depends_on: [p]',
    ].join('\n'),
    off,
  )
  assert.equal(validation.valid, true, JSON.stringify(validation.errors))
  assert.equal(validation.name, 'nightly')
  assert.deepEqual(validation.all_step_ids, ['p', 'c1', 'out'])
  assert.deepEqual(validation.cron_triggers, [{ cron: '0 3 * * *', timezone: 'Europe/Paris' }])
  assert.equal(def!.steps[0].children[0].id, 'c1')
  const bad = validateWorkflow(
    'name: x\ntriggers:\n  - cron: "61 * * * *"\nsteps:\n  - id: a\n    type: compute\n    compute: { outputs: { v: "1" } }\n',
    off,
  ).validation
  assert.equal(find(bad, /cron '61/)!.field, 'triggers[0].cron')
})

test('never throws on hostile input: not a string, empty, a list, an alias bomb', () => {
  for (const input of [undefined, 42, '', '   ', '- a\n- b\n']) assert.equal(validateWorkflow(input, off).validation.valid, false)
  const bomb =
    'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nname: x\nsteps: []\n'
  assert.equal(validateWorkflow(bomb, off).validation.valid, false)
})

test('a workflow may have at most 500 steps (nested ones count)', () => {
  const steps = (n: number) => Array.from({ length: n }, (_, i) => `  - { id: s${i}, type: compute, compute: { outputs: { v: "1" } } }`).join('\n')
  assert.equal(validateWorkflow(`name: x\nsteps:\n${steps(500)}\n`, off).validation.valid, true)
  const over = validateWorkflow(`name: x\nsteps:\n${steps(501)}\n`, off).validation
  assert.equal(find(over, /at most 500 steps \(this one has 501\)/)!.field, 'steps')
})

test("an unknown field (a typo, another type's block) is a warning naming it and its line", () => {
  const { validation } = validateWorkflow(
    'name: x\nowner: me\nsteps:\n  - id: a\n    type: compute\n    depend_on: [b]\n    shell: { command: ls }\n    compute: { outputs: { v: "1" } }\n',
    off,
  )
  assert.equal(validation.valid, true)
  assert.deepEqual(
    validation.warnings.map((w) => [w.message, w.field, w.line]),
    [
      ["unknown field 'owner' is ignored", 'owner', 2],
      ["unknown field 'depend_on' is ignored", 'steps[0].depend_on', 6],
      ["unknown field 'shell' is ignored", 'steps[0].shell', 7],
    ],
  )
})

test('schema findings (Ajv, every error at once): required fields and blocks, types, enums, patterns, each with field, line and step', () => {
  const { validation } = validateWorkflow(
    [
      'steps:',
      '  - just text',
      '  - { name: no-id, type: compute }',
      '  - id: s',
      '    type: shell',
      '  - id: o',
      '    type: output',
      '    output: { format: pdf, entity_space: "Revka/x" }',
    ].join('\n'),
    { shellAllowed: true },
  )
  assert.deepEqual(
    validation.errors.map((e) => [e.line, e.field, e.step_id, e.message]),
    [
      [1, 'name', undefined, 'name is required'],
      [2, 'steps[0]', undefined, 'steps[0] must be a mapping'],
      [3, 'steps[1].compute', undefined, 'compute is required'],
      [3, 'steps[1].id', undefined, 'id is required'],
      [4, 'steps[2].shell', 's', 'shell is required'],
      [8, 'steps[3].output.format', 'o', 'format must be one of text, markdown, json, yaml (got "pdf")'],
      [8, 'steps[3].output.entity_space', 'o', 'entity_space must be a space path such as /Revka/WorkflowOutputs'],
    ],
  )
})

test('an event trigger (on_kind) is a warning: only cron triggers run', () => {
  const { validation } = validateWorkflow(
    'name: x\ntriggers:\n  - on_kind: report\n    on_tag: ready\nsteps:\n  - id: a\n    type: compute\n    position: { x: 1, y: 2 }\n    compute: { outputs: { v: "1" } }\n',
    off,
  )
  assert.equal(validation.valid, true)
  assert.deepEqual(
    validation.warnings.map((w) => [w.field, w.line]),
    [['triggers[0].on_kind', 3]],
  )
  assert.deepEqual(validation.cron_triggers, [])
})
