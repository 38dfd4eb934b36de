/**
 * `validate(yaml)`: the `yaml` package parses (its LineCounter gives each finding a line), Ajv
 * checks the document against the JSON Schema (schema.ts: types, bounds, enums, required blocks),
 * then the checks a schema cannot express: unique ids, dependencies and jump targets that exist,
 * cycles (inferred `${step.…}` dependencies included), condition syntax, cron expressions, and
 * the types this runner does not execute — refused here, naming the type, so a saved workflow
 * never fails at run time for that reason. Every finding names its field and line. Never throws.
 */
import { LineCounter, parseDocument } from 'yaml'
import { Cron } from 'croner'
import type { WorkflowValidation } from '@revka/plugin-sdk'
import { Checker, type YamlPath } from './checker.js'
import { schemaFindings } from './schema.js'
import { semanticChecks, type Jump } from './step-checks.js'
import { referencedSiblings, strings, waves } from './graph.js'
import { references } from './interpolate.js'
import {
  CONFIG_BLOCK,
  REFUSED_TYPES,
  RESERVED_ROOTS,
  RUN_TYPES,
  TOP_LEVEL_ONLY,
  type InputDef,
  type StepDef,
  type StepType,
  type WorkflowDef,
} from './model.js'

export interface ValidateOptions {
  shellAllowed: boolean
}
export const MAX_STEPS = 500

type Raw = Record<string, any>
const isMap = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v)
/** after the schema: a value of the expected type, else undefined (its error is already reported) */
const strOf = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined)
const numOf = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)
const listOf = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

class Walk {
  readonly ids = new Map<string, YamlPath>()
  readonly order: string[] = []
  readonly jumps: Jump[] = []
  readonly raws: Array<{ id: string; raw: Raw; path: YamlPath }> = []
  constructor(
    readonly c: Checker,
    readonly o: ValidateOptions,
  ) {}

  scope(list: unknown, path: YamlPath, nested: boolean): StepDef[] {
    if (!Array.isArray(list)) return [] // the schema reported it
    const siblings = new Set(
      list
        .filter(isMap)
        .map((s) => (typeof s.id === 'string' ? s.id : ''))
        .filter(Boolean),
    )
    const defs = list.flatMap((raw, i) => this.step(raw, [...path, i], nested, siblings))
    const { cycle } = waves(defs)
    if (cycle.length)
      this.c.error(`depends_on (with the \${step.…} references) forms a cycle among: ${cycle.join(', ')}`, this.ids.get(cycle[0]) ?? path, cycle[0])
    return defs
  }

  private step(raw: unknown, p: YamlPath, nested: boolean, siblings: Set<string>): StepDef[] {
    const c = this.c
    if (!isMap(raw) || typeof raw.id !== 'string') return [] // the schema reported it
    const id = raw.id
    if (RESERVED_ROOTS.includes(id)) c.error(`step id '${id}' is reserved for interpolation (\${${id}.…})`, [...p, 'id'], id)
    const first = this.ids.get(id)
    if (first) {
      c.error(`duplicate step id '${id}' (first defined at line ${c.lineOf(first) ?? '?'})`, [...p, 'id'], id)
      return []
    }
    this.ids.set(id, p)
    this.order.push(id)
    this.raws.push({ id, raw, path: p })
    const type = this.type(raw, p, id, nested)
    const deps = listOf(raw.depends_on)
    deps.forEach((d, i) => {
      if (!siblings.has(d) || d === id)
        c.error(
          `depends_on names '${d}', which is not ${d === id ? 'another' : 'a'} step ${nested ? 'of the same body' : 'of this workflow'}`,
          [...p, 'depends_on', i],
          id,
        )
    })
    const def: StepDef = {
      id,
      type: type ?? 'agent',
      name: strOf(raw.name),
      action: strOf(raw.action),
      description: strOf(raw.description),
      assign: strOf(raw.assign),
      skills: listOf(raw.skills),
      retry: numOf(raw.retry) ?? 0,
      retry_delay: numOf(raw.retry_delay) ?? 5,
      timeout: numOf(raw.timeout),
      depends_on: [...new Set([...deps, ...referencedSiblings(raw, id, siblings)])],
      config: {},
      children: [],
    }
    if (!type) return [def]
    const block = CONFIG_BLOCK[type] ?? type
    unknownKeys(c, raw, new Set([...STEP_KEYS, block]), p, id)
    const cfg: Raw = isMap(raw[block]) ? raw[block] : {}
    def.config = cfg
    semanticChecks(type, c, cfg, [...p, block], id, this.jumps)
    if (type === 'agent' && !cfg.prompt && !def.action && !def.description) c.error('an agent step needs agent.prompt (or action)', p, id)
    if (type === 'parallel' || type === 'for_each') def.children = this.scope(cfg.steps, [...p, block, 'steps'], true)
    return [def]
  }

  private type(raw: Raw, p: YamlPath, id: string, nested: boolean): StepType | undefined {
    const t = raw.type === undefined || raw.type === null ? 'agent' : raw.type
    const at = [...p, 'type']
    if (typeof t !== 'string') {
      this.c.error('type must be a step type name', at, id)
      return undefined
    }
    if (REFUSED_TYPES.includes(t) || t.startsWith('kumiho_')) {
      this.c.error(`step type '${t}' is not supported by this runner (it runs ${RUN_TYPES.join(', ')})`, at, id)
      return undefined
    }
    if (!(RUN_TYPES as readonly string[]).includes(t)) {
      this.c.error(`unknown step type '${t}'`, at, id)
      return undefined
    }
    if (t === 'shell' && !this.o.shellAllowed) {
      this.c.error("step type 'shell' is disabled on this gateway (the operator can allow it: plugins.workflow-runner.options.shell_steps = true)", at, id)
      return undefined
    }
    if (nested && TOP_LEVEL_ONLY.includes(t as StepType)) {
      this.c.error(`step type '${t}' cannot run inside parallel or for_each`, at, id)
      return undefined
    }
    return t as StepType
  }

  /** after the walk: jump targets and `${…}` references name real steps */
  finish(top: StepDef[]): void {
    const topIds = new Set(top.map((s) => s.id))
    for (const j of this.jumps) if (!topIds.has(j.target)) this.c.error(`${j.what} '${j.target}' is not a top-level step of this workflow`, j.path, j.stepId)
    for (const { id, raw, path } of this.raws) {
      for (const s of strings(raw)) {
        if (s.includes('${{')) this.c.error('expression templates ${{ … }} are not supported; use ${step.output} style references', path, id)
        for (const ref of references(s)) {
          const root = ref.split('.')[0]
          if (!RESERVED_ROOTS.includes(root) && !this.ids.has(root)) this.c.warn(`\${${ref}} names no input, step or variable; it will be empty`, path, id)
        }
      }
    }
  }
}

/** fields a step may carry besides its type's block */
const STEP_KEYS = ['id', 'name', 'type', 'depends_on', 'retry', 'retry_delay', 'timeout', 'assign', 'skills', 'action', 'description', 'position']
// `default_cwd` is not honoured (a run's cwd is the request's, checked by the routes) and so is warned about
const TOP_KEYS = new Set([
  'name',
  'description',
  'version',
  'tags',
  'inputs',
  'outputs',
  'steps',
  'triggers',
  'default_timeout',
  'max_total_time',
  'metadata',
  'checkpoint',
])

/** a typo (`depend_on`) or another type's block would be ignored silently: say so (a warning, since the reference's files carry extras) */
function unknownKeys(c: Checker, raw: Raw, known: Set<string>, p: YamlPath, id?: string): void {
  for (const k of Object.keys(raw)) if (!known.has(k)) c.warn(`unknown field '${k}' is ignored`, [...p, k], id)
}

function inputsOf(list: unknown): InputDef[] {
  return (Array.isArray(list) ? list.filter(isMap) : []).flatMap((raw) => {
    const name = strOf(raw.name)
    const type = (['string', 'number', 'boolean', 'list'].includes(raw.type) ? raw.type : 'string') as InputDef['type']
    return name === undefined ? [] : [{ name, type, required: raw.required !== false, default: raw.default }]
  })
}

/** the `cron:` triggers, each parsed by croner (the scheduler's own parser) */
function cronTriggers(c: Checker, list: unknown): WorkflowValidation['cron_triggers'] {
  return (Array.isArray(list) ? list : []).flatMap((raw, i) => {
    const cron = isMap(raw) ? strOf(raw.cron) : undefined
    if (cron === undefined) {
      if (isMap(raw) && raw.on_kind !== undefined)
        c.warn('event triggers (on_kind) are not run by this runner; only cron triggers are', ['triggers', i, 'on_kind'])
      return []
    }
    const timezone = strOf(raw.timezone) ?? strOf(raw.tz)
    try {
      new Cron(cron, { paused: true, timezone }).stop()
    } catch (e) {
      c.error(`cron '${cron}' is not valid: ${(e as Error).message}`, ['triggers', i, 'cron'])
      return []
    }
    return [timezone ? { cron, timezone } : { cron }]
  })
}

export function validateWorkflow(text: unknown, o: ValidateOptions): { validation: WorkflowValidation; def?: WorkflowDef } {
  const empty = (message: string): { validation: WorkflowValidation } => ({
    validation: { valid: false, errors: [{ message, severity: 'error' }], warnings: [], all_step_ids: [], cron_triggers: [] },
  })
  if (typeof text !== 'string' || !text.trim()) return empty('the workflow YAML is empty')
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const c = new Checker(doc, lines)
  // prettyErrors is off (its message quotes the source), so the line comes from the error's offset
  for (const e of doc.errors) c.errors.push({ message: `YAML: ${e.message.split('\n')[0]}`, severity: 'error', line: lines.linePos(e.pos[0]).line })
  if (c.errors.length) return { validation: { valid: false, errors: c.errors, warnings: [], all_step_ids: [], cron_triggers: [] } }
  let top: unknown
  try {
    top = doc.toJS({ maxAliasCount: 100 })
  } catch (e) {
    return empty(`YAML: ${(e as Error).message}`)
  }
  if (!isMap(top)) return empty('the workflow must be a YAML mapping with name and steps')

  schemaFindings(top, c)
  const name = strOf(top.name)
  unknownKeys(c, top, TOP_KEYS, [])
  const walk = new Walk(c, o)
  const steps = walk.scope(top.steps, ['steps'], false)
  walk.finish(steps)
  if (walk.order.length > MAX_STEPS) c.error(`a workflow may have at most ${MAX_STEPS} steps (this one has ${walk.order.length})`, ['steps'])
  const def: WorkflowDef = {
    name: name ?? '',
    version: strOf(top.version) ?? '1.0',
    inputs: inputsOf(top.inputs),
    outputs: Array.isArray(top.outputs) ? top.outputs.filter(isMap).map((x) => ({ name: String(x.name ?? ''), source: String(x.source ?? '') })) : [],
    steps,
    default_timeout: numOf(top.default_timeout) ?? 300,
    max_total_time: numOf(top.max_total_time) ?? 3600,
  }
  const cron_triggers = cronTriggers(c, top.triggers)
  const validation: WorkflowValidation = { valid: c.errors.length === 0, errors: c.errors, warnings: c.warnings, all_step_ids: walk.order, cron_triggers }
  if (name !== undefined) validation.name = name
  return validation.valid ? { validation, def } : { validation }
}
