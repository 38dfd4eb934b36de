/**
 * What the workspace never shares (issue 10 item 5, defense in depth). The gateway's own state
 * lives outside the workspace now (`<state>/kernel/`, `<state>/plugins/<id>/`), but a stale copy
 * from an older layout, a migration that could not finish, a third-party plugin that writes in the
 * wrong place or a symlink must still not become a signed link. Refused, by any segment of the
 * requested path and of the path it really resolves to:
 * - databases: `.db`, `.sqlite`, `.sqlite3`, `.db3` and any `-wal`, `-shm`, `-journal` companion;
 * - journals and ledgers: `.jsonl`, `.journal`, `.wal`;
 * - keys: `.key`, `.pem`, `.p12`, `.pfx`, `.jks`, `.keystore`, ssh `id_*` keys, `service-token`;
 * - dotfiles and dot-folders (`.env`, `.git/`, temp files of atomic writes);
 * - the old layout's internal folders at the top: `sessions/`, `attachments/`, `state/`.
 */
import { realpath } from 'node:fs/promises'
import { isAbsolute, relative, sep } from 'node:path'

const DATABASE = /\.(db|db3|sqlite|sqlite3)$|-(wal|shm|journal)$/i
const JOURNAL = /\.(jsonl|journal|wal)$/i
const KEY = /\.(key|pem|p12|pfx|jks|keystore)$|^id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$|^service-token$/i
const OLD_LAYOUT_TOP = new Set(['sessions', 'attachments', 'state'])

/** why a relative workspace path names internal state, or null when it may be shared */
export function internalReason(rel: string): string | null {
  const segs = rel.split(/[\\/]/).filter(Boolean)
  if (segs.length && OLD_LAYOUT_TOP.has(segs[0].toLowerCase())) return 'an internal folder of an older state layout'
  for (const s of segs) {
    if (s.startsWith('.')) return 'a dotfile'
    if (DATABASE.test(s)) return 'a database'
    if (JOURNAL.test(s)) return 'a journal'
    if (KEY.test(s)) return 'a key'
  }
  return null
}

/**
 * Check the path as asked and, when it exists, as it really resolves (symlinks followed). A path
 * that resolves outside the workspace answers 'outside'; one that does not exist yet is judged by
 * its name (the serving route checks again when it is fetched).
 */
export async function shareCheck(workspaceDir: string, rel: string): Promise<{ ok: true } | { ok: false; reason: string; outside?: boolean }> {
  const asked = internalReason(rel)
  if (asked) return { ok: false, reason: asked }
  let root: string
  let real: string
  try {
    root = await realpath(workspaceDir)
    real = await realpath(`${root}${sep}${rel}`)
  } catch {
    return { ok: true }
  }
  const r = relative(root, real)
  if (r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)) return { ok: false, reason: 'outside the workspace', outside: true }
  const resolved = internalReason(r)
  return resolved ? { ok: false, reason: resolved } : { ok: true }
}
