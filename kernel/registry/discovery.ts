/**
 * Discovery, manifest first: built-ins under `plugins/`, folders listed in revka.plugins.json, and
 * installed npm packages with the keyword `revka-plugin`. Nothing is imported here.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { MANIFEST_FILE, readManifest } from './manifest.js'
import { PluginRecord, type PluginSource } from './record.js'

export interface DiscoveryInput {
  builtinDir: string | null
  paths: string[]
  /** node_modules folders to scan for `revka-plugin` packages */
  nodeModules: string[]
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() || d.isSymbolicLink())
      .map((d) => join(dir, d.name))
      .sort()
  } catch {
    return []
  }
}

function npmPluginDirs(nodeModules: string): string[] {
  const out: string[] = []
  for (const d of subdirs(nodeModules)) {
    const name = basename(d)
    const candidates = name.startsWith('@') ? subdirs(d) : name.startsWith('.') ? [] : [d]
    for (const pkgDir of candidates) {
      try {
        const text = readFileSync(join(pkgDir, 'package.json'), 'utf8')
        // parsing every installed package.json was most of discovery's cost; a plugin's must at
        // least contain the keyword's text
        if (!text.includes('revka-plugin')) continue
        const pkg = JSON.parse(text)
        if (Array.isArray(pkg.keywords) && pkg.keywords.includes('revka-plugin')) out.push(pkgDir)
      } catch {
        // not a package
      }
    }
  }
  return out
}

export function discover(input: DiscoveryInput): PluginRecord[] {
  const found: Array<{ dir: string; source: PluginSource }> = []
  if (input.builtinDir) for (const d of subdirs(input.builtinDir)) if (existsSync(join(d, MANIFEST_FILE))) found.push({ dir: d, source: 'builtin' })
  for (const p of input.paths) found.push({ dir: p, source: 'path' })
  for (const nm of input.nodeModules) for (const d of npmPluginDirs(nm)) found.push({ dir: d, source: 'npm' })

  const seenDirs = new Set<string>()
  const byId = new Map<string, PluginRecord>()
  const records: PluginRecord[] = []
  for (const { dir, source } of found) {
    let real = dir
    try {
      real = realpathSync(dir)
    } catch {}
    if (seenDirs.has(real)) continue
    seenDirs.add(real)
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      const r = new PluginRecord(basename(dir), dir, source, null)
      r.fail(`REVKA_ERR_PLUGIN_PATH: ${dir} is not a folder (listed in revka.plugins.json "paths")`)
      records.push(r)
      continue
    }
    const m = readManifest(dir, basename(dir))
    if (!m.ok) {
      const r = new PluginRecord(m.id, dir, source, null)
      r.fail(m.error)
      records.push(r)
      continue
    }
    const prev = byId.get(m.manifest.id)
    const r = new PluginRecord(m.manifest.id, dir, source, m.manifest)
    if (prev) {
      r.fail(`REVKA_ERR_DUPLICATE_PLUGIN: id "${m.manifest.id}" at ${dir} is already provided by ${prev.dir}`)
      records.push(r)
      continue
    }
    byId.set(r.id, r)
    records.push(r)
  }
  return records
}
