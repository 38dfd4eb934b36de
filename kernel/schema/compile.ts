/**
 * Schema compilation for the kernel: the lite interpreter for the common subset, Ajv (lazily
 * created) for anything else. Compiled validators are cached per schema object.
 */
import { createRequire } from 'node:module'
import { isLite, liteValidator, type Validator } from './lite.js'

const require = createRequire(import.meta.url)
let ajv: any
const cache = new WeakMap<object, Validator>()

function ajvInstance(): any {
  if (!ajv) {
    const mod = require('ajv')
    const Ajv = mod.default ?? mod
    ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false })
  }
  return ajv
}

/** Compile `schema`; throws when Ajv cannot compile it. */
export function compileSchema(schema: object): Validator {
  const hit = cache.get(schema)
  if (hit) return hit
  const v: Validator = isLite(schema) ? liteValidator(schema) : ajvInstance().compile(schema)
  cache.set(schema, v)
  return v
}

export function schemaErrors(errors: Array<{ instancePath?: string; message?: string }> | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`).join('; ')
}
