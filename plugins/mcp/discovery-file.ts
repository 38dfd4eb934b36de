/**
 * `<home>/.revka/mcp.json` — how local MCP clients (and coding CLIs started from the terminal) find
 * the in-process server: `{url, pid, started_at}` (contract §7.2). Always under the user's home,
 * even when the state dir is elsewhere, as the reference does; `home_dir` / `REVKA_MCP_HOME` move
 * it (tests, sandboxes). Written atomically (unique temp file + fsync + rename) so a reader never
 * sees half a file, and removed at stop only while it still names this process's server, so a
 * second gateway's file is never deleted by the first one's shutdown.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

export interface DiscoveryInfo {
  url: string
  pid: number
  started_at: string
}

/** `env` reads the gateway's environment (`api.gateway.env`) */
export function discoveryPath(homeOption: string | undefined, env: (name: string) => string | undefined): string {
  const home = homeOption || env('REVKA_MCP_HOME') || homedir()
  return join(home, '.revka', 'mcp.json')
}

export function writeDiscovery(path: string, info: DiscoveryInfo): void {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const tmp = join(dir, `.mcp.json.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeSync(fd, JSON.stringify(info, null, 2) + '\n')
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    try { unlinkSync(tmp) } catch {}
    throw e
  }
  closeSync(fd)
  renameSync(tmp, path)
}

export function readDiscovery(path: string): DiscoveryInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8'))
    return v && typeof v.url === 'string' ? v : undefined
  } catch {
    return undefined
  }
}

/** delete the file if it still describes `url` (ours); true when it was removed */
export function removeDiscovery(path: string, url: string): boolean {
  const cur = readDiscovery(path)
  if (!cur || cur.url !== url || cur.pid !== process.pid) return false
  try { unlinkSync(path); return true } catch { return false }
}
