/**
 * `${…}` templates (DOMAIN.md §7.4): `${inputs.x}`, `${<step>.output|status|error|output_data.k}`,
 * `${previous.<step>.output}`, `${run_id}`, `${for_each.<var>|index|iteration|total}`,
 * `${loop.iteration}`, `${rejection.feedback|count}`, `${trigger.*}` (the `trigger` input) and
 * `${env.VAR}` for the variables the operator allow-listed. A value is substituted as text and
 * never evaluated; an unknown reference becomes the empty string (validation warns about it).
 */
import type { StepResult } from './model.js'

export interface Scope {
  run_id: string
  inputs: Record<string, unknown>
  results: Record<string, StepResult>
  for_each?: Record<string, unknown>
  loop?: { iteration: number }
  rejection?: { feedback: string; count: number }
  env: (name: string) => string | undefined
}

/** `${a.b}` but not `${{ … }}` (expression templates, refused at validation) */
export const REF = /\$\{(?!\{)\s*([^{}]*?)\s*\}/g

/** every reference in a template, as its dotted path */
export function references(template: string): string[] {
  return [...template.matchAll(REF)].map((m) => m[1])
}

function dig(value: unknown, path: string[]): unknown {
  let v = value
  for (const key of path) {
    if (typeof v === 'string' && (v.startsWith('{') || v.startsWith('['))) {
      try {
        v = JSON.parse(v)
      } catch {
        return undefined
      }
    }
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, key)) return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

function stepField(r: StepResult | undefined, path: string[]): unknown {
  if (!r) return undefined
  const [field, ...rest] = path
  switch (field ?? 'output') {
    case 'output':
      return rest.length ? dig(r.output, rest) : r.output
    case 'status':
      return r.status
    case 'error':
      return r.error ?? ''
    case 'output_data':
      return dig(r.output_data, rest)
    case 'files':
      return []
    default:
      return dig(r.output_data, path)
  }
}

/** The value a dotted reference names, or undefined. */
export function lookup(ref: string, s: Scope): unknown {
  const [root, ...path] = ref.split('.')
  switch (root) {
    case 'run_id':
      return s.run_id
    case 'inputs':
      return dig(s.inputs, path)
    case 'trigger':
      return dig(s.inputs.trigger, path)
    case 'for_each':
      return s.for_each ? dig(s.for_each, path) : undefined
    case 'loop':
      return path[0] === 'iteration' ? (s.loop?.iteration ?? 0) : undefined
    case 'rejection':
      return s.rejection ? dig(s.rejection, path) : undefined
    case 'env':
      return path.length === 1 ? s.env(path[0]) : undefined
    case 'previous':
      return stepField(s.results[path[0]], path.slice(1))
    default:
      return stepField(s.results[root], path)
  }
}

export function asText(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}

export function render(template: string, s: Scope): string {
  return template.replace(REF, (_m, ref: string) => asText(lookup(ref, s)))
}

/** Render every string inside a JSON-like value (config maps, lists). */
export function renderDeep(value: unknown, s: Scope): unknown {
  if (typeof value === 'string') return render(value, s)
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, s))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, s)]))
  return value
}
