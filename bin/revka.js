#!/usr/bin/env node
// The revka command. Runs the compiled kernel (tsc emits JavaScript beside each .ts at `npm install`).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const cli = new URL('../kernel/cli/main.js', import.meta.url)
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('revka: the kernel is not built yet. Run `npm install` (or `npm run build`) in the project folder.\n')
  process.exit(1)
}
const { main } = await import(cli.href)
const code = await main(process.argv.slice(2))
if (code >= 0) process.exitCode = code
