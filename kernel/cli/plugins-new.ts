/**
 * `revka plugins new <id> [--webhook] [--dir DIR]`: write a new plugin folder `<DIR>/<id>/`
 * (plugin-scaffold.ts) that loads as it stands and whose own test passes. It writes nothing over
 * an existing file or folder, and nothing at all for an id a manifest would refuse.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { str, UsageError, type ParsedArgs } from './args.js'
import { scaffoldFiles, type ScaffoldVersions } from './plugin-scaffold.js'

/** the manifest schema's `id` pattern (plugin-sdk/manifest.schema.json) */
const PLUGIN_ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/
const MAX_ID = 64

const require = createRequire(import.meta.url)
// kernel/cli/ and the bundle's kernel/dist/ are both two folders below the package root
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function versions(): ScaffoldVersions {
  const gateway = require('../../package.json') as { version: string; devDependencies?: Record<string, string> }
  const sdk = require('@revka/plugin-sdk/package.json') as { version: string }
  return { gateway: gateway.version, sdk: sdk.version, typescript: gateway.devDependencies?.typescript ?? '5' }
}

export async function pluginsNew(a: ParsedArgs): Promise<number> {
  // positionals keep the command's words: plugins new ID
  const id = a.positionals[2]
  if (!PLUGIN_ID.test(id) || id.length > MAX_ID) {
    throw new UsageError(
      `"${id}" is not a plugin id: lowercase letters and digits in words joined by "-", starting with a letter, at most ${MAX_ID} characters (e.g. my-bot)`,
    )
  }
  if (existsSync(join(ROOT, 'plugins', id))) {
    console.error(`revka plugins new: "${id}" is a built-in plugin's id; choose another`)
    return 1
  }
  const folder = resolve(str(a.flags, 'dir') ?? '.', id)
  if (existsSync(folder)) {
    console.error(`revka plugins new: ${folder} already exists; nothing written`)
    return 1
  }
  const files = scaffoldFiles(id, { webhook: a.flags.webhook === true, versions: versions() })
  mkdirSync(folder, { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text, { flag: 'wx' })
  console.log(`created ${folder}/`)
  for (const name of Object.keys(files)) console.log(`  ${name}`)
  console.log(`\nnext:\n  cd ${folder}\n  npm install\n  npm test`)
  return 0
}
