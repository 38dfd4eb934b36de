/**
 * The workflow document's JSON Schema (DOMAIN.md §7.4): field types, bounds and enums of the top
 * level, of every step (nested `parallel` / `for_each` bodies through `$ref`) and of each type's
 * config block, checked by Ajv with every error collected. What a schema cannot say — unique ids,
 * dependencies that exist, cycles, jump targets, condition syntax, refused types — is checked in
 * validate.ts and step-checks.ts. Ajv is loaded on the first validation, not at start.
 */
import { createRequire } from 'node:module'
import type { ErrorObject, ValidateFunction } from 'ajv'
import type { Checker, YamlPath } from './checker.js'

const text = (maxLength = 10_000) => ({ type: ['string', 'number', 'boolean'], maxLength })
const strList = (maxItems = 100) => ({ type: 'array', items: { type: 'string' }, maxItems })
const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum })
const num = (minimum: number, maximum: number) => ({ type: 'number', minimum, maximum })
const bool = { type: 'boolean' }
const map = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required })
const scalarMap = {
  type: 'object',
  additionalProperties: { type: ['string', 'number', 'boolean', 'null'], 'x-message': 'must be a text template or a scalar' },
}
const BIG = 1_000_000
const DAY = 86_400
const channels = { channel: text(200), channels: strList(20), channel_id: text(500) }
const human = { message: text(BIG), title: text(), timeout: num(0, 30 * DAY), ...channels }

/** the type's config block (named after it, except tag_step / deprecate_step) and when it is required */
const BLOCKS: Record<string, { schema: Record<string, unknown>; type: string; required: boolean }> = {
  agent: {
    type: 'agent',
    required: false,
    schema: map({
      prompt: text(BIG),
      role: text(),
      model: text(),
      agent_type: text(),
      timeout: num(0.01, DAY),
      max_turns: int(1, 50),
      output_fields: strList(),
      tools: { type: ['string', 'array'], items: { type: 'string' }, maxItems: 100 },
      required_tools: strList(),
    }),
  },
  shell: {
    type: 'shell',
    required: true,
    schema: map(
      {
        command: {
          type: ['string', 'array'],
          minItems: 1,
          items: { type: 'string' },
          pattern: '\\S',
          'x-message': 'must be a command line or a non-empty list of strings',
        },
        timeout: num(0.01, DAY),
        allow_failure: bool,
      },
      ['command'],
    ),
  },
  compute: { type: 'compute', required: true, schema: map({ outputs: scalarMap }, ['outputs']) },
  conditional: {
    type: 'conditional',
    required: true,
    schema: map({ branches: { type: 'array', minItems: 1, items: map({ condition: text(1000), goto: text(100) }, ['condition', 'goto']) } }, ['branches']),
  },
  parallel: {
    type: 'parallel',
    required: true,
    schema: map({ join: { enum: ['all', 'any', 'majority'] }, max_concurrency: int(1, 10), steps: { $ref: '#/$defs/steps' } }, ['steps']),
  },
  goto: { type: 'goto', required: true, schema: map({ target: text(100), condition: text(1000), max_iterations: int(1, 20) }, ['target']) },
  for_each: {
    type: 'for_each',
    required: true,
    schema: map(
      {
        range: { type: 'string', pattern: '^\\s*-?\\d+\\s*\\.\\.\\s*-?\\d+\\s*$', 'x-message': 'must look like "1..N"' },
        items: { type: ['string', 'array'], maxItems: 50 },
        variable: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', 'x-message': 'must be an identifier' },
        max_iterations: int(1, 50),
        fail_fast: bool,
        carry_forward: bool,
        steps: { $ref: '#/$defs/steps' },
      },
      ['steps'],
    ),
  },
  human_approval: {
    type: 'human_approval',
    required: false,
    schema: map({ ...human, on_reject_goto: text(100), on_reject_max: int(0, 10), approve_keywords: strList(), reject_keywords: strList() }),
  },
  human_input: { type: 'human_input', required: false, schema: map(human) },
  notify: { type: 'notify', required: true, schema: map({ ...channels, title: text(), message: text(BIG) }, ['message']) },
  output: {
    type: 'output',
    required: false,
    schema: map({
      format: { enum: ['text', 'markdown', 'json', 'yaml'] },
      template: text(BIG),
      entity_name: text(),
      entity_kind: text(),
      entity_tag: text(),
      entity_space: { type: 'string', pattern: '^/', 'x-message': 'must be a space path such as /Revka/WorkflowOutputs' },
      entity_metadata: scalarMap,
    }),
  },
  resolve: {
    type: 'resolve',
    required: true,
    schema: map(
      {
        kind: text(200),
        tag: text(),
        name_pattern: text(),
        space: text(),
        artifact_name: text(),
        mode: { enum: ['latest', 'all'] },
        fields: strList(),
        fail_if_missing: bool,
      },
      ['kind'],
    ),
  },
  tag_step: { type: 'tag', required: true, schema: map({ item_kref: text(), tag: text(), untag: bool }, ['item_kref', 'tag']) },
  deprecate_step: { type: 'deprecate', required: true, schema: map({ item_kref: text(), reason: text() }, ['item_kref']) },
}

const STEP = {
  type: 'object',
  required: ['id'],
  properties: {
    id: {
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,99}$',
      'x-message': 'must start with a letter or _ and hold only letters, digits, _ and - (at most 100)',
    },
    name: text(),
    type: { type: 'string' },
    depends_on: strList(),
    retry: int(0, 5),
    retry_delay: num(0, 3600),
    timeout: num(0.01, DAY),
    assign: text(),
    skills: strList(20),
    action: text(BIG),
    description: text(),
    ...Object.fromEntries(Object.entries(BLOCKS).map(([k, b]) => [k, b.schema])),
  },
  // a type's block is required when its type is (an absent type is agent)
  allOf: Object.entries(BLOCKS)
    .filter(([, b]) => b.required)
    .map(([k, b]) => ({ if: { properties: { type: { const: b.type } }, required: ['type'] }, then: { required: [k] } })),
}

export const WORKFLOW_SCHEMA = {
  type: 'object',
  required: ['name', 'steps'],
  $defs: { step: STEP, steps: { type: 'array', minItems: 1, items: { $ref: '#/$defs/step' }, 'x-message': 'must be a non-empty list of steps' } },
  properties: {
    name: text(200),
    version: text(100),
    description: text(BIG),
    tags: { type: ['array', 'string'] },
    inputs: { type: 'array', items: map({ name: text(200), type: { enum: ['string', 'number', 'boolean', 'list'] }, required: bool }, ['name']) },
    outputs: { type: 'array', items: map({ name: text(200), source: text(BIG) }, ['name', 'source']) },
    steps: { $ref: '#/$defs/steps' },
    triggers: { type: 'array', maxItems: 100, items: map({ cron: text(200), timezone: text(100), tz: text(100) }) },
    default_timeout: num(0.01, DAY),
    max_total_time: num(0.01, 7 * DAY),
  },
}

let compiled: ValidateFunction | undefined
function validator(): ValidateFunction {
  if (!compiled) {
    const mod = createRequire(import.meta.url)('ajv')
    const Ajv = mod.default ?? mod
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, strictRequired: false })
    ajv.addVocabulary(['x-message'])
    compiled = ajv.compile(WORKFLOW_SCHEMA) as ValidateFunction
  }
  return compiled
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'text',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
}

const pathOf = (e: ErrorObject): YamlPath =>
  e.instancePath
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')))

function message(e: ErrorObject, key: string): string | null {
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>
  const custom = parent['x-message']
  // a bounded number says its whole range, whichever bound (or the type) it missed
  if (['minimum', 'maximum', 'type'].includes(e.keyword) && typeof parent.minimum === 'number' && typeof parent.maximum === 'number') {
    return `${key} must be ${parent.type === 'integer' ? 'an integer' : 'a number'} from ${parent.minimum} to ${parent.maximum} (got ${JSON.stringify(e.data)})`
  }
  switch (e.keyword) {
    case 'required':
      return `${e.params.missingProperty} is required`
    case 'if':
      return null // its `then` already reported the missing block
    case 'enum':
      return `${key} must be one of ${(e.params.allowedValues as unknown[]).join(', ')} (got ${JSON.stringify(e.data)})`
    case 'type':
      return `${key} ${
        custom ??
        `must be ${[e.params.type]
          .flat()
          .map((t) => TYPE_WORDS[String(t)] ?? t)
          .join(' or ')}`
      }`
    default:
      return `${key} ${custom ?? e.message}`
  }
}

/** every schema error as a finding with its field and line; the step id when inside a step */
export function schemaFindings(doc: unknown, c: Checker): void {
  const v = validator()
  if (v(doc)) return
  for (const e of v.errors ?? []) {
    const path = pathOf(e)
    const missing = e.keyword === 'required' ? [String(e.params.missingProperty)] : []
    const key = String(path.at(-1) ?? 'the workflow')
    const msg = message(e, typeof path.at(-1) === 'number' ? `${String(path.at(-2))}[${key}]` : key)
    if (msg) c.error(msg, [...path, ...missing], stepIdAt(doc, path))
  }
}

/** the id of the innermost step a path runs through */
function stepIdAt(doc: unknown, path: YamlPath): string | undefined {
  let node: unknown = doc
  let id: string | undefined
  for (let i = 0; i < path.length; i++) {
    node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[path[i]] : undefined
    if (path[i - 1] === 'steps' && typeof path[i] === 'number' && node && typeof node === 'object' && typeof (node as { id?: unknown }).id === 'string')
      id = (node as { id: string }).id
  }
  return id
}
