/**
 * Schema compilation for the kernel: one validator, Ajv. Loading Ajv and compiling two dozen small
 * schemas cost ~200 ms of every start, so the schemas known at build time (the SDK's manifest and
 * plugins-file schemas, every built-in's configSchema and route schemas) are compiled once by
 * `npm run build` into Ajv standalone code (kernel/schema/precompiled.cjs, made by
 * scripts/precompile-schemas.js). A schema is looked up there by a hash of its JSON; anything else
 * (a third-party plugin's configSchema, a schema edited since the last build) is compiled by Ajv at
 * run time, loaded only then. Both paths run the same Ajv with the same options, so a precompiled
 * validator and a run-time one cannot disagree. Compiled validators are cached per schema object.
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)

export interface SchemaError {
  instancePath: string
  message?: string
}

export type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null }

/** The options of every Ajv the kernel makes, at build time and at run time alike. */
export const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false } as const

/**
 * kernel/schema/ from this file (kernel/schema/compile.js) and from the bundle
 * (kernel/dist/cli.cjs) alike: both sit one folder below kernel/.
 */
export const PRECOMPILED_FILE = join(dirname(dirname(fileURLToPath(import.meta.url))), 'schema', 'precompiled.cjs')

let ajv: any
let table: Record<string, () => Validator> | null | undefined
let recorder: ((schema: object) => void) | null = null
const cache = new WeakMap<object, Validator>()

function ajvInstance(): any {
  if (!ajv) {
    const mod = require('ajv')
    const Ajv = mod.default ?? mod
    ajv = new Ajv(AJV_OPTIONS)
  }
  return ajv
}

function precompiled(): Record<string, () => Validator> | null {
  if (table === undefined) {
    try {
      table = require(PRECOMPILED_FILE) as Record<string, () => Validator>
    } catch (e) {
      // not built (a checkout that only ran tsc): every schema is compiled at run time instead
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e
      table = null
    }
  }
  return table
}

/** The key of a schema in the precompiled table: its content, so a changed schema never matches. */
export function schemaKey(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('base64url')
}

/**
 * Hand every schema compiled from now on to `fn` (null stops it): the build script boots a kernel
 * with every built-in and precompiles what it saw.
 */
export function recordSchemas(fn: ((schema: object) => void) | null): void {
  recorder = fn
}

/** true when `schema` is served by the build's standalone code (no Ajv at run time) */
export function isPrecompiled(schema: object): boolean {
  return !!precompiled()?.[schemaKey(schema)]
}

/**
 * A precompiled validator whose code runs on its first call: a start checks that every discovered
 * plugin's configSchema compiles but validates options only for the enabled ones.
 */
function onFirstCall(make: () => Validator): Validator {
  let real: Validator | undefined
  const v = ((data: unknown) => {
    real ??= make()
    const ok = real(data)
    v.errors = real.errors
    return ok
  }) as Validator
  v.errors = null
  return v
}

/** Compile `schema`; throws when Ajv cannot compile it. */
export function compileSchema(schema: object): Validator {
  const hit = cache.get(schema)
  if (hit) return hit
  recorder?.(schema)
  const make = precompiled()?.[schemaKey(schema)]
  const v: Validator = make ? onFirstCall(make) : ajvInstance().compile(schema)
  cache.set(schema, v)
  return v
}

export function schemaErrors(errors: SchemaError[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`).join('; ')
}
