/**
 * Where Revka keeps its state. `REVKA_STATE_DIR` wins, then `--state-dir`, then `~/.revka`
 * (`npm start` passes `--state-dir .revka` so a checkout keeps its state beside it).
 */
import { mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export interface StatePaths {
  stateDir: string
  workspaceDir: string
  configFile: string
  serviceTokenFile: string
  pluginsStateDir: string
  logsDir: string
}

export function resolveStatePaths(opts: { stateDir?: string; env?: NodeJS.ProcessEnv } = {}): StatePaths {
  const env = opts.env ?? process.env
  const stateDir = resolve(env.REVKA_STATE_DIR || opts.stateDir || join(homedir(), '.revka'))
  return {
    stateDir,
    workspaceDir: join(stateDir, 'workspace'),
    configFile: join(stateDir, 'config.toml'),
    serviceTokenFile: join(stateDir, 'service-token'),
    pluginsStateDir: join(stateDir, 'plugins'),
    logsDir: join(stateDir, 'logs'),
  }
}

export function ensureStateDirs(p: StatePaths): void {
  mkdirSync(p.stateDir, { recursive: true, mode: 0o700 })
  mkdirSync(p.workspaceDir, { recursive: true })
  mkdirSync(p.pluginsStateDir, { recursive: true })
  mkdirSync(p.logsDir, { recursive: true })
}
