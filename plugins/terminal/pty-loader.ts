/**
 * node-pty is an optionalDependency (a native build): a headless `npm install --omit=optional`
 * leaves it out. It is imported here, from the plugin's start, behind a guard that turns its
 * absence into one clear diagnostic; the kernel then marks only this plugin `failed`.
 *
 * The small interface below is all the plugin uses, declared here so the project type-checks with
 * or without node-pty's own typings installed.
 */
import { RevkaError } from '@revka/plugin-sdk'

export interface PtyProcess {
  readonly pid: number
  onData(fn: (data: string) => void): { dispose(): void }
  onExit(fn: (e: { exitCode: number; signal?: number }) => void): { dispose(): void }
  write(data: string | Buffer): void
  resize(cols: number, rows: number): void
  kill(signal?: string): void
  pause(): void
  resume(): void
}

export interface PtySpawnOptions {
  name: string
  cols: number
  rows: number
  cwd: string
  env: Record<string, string>
  encoding: 'utf8'
}

export type PtySpawn = (file: string, args: string[], opts: PtySpawnOptions) => PtyProcess

export async function loadPty(moduleName = 'node-pty'): Promise<PtySpawn> {
  let mod: any
  try {
    mod = await import(moduleName)
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    if ((err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && String(err.message).includes(moduleName)) {
      throw new RevkaError(
        'REVKA_ERR_TERMINAL_UNAVAILABLE',
        `node-pty is not installed (module "${moduleName}" not found — an install with --omit=optional leaves it out). ` +
          'Run `npm install node-pty` (it builds from source: needs python3, make and a C++ compiler) to enable /ws/terminal; the rest of the gateway is unaffected.',
      )
    }
    throw new RevkaError(
      'REVKA_ERR_TERMINAL_UNAVAILABLE',
      `node-pty is installed but failed to load (${err.message}); rebuild it with \`npm rebuild node-pty\` to enable /ws/terminal.`,
    )
  }
  const spawn = mod?.spawn ?? mod?.default?.spawn
  if (typeof spawn !== 'function') {
    throw new RevkaError('REVKA_ERR_TERMINAL_UNAVAILABLE', `module "${moduleName}" has no spawn(); it is not node-pty compatible.`)
  }
  return spawn as PtySpawn
}
