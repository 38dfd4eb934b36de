/**
 * Turning discovered folders into a checked, ordered set: enabled or not, mode, compatibility
 * and options — all before any plugin code is imported.
 */
import { basename, dirname, join } from 'node:path'
import { PLUGIN_API_VERSION, RevkaError } from '@revka/plugin-sdk'
import { discover } from '../registry/discovery.js'
import { compatibility, validateOptions } from '../registry/manifest.js'
import { isEnabled, type PluginsFile } from '../registry/plugins-file.js'
import type { PluginRecord } from '../registry/record.js'

export interface PluginSetInput {
  file: PluginsFile
  builtinDir: string | null
  projectRoot: string
  extraPaths: string[]
  mode: 'gateway' | 'daemon'
  /** when set, exactly these ids are enabled (the test harness) */
  only?: string[]
  /** extra options by id, merged over the file's (the test harness) */
  options?: Record<string, Record<string, unknown>>
  /** node_modules folders scanned for `revka-plugin` packages (default: pluginNodeModules) */
  nodeModules?: string[]
}

/**
 * Where npm plugins are looked for: the project's own node_modules and, when the gateway is itself
 * an installed package (`…/node_modules/revka`, e.g. `npm i -g revka`), the folder it is installed
 * in — plugins installed beside it (`npm i -g revka revka-plugin-x`) live there.
 */
export function pluginNodeModules(projectRoot: string): string[] {
  const dirs = [join(projectRoot, 'node_modules')]
  const parent = dirname(projectRoot)
  if (basename(parent) === 'node_modules') dirs.push(parent)
  else if (basename(parent).startsWith('@') && basename(dirname(parent)) === 'node_modules') dirs.push(dirname(parent))
  return dirs
}

export function resolvePluginSet(input: PluginSetInput): PluginRecord[] {
  const records = discover({
    builtinDir: input.file.builtins ? input.builtinDir : null,
    paths: [...input.file.paths, ...input.extraPaths],
    nodeModules: input.nodeModules ?? pluginNodeModules(input.projectRoot),
  })
  const known = new Set(records.map((r) => r.id))
  for (const id of Object.keys(input.file.plugins)) {
    if (!known.has(id)) {
      throw new RevkaError(
        'REVKA_ERR_UNKNOWN_PLUGIN',
        `${input.file.path} names plugin "${id}", which was not found in plugins/, "paths" or installed npm packages`,
      )
    }
  }
  for (const id of input.only ?? []) {
    if (!known.has(id)) throw new RevkaError('REVKA_ERR_UNKNOWN_PLUGIN', `plugin "${id}" was not found`)
  }
  for (const r of records) {
    if (r.status === 'failed') {
      r.enabled = true
      continue
    } // a broken manifest is still reported
    const m = r.manifest!
    r.enabled = input.only ? input.only.includes(r.id) : isEnabled(input.file, r.id, m.enabledByDefault)
    if (!r.enabled) {
      r.set('disabled', 'not enabled in revka.plugins.json')
      continue
    }
    const modes = m.modes ?? ['gateway', 'daemon']
    if (!modes.includes(input.mode)) {
      r.set('disabled', `runs only in ${modes.join('/')} mode`)
      continue
    }
    const incompatible = compatibility(m, PLUGIN_API_VERSION)
    if (incompatible) {
      r.set('incompatible', incompatible)
      continue
    }
    const opts = { ...(input.file.plugins[r.id]?.options ?? {}), ...(input.options?.[r.id] ?? {}) }
    const v = validateOptions(m, opts)
    if (!v.ok) {
      r.fail(v.error)
      continue
    }
    r.options = v.value
  }
  // records that never got an enabled flag because their manifest failed: only report enabled ones
  return records.filter((r) => r.manifest || r.enabled)
}
