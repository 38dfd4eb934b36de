/**
 * `validate(yaml)`: the `yaml` package parses (its LineCounter gives each finding a line), then
 * hand checks stand in for a schema — clearer messages than a generic validator's, and each names
 * the field and the step. Types this runner does not execute are refused here, naming the type,
 * so a saved workflow never fails at run time for that reason. Never throws on bad input.
 */
import { LineCounter, parseDocument } from 'yaml'
import { Cron } from 'croner'
import type { WorkflowValidation } from '@revka/plugin-sdk'
import { Checker, type YamlPath } from './checker.js'
import { CHECKS, type Jump } from './step-checks.js'
import { referencedSiblings, strings, waves } from './graph.js'
import { references } from './interpolate.js'
import { CONFIG_BLOCK, REFUSED_TYPES, RESERVED_ROOTS, RUN_TYPES, TOP_LEVEL_ONLY, type InputDef, type StepDef, type StepType, type WorkflowDef } from './model.js'

export interface ValidateOptions { shellAllowed: boolean }
export const MAX_STEPS = 500
const ID = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/

type Raw = Record<string, any>
const isMap = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v)

class Walk {
  readonly ids = new Map<string, YamlPath>()
  readonly order: string[] = []
  readonly jumps: Jump[] = []
  readonly raws: Array<{ id: string; raw: Raw; path: YamlPath }> = []
  constructor(readonly c: Checker, readonly o: ValidateOptions) {}

  scope(list: unknown, path: YamlPath, nested: boolean): StepDef[] {
    if (!Array.isArray(list) || !list.length) { this.c.error('steps must be a non-empty list', path); return [] }
    const siblings = new Set(list.filter(isMap).map((s) => (typeof s.id === 'string' ? s.id : '')).filter(Boolean))
    const defs = list.flatMap((raw, i) => this.step(raw, [...path, i], nested, siblings))
    const { cycle } = waves(defs)
    if (cycle.length) this.c.error(`depends_on (with the \${step.…} references) forms a cycle among: ${cycle.join(', ')}`, this.ids.get(cycle[0]) ?? path, cycle[0])
    return defs
  }

  private step(raw: unknown, p: YamlPath, nested: boolean, siblings: Set<string>): StepDef[] {
    const c = this.c
    if (!isMap(raw)) { c.error('a step must be a mapping', p); return [] }
    const id = c.str(raw, 'id', p, undefined, { required: true })
    if (id === undefined) return []
    if (!ID.test(id)) c.error(`step id '${id}' must start with a letter or _ and hold only letters, digits, _ and - (at most 100)`, [...p, 'id'], id)
    if (RESERVED_ROOTS.includes(id)) c.error(`step id '${id}' is reserved for interpolation (\${${id}.…})`, [...p, 'id'], id)
    const first = this.ids.get(id)
    if (first) { c.error(`duplicate step id '${id}' (first defined at line ${c.lineOf(first) ?? '?'})`, [...p, 'id'], id); return [] }
    this.ids.set(id, p)
    this.order.push(id)
    this.raws.push({ id, raw, path: p })
    const type = this.type(raw, p, id, nested)
    const deps = c.strList(raw, 'depends_on', p, id) ?? []
    deps.forEach((d, i) => { if (!siblings.has(d) || d === id) c.error(`depends_on names '${d}', which is not ${d === id ? 'another' : 'a'} step ${nested ? 'of the same body' : 'of this workflow'}`, [...p, 'depends_on', i], id) })
    const def: StepDef = {
      id, type: type ?? 'agent',
      name: c.str(raw, 'name', p, id), action: c.str(raw, 'action', p, id, { max: 1_000_000 }), description: c.str(raw, 'description', p, id),
      assign: c.str(raw, 'assign', p, id), skills: c.strList(raw, 'skills', p, id, 20) ?? [],
      retry: c.num(raw, 'retry', p, id, 0, 5, true) ?? 0,
      retry_delay: c.num(raw, 'retry_delay', p, id, 0, 3600) ?? 5,
      timeout: c.num(raw, 'timeout', p, id, 0.01, 86_400),
      depends_on: [...new Set([...deps, ...referencedSiblings(raw, id, siblings)])],
      config: {}, children: [],
    }
    if (!type) return [def]
    const block = CONFIG_BLOCK[type] ?? type
    unknownKeys(c, raw, new Set([...STEP_KEYS, block]), p, id)
    const spec = CHECKS[type]
    const cfg = c.map(raw, block, p, id, spec.required) ?? {}
    def.config = cfg
    spec.check(c, cfg, [...p, block], id, this.jumps)
    if (type === 'agent' && !cfg.prompt && !def.action && !def.description) c.error('an agent step needs agent.prompt (or action)', p, id)
    if (type === 'parallel' || type === 'for_each') def.children = this.scope(cfg.steps, [...p, block, 'steps'], true)
    return [def]
  }

  private type(raw: Raw, p: YamlPath, id: string, nested: boolean): StepType | undefined {
    const t = raw.type === undefined || raw.type === null ? 'agent' : raw.type
    const at = [...p, 'type']
    if (typeof t !== 'string') { this.c.error('type must be a step type name', at, id); return undefined }
    if (REFUSED_TYPES.includes(t) || t.startsWith('kumiho_')) {
      this.c.error(`step type '${t}' is not supported by this runner (it runs ${RUN_TYPES.join(', ')})`, at, id)
      return undefined
    }
    if (!(RUN_TYPES as readonly string[]).includes(t)) { this.c.error(`unknown step type '${t}'`, at, id); return undefined }
    if (t === 'shell' && !this.o.shellAllowed) {
      this.c.error("step type 'shell' is disabled on this gateway (the operator can allow it: plugins.workflow-runner.options.shell_steps = true)", at, id)
      return undefined
    }
    if (nested && TOP_LEVEL_ONLY.includes(t as StepType)) { this.c.error(`step type '${t}' cannot run inside parallel or for_each`, at, id); return undefined }
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
const STEP_KEYS = ['id', 'name', 'type', 'depends_on', 'retry', 'retry_delay', 'timeout', 'assign', 'skills', 'action', 'description']
const TOP_KEYS = new Set(['name', 'description', 'version', 'tags', 'inputs', 'outputs', 'steps', 'triggers', 'default_timeout', 'max_total_time', 'metadata'])

/** a typo (`depend_on`) or another type's block would be ignored silently: say so (a warning, since the reference's files carry extras) */
function unknownKeys(c: Checker, raw: Raw, known: Set<string>, p: YamlPath, id?: string): void {
  for (const k of Object.keys(raw)) if (!known.has(k)) c.warn(`unknown field '${k}' is ignored`, [...p, k], id)
}

function inputsOf(c: Checker, list: unknown): InputDef[] {
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) { c.error('inputs must be a list', ['inputs']); return [] }
  return list.flatMap((raw, i) => {
    const p = ['inputs', i]
    if (!isMap(raw)) { c.error('an input must be a mapping {name, type, required, default}', p); return [] }
    const name = c.str(raw, 'name', p, undefined, { required: true })
    const type = (c.oneOf(raw, 'type', p, undefined, ['string', 'number', 'boolean', 'list']) ?? 'string') as InputDef['type']
    const required = c.bool(raw, 'required', p, undefined) ?? true
    return name === undefined ? [] : [{ name, type, required, default: raw.default }]
  })
}

function cronTriggers(c: Checker, list: unknown): WorkflowValidation['cron_triggers'] {
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) { c.error('triggers must be a list', ['triggers']); return [] }
  return list.flatMap((raw, i) => {
    if (!isMap(raw)) { c.error('a trigger must be a mapping', ['triggers', i]); return [] }
    const cron = c.str(raw, 'cron', ['triggers', i], undefined)
    if (cron === undefined) return []
    const timezone = c.str(raw, 'timezone', ['triggers', i], undefined) ?? c.str(raw, 'tz', ['triggers', i], undefined)
    try { new Cron(cron, { paused: true, timezone }).stop() } catch (e) {
      c.error(`cron '${cron}' is not valid: ${(e as Error).message}`, ['triggers', i, 'cron'])
      return []
    }
    return [timezone ? { cron, timezone } : { cron }]
  })
}

export function validateWorkflow(text: unknown, o: ValidateOptions): { validation: WorkflowValidation; def?: WorkflowDef } {
  const empty = (message: string): { validation: WorkflowValidation } => ({ validation: { valid: false, errors: [{ message, severity: 'error' }], warnings: [], all_step_ids: [], cron_triggers: [] } })
  if (typeof text !== 'string' || !text.trim()) return empty('the workflow YAML is empty')
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const c = new Checker(doc, lines)
  // prettyErrors is off (its message quotes the source), so the line comes from the error's offset
  for (const e of doc.errors) c.errors.push({ message: `YAML: ${e.message.split('\n')[0]}`, severity: 'error', line: lines.linePos(e.pos[0]).line })
  if (c.errors.length) return { validation: { valid: false, errors: c.errors, warnings: [], all_step_ids: [], cron_triggers: [] } }
  let top: unknown
  try { top = doc.toJS({ maxAliasCount: 100 }) } catch (e) { return empty(`YAML: ${(e as Error).message}`) }
  if (!isMap(top)) return empty('the workflow must be a YAML mapping with name and steps')

  const name = c.str(top, 'name', [], undefined, { required: true, max: 200 })
  unknownKeys(c, top, TOP_KEYS, [])
  const walk = new Walk(c, o)
  const steps = walk.scope(top.steps, ['steps'], false)
  walk.finish(steps)
  if (walk.order.length > MAX_STEPS) c.error(`a workflow may have at most ${MAX_STEPS} steps (this one has ${walk.order.length})`, ['steps'])
  const def: WorkflowDef = {
    name: name ?? '',
    version: c.str(top, 'version', [], undefined) ?? '1.0',
    inputs: inputsOf(c, top.inputs),
    outputs: Array.isArray(top.outputs) ? top.outputs.filter(isMap).map((x) => ({ name: String(x.name ?? ''), source: String(x.source ?? '') })) : [],
    steps,
    default_timeout: c.num(top, 'default_timeout', [], undefined, 0.01, 86_400) ?? 300,
    max_total_time: c.num(top, 'max_total_time', [], undefined, 0.01, 7 * 86_400) ?? 3600,
  }
  const cron_triggers = cronTriggers(c, top.triggers)
  const validation: WorkflowValidation = { valid: c.errors.length === 0, errors: c.errors, warnings: c.warnings, all_step_ids: walk.order, cron_triggers }
  if (name !== undefined) validation.name = name
  return validation.valid ? { validation, def } : { validation }
}
