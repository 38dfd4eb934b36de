/**
 * A small JSON Schema validator for the subset that manifests, the plugins file, plugin options
 * and route schemas actually use. Ajv compiles each schema to code, which cost ~200 ms of every
 * start for two dozen tiny schemas; this interprets them directly. A schema with any keyword
 * outside the subset is handed to Ajv (loaded only then), so nothing is silently unchecked.
 */

export interface LiteError {
  instancePath: string
  message: string
}

export type Validator = ((data: unknown) => boolean) & { errors: LiteError[] | null }

const SUPPORTED = new Set([
  '$schema', '$id', 'title', 'description', 'examples', '$comment',
  'type', 'properties', 'required', 'additionalProperties', 'default', 'enum', 'const',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern',
  'items', 'minItems', 'maxItems', 'uniqueItems', 'propertyNames', 'minProperties', 'maxProperties',
])

/** true when every keyword at every level is one this validator understands */
export function isLite(schema: unknown): boolean {
  if (typeof schema === 'boolean') return true
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return false
  for (const [k, v] of Object.entries(schema)) {
    if (!SUPPORTED.has(k)) return false
    if (k === 'properties') { if (!v || typeof v !== 'object' || !Object.values(v).every(isLite)) return false }
    else if (k === 'items' || k === 'propertyNames' || (k === 'additionalProperties' && typeof v === 'object')) { if (!isLite(v)) return false }
    else if (k === 'type' && !(typeof v === 'string' || (Array.isArray(v) && v.every((t) => typeof t === 'string')))) return false
  }
  return true
}

function typeOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

function matchesType(v: unknown, t: string): boolean {
  switch (t) {
    case 'integer': return typeof v === 'number' && Number.isInteger(v)
    case 'number': return typeof v === 'number' && Number.isFinite(v)
    case 'object': return typeOf(v) === 'object'
    default: return typeOf(v) === t
  }
}

function check(s: any, v: unknown, path: string, errs: LiteError[], useDefaults: boolean): void {
  if (s === true || s === undefined) return
  if (s === false) { errs.push({ instancePath: path, message: 'is not allowed' }); return }
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type]
    if (!types.some((t) => matchesType(v, t))) { errs.push({ instancePath: path, message: `must be ${types.join(',')}` }); return }
  }
  if (s.const !== undefined && JSON.stringify(v) !== JSON.stringify(s.const)) errs.push({ instancePath: path, message: 'must be equal to constant' })
  if (s.enum && !s.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(v))) errs.push({ instancePath: path, message: `must be equal to one of the allowed values (${s.enum.join(', ')})` })
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) errs.push({ instancePath: path, message: `must be >= ${s.minimum}` })
    if (s.maximum !== undefined && v > s.maximum) errs.push({ instancePath: path, message: `must be <= ${s.maximum}` })
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) errs.push({ instancePath: path, message: `must be > ${s.exclusiveMinimum}` })
    if (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum) errs.push({ instancePath: path, message: `must be < ${s.exclusiveMaximum}` })
  }
  if (typeof v === 'string') {
    const len = [...v].length
    if (s.minLength !== undefined && len < s.minLength) errs.push({ instancePath: path, message: `must NOT have fewer than ${s.minLength} characters` })
    if (s.maxLength !== undefined && len > s.maxLength) errs.push({ instancePath: path, message: `must NOT have more than ${s.maxLength} characters` })
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) errs.push({ instancePath: path, message: `must match pattern "${s.pattern}"` })
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) errs.push({ instancePath: path, message: `must NOT have fewer than ${s.minItems} items` })
    if (s.maxItems !== undefined && v.length > s.maxItems) errs.push({ instancePath: path, message: `must NOT have more than ${s.maxItems} items` })
    if (s.uniqueItems && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) errs.push({ instancePath: path, message: 'must NOT have duplicate items' })
    if (s.items !== undefined) v.forEach((x, i) => check(s.items, x, `${path}/${i}`, errs, useDefaults))
  }
  if (typeOf(v) === 'object') {
    const o = v as Record<string, unknown>
    const props = (s.properties ?? {}) as Record<string, any>
    if (useDefaults) for (const [k, ps] of Object.entries(props)) if (o[k] === undefined && ps && ps.default !== undefined) o[k] = structuredClone(ps.default)
    for (const r of s.required ?? []) if (o[r] === undefined) errs.push({ instancePath: path, message: `must have required property '${r}'` })
    const keys = Object.keys(o)
    if (s.minProperties !== undefined && keys.length < s.minProperties) errs.push({ instancePath: path, message: `must NOT have fewer than ${s.minProperties} properties` })
    if (s.maxProperties !== undefined && keys.length > s.maxProperties) errs.push({ instancePath: path, message: `must NOT have more than ${s.maxProperties} properties` })
    for (const k of keys) {
      const p = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`
      if (s.propertyNames !== undefined) check(s.propertyNames, k, p, errs, false)
      if (Object.prototype.hasOwnProperty.call(props, k)) check(props[k], o[k], p, errs, useDefaults)
      else if (s.additionalProperties === false) errs.push({ instancePath: path, message: `must NOT have additional properties ('${k}')` })
      else if (s.additionalProperties && typeof s.additionalProperties === 'object') check(s.additionalProperties, o[k], p, errs, useDefaults)
    }
  }
}

/** Build a validator; `useDefaults` fills `default`s into the data, as Ajv's option does. */
export function liteValidator(schema: unknown, useDefaults = true): Validator {
  const fn = ((data: unknown) => {
    const errs: LiteError[] = []
    check(schema, data, '', errs, useDefaults)
    fn.errors = errs.length ? errs : null
    return errs.length === 0
  }) as Validator
  fn.errors = null
  return fn
}
