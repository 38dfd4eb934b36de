/**
 * Importing a plugin's entry. Compiled JavaScript inside the project (built-ins, examples, npm
 * packages) is imported natively — fast start, low memory. TypeScript or code outside the project
 * goes through jiti, created lazily, with `@revka/plugin-sdk` aliased to the host's copy so every
 * plugin shares one SDK runtime.
 */
import { existsSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isDefinedPlugin, type DefinedPlugin, type PluginManifest } from '@revka/plugin-sdk'
import { importModule } from './import-module.js'

const require = createRequire(import.meta.url)

let jitiInstance: { import(id: string): Promise<unknown> } | undefined

async function getJiti(cacheDir: string) {
  if (!jitiInstance) {
    const { createJiti } = (await importModule('jiti')) as typeof import('jiti')
    jitiInstance = createJiti(import.meta.url, {
      alias: {
        '@revka/plugin-sdk': require.resolve('@revka/plugin-sdk'),
      },
      fsCache: cacheDir,
      interopDefault: true,
    })
  }
  return jitiInstance
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

const jsOf = (tsPath: string) => tsPath.replace(/\.m?ts$/, (m) => (m === '.mts' ? '.mjs' : '.js'))

/**
 * The entry file. A `.ts` entry that is not there but compiled is the installed package's case
 * (`npm pack` ships the JavaScript only): its `.js` sibling is the entry.
 */
export function entryPath(dir: string, m: PluginManifest): string {
  const p = resolve(dir, m.entry)
  if (!inside(p, dir)) throw new Error(`REVKA_ERR_MANIFEST: entry "${m.entry}" points outside the plugin folder`)
  if (existsSync(p)) return p
  if (/\.m?ts$/.test(p) && existsSync(jsOf(p))) return jsOf(p)
  throw new Error(`REVKA_ERR_ENTRY_MISSING: ${p} does not exist`)
}

/** The compiled sibling of a `.ts` entry, when it is at least as new as the source. */
function compiledSibling(tsPath: string): string | null {
  const js = jsOf(tsPath)
  if (js === tsPath || !existsSync(js)) return null
  return statSync(js).mtimeMs >= statSync(tsPath).mtimeMs ? js : null
}

export interface LoadOptions {
  projectRoot: string
  jitiCacheDir: string
}

export async function loadPlugin(dir: string, m: PluginManifest, opts: LoadOptions): Promise<DefinedPlugin<any>> {
  const file = entryPath(dir, m)
  const isTs = /\.m?ts$/.test(file)
  const js = isTs ? compiledSibling(file) : file
  let mod: any
  if (js && inside(js, opts.projectRoot)) {
    mod = await importModule(pathToFileURL(js).href)
  } else {
    mod = await (await getJiti(opts.jitiCacheDir)).import(file)
  }
  const def = mod?.default ?? mod
  if (!isDefinedPlugin(def)) {
    throw new Error(`REVKA_ERR_ENTRY_EXPORT: ${file} must default-export definePlugin({ setup(api) { ... } }) from @revka/plugin-sdk`)
  }
  return def
}

export const JITI_CACHE_SUBDIR = join('cache', 'jiti')
