#!/usr/bin/env node
// `npm run build` / `prepare`, after tsc: compile every JSON Schema the kernel validates at start
// into Ajv standalone code, kernel/schema/precompiled.cjs (generated, gitignored), so a start loads
// no Ajv. The schemas: the SDK's manifest and plugins-file schemas, every built-in's configSchema,
// and whatever else a kernel with every built-in enabled compiles while it boots (route schemas are
// declared in plugin code, so they are collected by booting, not by reading files). The boot is
// best effort: if it fails, the file schemas are still precompiled and the rest compile at run time.
// `--out FILE` writes elsewhere (the test of this script does).
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(join(root, 'package.json'))
if (!existsSync(join(root, 'kernel/schema/standalone.js'))) {
  console.error('precompile-schemas: kernel/schema/standalone.js is missing; run tsc first')
  process.exit(1)
}
const { PRECOMPILED_FILE, recordSchemas } = await import('../kernel/schema/compile.js')
const { standaloneModule } = await import('../kernel/schema/standalone.js')
const outAt = process.argv.indexOf('--out')
const out = outAt > 0 ? process.argv[outAt + 1] : PRECOMPILED_FILE

const schemas = [require('@revka/plugin-sdk/manifest.schema.json'), require('@revka/plugin-sdk/plugins-file.schema.json')]
const builtins = readdirSync(join(root, 'plugins')).filter((d) => existsSync(join(root, 'plugins', d, 'revka.plugin.json')))
for (const id of builtins) schemas.push(JSON.parse(readFileSync(join(root, 'plugins', id, 'revka.plugin.json'), 'utf8')).configSchema)

async function bootAndRecord() {
  const state = mkdtempSync(join(tmpdir(), 'revka-schemas-'))
  recordSchemas((s) => schemas.push(s))
  let kernel
  try {
    const { Kernel } = await import('../kernel/index.js')
    // a throw-away state dir and home, loopback only, every built-in on
    const env = { PATH: process.env.PATH, HOME: state, REVKA_STATE_DIR: state, REVKA_GATEWAY_HOST: '127.0.0.1' }
    kernel = new Kernel({ env, pluginsDoc: { builtins: true, plugins: {} }, extraPaths: [], only: builtins, logLevel: 'error', port: 0, drainMs: 500 })
    await kernel.boot()
    await kernel.listen()
    return null
  } catch (e) {
    return e
  } finally {
    recordSchemas(null)
    await kernel?.stop('schemas recorded').catch(() => {})
    rmSync(state, { recursive: true, force: true })
  }
}

const failed = await bootAndRecord()
if (failed) console.warn(`precompile-schemas: the recording boot failed (${failed.message}); route schemas will compile at run time`)
const { code, count } = standaloneModule(schemas)
// a gateway starting meanwhile reads the old table or the new one, never half of one
writeFileSync(`${out}.tmp`, code)
renameSync(`${out}.tmp`, out)
console.log(`precompile-schemas: ${count} schemas → ${out} (${(code.length / 1024).toFixed(0)} KiB)`)
// plugins may leave timers or sockets behind after stop: this script is done
process.exit(0)
