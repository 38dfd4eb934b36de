/**
 * MCP wiring for one terminal (contract §3.2): with `mcp_session` and `mcp_token`, the program runs
 * with HOME = a fresh temp dir holding its CLI's MCP config (mcp-config.ts), plus REVKA_MCP_URL,
 * REVKA_MCP_SESSION and REVKA_MCP_TOKEN in its env.
 *
 * Which server: the in-process MCP server itself, found through `<home>/.revka/mcp.json` (contract
 * §7.2), which the mcp plugin writes — the terminal never imports that plugin. The contract says
 * the config "points at the in-process MCP server with the Authorization and X-Revka-Session
 * headers", and those are exactly what that server checks: `Authorization: Bearer <session token>`.
 * The gateway's `/api/mcp/stream` would instead need the *device* bearer in Authorization (pairing
 * is always on for a terminal), i.e. a long-lived gateway credential written to disk; a session
 * token only reaches the MCP tools and dies with the gateway.
 *
 * The values are secrets: they are validated without being echoed, never logged, and live only in
 * files of mode 0600 inside a 0700 dir that is removed when the terminal ends (and at gateway stop;
 * a crashed gateway's leftovers are swept at the next start).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { mcpConfigFor, type McpTarget } from './mcp-config.js'

export interface McpCredentials {
  session: string
  token: string
}

/** the shape the mcp plugin mints (hex) and its proxy accepts for a session id */
const SESSION_RE = /^[A-Za-z0-9_-]{1,128}$/
/** URL-safe / base64 token characters: nothing that could break a header, a file or a shell line */
const TOKEN_RE = /^[A-Za-z0-9._~+/=-]{1,512}$/

/** the pair from the query; undefined when neither is given; an error line when it is unusable */
export function mcpCredentials(query: Record<string, unknown>): McpCredentials | undefined | { error: string } {
  const session = query.mcp_session
  const token = query.mcp_token
  const given = (v: unknown) => v !== undefined && v !== ''
  if (!given(session) && !given(token)) return undefined
  if (!given(session) || !given(token)) return { error: 'mcp_session and mcp_token must be given together' }
  // the values are never echoed: an error line can end up in a screenshot or a recording
  if (typeof session !== 'string' || !SESSION_RE.test(session)) return { error: 'mcp_session is malformed (1-128 characters A-Z a-z 0-9 _ -)' }
  if (typeof token !== 'string' || !TOKEN_RE.test(token)) return { error: 'mcp_token is malformed (1-512 URL-safe characters)' }
  return { session, token }
}

/**
 * Where the mcp plugin writes its discovery file. The same rule as its `discoveryPath`, duplicated
 * because a plugin never imports another: the terminal's `mcp_home_dir` option stands in for the
 * mcp plugin's `home_dir` when that one is moved.
 */
export function discoveryFile(homeOption: string | undefined, env: (name: string) => string | undefined): string {
  return join(homeOption || env('REVKA_MCP_HOME') || homedir(), '.revka', 'mcp.json')
}

/**
 * The MCP endpoint of *this* process's server, or undefined. A file written by another process (a
 * second gateway, a stale file after a crash) names a server that does not know our sessions.
 */
export function readMcpUrl(path: string): string | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8'))
    if (!v || v.pid !== process.pid || typeof v.url !== 'string') return undefined
    const u = new URL(v.url)
    return u.protocol === 'http:' || u.protocol === 'https:' ? v.url : undefined
  } catch {
    return undefined
  }
}

const PREFIX = 'revka-term-mcp-'

/** the env vars the PTY gets on top of the allow-list; HOME replaces the gateway's */
export function mcpEnv(home: string, t: McpTarget): Record<string, string> {
  return { HOME: home, REVKA_MCP_URL: t.url, REVKA_MCP_SESSION: t.session, REVKA_MCP_TOKEN: t.token }
}

/** a fresh HOME (0700, under the OS temp dir) holding `tool`'s MCP config (0600); returns its path */
export function createMcpHome(tool: string | undefined, t: McpTarget): string {
  // the pid in the name lets a later start tell a crashed gateway's leftovers from a live one's
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`))
  try {
    const file = mcpConfigFor(tool, t)
    if (file) {
      const path = join(dir, file.path)
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
      // wx: the dir is brand new, so anything already there would be a bug (or a race) — refuse it
      writeFileSync(path, file.content, { mode: 0o600, flag: 'wx' })
    }
    return dir
  } catch (e) {
    removeMcpHome(dir)
    throw e
  }
}

export function removeMcpHome(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true })
  } catch {
    /* already gone, or not ours to remove */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** remove temp HOMEs left by gateways that died without cleaning up; returns how many */
export function sweepStaleHomes(): number {
  let n = 0
  let names: string[]
  try {
    names = readdirSync(tmpdir())
  } catch {
    return 0
  }
  for (const name of names) {
    const m = name.startsWith(PREFIX) ? /^(\d+)-/.exec(name.slice(PREFIX.length)) : null
    if (!m) continue
    const pid = Number(m[1])
    if (pid === process.pid || alive(pid)) continue
    removeMcpHome(join(tmpdir(), name))
    n++
  }
  return n
}
