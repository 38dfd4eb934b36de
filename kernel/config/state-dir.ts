/**
 * Where Revka keeps its state. `REVKA_STATE_DIR` wins, then `--state-dir`, then `~/.revka`
 * (`npm start` passes `--state-dir .revka` so a checkout keeps its state beside it).
 *
 * Layout (issue 10 items 5 and 9):
 * - `kernel/`        the kernel's own state (devices.db: token hashes) — never served
 * - `plugins/<id>/`  each plugin's private state (`api.store.dir`) — never served
 * - `workspace/`     only files meant for sharing, served by signed URL (`/workspace/*`)
 * - `logs/`, `cache/`, `config.toml`, `service-token`
 * Every folder the gateway creates is 0700: the state holds token hashes, chats and secrets.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export interface StatePaths {
  stateDir: string
  workspaceDir: string
  configFile: string
  serviceTokenFile: string
  pluginsStateDir: string
  /** the kernel's own databases (devices.db) */
  kernelDir: string
  logsDir: string
  /** caches the kernel may rebuild (jiti's compiled plugin code) */
  cacheDir: string
}

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

export function resolveStatePaths(opts: { stateDir?: string; env?: NodeJS.ProcessEnv } = {}): StatePaths {
  const env = opts.env ?? process.env
  const stateDir = resolve(env.REVKA_STATE_DIR || opts.stateDir || join(homedir(), '.revka'))
  return {
    stateDir,
    workspaceDir: join(stateDir, 'workspace'),
    configFile: join(stateDir, 'config.toml'),
    serviceTokenFile: join(stateDir, 'service-token'),
    pluginsStateDir: join(stateDir, 'plugins'),
    kernelDir: join(stateDir, 'kernel'),
    logsDir: join(stateDir, 'logs'),
    cacheDir: join(stateDir, 'cache'),
  }
}

/** the folders the gateway owns inside the state dir (the state dir itself is the operator's) */
function ownedDirs(p: StatePaths): string[] {
  return [p.kernelDir, p.pluginsStateDir, p.workspaceDir, p.logsDir, p.cacheDir]
}

/**
 * Create the state dir and its folders 0700. Folders an earlier version created 0755 are
 * tightened: they are the gateway's. The state dir itself is only created private, never chmodded
 * (an operator may have chosen a shared parent on purpose); a loose one is reported instead.
 */
export function ensureStateDirs(p: StatePaths): void {
  mkdirSync(p.stateDir, { recursive: true, mode: PRIVATE_DIR_MODE })
  for (const dir of ownedDirs(p)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
    tightenDir(dir)
  }
}

/** chmod 0700 a folder that lets the group or others in; false when it could not */
export function tightenDir(dir: string): boolean {
  try {
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, PRIVATE_DIR_MODE)
    return true
  } catch {
    return false
  }
}

export interface ModeProblem {
  path: string
  /** the permission bits, e.g. 0o755 */
  mode: number
  message: string
}

/**
 * The state dir, and the gateway's folders in it, must not be open to the group or others:
 * an empty list means all is well. Used for the start-up warning and by `revka doctor`.
 */
export function stateDirModeProblems(p: StatePaths, opts: { owned?: boolean } = {}): ModeProblem[] {
  const out: ModeProblem[] = []
  for (const path of [p.stateDir, ...(opts.owned ? ownedDirs(p) : [])]) {
    let mode: number
    try {
      mode = statSync(path).mode & 0o777
    } catch {
      continue
    }
    if ((mode & 0o077) === 0) continue
    const octal = mode.toString(8).padStart(4, '0')
    out.push({
      path,
      mode,
      message: `REVKA_ERR_STATE_DIR_MODE: ${path} has mode ${octal}: the group or others can reach the gateway's state (token hashes, chats, secrets); run chmod 700 ${path}`,
    })
  }
  return out
}
