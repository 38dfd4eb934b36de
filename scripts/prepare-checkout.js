#!/usr/bin/env node
// `prepare`: in a checkout, `npm install` / `npm ci` build what the gateway runs (`npm run build`:
// tsc, precompiled schemas, the kernel bundle, the console), as before. `npm pack` and `npm publish`
// run `prepack` (the same build) and then `prepare` again: the second build is skipped. An installed
// package has no TypeScript sources and never needs it (npm does not run `prepare` for a tarball or
// registry install; if one ever does, this exits at once).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
if (!existsSync(new URL('../kernel/cli/main.ts', import.meta.url))) process.exit(0)
if (process.env.npm_command === 'pack' || process.env.npm_command === 'publish') {
  console.log('prepare: skipped (prepack has built the package)')
  process.exit(0)
}
const npm = process.env.npm_execpath
const r = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
process.exit(r.status ?? 1)
