/** Small helpers shared by the reliability tests: a bounded worker pool, deadlines, temp dirs. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Run `jobs` with at most `width` in flight; stops taking new jobs once `deadline` (epoch ms)
 * passes. Resolves with how many ran.
 */
export async function pool<T>(jobs: T[], width: number, deadline: number, run: (job: T) => Promise<void>): Promise<number> {
  let next = 0
  let ran = 0
  const worker = async () => {
    while (next < jobs.length && Date.now() < deadline) {
      const job = jobs[next++]
      await run(job)
      ran++
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, width) }, worker))
  return ran
}

/** Race a promise against a deadline so a hang shows up as a named failure. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, rej) => {
      t = setTimeout(() => rej(new Error(`no answer within ${ms} ms: ${what}`)), ms)
    }),
  ])
}

export function envInt(name: string, dflt: number): number {
  const v = Number(process.env[name])
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt
}

const made: string[] = []

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  made.push(d)
  return d
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
}

export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
