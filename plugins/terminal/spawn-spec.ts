/**
 * What a `/ws/terminal` connection runs, decided from its query before anything is spawned:
 * program (login shell, or an allow-listed coding CLI found on PATH), size, working directory and
 * the environment. The environment is an allow-list (contract §3.2) — the gateway's own variables,
 * REVKA_* secrets above all, never reach the terminal.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { mcpCredentials, type McpCredentials } from './mcp-home.js'

/** the AI coding CLIs `tool=` may name (contract §3.2) */
export const ALLOWED_TOOLS = ['claude', 'codex', 'opencode', 'gemini', 'agy', 'cursor'] as const

export const DEFAULT_COLS = 80
export const DEFAULT_ROWS = 24
const COLS = [2, 1000] as const
const ROWS = [1, 500] as const

const ENV_NAMES = ['PATH', 'LANG', 'USER', 'LOGNAME', 'SHELL', 'TZ', 'HOME']
/** the LC_* locale categories (POSIX + glibc, and the two terminals set) */
const LC_NAMES = [
  'ALL',
  'CTYPE',
  'COLLATE',
  'MESSAGES',
  'MONETARY',
  'NUMERIC',
  'TIME',
  'ADDRESS',
  'IDENTIFICATION',
  'MEASUREMENT',
  'NAME',
  'PAPER',
  'TELEPHONE',
  'TERMINAL',
  'TERMINAL_VERSION',
].map((c) => `LC_${c}`)
const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin'

/** reads the gateway's environment (`api.gateway.env`: the process env, or a test harness's) */
export type EnvLookup = (name: string) => string | undefined
const processEnv: EnvLookup = (name) => process.env[name]

export interface SpawnSpec {
  /** the `tool=` CLI, undefined for the login shell */
  tool?: string
  file: string
  args: string[]
  cols: number
  rows: number
  cwd: string
  env: Record<string, string>
  /** `mcp_session` + `mcp_token`, when given: the terminal then gets a temp HOME (mcp-home.ts) */
  mcp?: McpCredentials
}

/** a size from the query or a resize frame, clamped to sane bounds; the default when not a number */
export function clampSize(value: unknown, fallback: number, [min, max]: readonly [number, number]): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN
  if (!Number.isFinite(n)) return fallback
  return Math.min(max, Math.max(min, Math.trunc(n)))
}
export const clampCols = (v: unknown, fallback = DEFAULT_COLS) => clampSize(v, fallback, COLS)
export const clampRows = (v: unknown, fallback = DEFAULT_ROWS) => clampSize(v, fallback, ROWS)

/** PATH, LANG, LC_*, USER, LOGNAME, SHELL, TZ, HOME from the gateway, plus TERM and COLORTERM */
export function terminalEnv(lookup: EnvLookup = processEnv): Record<string, string> {
  const env: Record<string, string> = {}
  for (const k of [...ENV_NAMES, ...LC_NAMES]) {
    const v = lookup(k)
    if (v !== undefined) env[k] = v
  }
  env.HOME ||= homedir()
  env.PATH ||= FALLBACK_PATH
  env.TERM = 'xterm-256color'
  env.COLORTERM = 'truecolor'
  return env
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK)
    return statSync(p).isFile()
  } catch {
    return false
  }
}

export function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue
    const p = join(dir, name)
    if (isExecutable(p)) return p
  }
  return undefined
}

function resolveCwd(input: string, home: string): string | undefined {
  const raw = input.trim()
  if (!raw || raw.includes('\0')) return undefined
  const expanded = raw === '~' ? home : raw.startsWith('~/') ? join(home, raw.slice(2)) : raw
  if (!isAbsolute(expanded)) return undefined
  try {
    return statSync(expanded).isDirectory() ? resolve(expanded) : undefined
  } catch {
    return undefined
  }
}

/** the spec for this query, or the error line to show the user */
export function spawnSpec(query: Record<string, string | undefined>, lookup: EnvLookup = processEnv): SpawnSpec | { error: string } {
  const env = terminalEnv(lookup)
  const mcp = mcpCredentials(query)
  if (mcp && 'error' in mcp) return mcp
  // the gateway user's real home, even when MCP wiring later swaps HOME for a temp dir: the work
  // done in a terminal must not land in a folder deleted when it closes
  let cwd = env.HOME
  if (query.cwd !== undefined && query.cwd !== '') {
    const dir = resolveCwd(query.cwd, env.HOME)
    if (!dir) return { error: `cwd is not an existing directory: ${query.cwd}` }
    cwd = dir
  }
  let file: string
  let args: string[] = []
  if (query.tool) {
    if (!(ALLOWED_TOOLS as readonly string[]).includes(query.tool)) {
      return { error: `tool "${query.tool}" is not allowed (one of: ${ALLOWED_TOOLS.join(', ')})` }
    }
    const found = findOnPath(query.tool, env.PATH)
    if (!found) return { error: `${query.tool} was not found on PATH` }
    file = found
  } else {
    // the user's login shell; a SHELL that is not an executable absolute path falls back to sh
    const shell = env.SHELL && isAbsolute(env.SHELL) && isExecutable(env.SHELL) ? env.SHELL : '/bin/sh'
    file = shell
    args = ['-l']
  }
  return { tool: query.tool || undefined, file, args, cols: clampCols(query.cols), rows: clampRows(query.rows), cwd, env, mcp }
}
