/**
 * One-time move of the old state layout (issue 10 item 5). Earlier versions kept the gateway's own
 * state inside the served workspace — `workspace/devices.db` (token hashes), the chat plugin's
 * `workspace/sessions/` and `workspace/attachments/`, the cost plugin's `workspace/state/costs.jsonl`
 * — where `POST /api/workspace/sign` could sign any of it. At start, before anything opens them,
 * they move to `kernel/` and `plugins/<id>/`.
 *
 * The kernel names plugin ids here only because those versions of the built-in plugins put their
 * files there; the table is historical and never grows.
 *
 * Safety: every move is a rename (atomic, same file system; a rename that fails is reported and
 * the file left where it is — never copied half-way). A SQLite database moves with its -wal and
 * -shm, companions first and the database last, so an interrupted start resumes cleanly. If the new
 * place already holds the item, the new one is kept and the old one left untouched, with a warning:
 * nothing is overwritten, nothing deleted. Running again finds nothing to do.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, renameSync, rmdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fsyncDir } from '@revka/plugin-sdk'
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, type StatePaths } from './state-dir.js'

interface Move {
  from: string
  to: string
  /** a SQLite database: its -wal and -shm travel with it */
  sqlite?: boolean
}

export interface MigrationLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export function legacyMoves(p: StatePaths): Move[] {
  const ws = p.workspaceDir
  const plugin = (id: string, ...rest: string[]) => join(p.pluginsStateDir, id, ...rest)
  return [
    { from: join(ws, 'devices.db'), to: join(p.kernelDir, 'devices.db'), sqlite: true },
    { from: join(ws, 'sessions'), to: plugin('chat', 'sessions') },
    { from: join(ws, 'attachments'), to: plugin('chat', 'attachments') },
    { from: join(ws, 'state', 'costs.jsonl'), to: plugin('cost', 'costs.jsonl') },
  ]
}

const exists = (path: string): boolean => {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

/** files 0600, folders 0700, all the way down: these moved out of a 0755 world */
function tighten(path: string): void {
  try {
    const st = lstatSync(path)
    if (st.isSymbolicLink()) return
    if (st.isDirectory()) {
      chmodSync(path, PRIVATE_DIR_MODE)
      for (const e of readdirSync(path)) tighten(join(path, e))
    } else if (st.mode & 0o077) {
      chmodSync(path, PRIVATE_FILE_MODE)
    }
  } catch {}
}

function rename(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true, mode: PRIVATE_DIR_MODE })
  renameSync(from, to)
  fsyncDir(dirname(to))
  fsyncDir(dirname(from))
  tighten(to)
}

/** Move what the old layout left in the workspace; returns how many items moved. */
export function migrateLegacyState(p: StatePaths, log: MigrationLog): number {
  let moved = 0
  for (const m of legacyMoves(p)) {
    if (!exists(m.from)) continue
    if (exists(m.to)) {
      log.warn(
        { from: m.from, kept: m.to },
        `REVKA_ERR_STATE_MIGRATION: both ${m.from} (old layout) and ${m.to} exist; keeping ${m.to} and leaving ${m.from} untouched — inspect it and remove it (the workspace refuses to sign it)`,
      )
      continue
    }
    try {
      if (m.sqlite) {
        for (const suffix of ['-wal', '-shm']) {
          if (!exists(m.from + suffix)) continue
          // a companion with no database beside it belongs to nothing; kept aside, never overwritten
          if (exists(m.to + suffix)) renameSync(m.to + suffix, `${m.to}${suffix}.orphan-${Date.now()}`)
          rename(m.from + suffix, m.to + suffix)
        }
      }
      rename(m.from, m.to)
      moved++
      log.info({ from: m.from, to: m.to }, `moved ${m.from} out of the served workspace to ${m.to}`)
    } catch (e) {
      log.warn(
        { from: m.from, to: m.to, err: (e as Error).message },
        `REVKA_ERR_STATE_MIGRATION: could not move ${m.from} to ${m.to} (${(e as Error).message}); it stays where it is and the workspace refuses to sign it`,
      )
    }
  }
  // the old ledger's folder, when the move emptied it
  try {
    rmdirSync(join(p.workspaceDir, 'state'))
  } catch {}
  return moved
}
