/**
 * The browser tests must drive the console as its sources are now: rebuild it (scripts/build-console.js,
 * about a second) when any source is newer than the build, or there is none. `npm install` built it
 * once; an edit since then would otherwise be tested against the old bundle.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './gateway.js'

const CONSOLE = join(ROOT, 'plugins/dashboard/console')

function newestSource(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs)
  }
  return newest
}

export function ensureConsoleBuilt(): void {
  let built = 0
  try {
    built = statSync(join(CONSOLE, 'dist/index.html')).mtimeMs
  } catch {}
  const sources = Math.max(newestSource(join(CONSOLE, 'src')), statSync(join(ROOT, 'scripts/build-console.js')).mtimeMs)
  if (built >= sources) return
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-console.js')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
}
