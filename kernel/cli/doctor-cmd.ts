/**
 * `revka doctor`: checks the state dir without starting anything. Exit 0 when all is well, 1 when
 * something is wrong: the state dir or a folder of the gateway's is open to the group or others
 * (the start only warns about that), a private file (token hashes, the service token, config) is
 * readable by them, or internal state of an older layout still sits in the served workspace.
 */
import { existsSync, lstatSync } from 'node:fs'
import { join } from 'node:path'
import { resolveStatePaths, stateDirModeProblems } from '../config/state-dir.js'
import { legacyMoves } from '../config/migrate-state.js'
import { str, type ParsedArgs } from './args.js'

export function doctor(args: ParsedArgs): number {
  const paths = resolveStatePaths({ stateDir: str(args.flags, 'state-dir') })
  const out = (s: string) => process.stdout.write(s + '\n')
  if (!existsSync(paths.stateDir)) {
    out(`ok    ${paths.stateDir} does not exist yet (the first start creates it 0700)`)
    return 0
  }
  const errors: string[] = stateDirModeProblems(paths, { owned: true }).map((p) => p.message)
  const privateFiles = [paths.serviceTokenFile, paths.configFile, ...['', '-wal', '-shm'].map((s) => join(paths.kernelDir, `devices.db${s}`))]
  for (const f of privateFiles) {
    let mode: number
    try { mode = lstatSync(f).mode & 0o777 } catch { continue }
    if (mode & 0o077) errors.push(`REVKA_ERR_STATE_FILE_MODE: ${f} has mode ${mode.toString(8).padStart(4, '0')}; run chmod 600 ${f}`)
  }
  for (const m of legacyMoves(paths)) {
    if (existsSync(m.from)) errors.push(`REVKA_ERR_STATE_MIGRATION: ${m.from} is internal state inside the served workspace; start the gateway to move it to ${m.to}, or remove it if ${m.to} already exists`)
  }
  if (!errors.length) {
    out(`ok    ${paths.stateDir}: private (0700), no internal state in the workspace`)
    return 0
  }
  for (const e of errors) out(`error ${e}`)
  return 1
}
