/**
 * Attack tests assert "nothing changed": this dumps every table of a SQLite database (opened
 * read-only, WAL included) and every file under a folder, as one string to compare.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export async function sqliteSnapshot(file: string): Promise<string> {
  const { default: Database } = await import('better-sqlite3')
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string; sql: string | null }>
    // a virtual table (FTS5) is compared by its rows; its shadow tables hold segment layouts that
    // differ after any write-then-delete even when the content is the same
    const virtual = tables.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql ?? '')).map((t) => t.name + '_')
    const out: Record<string, unknown[]> = {}
    for (const { name } of tables) if (!virtual.some((v) => name.startsWith(v))) out[name] = db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all()
    return JSON.stringify(out, (_k, v) => (Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'bigint' ? String(v) : v))
  } finally {
    db.close()
  }
}

/** Relative path and bytes of every file below `dir` (empty when it does not exist). */
export function treeSnapshot(dir: string): string {
  const out: string[] = []
  const walk = (d: string, rel: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f)
      if (statSync(p).isDirectory()) walk(p, `${rel}${f}/`)
      else out.push(`${rel}${f}:${readFileSync(p).toString('base64')}`)
    }
  }
  if (existsSync(dir)) walk(dir, '')
  return out.join('\n')
}

/**
 * Everything a plugin keeps in its private folder `<state>/plugins/<id>/`: every SQLite database
 * by its rows, every other file by its bytes (database companions excluded).
 */
export async function pluginStateSnapshot(stateDir: string, pluginId: string): Promise<string> {
  const root = join(stateDir, 'plugins', pluginId)
  const parts: string[] = []
  const walk = async (d: string, rel: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f)
      if (statSync(p).isDirectory()) await walk(p, `${rel}${f}/`)
      else if (f.endsWith('.db')) parts.push(`${rel}${f}:${await sqliteSnapshot(p)}`)
      else if (!/\.db-(wal|shm|journal)$/.test(f)) parts.push(`${rel}${f}:${readFileSync(p).toString('base64')}`)
    }
  }
  if (existsSync(root)) await walk(root, '')
  return parts.join('\n')
}
