/** Working directories named by clients: `~` expanded, made absolute, and required to exist. */
import { statSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'

/** the absolute directory `input` names, or undefined when it is not an existing directory */
export function resolveCwd(input: string, home = homedir()): string | undefined {
  const raw = input.trim()
  if (!raw || raw.includes('\0')) return undefined
  const expanded = raw === '~' ? home : raw.startsWith('~/') ? join(home, raw.slice(2)) : raw
  if (!isAbsolute(expanded)) return undefined
  const abs = resolve(expanded)
  try {
    return statSync(abs).isDirectory() ? abs : undefined
  } catch {
    return undefined
  }
}
