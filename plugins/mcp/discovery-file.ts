/**
 * `<home>/.revka/mcp.json` — how local MCP clients (and coding CLIs started from the terminal) find
 * the in-process server: `{url, pid, started_at}` (contract §7.2). Always under the user's home,
 * even when the state dir is elsewhere, as the reference does; `home_dir` / `REVKA_MCP_HOME` move
 * it (tests, sandboxes). Written atomically (unique temp file + fsync + rename) so a reader never
 * sees half a file, and removed at stop only while it still names this process's server, so a
 * second gateway's file is never deleted by the first one's shutdown.
 */
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { writeFileAtomicSync } from '@revka/plugin-sdk'

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
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  writeFileAtomicSync(path, JSON.stringify(info, null, 2) + '\n', 0o600)
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
  try {
    unlinkSync(path)
    return true
  } catch {
    return false
  }
}
