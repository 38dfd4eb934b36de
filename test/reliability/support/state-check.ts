/**
 * "No file under the state dir is corrupt", checked file by file after a crash: JSON parses, every
 * JSONL line parses except a torn final one (an append the crash cut short — never acknowledged,
 * and readers must skip it), TOML parses, the service token is 64 hex digits, and every SQLite
 * database (copied with its WAL first, so the check changes nothing) passes `integrity_check`.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, relative } from 'node:path'
import Database from 'better-sqlite3'
import { parse as parseToml } from 'smol-toml'

export interface StateReport {
  checked: Record<string, number>
  problems: string[]
  /** JSONL files whose last line was torn (allowed) */
  torn: string[]
  /** temp files an interrupted atomic write left behind (not state; reported, not failed) */
  leftovers: string[]
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    // caches are rebuilt on demand; they are not state
    if (e.isDirectory()) {
      if (e.name !== 'cache' && e.name !== 'node_modules') walk(p, out)
    } else if (e.isFile()) out.push(p)
  }
  return out
}

function checkJsonl(text: string, allowTorn: boolean): { bad: string | null; torn: boolean } {
  const lines = text.split('\n')
  const last = lines.pop() ?? ''
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue
    try {
      JSON.parse(lines[i])
    } catch {
      return { bad: `line ${i + 1} does not parse: ${JSON.stringify(lines[i].slice(0, 80))}`, torn: false }
    }
  }
  if (!last.trim()) return { bad: null, torn: false }
  try {
    JSON.parse(last)
    return { bad: null, torn: false }
  } catch {
    return allowTorn ? { bad: null, torn: true } : { bad: `unterminated last line does not parse`, torn: false }
  }
}

function sqliteIntegrity(file: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'revka-sqlite-check-'))
  try {
    const copy = join(dir, basename(file))
    copyFileSync(file, copy)
    for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) copyFileSync(file + suffix, copy + suffix)
    const db = new Database(copy)
    try {
      const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>
      const verdict = rows.map((r) => r.integrity_check).join('; ')
      return verdict === 'ok' ? null : verdict
    } finally {
      db.close()
    }
  } catch (e) {
    return (e as Error).message
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export function checkStateDir(stateDir: string): StateReport {
  const report: StateReport = { checked: {}, problems: [], torn: [], leftovers: [] }
  const count = (kind: string) => {
    report.checked[kind] = (report.checked[kind] ?? 0) + 1
  }
  for (const file of walk(stateDir)) {
    const rel = relative(stateDir, file)
    const name = basename(file)
    if (/\.tmp$/.test(name)) {
      report.leftovers.push(rel)
      continue
    }
    if (/-(wal|shm|journal)$/.test(name)) continue
    const bad = (why: string) => report.problems.push(`${rel}: ${why}`)
    if (name.endsWith('.db') || name.endsWith('.sqlite')) {
      count('sqlite')
      const v = sqliteIntegrity(file)
      if (v) bad(`integrity_check: ${v}`)
      continue
    }
    if (statSync(file).size > 64 * 1024 * 1024) continue
    const text = readFileSync(file, 'utf8')
    if (name.endsWith('.json')) {
      count('json')
      try {
        JSON.parse(text)
      } catch (e) {
        bad(`JSON does not parse (${(e as Error).message}); ${text.length} bytes`)
      }
    } else if (name.endsWith('.jsonl') || (name.endsWith('.log') && text.trimStart().startsWith('{'))) {
      count(name.endsWith('.log') ? 'log' : 'jsonl')
      const v = checkJsonl(text, true)
      if (v.bad) bad(v.bad)
      if (v.torn) report.torn.push(rel)
    } else if (name.endsWith('.toml')) {
      count('toml')
      try {
        parseToml(text)
      } catch (e) {
        bad(`TOML does not parse: ${(e as Error).message.split('\n')[0]}`)
      }
    } else if (name === 'service-token') {
      count('service-token')
      if (!/^[0-9a-f]{64}\n?$/.test(text)) bad('service token is not 64 hex digits')
    } else {
      count('other')
    }
  }
  return report
}
