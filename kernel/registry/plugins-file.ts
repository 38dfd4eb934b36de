/**
 * `revka.plugins.json`, the operator's file. Location: `--plugins FILE`, then `REVKA_PLUGINS_FILE`,
 * then `./revka.plugins.json`. A missing file means "built-ins with their defaults".
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, resolve } from 'node:path'
import { RevkaError } from '@revka/plugin-sdk'
import { writeFileAtomicSync } from '../config/fs-atomic.js'
import { compileSchema, schemaErrors } from '../schema/compile.js'

const require = createRequire(import.meta.url)
const validateFile = compileSchema(require('@revka/plugin-sdk/plugins-file.schema.json'))

export interface PluginEntry {
  enabled?: boolean
  options?: Record<string, unknown>
}

export interface PluginsFile {
  path: string
  exists: boolean
  paths: string[]
  builtins: boolean
  plugins: Record<string, PluginEntry>
  /** the document as read, kept so edits preserve what the operator wrote */
  raw: Record<string, unknown>
}

export function pluginsFilePath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, flag || env.REVKA_PLUGINS_FILE || 'revka.plugins.json')
}

export function readPluginsFile(path: string): PluginsFile {
  if (!existsSync(path)) return { path, exists: false, paths: [], builtins: true, plugins: {}, raw: {} }
  let raw: any
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new RevkaError('REVKA_ERR_PLUGINS_FILE', `${path} is not valid JSON: ${(e as Error).message}`)
  }
  if (!validateFile(raw)) throw new RevkaError('REVKA_ERR_PLUGINS_FILE', `${path} is invalid: ${schemaErrors(validateFile.errors)}`)
  const base = dirname(path)
  return {
    path,
    exists: true,
    paths: (raw.paths ?? []).map((p: string) => (isAbsolute(p) ? p : resolve(base, p))),
    builtins: raw.builtins !== false,
    plugins: raw.plugins ?? {},
    raw,
  }
}

/** Set `plugins.<id>.enabled` and write the file atomically, keeping everything else. */
export function setEnabled(file: PluginsFile, id: string, enabled: boolean): void {
  setEnabledMany(file, { [id]: enabled })
}

/** Several plugins' `enabled` in one atomic write (revka onboard's channel choice). */
export function setEnabledMany(file: PluginsFile, changes: Record<string, boolean>): void {
  const raw = structuredClone(file.raw) as any
  raw.plugins ??= {}
  for (const [id, enabled] of Object.entries(changes)) raw.plugins[id] = { ...(raw.plugins[id] ?? {}), enabled }
  writeFileAtomicSync(file.path, JSON.stringify(raw, null, 2) + '\n')
}

/** Is a discovered plugin enabled? Listed → its flag (default true); unlisted → enabledByDefault. */
export function isEnabled(file: PluginsFile, id: string, enabledByDefault: boolean | undefined): boolean {
  const entry = file.plugins[id]
  if (entry) return entry.enabled !== false
  return enabledByDefault === true
}
