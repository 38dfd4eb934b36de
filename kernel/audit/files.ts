/**
 * Where the audit log lives and how its files are named: `<state>/kernel/audit/audit.log`, rotated
 * (contract §18) to `audit.log.1.log` (newest) … `audit.log.<keep>.log` (oldest). Unlike the
 * reference, the chain continues across files: the first line of a new file follows the last line
 * of the one rotated before it, so verify walks every kept file, oldest first.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export const AUDIT_FILE = 'audit.log'
export const AUDIT_LOCK = 'audit.lock'

export function auditDir(kernelDir: string): string {
  return join(kernelDir, 'audit')
}

export function rotatedName(current: string, n: number): string {
  return `${current}.${n}.log`
}

/** the kept files that exist, oldest first, the current one last */
export function chainFiles(current: string, keep: number): string[] {
  const out: string[] = []
  for (let n = keep; n >= 1; n--) {
    const p = rotatedName(current, n)
    if (existsSync(p)) out.push(p)
  }
  if (existsSync(current)) out.push(current)
  return out
}
