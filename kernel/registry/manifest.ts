/** Reading and checking `revka.plugin.json` — without executing anything of the plugin. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
// subpaths, not the package index: the index loads every semver module (~40 ms at start)
import valid from 'semver/functions/valid.js'
import satisfies from 'semver/functions/satisfies.js'
import validRange from 'semver/ranges/valid.js'
import type { PluginManifest } from '@revka/plugin-sdk'
import { compileSchema, schemaErrors } from '../schema/compile.js'
import { reservedEnvDeclared } from './plugin-env.js'

const require = createRequire(import.meta.url)
const validateManifest = compileSchema(require('@revka/plugin-sdk/manifest.schema.json'))

export const MANIFEST_FILE = 'revka.plugin.json'

export type ManifestResult = { ok: true; manifest: PluginManifest } | { ok: false; id: string; error: string }

export function readManifest(dir: string, fallbackId: string): ManifestResult {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'))
  } catch (e) {
    return { ok: false, id: fallbackId, error: `REVKA_ERR_MANIFEST: cannot read ${MANIFEST_FILE}: ${(e as Error).message}` }
  }
  const id = typeof (raw as any)?.id === 'string' ? (raw as any).id : fallbackId
  if (!validateManifest(raw)) {
    return { ok: false, id, error: `REVKA_ERR_MANIFEST: ${MANIFEST_FILE} is invalid: ${schemaErrors(validateManifest.errors)}` }
  }
  const m = raw as PluginManifest
  if (!valid(m.version)) return { ok: false, id, error: `REVKA_ERR_MANIFEST: version "${m.version}" is not semver` }
  if (!validRange(m.api)) return { ok: false, id, error: `REVKA_ERR_MANIFEST: api "${m.api}" is not a semver range` }
  const reserved = reservedEnvDeclared(m)
  if (reserved.length)
    return {
      ok: false,
      id,
      error: `REVKA_ERR_MANIFEST: "env" declares ${reserved.join(', ')}, the kernel's own variable${reserved.length > 1 ? 's' : ''}, which no plugin reads`,
    }
  try {
    compileSchema(m.configSchema)
  } catch (e) {
    return { ok: false, id, error: `REVKA_ERR_MANIFEST: configSchema does not compile: ${(e as Error).message}` }
  }
  return { ok: true, manifest: m }
}

/** The compatibility verdict: the kernel's API version must satisfy the manifest's range. */
export function compatibility(m: PluginManifest, apiVersion: string): string | null {
  if (satisfies(apiVersion, m.api, { includePrerelease: true })) return null
  return `REVKA_ERR_INCOMPATIBLE: plugin ${m.id}@${m.version} needs plugin API ${m.api}, this kernel offers ${apiVersion}`
}

/** Validate (and default) a plugin's options against its configSchema. */
export function validateOptions(m: PluginManifest, options: unknown): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  const value = structuredClone(options ?? {}) as Record<string, unknown>
  const validate = compileSchema(m.configSchema)
  if (!validate(value)) {
    return {
      ok: false,
      error: `REVKA_ERR_PLUGIN_CONFIG: options for ${m.id} are invalid: ${schemaErrors(validate.errors)} (fix plugins.${m.id}.options in revka.plugins.json)`,
    }
  }
  return { ok: true, value }
}
